"""AIP (Author Identity Protocol) signatures in TokenPass's ``signedOps`` shape.

The signature is a BSM over the concatenation of every data element's bytes; the
answer is three UTF-8 strings, ``["BITCOIN_ECDSA", address, base64 signature]``,
which a client appends to its OP_RETURN after the AIP prefix.
"""

from __future__ import annotations

from collections.abc import Sequence

import coincurve

from auth_server.crypto.bsm import sign_bsm
from auth_server.crypto.encoding import decode_hex
from auth_server.crypto.errors import InputError
from auth_server.crypto.keys import address_from_pubkey

SIGNING_ALGORITHM = "BITCOIN_ECDSA"


def aip_message(data_hex: Sequence[str]) -> bytes:
    """The bytes AIP signs: every hex element decoded (see :func:`decode_hex`) and joined."""
    if isinstance(data_hex, (str, bytes)) or not data_hex:
        raise InputError("data must be a list of at least one hex string")
    return b"".join(decode_hex(item) for item in data_hex)


def aip_signed_ops(key: coincurve.PrivateKey, data_hex: Sequence[str]) -> list[str]:
    """``["BITCOIN_ECDSA", <key's address>, <base64 BSM over the joined data>]``."""
    signature = sign_bsm(key, aip_message(data_hex))
    return [SIGNING_ALGORITHM, address_from_pubkey(key.public_key), signature]
