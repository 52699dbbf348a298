"""The keys behind TokenPass's crypto endpoints, as pure functions of a base key.

TokenPass derives every per-site, friend and encryption key from one wallet master
``M`` with BRC-42 self children (see ``docs/PROTOCOL.md``, "Derived keys"). Sigil
uses the same invoices; only the base differs by wallet kind (the keystore picks it):
the selected identity's member key for a Sigil wallet, so identities stay unlinkable,
and TokenPass's own ``M`` for a wallet imported from TokenPass, so its keys match.
"""

from __future__ import annotations

import hashlib
import hmac

import coincurve

from auth_server.crypto.brc42 import derive_child_private_key, self_child
from auth_server.crypto.keys import CURVE_ORDER
from signer_app.wallet.errors import WalletError

SITE_PREFIX = "2-tokenpass-"
FRIEND_PREFIX = "2-friend-"
ENCRYPT_PREFIX = "2-encrypt-"
DEFAULT_FRIEND = "default"
# bsv-bap encrypts a master backup's identity list to this child; the BIP32-looking
# path is used as a BRC-42 invoice string for Type-42 (rootPk) wallets.
IDS_ENCRYPTION_PATH = "m/424150'/2147483647'/2147483647'"


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise WalletError(f"the {what} must be a non-empty string")
    return value


def site_invoice(host: str) -> str:
    """``2-tokenpass-<host>``; ``host`` as the browser sent it (``location.host``, port included)."""
    return SITE_PREFIX + _check_text(host, "host")


def friend_invoice(friend_bap_id: str) -> str:
    """``2-friend-<hex sha256(friendBapId)>``."""
    return FRIEND_PREFIX + _sha256_hex(_check_text(friend_bap_id, "friend BAP ID"))


def encrypt_invoice(friend_bap_id: str | None) -> str:
    """``2-encrypt-<hex sha256(friendBapId or "default")>``."""
    friend = DEFAULT_FRIEND if friend_bap_id is None else _check_text(friend_bap_id, "friend BAP ID")
    return ENCRYPT_PREFIX + _sha256_hex(friend)


def site_key(base: coincurve.PrivateKey, host: str) -> coincurve.PrivateKey:
    """The key a site's ``/api/sign`` and ``/api/sign-aip`` requests are signed with."""
    return self_child(base, site_invoice(host))


def friend_public_key(base: coincurve.PrivateKey, friend_bap_id: str) -> bytes:
    """The compressed public key this wallet shows ``friend_bap_id`` (``/api/friend-pubkey``)."""
    return self_child(base, friend_invoice(friend_bap_id)).public_key.format(compressed=True)


def friend_encryption_key(base: coincurve.PrivateKey, friend_bap_id: str | None) -> coincurve.PrivateKey:
    """The key messages "for a friend" are encrypted to (its own public key) and decrypted with."""
    return self_child(base, encrypt_invoice(friend_bap_id))


def shared_decryption_key(
    base: coincurve.PrivateKey, their_pubkey: coincurve.PublicKey, friend_bap_id: str | None
) -> coincurve.PrivateKey:
    """The ECDH child ``base.deriveChild(theirPublicKey, 2-encrypt-…)`` that decrypts what the
    holder of ``their_pubkey`` encrypted to this wallet's matching child public key."""
    return derive_child_private_key(base, their_pubkey, encrypt_invoice(friend_bap_id))


def tokenpass_master(root_pk: coincurve.PrivateKey) -> coincurve.PrivateKey:
    """TokenPass's steady master ``M = HMAC-SHA512("Bitcoin seed", rootPk bytes)[0:32]``
    (the BIP32 master key of rootPk's 32 bytes read as a seed)."""
    digest = hmac.new(b"Bitcoin seed", root_pk.secret, hashlib.sha512).digest()[:32]
    if not 0 < int.from_bytes(digest, "big") < CURVE_ORDER:  # probability ~2^-128
        raise WalletError("this rootPk gives no valid master key")
    return coincurve.PrivateKey(digest)


def type42_invoice(index: int) -> str:
    """``bap:<n>``, the BRC-42 invoice of Type-42 BAP identity ``n``."""
    if not isinstance(index, int) or not 0 <= index < 2**31:
        raise WalletError("identity index out of range")
    return f"bap:{index}"


def type42_member_key(root_pk: coincurve.PrivateKey, index: int) -> coincurve.PrivateKey:
    """The member (root) key of Type-42 BAP identity ``index``: ``child(rootPk, "bap:<n>")``."""
    return self_child(root_pk, type42_invoice(index))

