"""The ways a wallet operation can fail.

Every message is written for the user and is safe to show or log: none of them
ever repeats a passphrase, a mnemonic (beyond the one unknown word the user typed
when importing), a seed or a key.
"""

from __future__ import annotations


class WalletError(Exception):
    """Base of every wallet failure; ``str(exc)`` is a message for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WalletLocked(WalletError):
    """The operation needs the keys, and the wallet is locked (or auto-locked)."""


class WrongPassphrase(WalletError):
    """The unlock passphrase is wrong, or attempts are paused after repeated failures.

    ``retry_after`` is how many seconds to wait before the next attempt is even
    checked; it grows with each failure after the first few.
    """

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyAttempts(WrongPassphrase):
    """An attempt came before ``retry_after`` had passed; the passphrase was not checked."""


class NoWallet(WalletError):
    """There is no wallet (or its secret is missing from the keyring / vault file)."""


class InvalidMnemonic(WalletError):
    """A mnemonic to import is not valid BIP39; the message names the first wrong word."""


class InvalidSecret(WalletError):
    """An xprv or WIF to import is malformed (the message never repeats it)."""


class KeyringUnavailable(WalletError):
    """No usable OS keyring; the caller may retry with ``allow_file_fallback=True``."""


class WalletExists(WalletError):
    """Creating or importing would overwrite an existing wallet."""
