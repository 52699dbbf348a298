"""Sigil's desktop signer: wallet, local signer API and the Qt GUI."""

from auth_server import __version__

__all__ = ["__version__"]
