"""Entry point of ``sigil`` (the desktop app)."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

STARTED_AT = time.time()  # startup figures count from here (bench/startup.py)

from signer_app import __version__


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--version"]:
        print(f"sigil {__version__}")
        return 0
    from signer_app.cli import run_cli  # headless `sigil wallet ...` / `sigil sign ...`

    code = run_cli(args)
    if code is not None:
        return code
    from signer_app.gui import run_gui  # Qt is loaded only for the GUI, never for the CLI

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
