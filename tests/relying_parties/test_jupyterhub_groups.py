"""JupyterHub maps Sigil's groups to who may log in and who is a hub admin
(``examples/relying_parties/jupyterhub_groups_config.py``, quoted in the README): a staff
member gets in, someone outside the group does not, a member of ``admin`` is a hub admin."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.relying_parties.conftest import EXAMPLES, Sigil, User, member, readme_blocks
from tests.relying_parties.test_jupyterhub import Hub, running_hub

pytestmark = pytest.mark.relying_party

CONFIG = EXAMPLES / "jupyterhub_groups_config.py"


@pytest.fixture(scope="module")
def hub(sigil: Sigil, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    sigil.cli("groups", "add", "staff")
    with running_hub(sigil, tmp_path_factory.mktemp("hub-groups"), CONFIG) as running:
        yield running


def _log_in(hub: Hub, person: User) -> httpx.Response:
    def after_callback(res: httpx.Response) -> bool:
        return urlsplit(str(res.request.url)).path == "/hub/oauth_callback"

    res = person.walk(f"{hub.url}/hub/oauth_login", stop=after_callback)
    assert after_callback(res), person.trail()
    return res


def test_readme_quotes_the_tested_config() -> None:
    assert CONFIG.read_text() in readme_blocks()


def test_staff_get_in_admins_are_admins_and_outsiders_stay_out(hub: Hub, sigil: Sigil) -> None:
    staff, boss, outsider = member(sigil, "staff"), member(sigil, "staff", "admin"), member(sigil)
    assert _log_in(hub, staff).status_code == 302, staff.trail()
    assert _log_in(hub, boss).status_code == 302, boss.trail()
    refused = _log_in(hub, outsider)
    assert refused.status_code == 403, outsider.trail()
    models = {u["name"]: u for u in hub.user_models()}
    assert len(models) == 2  # the outsider never became a hub user
    admins = [u for u in models.values() if u["admin"]]
    assert len(admins) == 1 and sorted(admins[0]["groups"]) == ["admin", "staff"]  # Sigil's groups, mirrored
    for person in (staff, boss, outsider):
        person.http.close()
