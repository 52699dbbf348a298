"""``python -m examples.demo_app [serve|new-key]``: run the demo app, or make its member key."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import coincurve
import waitress

from auth_server.crypto import wif_from_private_key
from examples.demo_app.app import DemoConfig, create_app


def _new_key() -> int:
    """A fresh member key as shell exports: the WIF stays in the app's environment, the pubkey
    goes to ``sigil-server clients add --member-pubkey``. Use: ``eval "$(... new-key)"``."""
    key = coincurve.PrivateKey()
    print(f"export SIGIL_DEMO_MEMBER_WIF={wif_from_private_key(key)}")
    print(f"export SIGIL_DEMO_MEMBER_PUBKEY={key.public_key.format().hex()}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m examples.demo_app", description=__doc__)
    parser.add_argument("command", nargs="?", choices=("serve", "new-key"), default="serve")
    parser.add_argument("--issuer", default=env.get("SIGIL_ISSUER", "http://127.0.0.1:3000"))
    parser.add_argument("--client-id", default=env.get("SIGIL_CLIENT_ID"))
    parser.add_argument("--host", default=env.get("DEMO_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env.get("DEMO_PORT", "8000")))
    parser.add_argument("--base-url", default=env.get("DEMO_BASE_URL"),
                        help="public URL of this app (default http://HOST:PORT)")
    args = parser.parse_args(argv)
    if args.command == "new-key":
        return _new_key()
    wif = env.get("SIGIL_DEMO_MEMBER_WIF")  # from the environment only: never a flag (shell history, ps)
    missing = [name for name, value in (("SIGIL_CLIENT_ID", args.client_id), ("SIGIL_DEMO_MEMBER_WIF", wif)) if not value]
    if missing:
        parser.error(f"set {' and '.join(missing)} (see examples/demo_app/README.md)")
    config = DemoConfig(issuer=args.issuer, client_id=args.client_id, member_wif=wif,
                        base_url=args.base_url or f"http://{args.host}:{args.port}")
    print(f"demo app on {config.base_url} (redirect URI {config.redirect_uri}), issuer {config.issuer}", flush=True)
    waitress.serve(create_app(config), host=args.host, port=args.port, threads=4, _quiet=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
