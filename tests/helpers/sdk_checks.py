"""What the npm peers say a browser's answers from Sigil must be, for the test wallet.

The browser tests never ask Sigil for a key: Node derives everything itself. ``@bsv/sdk``
turns the test mnemonic into identity 0's member key (the base key ``B`` of a Sigil wallet,
docs/PROTOCOL.md section 8) and from it the per-site, friend and encryption keys; the answers a
page got through the plugin are then checked with @bsv/sdk (BSM, BIE1 ECIES) and
``bitcoin-auth`` (X-Auth-Tokens).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from tests.helpers.fixtures.browser_stack import EXPECTED_PUBKEY, TEST_MNEMONIC
from tests.helpers.node_peer import NodePeer

MEMBER_PATH_0 = "m/424150'/0'/0'/0'/0'/0'"  # identity 0's member key (docs/PROTOCOL.md section 5)
FRIEND = "1FriendOfTheTestUserXXXXXXXX"  # a BAP ID the page encrypts for
SECRET = "a note for a friend ✓"  # non-ASCII on purpose: UTF-8 all the way
AIP_DATA = ["6a", "cafe", "00ff"]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ciphertext_hex(value: str) -> str:
    """The plugin's frame path gives base64, the local API hex: the BIE1 bytes as hex."""
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = base64.b64decode(value, validate=True)
    assert raw[:4] == b"BIE1", raw[:8]
    return raw.hex()


@dataclass
class SdkChecks:
    """The peers (@bsv/sdk + bsv-bap in ``sdk``, bitcoin-auth in ``auth``) and the site whose
    per-site key the signer should use (``host:port`` exactly as the grant names it)."""

    sdk: NodePeer
    auth: NodePeer
    site: str

    def __post_init__(self) -> None:
        base = self.sdk.request(op="hd-key", mnemonic=TEST_MNEMONIC, path=MEMBER_PATH_0)
        assert base["pub"] == EXPECTED_PUBKEY  # Node and Sigil agree on the identity
        self.base_wif: str = base["wif"]

    def _child(self, invoice: str) -> dict[str, str]:
        return self.sdk.request(op="child", wif=self.base_wif, invoice=invoice)

    # -- keys ---------------------------------------------------------------------------------

    def site_address(self) -> str:
        return self._child("2-tokenpass-" + self.site)["address"]

    def friend_public_key(self, friend: str = FRIEND) -> str:
        return self._child("2-friend-" + _sha(friend))["pub"]

    def encryption_key(self, friend: str = FRIEND) -> dict[str, str]:
        return self._child("2-encrypt-" + _sha(friend))

    # -- checks -------------------------------------------------------------------------------

    def check_auth_token(self, token: str, path: str, body: str) -> None:
        pubkey, scheme, timestamp, signed_path, _signature = token.split("|")
        assert (pubkey, scheme, signed_path) == (EXPECTED_PUBKEY, "brc77", path)
        assert self.auth.verify(token, path, timestamp, body)
        assert not self.auth.verify(token, path, timestamp, body + " ")

    def check_signed_ops(self, ops: list[str], data: list[str] = AIP_DATA) -> None:
        assert ops[0] == "BITCOIN_ECDSA" and len(ops) == 3, ops
        assert ops[1] == self.site_address(), "not the per-site key of " + self.site
        signed = "".join(data)
        assert self.sdk.request(op="bsm-verify", hex=signed, address=ops[1], sig=ops[2])["valid"]
        assert not self.sdk.request(op="bsm-verify", hex=signed + "00", address=ops[1], sig=ops[2])["valid"]

    def open_for_friend(self, ciphertext: str, friend: str = FRIEND) -> str:
        """@bsv/sdk's ECIES.electrumDecrypt with the encryption key Node derived for ``friend``."""
        key = self.encryption_key(friend)["wif"]
        return bytes.fromhex(self.sdk.request(op="decrypt", wif=key, hex=ciphertext_hex(ciphertext))["hex"]).decode()

    def seal_for_friend(self, text: str = SECRET, friend: str = FRIEND) -> str:
        """BIE1 hex that @bsv/sdk made for our encryption key for ``friend`` (Sigil must open it)."""
        pub = self.encryption_key(friend)["pub"]
        return self.sdk.request(op="encrypt", pub=pub, hex=text.encode().hex())["hex"]
