"""Turning a wallet secret into keys: BIP39 mnemonics, BIP32 masters, single WIFs,
and the two kinds of wallet imported from TokenPass.

The unlocked wallet keeps one :class:`Keystore` (one class per kind, :data:`KEYSTORES`):
the BIP32 master (chain code and private key) or the single WIF key, in a ``bytearray`` that :meth:`Keystore.wipe`
overwrites. Member keys are derived on demand and dropped after each signature,
so the only long-lived copy of key material is that one buffer.

Kinds: ``mnemonic``, ``xprv`` and ``wif`` are Sigil wallets (BAP identities on BIP32
paths, derived keys from the selected identity's member key). ``tokenpass`` is a
TokenPass Type-42 wallet (secret = its backup's ``rootPk`` WIF) and ``tokenpass-xprv``
a legacy TokenPass wallet (secret = its ``xprv``); both derive the per-site, friend and
encryption keys from TokenPass's master key, whichever identity is selected.
"""

from __future__ import annotations

import unicodedata
from typing import ClassVar, Literal

import bip32
import coincurve
from mnemonic import Mnemonic

from auth_server.crypto import private_key_from_wif
from signer_app.wallet.derivation import tokenpass_master, type42_member_key
from signer_app.wallet.errors import InvalidMnemonic, InvalidSecret, WalletError

SecretKind = Literal["mnemonic", "xprv", "wif", "tokenpass", "tokenpass-xprv"]
TOKENPASS_KINDS: tuple[str, ...] = ("tokenpass", "tokenpass-xprv")
WORD_COUNTS: tuple[int, ...] = (12, 15, 18, 21, 24)
_STRENGTH_BY_WORDS = {12: 128, 15: 160, 18: 192, 21: 224, 24: 256}
_BIP39 = Mnemonic("english")
_WORDS = frozenset(_BIP39.wordlist)


def member_path(index: int) -> str:
    """The BAP member (root) key path of identity ``index`` (docs/PROTOCOL.md section 5)."""
    if not 0 <= index < 2**31:
        raise WalletError("identity index out of range")
    return f"m/424150'/0'/0'/0'/{index}'/0'"


def generate_mnemonic(words: int = 12) -> str:
    """A fresh English BIP39 mnemonic of 12 or 24 (or 15/18/21) words from the OS RNG."""
    if words not in _STRENGTH_BY_WORDS:
        raise WalletError("a new mnemonic has 12 or 24 words")
    return _BIP39.generate(strength=_STRENGTH_BY_WORDS[words])


def normalize_mnemonic(text: str) -> str:
    """Validate a typed mnemonic and return it in canonical form (NFKD, lowercase, single spaces).

    Raises :class:`InvalidMnemonic` naming the first word that is not a BIP39 word
    (by position and as typed), or explaining a bad word count or checksum.
    """
    words = unicodedata.normalize("NFKD", text).lower().split()
    if not words:
        raise InvalidMnemonic("the mnemonic is empty")
    for position, word in enumerate(words, start=1):
        if word not in _WORDS:
            raise InvalidMnemonic(f'word {position} ("{word}") is not in the BIP39 English word list')
    if len(words) not in WORD_COUNTS:
        raise InvalidMnemonic(f"a mnemonic has 12, 15, 18, 21 or 24 words, not {len(words)}")
    canonical = " ".join(words)
    if not _BIP39.check(canonical):
        raise InvalidMnemonic(
            "the mnemonic's checksum does not match: a word is wrong or the words are out of order "
            "(every word is valid, so check each against your backup)"
        )
    return canonical


def looks_like_xprv(text: str) -> bool:
    return text.strip().startswith("xprv")


def looks_like_wif(text: str) -> bool:
    stripped = text.strip()
    return len(stripped.split()) == 1 and len(stripped) in (51, 52) and stripped[0] in "5KL"


def detect_kind(text: str) -> SecretKind:
    """Guess what a pasted backup is: an ``xprv``, a single WIF, or else a mnemonic."""
    if looks_like_xprv(text):
        return "xprv"
    if looks_like_wif(text):
        return "wif"
    return "mnemonic"


def _master_from_xprv(xprv: str) -> bip32.BIP32:
    try:
        master = bip32.BIP32.from_xpriv(xprv.strip())
    except Exception:  # the library raises assorted types; none may echo the input
        raise InvalidSecret("not a valid mainnet xprv (bad base58, checksum or length)") from None
    if master.network != "main":
        raise InvalidSecret("only mainnet xprv keys are supported")
    if master.depth != 0:
        raise InvalidSecret("this is a child xprv; import the master xprv (depth 0) of the wallet")
    return master


def validate_xprv(xprv: str) -> str:
    """Return the xprv stripped, or raise :class:`InvalidSecret`."""
    _master_from_xprv(xprv)
    return xprv.strip()


def validate_wif(wif: str) -> str:
    """Return the WIF stripped, or raise :class:`InvalidSecret`."""
    try:
        private_key_from_wif(wif)
    except ValueError as exc:
        raise InvalidSecret(str(exc)) from None  # messages from keys.py never repeat the input
    return wif.strip()


class Keystore:
    """The unlocked key material of one wallet, one small class per kind behind this interface.

    ``material`` is the one long-lived buffer: chain code ‖ private key (64 bytes) of a BIP32
    master, or a single 32-byte key. :meth:`from_secret` picks the class for a kind; each class
    answers only what its kind has (a wallet without a BIP32 master refuses :meth:`xprv`).
    """

    kind: ClassVar[SecretKind]
    #: whether the wallet can derive more identities (all but a single WIF)
    is_hd: ClassVar[bool] = True
    #: whether derived keys follow TokenPass (one master) instead of the identity
    is_tokenpass: ClassVar[bool] = False

    def __init__(self, material: bytearray) -> None:
        self.material = material

    @staticmethod
    def from_secret(kind: SecretKind, secret: str, bip39_passphrase: str = "") -> Keystore:
        """The keystore of a wallet of ``kind`` from its stored secret."""
        keystore_class = KEYSTORES.get(kind)
        if keystore_class is None:
            raise WalletError("unknown wallet kind")
        return keystore_class.load(secret, bip39_passphrase)

    @classmethod
    def load(cls, secret: str, bip39_passphrase: str = "") -> Keystore:
        raise NotImplementedError

    def _key_bytes(self) -> bytes:
        if not self.material:
            raise WalletError("the keystore has been wiped")
        return bytes(self.material)

    def member_key(self, index: int) -> coincurve.PrivateKey:
        """The member key of identity ``index``."""
        raise NotImplementedError

    def derivation_base(self, index: int, member: coincurve.PrivateKey | None = None) -> coincurve.PrivateKey:
        """The key the per-site, friend and encryption keys of identity ``index`` derive from.

        A Sigil wallet uses the identity's own member key (two identities never share a
        derived key): ``member`` when the caller already derived it, else derived here.
        The TokenPass kinds override this with TokenPass's one master.
        """
        self._key_bytes()
        return member if member is not None else self.member_key(index)

    def bip32_key(self, path: str) -> coincurve.PrivateKey:
        """The BIP32 child at ``path`` of an HD wallet (for BAP's backup encryption key)."""
        raise WalletError("this wallet has no BIP32 master")

    def xprv(self) -> str:
        """The BIP32 master of an HD wallet as an ``xprv`` string (for a backup file)."""
        raise WalletError("this wallet has no BIP32 master")

    def root_key(self) -> coincurve.PrivateKey:
        """A ``tokenpass`` wallet's rootPk (to encrypt its identity list in a backup)."""
        raise WalletError("only a TokenPass Type-42 wallet has a rootPk")

    def member_pubkey(self, index: int) -> bytes:
        return self.member_key(index).public_key.format(compressed=True)

    def wipe(self) -> None:
        """Overwrite the key material in place (Python may still hold transient copies)."""
        self.material[:] = bytes(len(self.material))
        self.material.clear()


class _Bip32Keystore(Keystore):
    """A BIP32 master: identities on BAP member paths."""

    def _bip32(self) -> bip32.BIP32:
        material = self._key_bytes()
        return bip32.BIP32(chaincode=material[:32], privkey=material[32:])

    def member_key(self, index: int) -> coincurve.PrivateKey:
        path = member_path(index)
        return coincurve.PrivateKey(self._bip32().get_privkey_from_path(path))

    def bip32_key(self, path: str) -> coincurve.PrivateKey:
        return coincurve.PrivateKey(self._bip32().get_privkey_from_path(path))

    def xprv(self) -> str:
        if not self.material:
            raise WalletError("this wallet has no BIP32 master")
        return self._bip32().get_xpriv()


class MnemonicKeystore(_Bip32Keystore):
    """A Sigil wallet made from (or imported as) BIP39 words."""

    kind = "mnemonic"

    @classmethod
    def load(cls, secret: str, bip39_passphrase: str = "") -> Keystore:
        seed = bytearray(Mnemonic.to_seed(normalize_mnemonic(secret), bip39_passphrase))
        try:
            master = bip32.BIP32.from_seed(bytes(seed))
        finally:
            seed[:] = bytes(len(seed))
        return cls(bytearray(master.chaincode + master.privkey))


class XprvKeystore(_Bip32Keystore):
    """A Sigil wallet imported from a master ``xprv``."""

    kind = "xprv"

    @classmethod
    def load(cls, secret: str, bip39_passphrase: str = "") -> Keystore:
        master = _master_from_xprv(secret)
        return cls(bytearray(master.chaincode + master.privkey))


class TokenPassXprvKeystore(XprvKeystore):
    """A legacy TokenPass wallet (its ``xprv``): derived keys come from the master key itself."""

    kind = "tokenpass-xprv"
    is_tokenpass = True

    def derivation_base(self, index: int, member: coincurve.PrivateKey | None = None) -> coincurve.PrivateKey:
        return coincurve.PrivateKey(self._key_bytes()[32:])


class WifKeystore(Keystore):
    """A single WIF: the member key of the wallet's one identity."""

    kind = "wif"
    is_hd = False

    @classmethod
    def load(cls, secret: str, bip39_passphrase: str = "") -> Keystore:
        return cls(_wif_material(secret))

    def member_key(self, index: int) -> coincurve.PrivateKey:
        key = self._key_bytes()
        if index != 0:
            raise WalletError("a wallet imported from a WIF holds exactly one identity")
        return coincurve.PrivateKey(key)


class TokenPassKeystore(Keystore):
    """A TokenPass Type-42 wallet (its backup's ``rootPk``): member keys are Type-42 children,
    derived keys come from TokenPass's master ``HMAC-SHA512("Bitcoin seed", rootPk)[0:32]``."""

    kind = "tokenpass"
    is_tokenpass = True

    @classmethod
    def load(cls, secret: str, bip39_passphrase: str = "") -> Keystore:
        return cls(_wif_material(secret))

    def member_key(self, index: int) -> coincurve.PrivateKey:
        return type42_member_key(coincurve.PrivateKey(self._key_bytes()), index)

    def derivation_base(self, index: int, member: coincurve.PrivateKey | None = None) -> coincurve.PrivateKey:
        return tokenpass_master(coincurve.PrivateKey(self._key_bytes()))

    def root_key(self) -> coincurve.PrivateKey:
        if not self.material:
            raise WalletError("only a TokenPass Type-42 wallet has a rootPk")
        return coincurve.PrivateKey(bytes(self.material))


def _wif_material(secret: str) -> bytearray:
    try:
        key = private_key_from_wif(secret)
    except ValueError as exc:
        raise InvalidSecret(str(exc)) from None
    return bytearray(key.secret)


#: the keystore class of each wallet kind
KEYSTORES: dict[str, type[Keystore]] = {
    cls.kind: cls for cls in (MnemonicKeystore, XprvKeystore, TokenPassXprvKeystore, WifKeystore, TokenPassKeystore)
}
