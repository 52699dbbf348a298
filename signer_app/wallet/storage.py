"""Where the encrypted envelope lives: the OS keyring, or (if the user agrees) a 0600 file.

Both stores hold text under two slots per wallet: ``main`` (the envelope in use)
and ``pending`` (a new envelope being written by a passphrase change). A change
writes ``pending``, reads it back, then replaces ``main`` in one backend call and
drops ``pending``; a crash at any point leaves ``main`` readable with either the
old passphrase or (once replaced) the new one. See :mod:`signer_app.wallet.wallet`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal, Protocol

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail

from signer_app.wallet.errors import KeyringUnavailable

Slot = Literal["main", "pending"]


class SecretStore(Protocol):
    """A place for a wallet's envelope text, addressed by slot."""

    kind: Literal["keyring", "file"]

    def get(self, slot: Slot) -> str | None: ...
    def set(self, slot: Slot, value: str) -> None: ...
    def delete(self, slot: Slot) -> None: ...
    def describe(self) -> str: ...


def keyring_usable(backend: keyring.backend.KeyringBackend) -> bool:
    """False for the ``fail`` backend and for a chainer with nothing to chain."""
    if isinstance(backend, fail.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return False
    return True


def backend_label(backend: keyring.backend.KeyringBackend) -> str:
    """A short name for the user: ``SecretService``, ``macOS``, ``Windows``, ..."""
    return type(backend).__module__.rsplit(".", 1)[-1]


class KeyringStore:
    """One keyring entry per wallet (service ``sigil``, user = wallet name), plus a
    transient ``<name>.pending`` entry during a passphrase change."""

    kind: Literal["keyring"] = "keyring"

    def __init__(self, service: str, wallet_name: str, backend: keyring.backend.KeyringBackend | None = None):
        self.service = service
        self.wallet_name = wallet_name
        self.backend = backend if backend is not None else keyring.get_keyring()

    def _user(self, slot: Slot) -> str:
        return self.wallet_name if slot == "main" else f"{self.wallet_name}.pending"

    def _unavailable(self, exc: BaseException) -> KeyringUnavailable:
        return KeyringUnavailable(
            f"the OS keyring ({backend_label(self.backend)}) is not usable: {type(exc).__name__}"
        )

    def check(self) -> None:
        """Raise :class:`KeyringUnavailable` unless the backend answers a read."""
        if not keyring_usable(self.backend):
            raise KeyringUnavailable(
                "no OS keyring is available (no Secret Service, macOS Keychain or Windows Credential Locker found)"
            )
        self.get("main")

    def get(self, slot: Slot) -> str | None:
        try:
            return self.backend.get_password(self.service, self._user(slot))
        except (keyring.errors.KeyringError, OSError, RuntimeError) as exc:
            raise self._unavailable(exc) from None

    def set(self, slot: Slot, value: str) -> None:
        try:
            self.backend.set_password(self.service, self._user(slot), value)
        except (keyring.errors.KeyringError, OSError, RuntimeError) as exc:
            raise self._unavailable(exc) from None

    def delete(self, slot: Slot) -> None:
        try:
            self.backend.delete_password(self.service, self._user(slot))
        except keyring.errors.PasswordDeleteError:
            pass  # already absent
        except (keyring.errors.KeyringError, OSError, RuntimeError) as exc:
            raise self._unavailable(exc) from None

    def describe(self) -> str:
        return f"OS keyring ({backend_label(self.backend)})"


def write_private_file(path: Path, text: str) -> None:
    """Atomically replace ``path`` with ``text``, readable by the owner only (0600).

    Written to a temp file in the same directory, fsynced, then renamed, so a crash
    leaves either the old file or the new one, never a torn one.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


class FileStore:
    """The fallback: ``vault-<name>.json`` (0600) in the user data dir, same ciphertext."""

    kind: Literal["file"] = "file"

    def __init__(self, data_dir: Path, wallet_name: str):
        self.data_dir = data_dir
        self.wallet_name = wallet_name

    def path(self, slot: Slot) -> Path:
        suffix = "" if slot == "main" else ".pending"
        return self.data_dir / f"vault-{self.wallet_name}{suffix}.json"

    def get(self, slot: Slot) -> str | None:
        try:
            return self.path(slot).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def set(self, slot: Slot, value: str) -> None:
        write_private_file(self.path(slot), value)

    def delete(self, slot: Slot) -> None:
        try:
            self.path(slot).unlink()
        except FileNotFoundError:
            pass

    def describe(self) -> str:
        return f"file {self.path('main')} (0600)"
