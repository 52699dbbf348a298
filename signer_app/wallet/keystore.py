"""Turning a wallet secret into keys: BIP39 mnemonics, BIP32 masters, single WIFs.

The unlocked wallet keeps one :class:`Keystore`: the BIP32 master (chain code and
private key) or the single WIF key, in a ``bytearray`` that :meth:`Keystore.wipe`
overwrites. Member keys are derived on demand and dropped after each signature,
so the only long-lived copy of key material is that one buffer.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

import bip32
import coincurve
from mnemonic import Mnemonic

from auth_server.crypto import private_key_from_wif
from signer_app.wallet.errors import InvalidMnemonic, InvalidSecret, WalletError

SecretKind = Literal["mnemonic", "xprv", "wif"]
WORD_COUNTS: tuple[int, ...] = (12, 15, 18, 21, 24)
_STRENGTH_BY_WORDS = {12: 128, 15: 160, 18: 192, 21: 224, 24: 256}
_BIP39 = Mnemonic("english")
_WORDS = frozenset(_BIP39.wordlist)


def member_path(index: int) -> str:
    """The BAP member (root) key path of identity ``index`` (PROTOCOL.md section 5)."""
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
    ``mnemonic`` and ``xprv`` wallets, or the single 32-byte key of a ``wif`` wallet.
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
        if kind == "xprv":
            master = _master_from_xprv(secret)
            return cls(kind, bytearray(master.chaincode + master.privkey))
        if kind == "wif":
            try:
                key = private_key_from_wif(secret)
            except ValueError as exc:
                raise InvalidSecret(str(exc)) from None
            return cls(kind, bytearray(key.secret))
        raise WalletError("unknown wallet kind")

    @property
    def is_hd(self) -> bool:
        return self.kind != "wif"

    def member_key(self, index: int) -> coincurve.PrivateKey:
        """The member key of identity ``index`` (a WIF wallet has only index 0)."""
        if not self.material:
            raise WalletError("the keystore has been wiped")
        if not self.is_hd:
            if index != 0:
                raise WalletError("a wallet imported from a WIF holds exactly one identity")
            return coincurve.PrivateKey(bytes(self.material))
        master = bip32.BIP32(chaincode=bytes(self.material[:32]), privkey=bytes(self.material[32:]))
        return coincurve.PrivateKey(master.get_privkey_from_path(member_path(index)))

    def member_pubkey(self, index: int) -> bytes:
        return self.member_key(index).public_key.format(compressed=True)

    def wipe(self) -> None:
        """Overwrite the key material in place (Python may still hold transient copies)."""
        self.material[:] = bytes(len(self.material))
        self.material.clear()
