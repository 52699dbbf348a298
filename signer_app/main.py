"""Entry point of ``sigil`` (the desktop app)."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

STARTED_AT = time.time()  # startup figures count from here (bench/startup.py)

from signer_app import __version__

GUI_MODULES = frozenset({"PySide6", "shiboken6"})  # what the GUI needs at start (the [gui] extra)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--version"]:
        print(f"sigil {__version__}")
        return 0
    from signer_app import launch  # help and the display check, before Qt can abort the process

    if launch.wants_help(args):
        return launch.print_help(args)
    from signer_app.cli import run_cli  # headless `sigil wallet ...` / `sigil sign ...`

    code = run_cli(args)
    if code is not None:
        return code
    try:
        from signer_app.gui import run_gui  # Qt is loaded only for the GUI, never for the CLI
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in GUI_MODULES:
            raise
        print(f"sigil: the desktop app needs the GUI extra ({exc.name} is missing): "
              "pip install 'sigil-identity[gui]'; `sigil wallet` and `sigil sign` work without it",
              file=sys.stderr)
        return 1
    if launch.no_display():
        print(launch.NO_DISPLAY, file=sys.stderr)
        return 1
    return run_gui(args, started=STARTED_AT)


if __name__ == "__main__":
    sys.exit(main())
