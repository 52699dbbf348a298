"""The wallet core: secrets, the keyring vault, BAP identities and signing, with no Qt.

The GUI, the local signer API and the ``sigil wallet`` / ``sigil sign`` CLI are thin
clients of :class:`Wallet`. Private keys, seeds and mnemonics never leave this
package except through the explicit :meth:`Wallet.create` / :meth:`Wallet.export_secret`.
"""

from signer_app.wallet.backup import BackupContents, BackupError, UnsupportedBackup, WrongBackupPassword, read_backup
from signer_app.wallet.envelope import DEFAULT_SCRYPT_N, KdfParams
from signer_app.wallet.errors import (
    InvalidMnemonic,
    InvalidSecret,
    KeyringUnavailable,
    NoWallet,
    TooManyAttempts,
    WalletError,
    WalletExists,
    WalletLocked,
    WrongPassphrase,
)
from signer_app.wallet.identities import Identity
from signer_app.wallet.keystore import detect_kind, member_path
from signer_app.wallet.wallet import DEFAULT_AUTO_LOCK_SECONDS, Wallet, default_data_dir

__all__ = [
    "BackupContents",
    "BackupError",
    "DEFAULT_AUTO_LOCK_SECONDS",
    "DEFAULT_SCRYPT_N",
    "Identity",
    "InvalidMnemonic",
    "InvalidSecret",
    "KdfParams",
    "KeyringUnavailable",
    "NoWallet",
    "TooManyAttempts",
    "UnsupportedBackup",
    "Wallet",
    "WalletError",
    "WalletExists",
    "WalletLocked",
    "WrongBackupPassword",
    "WrongPassphrase",
    "default_data_dir",
    "detect_kind",
    "member_path",
    "read_backup",
]
