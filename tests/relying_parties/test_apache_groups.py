"""Apache mod_auth_openidc with ``Require claim groups:staff``
(``examples/relying_parties/apache_sigil_groups.conf``, quoted in the README): a member of
Sigil's staff group sees the page, someone outside it does not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.relying_parties.conftest import EXAMPLES, Sigil, member, readme_blocks
from tests.relying_parties.test_apache import running_apache

pytestmark = pytest.mark.relying_party

RECIPE = EXAMPLES / "apache_sigil_groups.conf"


@pytest.fixture(scope="module")
def apache(sigil: Sigil, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sigil.cli("groups", "add", "staff")
    with running_apache(sigil, tmp_path_factory.mktemp("apache-groups"), RECIPE) as url:
        yield url


def test_readme_quotes_the_tested_config() -> None:
    assert RECIPE.read_text() in readme_blocks()


def test_staff_see_the_page_and_others_do_not(apache: str, sigil: Sigil) -> None:
    staff, outsider = member(sigil, "staff"), member(sigil)
    res = staff.walk(f"{apache}/private/")
    assert res.status_code == 200 and 'id="sub"' in res.text, staff.trail()
    refused = outsider.walk(f"{apache}/private/")
    assert refused.status_code in (401, 403) and 'id="sub"' not in refused.text, outsider.trail()
    for person in (staff, outsider):
        person.http.close()
