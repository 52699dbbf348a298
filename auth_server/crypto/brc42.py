"""BRC-42 ("Type-42") key derivation (docs/PROTOCOL.md section 3).

Both parties reach the same child key pair from their own private key and the
other's public key: the sender computes the child private key, anyone holding
the counterparty private key computes the matching child public key.
"""

from __future__ import annotations

import hashlib
import hmac

import coincurve

from auth_server.crypto.keys import CURVE_ORDER


def _invoice_scalar(shared_point: bytes, invoice: str) -> bytes:
    return hmac.new(shared_point, invoice.encode("utf-8"), hashlib.sha256).digest()


def derive_child_private_key(
    own_key: coincurve.PrivateKey, counterparty: coincurve.PublicKey, invoice: str
) -> coincurve.PrivateKey:
    """Child private key (a + HMAC(a·B, invoice)) mod n."""
    shared = counterparty.multiply(own_key.secret).format(compressed=True)
    h = int.from_bytes(_invoice_scalar(shared, invoice), "big")
    child = (own_key.to_int() + h) % CURVE_ORDER
    return coincurve.PrivateKey.from_int(child)


def child_key_offset(sender: coincurve.PublicKey, own_key: coincurve.PrivateKey | None, invoice: str) -> int:
    """The scalar h with child public key = sender + h·G, as seen by ``own_key``.

    ``own_key=None`` means the "anyone" counterparty (scalar 1), whose shared
    point with the sender is the sender's own public key.
    """
    if own_key is None:
        shared = sender.format(compressed=True)
    else:
        shared = sender.multiply(own_key.secret).format(compressed=True)
    return offset_from_shared_point(shared, invoice)


def offset_from_shared_point(shared_point: bytes, invoice: str) -> int:
    """h = HMAC-SHA256(shared point, invoice) mod n, for a caller that has the point's bytes."""
    return int.from_bytes(_invoice_scalar(shared_point, invoice), "big") % CURVE_ORDER


def derive_child_public_key(
    sender: coincurve.PublicKey, own_key: coincurve.PrivateKey | None, invoice: str
) -> coincurve.PublicKey:
    """Child public key A + HMAC(b·A, invoice)·G of ``sender`` as seen by ``own_key``."""
    return sender.add(child_key_offset(sender, own_key, invoice).to_bytes(32, "big"))


def self_child(key: coincurve.PrivateKey, invoice: str) -> coincurve.PrivateKey:
    """BRC-42 child of ``key`` with itself as the counterparty: (k + HMAC(k·K, invoice)) mod n.

    This is what ``@bsv/sdk``'s ``key.deriveChild(key.toPublicKey(), invoice)`` computes,
    the derivation TokenPass and BAP Type-42 identities are built on.
    """
    return derive_child_private_key(key, key.public_key, invoice)
