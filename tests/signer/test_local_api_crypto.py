"""The local signer API's crypto answers against @bsv/sdk in Node: what Sigil encrypts over
HTTP decrypts with ``ECIES.electrumDecrypt`` and the key @bsv/sdk derives itself, what
@bsv/sdk encrypts decrypts through ``/api/decrypt``, and BSM / AIP signatures verify; and
the published plugin's own client (``LocalServerSigner``) drives every call."""

from __future__ import annotations

import hashlib
import json
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import coincurve
import pytest

from auth_server.crypto import verify_token
from auth_server.crypto.keys import address_from_pubkey, private_key_from_wif, wif_from_private_key
from signer_app.assembly import AppContext
from signer_app.settings import AppSettings, SettingsStore
from signer_app.wallet import Wallet
from tests.helpers.node_peer import INTEROP_DIR, NodePeer
from tests.helpers.signer import FAST_KDF, PASSPHRASE, VECTOR_MNEMONIC, Api, User

pytestmark = pytest.mark.interop

ORIGIN = "https://app.example"
SITE = "app.example"
FRIEND = "1FriendBapIdXXXXXXXXXXXXXXX"


def encrypt_invoice(friend: str | None) -> str:
    return "2-encrypt-" + hashlib.sha256((friend or "default").encode()).hexdigest()


def serve(tmp_path: Path, fill: Callable[[Wallet], None]) -> Iterator[AppContext]:
    """The app's parts on a free port around a wallet that ``fill`` creates."""
    data = tmp_path / "data"
    data.mkdir()
    wallet = Wallet(data, service=f"sigil-test-{uuid.uuid4().hex[:10]}", kdf=FAST_KDF, auto_lock_seconds=None)
    fill(wallet)
    if wallet.is_locked:
        wallet.unlock(PASSPHRASE)
    store = SettingsStore(tmp_path / "settings.json")
    store.save(AppSettings(signer_port=0, server_port=0, start_server=False))
    context = AppContext.build(data, store, wallet=wallet, approval_timeout=5.0)
    assert context.start_api()
    yield context
    context.shutdown()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[AppContext]:
    """A Sigil wallet from the test vector."""
    yield from serve(tmp_path, lambda wallet: wallet.import_mnemonic(VECTOR_MNEMONIC, PASSPHRASE, label="Personal"))


def base_wif_of(context: AppContext) -> str:
    """The key every derived key of the identity comes from (docs/PROTOCOL.md section 8: its member key)."""
    return wif_from_private_key(context.wallet._require_keystore().derivation_base(0))


@pytest.fixture
def signer(app: AppContext):
    """A full grant for ORIGIN, and a caller of the API that sends it."""
    context = app
    identity = context.wallet.default_identity()
    token, _ = context.service.grants.create(SITE, ORIGIN, ("sign", "encrypt", "decrypt"), identity.bap_id, 600,
                                             site=SITE)
    api = Api(context.api.url)
    headers = {"Origin": ORIGIN, "Authorization": f"Bearer {token}"}

    def call(path: str, body: dict) -> dict:
        answer = api.request("POST", path, body, headers)
        assert answer.status == 200, answer.body
        return answer.body

    yield call, base_wif_of(context)
    api.close()


def test_sigil_ciphertexts_for_a_friend_open_with_the_sdk(signer, tokenpass_peer: NodePeer):
    call, base_wif = signer
    sealed = call("/api/encrypt", {"data": "hello friend ✓", "friendBapId": FRIEND})["ciphertext"]
    friend_key = tokenpass_peer.request(op="child", wif=base_wif, invoice=encrypt_invoice(FRIEND))["wif"]
    opened = tokenpass_peer.request(op="decrypt", wif=friend_key, hex=sealed)["hex"]
    assert bytes.fromhex(opened).decode() == "hello friend ✓"


def test_sigil_ciphertexts_to_a_public_key_open_with_the_sdk(signer, tokenpass_peer: NodePeer):
    call, _ = signer
    theirs = coincurve.PrivateKey()
    sealed = call("/api/encrypt", {"data": "to your key", "theirPublicKey": theirs.public_key.format().hex()})
    opened = tokenpass_peer.request(op="decrypt", wif=wif_from_private_key(theirs), hex=sealed["ciphertext"])["hex"]
    assert bytes.fromhex(opened) == b"to your key"


def test_sdk_ciphertexts_for_the_friend_key_open_through_the_api(signer, tokenpass_peer: NodePeer):
    call, base_wif = signer
    friend_pub = tokenpass_peer.request(op="child", wif=base_wif, invoice=encrypt_invoice(FRIEND))["pub"]
    sealed = tokenpass_peer.request(op="encrypt", pub=friend_pub, hex="from the sdk ✓".encode().hex())["hex"]
    assert call("/api/decrypt", {"ciphertext": sealed, "friendBapId": FRIEND})["data"] == "from the sdk ✓"


@pytest.mark.parametrize("no_key", [False, True])
def test_sdk_ciphertexts_from_their_key_open_with_their_public_key(signer, tokenpass_peer: NodePeer, no_key):
    call, base_wif = signer
    theirs = coincurve.PrivateKey()
    their_wif = wif_from_private_key(theirs)
    our_base_pub = private_key_from_wif(base_wif).public_key.format().hex()
    # what they compute for us: our base public key's ECDH child for the 2-encrypt invoice
    to_us = tokenpass_peer.request(op="child-pub", pub=our_base_pub, wif=their_wif,
                                   invoice=encrypt_invoice(None))["pub"]
    sealed = tokenpass_peer.request(op="encrypt", pub=to_us, hex=b"ecdh message".hex(), fromWif=their_wif,
                                    noKey=no_key)["hex"]
    opened = call("/api/decrypt", {"ciphertext": sealed, "theirPublicKey": theirs.public_key.format().hex()})
    assert opened["data"] == "ecdh message"


def test_message_and_aip_signatures_verify_with_the_sdk(signer, tokenpass_peer: NodePeer):
    call, base_wif = signer
    site_key = tokenpass_peer.request(op="child", wif=base_wif, invoice="2-tokenpass-" + SITE)["wif"]
    signed = call("/api/sign", {"message": "cafe", "encoding": "hex"})
    assert tokenpass_peer.request(op="bsm-verify", hex="cafe", address=signed["address"], sig=signed["sig"])["valid"]
    # and the address is @bsv/sdk's per-site key for this host
    assert tokenpass_peer.request(op="bsm-sign", wif=site_key, hex="cafe")["sig"] == signed["sig"]
    ops = call("/api/sign-aip", {"data": ["6a", "0102"]})["signedOps"]
    assert ops[0] == "BITCOIN_ECDSA" and ops[1] == signed["address"]
    assert tokenpass_peer.request(op="bsm-verify", hex="6a0102", address=ops[1], sig=ops[2])["valid"]


def test_the_published_plugin_client_works_against_the_api(app: AppContext, tokenpass_peer: NodePeer):
    """LocalServerSigner of @sigma-auth/better-auth-plugin 0.0.75, run in Node: authenticate
    (approved by a thread playing the user), sign, signAIP, encrypt, decrypt, getFriendPublicKey."""
    person = User(app.service.broker)
    theirs = coincurve.PrivateKey()
    request = {"baseUrl": app.api.url.replace("127.0.0.1", "localhost"), "host": "plugin.example:8443",
               "path": "/api/orders", "body": '{"n":1}', "hexArray": ["6a", "cafe"], "data": "for a friend ✓",
               "friendBapId": FRIEND, "theirPublicKey": theirs.public_key.format().hex()}
    try:
        done = subprocess.run(["node", "local_signer_client.mjs", json.dumps(request)], cwd=INTEROP_DIR,
                              capture_output=True, text=True, timeout=60)
    finally:
        person.close()
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["probe"] is True and out["status"]["unlocked"] is True and out["authenticated"] is True
    (grant_request,) = person.seen
    assert grant_request.scopes == ("sign", "encrypt", "decrypt") and grant_request.duration_seconds == 3600
    # a Sigil wallet's X-Auth-Tokens are its identity's (docs/PROTOCOL.md section 7)
    assert verify_token(out["token"], "/api/orders", '{"n":1}').pubkey == app.wallet.default_identity().pubkey
    # AIP: the per-site key; Node sends no Origin, so a program is keyed by the host it names
    site_key = tokenpass_peer.request(op="child", wif=base_wif_of(app), invoice="2-tokenpass-plugin.example:8443")
    assert out["signedOps"][:2] == ["BITCOIN_ECDSA", address_from_pubkey(bytes.fromhex(site_key["pub"]))]
    assert tokenpass_peer.request(op="bsm-verify", hex="6acafe", address=out["signedOps"][1],
                                  sig=out["signedOps"][2])["valid"]
    friend_key = tokenpass_peer.request(op="child", wif=base_wif_of(app), invoice=encrypt_invoice(FRIEND))["wif"]
    assert bytes.fromhex(tokenpass_peer.request(op="decrypt", wif=friend_key, hex=out["ciphertext"])["hex"]).decode() \
        == "for a friend ✓"
    assert out["decrypted"] == "for a friend ✓"
    to_them = tokenpass_peer.request(op="decrypt", wif=wif_from_private_key(theirs), hex=out["toTheirKey"])["hex"]
    assert bytes.fromhex(to_them).decode() == "for a friend ✓"
    friend_pub = tokenpass_peer.request(
        op="child", wif=base_wif_of(app), invoice="2-friend-" + hashlib.sha256(FRIEND.encode()).hexdigest())["pub"]
    assert out["friendPublicKey"] == friend_pub


ROOT_PK = "L1uyy5qTuGrVXrmrsvHWHgVzW9kKdrp27wBC7Vs6nZDTF2BRUVwy"  # a fixed TokenPass rootPk
BACKUP_PASSWORD = "correct horse battery"


def test_a_tokenpass_wallet_signs_other_sites_tokens_with_tokenpass_site_key(tmp_path: Path,
                                                                           tokenpass_peer: NodePeer):
    """Imported from TokenPass's own backup: /api/sign {path} for a site is TokenPass's
    per-site key (the sites that knew the user keep knowing them); sign-ins stay the member key."""
    made = tokenpass_peer.request(op="bap-new", rootPk=ROOT_PK, names=["Personal"], label="TokenPass")
    text = tokenpass_peer.request(op="backup-encrypt", payload=made["backup"], password=BACKUP_PASSWORD)["text"]
    contexts = serve(tmp_path, lambda wallet: wallet.import_backup(text, BACKUP_PASSWORD, PASSPHRASE))
    context = next(contexts)
    try:
        identity = context.wallet.default_identity()
        assert identity.bap_id == made["ids"][0]["bapId"]
        token, _ = context.service.grants.create(SITE, ORIGIN, ("sign",), identity.bap_id, 600, site=SITE)
        api = Api(context.api.url)
        headers = {"Origin": ORIGIN, "Authorization": f"Bearer {token}"}
        person = User(context.service.broker)  # approves the sign-in prompt
        try:
            signed = api.request("POST", "/api/sign", {"path": "/api/orders"}, headers)
            sign_in = api.request("POST", "/api/sign", {"path": "/api/auth/sign-in/sigma"}, headers)
        finally:
            person.close()
            api.close()
        master = tokenpass_peer.request(op="master", rootPk=ROOT_PK)["wif"]
        site_pub = tokenpass_peer.request(op="child", wif=master, invoice="2-tokenpass-" + SITE)["pub"]
        assert verify_token(signed.body["token"], "/api/orders").pubkey == site_pub
        assert verify_token(sign_in.body["token"], "/api/auth/sign-in/sigma").pubkey == identity.pubkey
    finally:
        next(contexts, None)
