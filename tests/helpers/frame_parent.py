"""An app page that uses the published Sigma client plugin's signer frame, for the /signer tests.

``frame_parent.js`` (or ``local_parent.js``, the same page with ``preferLocal``) is bundled with the esbuild and ``@sigma-auth/better-auth-plugin`` of
``examples/sigma_client`` (the plugin from npm, unchanged) and served by a small bottle app,
which the tests put on a registered origin and on one nobody registered. In the page,
``frameTest.start(name, () => promise)`` begins a call without blocking the test (which may
have a dialog to answer meanwhile); :func:`outcome` waits for it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import bottle

SIGMA_CLIENT_DIR = Path(__file__).resolve().parents[2] / "examples" / "sigma_client"
PARENT_SCRIPT = Path(__file__).resolve().parent / "frame_parent.js"
LOCAL_PARENT_SCRIPT = Path(__file__).resolve().parent / "local_parent.js"


def bundle_parent_script(script: Path = PARENT_SCRIPT) -> bytes:
    """``script`` with the published plugin, bundled by the example's esbuild (from stdin,
    so that packages resolve in examples/sigma_client/node_modules)."""
    result = subprocess.run(
        [str(SIGMA_CLIENT_DIR / "node_modules" / ".bin" / "esbuild"), "--bundle", "--format=esm",
         "--platform=browser", "--target=es2020", "--log-level=error", f"--sourcefile={script.name}"],
        input=script.read_bytes(), cwd=SIGMA_CLIENT_DIR, capture_output=True, timeout=60,
    )
    if result.returncode != 0:
        raise RuntimeError(f"esbuild failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


def parent_app(sigma_url: str, script: bytes, env: dict[str, str] | None = None) -> bottle.Bottle:
    """``/`` (the page) and ``/parent.js`` (the bundle), pointed at the Sigil server ``sigma_url``
    (and whatever else ``env`` sets, e.g. ``NEXT_PUBLIC_TOKENPASS_URL``, the local signer)."""
    app = bottle.Bottle()
    # What Next.js does with NEXT_PUBLIC_* variables, at run time instead of bundle time.
    variables = {"NEXT_PUBLIC_SIGMA_AUTH_URL": sigma_url, **(env or {})}
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Frame app</title>"
        f"<script>globalThis.process = {{ env: {json.dumps(variables)} }};</script>"
        "<script type='module' src='/parent.js'></script></head>"
        "<body><h1>An app that signs through Sigil</h1></body></html>"
    )
    app.route("/", "GET", lambda: bottle.HTTPResponse(page, 200, {"Content-Type": "text/html"}))
    app.route("/parent.js", "GET", lambda: bottle.HTTPResponse(script, 200, {"Content-Type": "text/javascript"}))
    return app


def open_app(page, url: str, bap_id: str) -> None:
    page.goto(url + "/")
    page.wait_for_function("window.frameTest !== undefined")
    page.evaluate(f"frameTest.client.sigma.setIdentity({json.dumps(bap_id)})")


def start(page, name: str, expression: str) -> None:
    """Begin a call without waiting; ``expression`` may use ``sigma`` (the plugin's
    ``authClient.sigma``) and ``cwi`` (the page's CWI client, whose frame opens on first use)."""
    page.evaluate(f"(() => {{ const sigma = frameTest.client.sigma; "
                  f"const cwi = {{ call: (...args) => frameTest.cwi.call(...args) }}; "
                  f"frameTest.start({json.dumps(name)}, () => {expression}); }})()")


def outcome(page, name: str, timeout: float = 20.0) -> dict:
    """``{done, ok, value}`` or ``{done, ok: false, error}`` of the call ``name``."""
    key = json.dumps(name)
    page.wait_for_function(f"frameTest.results[{key}] && frameTest.results[{key}].done", timeout=timeout * 1000)
    return page.evaluate(f"frameTest.results[{key}]")


def frame_messages(page) -> list[dict]:
    """Every message the Sigil server's origin posted to the page, in order."""
    return page.evaluate("frameTest.messages")


def kinds(messages: list[dict]) -> list[str]:
    """Message types, with CWI state messages as ``CWI:<status>``."""
    return [("CWI:" + m["cwiState"]["status"]) if m.get("cwiState") else m.get("type") for m in messages]
