"""Turning a wallet secret into keys: BIP39 mnemonics, BIP32 masters, single WIFs,
and the two kinds of wallet imported from TokenPass.

The unlocked wallet keeps one :class:`Keystore`: the BIP32 master (chain code and
private key) or the single WIF key, in a ``bytearray`` that :meth:`Keystore.wipe`
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
from dataclasses import dataclass
from typing import Literal

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


@dataclass
class Keystore:
    """The unlocked key material of one wallet.

    ``material`` is chain code ‖ private key (64 bytes) of the BIP32 master for
    ``mnemonic``, ``xprv`` and ``tokenpass-xprv`` wallets, or a single 32-byte key:
    the member key of a ``wif`` wallet, the ``rootPk`` of a ``tokenpass`` wallet.
    """

    kind: SecretKind
    material: bytearray

    @classmethod
    def from_secret(cls, kind: SecretKind, secret: str, bip39_passphrase: str = "") -> Keystore:
        if kind == "mnemonic":
            seed = bytearray(Mnemonic.to_seed(normalize_mnemonic(secret), bip39_passphrase))
            try:
                master = bip32.BIP32.from_seed(bytes(seed))
            finally:
                seed[:] = bytes(len(seed))
            return cls(kind, bytearray(master.chaincode + master.privkey))
        if kind in ("xprv", "tokenpass-xprv"):
            master = _master_from_xprv(secret)
            return cls(kind, bytearray(master.chaincode + master.privkey))
        if kind in ("wif", "tokenpass"):
            try:
                key = private_key_from_wif(secret)
            except ValueError as exc:
                raise InvalidSecret(str(exc)) from None
            return cls(kind, bytearray(key.secret))
        raise WalletError("unknown wallet kind")

    @property
    def is_hd(self) -> bool:
        """Whether the wallet can derive more identities (all but a single WIF)."""
        return self.kind != "wif"

    @property
    def is_tokenpass(self) -> bool:
        """Whether derived keys follow TokenPass (one master) instead of the identity."""
        return self.kind in TOKENPASS_KINDS

    def member_key(self, index: int) -> coincurve.PrivateKey:
        """The member key of identity ``index`` (a WIF wallet has only index 0)."""
        if not self.material:
            raise WalletError("the keystore has been wiped")
        if self.kind == "tokenpass":
            return type42_member_key(coincurve.PrivateKey(bytes(self.material)), index)
        if not self.is_hd:
            if index != 0:
                raise WalletError("a wallet imported from a WIF holds exactly one identity")
            return coincurve.PrivateKey(bytes(self.material))
        return coincurve.PrivateKey(self._bip32().get_privkey_from_path(member_path(index)))

    def _bip32(self) -> bip32.BIP32:
        return bip32.BIP32(chaincode=bytes(self.material[:32]), privkey=bytes(self.material[32:]))

    def derivation_base(self, index: int, member: coincurve.PrivateKey | None = None) -> coincurve.PrivateKey:
        """The key the per-site, friend and encryption keys of identity ``index`` derive from.

        A Sigil wallet uses the identity's own member key (two identities never share a
        derived key): ``member`` when the caller already derived it, else derived here.
        A TokenPass wallet uses TokenPass's master ``M`` for every identity:
        ``HMAC-SHA512("Bitcoin seed", rootPk)[0:32]``, or a legacy wallet's xprv key.
        """
        if not self.material:
            raise WalletError("the keystore has been wiped")
        if self.kind == "tokenpass":
            return tokenpass_master(coincurve.PrivateKey(bytes(self.material)))
        if self.kind == "tokenpass-xprv":
            return coincurve.PrivateKey(bytes(self.material[32:]))
        return member if member is not None else self.member_key(index)

    def bip32_key(self, path: str) -> coincurve.PrivateKey:
        """The BIP32 child at ``path`` of an HD wallet (for BAP's backup encryption key)."""
        if self.kind not in ("mnemonic", "xprv", "tokenpass-xprv"):
            raise WalletError("this wallet has no BIP32 master")
        return coincurve.PrivateKey(self._bip32().get_privkey_from_path(path))

    def xprv(self) -> str:
        """The BIP32 master of an HD wallet as an ``xprv`` string (for a backup file)."""
        if self.kind not in ("mnemonic", "xprv", "tokenpass-xprv") or not self.material:
            raise WalletError("this wallet has no BIP32 master")
        return self._bip32().get_xpriv()

    def root_key(self) -> coincurve.PrivateKey:
        """A ``tokenpass`` wallet's rootPk (to encrypt its identity list in a backup)."""
        if self.kind != "tokenpass" or not self.material:
            raise WalletError("only a TokenPass Type-42 wallet has a rootPk")
        return coincurve.PrivateKey(bytes(self.material))

    def member_pubkey(self, index: int) -> bytes:
        return self.member_key(index).public_key.format(compressed=True)

    def wipe(self) -> None:
        """Overwrite the key material in place (Python may still hold transient copies)."""
        self.material[:] = bytes(len(self.material))
        self.material.clear()
