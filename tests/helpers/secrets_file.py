"""One secret file (the signing keys' key-encryption key) for every PostgreSQL server the
suite starts: on PostgreSQL a server refuses to start without one given explicitly."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from auth_server.oauth.secret_file import make_secret_file

_lock = threading.Lock()
_path: Path | None = None


def shared_secret_file() -> Path:
    """The suite's secret file, made (0600) on first use in a temp dir of its own."""
    global _path
    with _lock:
        if _path is None:
            _path = make_secret_file(Path(tempfile.mkdtemp(prefix="sigil-secret-")) / "secret.key")
        return _path
