"""Apache httpd with mod_auth_openidc protects a location with Sigil, configured by
``examples/relying_parties/apache_sigil.conf`` exactly as the README quotes it: a Sigil user
signs in and the protected page shows their ``sub`` (an SSI page echoing the claim the
module sets). Debian's ``apache2`` binary runs in the foreground with the test's own
``httpd.conf`` in a temp dir; the secret reaches httpd through its environment.

Without the module here (a developer's machine) the tests skip; in CI (``CI`` set) they
fail instead, so a missing package cannot pass unnoticed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.helpers.net import free_port
from tests.relying_parties.conftest import EXAMPLES, Sigil, User, readme_blocks, stop_process
from tests.relying_parties.test_django import user_sub

pytestmark = pytest.mark.relying_party

RECIPE = EXAMPLES / "apache_sigil.conf"
MODULES = Path("/usr/lib/apache2/modules")
HTTPD = shutil.which("apache2") or "/usr/sbin/apache2"

HTTPD_CONF = """\
ServerRoot {root}
{user}
Listen 127.0.0.1:{port}
ServerName 127.0.0.1
PidFile {root}/httpd.pid
DefaultRuntimeDir {root}
Mutex file:{root} default
ErrorLog {root}/error.log
LogLevel warn auth_openidc:info
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authn_core_module {modules}/mod_authn_core.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule authz_user_module {modules}/mod_authz_user.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule dir_module {modules}/mod_dir.so
LoadModule include_module {modules}/mod_include.so
LoadModule auth_openidc_module {modules}/mod_auth_openidc.so
TypesConfig /etc/mime.types
DocumentRoot {docroot}
<Directory {docroot}>
    Options +Includes
    AddOutputFilter INCLUDES .shtml
    AddType text/html .shtml
    DirectoryIndex index.shtml
    Require all granted
</Directory>
Include {recipe}
"""

PAGE = '<p>signed in as <span id="sub"><!--#echo var="OIDC_CLAIM_sub" --></span></p>\n'


def module_present() -> bool:
    return (MODULES / "mod_auth_openidc.so").exists() and Path(HTTPD).exists()


def require_apache(present: bool, in_ci: bool) -> None:
    """Skip without Apache on a developer's machine; in CI fail, never skip."""
    if present:
        return
    if in_ci:
        pytest.fail("apache2 and libapache2-mod-auth-openidc must be installed in CI (.ci/run)")
    pytest.skip("apache2 / libapache2-mod-auth-openidc not installed (apt-get install them to run this)")


@contextmanager
def running_apache(sigil: Sigil, root: Path, recipe: Path) -> Iterator[str]:
    """httpd with ``recipe`` (a README recipe) protecting /private/; its URL."""
    require_apache(module_present(), bool(os.environ.get("CI")))
    # the page is read by httpd's workers, which run as nobody when the test is root: a
    # world-readable directory of its own, not pytest's 0700 temp dir
    docroot = Path(tempfile.mkdtemp(prefix="sigil-apache-docroot-"))
    docroot.chmod(0o755)
    (docroot / "private").mkdir(mode=0o755)
    (docroot / "private" / "index.shtml").write_text(PAGE)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client = sigil.add_client("Apache", f"{url}/private/redirect_uri")
    user = "User nobody\nGroup nogroup" if os.geteuid() == 0 else ""
    (root / "httpd.conf").write_text(HTTPD_CONF.format(root=root, user=user, port=port, modules=MODULES,
                                                       docroot=docroot, recipe=recipe))
    env = {**os.environ, "SIGIL_URL": sigil.url, "APP_URL": url, "OIDC_CLIENT_ID": client["client_id"],
           "OIDC_CLIENT_SECRET": client["client_secret"], "OIDC_CRYPTO_PASSPHRASE": secrets.token_urlsafe(32)}
    with open(root / "stderr.log", "w") as stderr:
        proc = subprocess.Popen([HTTPD, "-f", str(root / "httpd.conf"), "-DFOREGROUND"], env=env,
                                stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        _wait(url, proc, root)
        yield url
    finally:
        stop_process(proc)
        shutil.rmtree(docroot, ignore_errors=True)


@pytest.fixture(scope="module")
def apache(sigil: Sigil, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_apache(sigil, tmp_path_factory.mktemp("apache"), RECIPE) as url:
        yield url


def _wait(url: str, proc: subprocess.Popen, root: Path) -> None:
    """Until httpd answers (its root page is a 404 with no index: any answer will do)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"apache2 exited with {proc.returncode}:\n{(root / 'stderr.log').read_text()}"
                               f"\n{(root / 'error.log').read_text()}")
        try:
            httpx.get(url + "/", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(f"apache2 did not answer:\n{(root / 'error.log').read_text()}")


def test_readme_quotes_the_tested_config() -> None:
    assert RECIPE.read_text() in readme_blocks()


def test_a_sigil_user_opens_the_protected_page(apache: str, user: User) -> None:
    res = user.walk(f"{apache}/private/")
    assert res.status_code == 200, f"{res.status_code} {res.text[:1000]}\n{user.trail()}"
    assert any("/oauth2/authorize" in str(r.request.url) for r in user.visited), user.trail()
    assert f'<span id="sub">{user_sub(user)}</span>' in res.text, res.text


def test_without_signing_in_the_page_is_not_served(apache: str, sigil: Sigil) -> None:
    """A stranger is sent to Sigil, not shown the page."""
    res = httpx.get(f"{apache}/private/", follow_redirects=False, timeout=10)
    assert res.status_code == 302 and res.headers["location"].startswith(f"{sigil.url}/oauth2/authorize")


def test_a_missing_module_fails_in_ci_and_skips_elsewhere() -> None:
    require_apache(True, True)
    with pytest.raises(pytest.fail.Exception, match="must be installed in CI"):
        require_apache(False, True)
    with pytest.raises(pytest.skip.Exception):
        require_apache(False, False)
