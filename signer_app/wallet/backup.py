"""Encrypted backup files (``.bep``), the format of the ``bitcoin-backup`` npm package.

A file is ``base64(salt 16 ‖ iv 12 ‖ AES-256-GCM(JSON payload) ‖ tag 16)`` with the key
from PBKDF2-HMAC-SHA256(UTF-8 password, salt, 600,000 rounds); readers also try
100,000 rounds, the count of older files. The payload says what the backup holds:

- ``{rootPk, ids}``: a TokenPass (BAP Type-42) master; ``ids`` is base64 of a BIE1
  message to ``child(rootPk, IDS_ENCRYPTION_PATH)`` holding the identity list;
- ``{xprv, mnemonic, ids}``: a legacy BAP master; ``ids`` is encrypted to the BIP32 child
  at ``IDS_ENCRYPTION_PATH``;
- ``{wif, id}``: one BAP member key (``id`` its encrypted identity record); ``{wif}``: a key;
- 1Sat, Yours Wallet and vault backups, which Sigil recognises and refuses by name.

This module reads and writes files and payloads, the wallet's own payload included
(:func:`wallet_payload`); :class:`~signer_app.wallet.Wallet` turns a :class:`BackupContents`
into a wallet and back (``import_backup`` / ``export_backup``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import coincurve
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from auth_server.crypto import address_from_pubkey, bap_id_from_pubkey, private_key_from_wif
from auth_server.crypto.brc42 import self_child
from auth_server.crypto.ecies import electrum_decrypt, electrum_encrypt
from auth_server.crypto.errors import BadCiphertext
from auth_server.display import clean_name
from auth_server.json_input import MAX_DEPTH, load_json, nesting_depth
from signer_app.wallet.derivation import IDS_ENCRYPTION_PATH, type42_invoice, type42_member_key
from signer_app.wallet.errors import InvalidMnemonic, InvalidSecret, WalletError
from signer_app.wallet.keystore import Keystore, member_path

ITERATIONS = 600_000
LEGACY_ITERATIONS = 100_000
MIN_PASSWORD_LENGTH = 8
MAX_FILE_BYTES = 16 * 1024 * 1024
_SALT, _IV, _TAG = 16, 12, 16
_BAP_PREFIX = "m/424150'/0'/0'"
# A BAP master backup that Sigil wrote from a Sigil HD wallet says so, so that importing
# it again keeps Sigil's per-identity derived keys (other tools ignore the extra field).
KEY_ORIGIN_FIELD = "keyOrigin"
SIGIL_ORIGIN = "sigil"
_TYPE42_PATH_RE = re.compile(r"bap:(\d{1,10})")
_MEMBER_PATH_RE = re.compile(r"m/424150'/0'/0'/0'/(\d{1,10})'/0'")


class BackupError(WalletError):
    """A backup file cannot be read or written; the message says why (never any secret)."""


class WrongBackupPassword(BackupError):
    """AES-GCM refused the file: a wrong password, or a damaged or truncated file."""


class UnsupportedBackup(BackupError):
    """The file decrypts, but holds something Sigil cannot turn into a wallet."""


class BackupFileError(BackupError):
    """:func:`read_backup_file` could not read the file (``reason``: the OS's words for why)
    or refused it as too large to be a backup (``reason`` is ``None``)."""

    def __init__(self, path: str, reason: str | None) -> None:
        super().__init__(f"cannot read {path}: {reason}" if reason is not None
                         else f"{path} is too large to be a backup file")
        self.path = path
        self.reason = reason


# -- the encrypted file -------------------------------------------------------------------


def _key(password: str, salt: bytes, iterations: int) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations)
    return kdf.derive(password.encode("utf-8"))


def seal_backup(payload: dict[str, Any], password: str, iterations: int = ITERATIONS) -> str:
    """The ``.bep`` text of ``payload`` (``createdAt`` added when missing), as ``bitcoin-backup``
    writes it: ``JSON.stringify`` of the payload, then the layout in the module docstring."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise BackupError(f"a backup password has at least {MIN_PASSWORD_LENGTH} characters")
    body = dict(payload)
    if not body.get("createdAt"):
        body["createdAt"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    plaintext = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    salt, iv = os.urandom(_SALT), os.urandom(_IV)
    sealed = AESGCM(_key(password, salt, iterations)).encrypt(iv, plaintext, None)
    return base64.b64encode(salt + iv + sealed).decode("ascii")


def read_backup_file(path: str) -> bytes:
    """The bytes of the backup file at ``path``, reading at most one byte past :data:`MAX_FILE_BYTES`
    (a larger file is refused, not read in full); raises :class:`BackupFileError`."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BackupFileError(path, exc.strerror or str(exc)) from None
    if len(data) > MAX_FILE_BYTES:
        raise BackupFileError(path, None)
    return data


def open_backup(text: str | bytes, password: str) -> dict[str, Any]:
    """Decrypt a ``.bep`` file's text into its payload (a dict with string values).

    :class:`BackupError` when the text is not a backup at all, :class:`WrongBackupPassword`
    when it does not decrypt under either round count. A payload that is not JSON is a
    bare WIF, as the oldest files hold; it comes back as ``{"wif": ...}``.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise BackupError("this is not a .bep backup file (it is not base64 text)") from None
    if not isinstance(password, str) or not password:
        raise BackupError("the backup password must not be empty")
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise BackupError("this is not a .bep backup file, or it is truncated (it is not valid base64)") from None
    if len(raw) < _SALT + _IV + _TAG:
        raise BackupError("the backup file is truncated (too short to hold a backup)")
    salt, iv, sealed = raw[:_SALT], raw[_SALT:_SALT + _IV], raw[_SALT + _IV:]
    for iterations in (ITERATIONS, LEGACY_ITERATIONS):
        try:
            plaintext = AESGCM(_key(password, salt, iterations)).decrypt(iv, sealed, None)
            break
        except InvalidTag:
            continue
    else:
        raise WrongBackupPassword("wrong backup password, or the backup file is damaged or truncated")
    try:
        decoded = plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsupportedBackup("the backup decrypts, but its content is not text") from None
    try:
        payload = _json(decoded, "the backup's content")
    except ValueError:
        return {"wif": decoded.strip()}
    if not isinstance(payload, dict):
        raise UnsupportedBackup("the backup decrypts, but its content is not a backup record")
    return payload


# -- payloads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupIdentity:
    """One identity to create: its derivation index and its name."""

    index: int
    label: str


@dataclass(frozen=True)
class BackupContents:
    """What a backup turns into: a wallet kind, its secret, its identities (never empty)."""

    kind: str
    secret: str = field(repr=False)
    identities: tuple[BackupIdentity, ...]
    mnemonic: str = field(default="", repr=False)  # a legacy backup's words, kept for export
    source: str = ""  # what the backup was, for the user ("TokenPass (Type-42)", ...)


#: identities one backup may hold (TokenPass users have a handful; each costs a key derivation)
MAX_IDENTITIES = 100


def _json(text: str | bytes, what: str) -> Any:
    """JSON from a decrypted backup, nesting bounded: ``json.loads`` recursed into
    ``RecursionError`` on a few thousand brackets. Too deep is :class:`UnsupportedBackup`;
    text that is not JSON stays a ``ValueError`` (callers have their own fallback)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if nesting_depth(data) > MAX_DEPTH:
        raise UnsupportedBackup(f"{what} nests deeper than {MAX_DEPTH} levels: not a backup Sigil can read")
    return load_json(data)


def _string(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise UnsupportedBackup(f"the backup's {name!r} field is missing or not text")
    return value.strip()


def _label(record: dict[str, Any], position: int) -> str:
    name = record.get("name")
    label = clean_name(name) if isinstance(name, str) else ""  # no controls, bidi or zero-width characters
    return label or f"Identity {position + 1}"


def _decrypt_ids(ids: str, key: coincurve.PrivateKey) -> Any:
    try:
        plaintext = electrum_decrypt(base64.b64decode(ids, validate=True), key)
        return _json(plaintext, "the backup's identity list")
    except (binascii.Error, ValueError, BadCiphertext):
        raise UnsupportedBackup("the backup's identity list does not decrypt with its key (a damaged backup?)") from None


def _id_records(document: Any) -> list[dict[str, Any]]:
    records = document.get("ids") if isinstance(document, dict) else document  # old format: a bare list
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UnsupportedBackup("the backup's identity list has an unknown format")
    if len(records) > MAX_IDENTITIES:
        raise UnsupportedBackup(f"the backup holds {len(records)} identities; Sigil imports at most {MAX_IDENTITIES}")
    return records


def _check_seedless(record: dict[str, Any]) -> None:
    if record.get("idSeed"):
        raise UnsupportedBackup(
            f"identity {_label(record, 0)!r} is derived with an idSeed, which Sigil does not support yet")


def _check_address(record: dict[str, Any], member: coincurve.PrivateKey) -> None:
    address = address_from_pubkey(member.public_key)
    if record.get("rootAddress") not in (None, address) or record.get("identityKey") not in (
        None, bap_id_from_pubkey(member.public_key)):
        raise UnsupportedBackup(f"identity {_label(record, 0)!r} does not belong to the backup's key")


def _payload_key(payload: dict[str, Any], name: str) -> tuple[str, coincurve.PrivateKey]:
    wif = _string(payload, name)
    try:
        return wif, private_key_from_wif(wif)
    except ValueError as exc:
        raise UnsupportedBackup(f"the backup's {name} is {exc}") from None


def _identities(
    records: list[dict[str, Any]], index_of: Callable[[str], int | None],
    member_key: Callable[[int], coincurve.PrivateKey],
) -> tuple[BackupIdentity, ...]:
    """Check each record (known root path, no idSeed, address and BAP ID of its key) and
    keep its derivation index and name; the first record wins for a repeated index."""
    identities: list[BackupIdentity] = []
    for position, record in enumerate(records):
        _check_seedless(record)
        index = index_of(str(record.get("rootPath", "")))
        if index is None or index >= 2**31:
            raise UnsupportedBackup(f"identity {_label(record, position)!r} has a root path Sigil does not know")
        _check_address(record, member_key(index))
        identities.append(BackupIdentity(index, _label(record, position)))
    return _unique(identities)


def _type42_index(path: str) -> int | None:
    match = _TYPE42_PATH_RE.fullmatch(path)
    return int(match.group(1)) if match else None


def _bip32_index(path: str) -> int | None:
    if path.count("/") < 4:  # bsv-bap stores short paths relative to m/424150'/0'/0'
        path = _BAP_PREFIX + path
    match = _MEMBER_PATH_RE.fullmatch(path)
    return int(match.group(1)) if match else None


def _type42(payload: dict[str, Any]) -> BackupContents:
    root_wif, root = _payload_key(payload, "rootPk")
    records = _id_records(_decrypt_ids(_string(payload, "ids"), self_child(root, IDS_ENCRYPTION_PATH)))
    identities = _identities(records, _type42_index, lambda index: type42_member_key(root, index))
    return BackupContents("tokenpass", root_wif, identities, source="TokenPass (Type-42 rootPk)")


def _legacy(payload: dict[str, Any]) -> BackupContents:
    xprv = _string(payload, "xprv")
    try:
        keystore = Keystore.from_secret("xprv", xprv)
    except InvalidSecret as exc:
        raise UnsupportedBackup(f"the backup's xprv is {exc.message}") from None
    try:
        records = _id_records(_decrypt_ids(_string(payload, "ids"), keystore.bip32_key(IDS_ENCRYPTION_PATH)))
        identities = _identities(records, _bip32_index, keystore.member_key)
    finally:
        keystore.wipe()
    mnemonic = payload.get("mnemonic") if isinstance(payload.get("mnemonic"), str) else ""
    mnemonic = mnemonic.strip()
    if payload.get(KEY_ORIGIN_FIELD) == SIGIL_ORIGIN:
        if mnemonic and _mnemonic_master(mnemonic) == xprv:
            return BackupContents("mnemonic", mnemonic, identities, source="Sigil (recovery phrase)")
        return BackupContents("xprv", xprv, identities, source="Sigil (master xprv)")
    return BackupContents("tokenpass-xprv", xprv, identities, mnemonic=mnemonic, source="BAP master (xprv)")


def _mnemonic_master(words: str) -> str | None:
    """The master xprv of a BIP39 mnemonic with no passphrase, or ``None`` if it is not valid."""
    try:
        keystore = Keystore.from_secret("mnemonic", words)
    except InvalidMnemonic:
        return None
    try:
        return keystore.xprv()
    finally:
        keystore.wipe()


def _member(payload: dict[str, Any]) -> BackupContents:
    wif, key = _payload_key(payload, "wif")
    label = payload.get("label") if isinstance(payload.get("label"), str) else ""
    record = _member_record(payload.get("id"), key)
    if record is not None:
        label = _label(record, 0)
    label = clean_name(str(label)) or "Identity 1"
    return BackupContents("wif", wif, (BackupIdentity(0, label),),
                          source="BAP member key" if "id" in payload else "private key (WIF)")


def _member_record(encrypted: object, key: coincurve.PrivateKey) -> dict[str, Any] | None:
    """A member backup's identity record: bsv-bap encrypts it to ``child(wif, IDS_ENCRYPTION_PATH)``
    (``MemberID.exportForBackup``) or to the key itself (``MasterID.exportMember``)."""
    if not isinstance(encrypted, str):
        return None
    for candidate in (self_child(key, IDS_ENCRYPTION_PATH), key):
        try:
            record = _json(electrum_decrypt(base64.b64decode(encrypted, validate=True), candidate), "the backup's identity")
        except (binascii.Error, ValueError, BadCiphertext):
            continue
        if isinstance(record, dict):
            return record
    return None


def _unique(identities: list[BackupIdentity]) -> tuple[BackupIdentity, ...]:
    seen: dict[int, BackupIdentity] = {}
    for identity in identities:
        seen.setdefault(identity.index, identity)
    if not seen:
        return (BackupIdentity(0, "Identity 1"),)
    return tuple(seen.values())


_REFUSED = (
    (("ordPk", "payPk"), "a 1Sat Ordinals or Yours Wallet backup (payment and ordinals keys)"),
    (("chromeStorage", "accountData"), "a Yours Wallet browser backup"),
    (("encryptedVault",), "an application's encrypted key vault"),
)


def read_payload(payload: dict[str, Any]) -> BackupContents:
    """Turn a decrypted payload into what to install, checking every identity against its key.

    :class:`UnsupportedBackup` names what the payload is when Sigil cannot use it.
    """
    if "xprv" in payload and "ids" in payload:
        return _legacy(payload)
    if "rootPk" in payload and "ids" in payload:
        return _type42(payload)
    if "wif" in payload and "xprv" not in payload and "rootPk" not in payload:
        return _member(payload)
    for fields, what in _REFUSED:
        if all(name in payload for name in fields):
            raise UnsupportedBackup(f"this file is {what}, which Sigil cannot import")
    raise UnsupportedBackup("the backup decrypts, but holds no key Sigil knows (no rootPk, xprv or wif)")


def read_backup(text: str | bytes, password: str) -> BackupContents:
    """:func:`open_backup` then :func:`read_payload`: the whole import check, writing nothing."""
    return read_payload(open_backup(text, password))


# -- writing ------------------------------------------------------------------------------


def _ids_document(records: list[dict[str, Any]], last_path: str) -> str:
    return json.dumps({"lastIdPath": last_path, "ids": records}, separators=(",", ":"), ensure_ascii=False)


def encrypt_ids(records: list[dict[str, Any]], last_path: str, to_key: coincurve.PublicKey) -> str:
    """The ``ids`` field: base64 of a BIE1 message (random ephemeral key) of the list document."""
    return base64.b64encode(electrum_encrypt(_ids_document(records, last_path).encode("utf-8"), to_key)).decode("ascii")


def id_record(name: str, member: coincurve.PublicKey, root_path: str, current_path: str) -> dict[str, Any]:
    """An identity as bsv-bap's ``MasterID.export()`` writes it (no attributes, no idSeed)."""
    address = address_from_pubkey(member)
    return {
        "name": name, "description": "", "identityKey": bap_id_from_pubkey(member), "rootPath": root_path,
        "rootAddress": address, "previousPath": root_path, "currentPath": current_path, "idSeed": "",
        "identityAttributes": {}, "lastIdPath": "",
    }


def type42_id_record(name: str, root: coincurve.PrivateKey, index: int) -> dict[str, Any]:
    """A Type-42 identity record: root, previous and current path are all ``bap:<n>``."""
    invoice = type42_invoice(index)
    return id_record(name, type42_member_key(root, index).public_key, invoice, invoice)


def bip32_id_record(name: str, member: coincurve.PublicKey, index: int) -> dict[str, Any]:
    """A legacy (BIP32) identity record: root ``m/424150'/0'/0'/0'/<n>'/0'``, current ``…/1'``."""
    root_path = member_path(index)
    return id_record(name, member, root_path, root_path[: -len("0'")] + "1'")


def wallet_payload(records: Iterable[Any], vault: dict[str, str], keystore: Keystore) -> dict[str, str]:
    """The payload of a ``.bep`` backup of a wallet, the one :func:`read_payload` reads back.

    ``records`` are the wallet's identities (``label``, ``index``), ``vault`` its stored
    secret (``secret``, ``bip39_passphrase``, a legacy TokenPass wallet's ``mnemonic``). A
    TokenPass wallet is written as TokenPass writes it (``rootPk`` + encrypted ``ids``); an
    HD wallet as a BAP master ``{xprv, mnemonic, ids}`` (the words only when no BIP39
    passphrase is needed with them); a WIF wallet as ``{wif}``. Labels become BAP names.
    """
    ordered = sorted(records, key=lambda r: r.index)
    label = "Sigil"
    if keystore.kind == "wif":
        return {"wif": vault["secret"], "label": ordered[0].label if ordered else label}
    if keystore.kind == "tokenpass":
        root = keystore.root_key()
        ids = [type42_id_record(r.label, root, r.index) for r in ordered]
        last = type42_invoice(ordered[-1].index) if ordered else ""
        to_key = self_child(root, IDS_ENCRYPTION_PATH).public_key
        return {"ids": encrypt_ids(ids, last, to_key), "label": label, "rootPk": vault["secret"]}
    ids = [bip32_id_record(r.label, keystore.member_key(r.index).public_key, r.index) for r in ordered]
    last = member_path(ordered[-1].index) if ordered else ""
    to_key = keystore.bip32_key(IDS_ENCRYPTION_PATH).public_key
    if keystore.kind == "mnemonic":
        words = "" if vault["bip39_passphrase"] else vault["secret"]
    else:
        words = vault.get("mnemonic", "")
    payload = {"ids": encrypt_ids(ids, last, to_key), "label": label, "xprv": keystore.xprv(), "mnemonic": words}
    if keystore.kind in ("mnemonic", "xprv"):
        payload[KEY_ORIGIN_FIELD] = SIGIL_ORIGIN
    return payload
