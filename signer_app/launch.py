"""What ``sigil`` does before it starts Qt: answer ``--help``/``help`` and refuse to start
the GUI where there is no display.

Why: Qt aborts the process (SIGABRT, exit 134, "could not load the Qt platform plugin")
when it finds no display, which is what a new user on a server or over SSH saw for
``sigil --help``. These checks need no Qt, so they work without the GUI extra too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

HELP_WORDS = frozenset({"-h", "--help", "help"})

NO_DISPLAY = ("sigil: no display (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop app cannot start; "
              "use `sigil wallet ...` / `sigil sign ...` here (see `sigil --help`), "
              "or run the sign-in server with `sigil-server`")

GUI_USAGE = """\
Run `sigil` with no arguments to start the desktop app (needs a display).

Without a display:
  sigil wallet ...      create, import, back up and inspect the wallet
  sigil sign ...        print an X-Auth-Token for a request path
  sigil --version       print the version
  sigil-server --help   the sign-in server (OAuth 2.0 / OpenID Connect provider)
"""


def wants_help(args: Sequence[str]) -> bool:
    """``sigil --help``, ``sigil -h``, ``sigil help [command ...]`` (not ``sigil wallet --help``,
    which the command's own parser answers)."""
    return bool(args) and args[0] in HELP_WORDS


def print_help(args: Sequence[str]) -> int:
    """The headless commands' help; ``sigil help wallet`` is ``sigil wallet --help``."""
    from signer_app.cli import COMMANDS, build_parser

    rest = [a for a in args[1:] if a not in HELP_WORDS]
    parser = build_parser()
    if rest and rest[0] in COMMANDS:
        try:
            parser.parse_args([*rest, "--help"])
        except SystemExit as exit_:  # argparse printed the help
            return int(exit_.code or 0)
    parser.print_help()
    print()
    print(GUI_USAGE, end="")
    return 0


def no_display(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """True on Linux/BSD when Qt would find no display: neither ``DISPLAY`` nor
    ``WAYLAND_DISPLAY`` is set and no platform plugin was chosen (``QT_QPA_PLATFORM``, e.g.
    ``offscreen`` in tests). macOS and Windows always have their native platform."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return False
    return not any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
