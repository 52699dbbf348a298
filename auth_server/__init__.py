"""Sigil's auth server: the Bitcoin auth protocol library, storage and the HTTP endpoints.

This package never imports Qt; the desktop app (``signer_app``) imports it, never the reverse.
"""

__version__ = "0.1.0"
