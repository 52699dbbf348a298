"""The wallet: one object the GUI, the local API and the CLI all drive.

State kept in memory is only the :class:`~signer_app.wallet.keystore.Keystore`
(while unlocked) and the throttle; everything else is read from the metadata file
and the vault each time, so several processes (the app and a CLI run) agree.
A single re-entrant lock serialises every public method: the local API calls in
from waitress threads while the GUI calls from the main thread.

Passphrase change, crash-safe: the new envelope goes to the ``pending`` slot, is
read back and decrypted, then replaces ``main`` in one backend call, and only then
is ``pending`` removed. Unlock tries ``main`` first and, if that fails and a
``pending`` envelope exists, tries it too (the crash came after the user chose a
new passphrase), promoting it when it opens. Whatever step a crash interrupts,
``main`` still opens with the old passphrase until it is replaced.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import coincurve
import keyring.backend

from auth_server import paths
from auth_server.crypto import address_from_pubkey, make_token, parse_pubkey
from auth_server.crypto.aip import aip_signed_ops
from auth_server.crypto.bsm import sign_bsm
from auth_server.crypto.ecies import electrum_decrypt, electrum_encrypt
from auth_server.crypto.errors import BadCiphertext
from auth_server.crypto.x_auth_token import SCHEMES
from signer_app.wallet import derivation
from signer_app.wallet import backup
from signer_app.wallet.backup import BackupContents, read_backup
from signer_app.wallet.envelope import DecryptFailed, Envelope, KdfParams, seal
from signer_app.wallet.errors import (
    KeyringUnavailable,
    NoWallet,
    TooManyAttempts,
    WalletError,
    WalletExists,
    WalletLocked,
    WrongPassphrase,
)
from signer_app.wallet.identities import Identity, WalletMeta, clean_label, clean_profile_field
from signer_app.wallet.keystore import (
    Keystore,
    SecretKind,
    generate_mnemonic,
    normalize_mnemonic,
    validate_wif,
    validate_xprv,
)
from signer_app.wallet.storage import FileStore, KeyringStore, SecretStore, keyring_usable
from signer_app.wallet.throttle import AttemptThrottle

log = logging.getLogger(__name__)

DEFAULT_AUTO_LOCK_SECONDS = 900.0
_WALLET_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def default_data_dir() -> Path:
    """``$SIGIL_DATA_DIR`` when set, else the platform's user data dir (:mod:`auth_server.paths`)."""
    return paths.data_dir()


def _check_token_request(path: str, body: str | bytes | None, scheme: str) -> None:
    if scheme not in SCHEMES:
        raise WalletError("the signature scheme must be brc77 or bsm")
    if not isinstance(path, str) or not path.startswith("/") or "|" in path:
        raise WalletError("the request path must start with '/' and must not contain '|'")
    if body is not None and not isinstance(body, (str, bytes)):
        raise WalletError("the body must be text or bytes")


def _check_new_passphrase(passphrase: str) -> None:
    if not isinstance(passphrase, str) or not passphrase:
        raise WalletError("the unlock passphrase must not be empty")


class Wallet:
    """A named wallet in ``data_dir`` whose secret lives in the OS keyring (or a 0600 file)."""

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        service: str = "sigil",
        wallet_name: str = "default",
        allow_file_fallback: bool = False,
        auto_lock_seconds: float | None = DEFAULT_AUTO_LOCK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        kdf: KdfParams = KdfParams(),
        keyring_backend: keyring.backend.KeyringBackend | None = None,
    ) -> None:
        if not _WALLET_NAME_RE.fullmatch(wallet_name):
            raise WalletError("a wallet name has 1-64 letters, digits, '-' or '_'")
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.service = service
        self.wallet_name = wallet_name
        self.allow_file_fallback = allow_file_fallback
        self.auto_lock_seconds = auto_lock_seconds
        self._clock = clock
        self._kdf = kdf
        self._keyring_backend = keyring_backend
        self._lock = threading.RLock()
        self._keystore: Keystore | None = None
        self._last_activity = 0.0
        self._throttle = AttemptThrottle(clock)
        self._lock_listeners: list[Callable[[str, float | None], None]] = []

    # -- storage -------------------------------------------------------------------

    @property
    def meta_path(self) -> Path:
        return WalletMeta.path_for(self.data_dir, self.wallet_name)

    def _meta(self) -> WalletMeta | None:
        return WalletMeta.load(self.meta_path)

    def _require_meta(self) -> WalletMeta:
        meta = self._meta()
        if meta is None:
            raise NoWallet("there is no wallet yet; create or import one")
        return meta

    def _keyring_store(self) -> KeyringStore:
        return KeyringStore(self.service, self.wallet_name, self._keyring_backend)

    def _file_store(self) -> FileStore:
        return FileStore(self.data_dir, self.wallet_name)

    def _store_for(self, meta: WalletMeta) -> SecretStore:
        return self._file_store() if meta.storage == "file" else self._keyring_store()

    def _new_store(self) -> SecretStore:
        """The keyring when it works; the file only if the caller allowed the fallback."""
        store = self._keyring_store()
        try:
            store.check()
            return store
        except KeyringUnavailable:
            if self.allow_file_fallback:
                log.warning("OS keyring unusable; storing the encrypted wallet in a 0600 file as agreed")
                return self._file_store()
            raise

    def storage_description(self) -> str:
        """Where the encrypted secret is (or would be) kept, for the user to read."""
        meta = self._meta()
        if meta is not None:
            return self._store_for(meta).describe()
        store = self._keyring_store()
        if keyring_usable(store.backend):
            return store.describe()
        if self.allow_file_fallback:
            return self._file_store().describe()
        return "no OS keyring available (file fallback not allowed)"

    def exists(self) -> bool:
        """True once a wallet was created or imported (its metadata file exists)."""
        return self.meta_path.exists()

    # -- creating ------------------------------------------------------------------

    def create(self, passphrase: str, words: int = 12, bip39_passphrase: str = "", label: str = "Identity 1") -> str:
        """Make a fresh BIP39 wallet; return its mnemonic (the only time it is handed out
        besides :meth:`export_secret`). The wallet ends unlocked."""
        with self._lock:
            mnemonic = generate_mnemonic(words)
            self._install("mnemonic", mnemonic, passphrase, bip39_passphrase, label)
            return mnemonic

    def import_mnemonic(
        self, mnemonic: str, passphrase: str, bip39_passphrase: str = "", label: str = "Identity 1"
    ) -> None:
        """Restore from a mnemonic (checksum validated; :class:`InvalidMnemonic` names the wrong word)."""
        with self._lock:
            self._install("mnemonic", normalize_mnemonic(mnemonic), passphrase, bip39_passphrase, label)

    def import_xprv(self, xprv: str, passphrase: str, label: str = "Identity 1") -> None:
        """Restore from a BIP32 master ``xprv`` (depth 0, mainnet)."""
        with self._lock:
            self._install("xprv", validate_xprv(xprv), passphrase, "", label)

    def import_wif(self, wif: str, passphrase: str, label: str = "Identity 1") -> None:
        """Make a one-identity wallet whose member key is this WIF."""
        with self._lock:
            self._install("wif", validate_wif(wif), passphrase, "", label)

    def import_backup(self, text: str | bytes, backup_password: str, passphrase: str) -> BackupContents:
        """Restore from a ``.bep`` backup file's text (TokenPass, legacy BAP, member or WIF).

        Everything is checked (password, payload, every identity against its key) before
        anything is written; identities keep their names and their BAP IDs. Returns what
        was installed (its ``source`` names the backup's kind for the user).
        """
        contents = read_backup(text, backup_password)
        self.install_backup(contents, passphrase)
        return contents

    def install_backup(self, contents: BackupContents, passphrase: str) -> None:
        """Install what :func:`~signer_app.wallet.backup.read_backup` found (for callers that
        check the backup's password before asking for a new unlock passphrase)."""
        with self._lock:
            self._install(contents.kind, contents.secret, passphrase, "",  # type: ignore[arg-type]
                          [(i.index, i.label) for i in contents.identities], mnemonic=contents.mnemonic)

    def _install(
        self, kind: SecretKind, secret: str, passphrase: str, bip39_passphrase: str,
        label: str | list[tuple[int, str]], mnemonic: str = "",
    ) -> None:
        _check_new_passphrase(passphrase)
        wanted = [(0, label)] if isinstance(label, str) else list(label)
        wanted = [(index, clean_label(text)) for index, text in wanted]
        if self.exists():
            raise WalletExists("a wallet already exists here; delete it before creating or importing another")
        keystore = Keystore.from_secret(kind, secret, bip39_passphrase)
        try:
            store = self._new_store()
            vault: dict[str, str] = {"kind": kind, "secret": secret, "bip39_passphrase": bip39_passphrase}
            if mnemonic:
                vault["mnemonic"] = mnemonic
            payload = json.dumps(vault).encode("utf-8")
            store.delete("pending")
            sealed = seal(self.wallet_name, kind, payload, passphrase, self._kdf)
            try:
                store.set("main", sealed)
                meta = WalletMeta(kind=kind, storage=store.kind, has_bip39_passphrase=bool(bip39_passphrase))
                identities = [meta.add(index, keystore.member_pubkey(index), text) for index, text in wanted]
                meta.save(self.meta_path)
            except BaseException as exc:
                # no metadata, no wallet: the vault just stored must not stay behind (a later
                # import would find a stray secret, the keyring would keep one nobody can see)
                self._forget_vault(store)
                if isinstance(exc, OSError):
                    raise WalletError(f"cannot write the wallet's file in {self.meta_path.parent}: "
                                      f"{exc.strerror or exc}; nothing was saved") from None
                raise
        except BaseException:
            keystore.wipe()
            raise
        self._set_unlocked(keystore)
        self._throttle.succeeded()
        log.info("wallet %r created (%s) in %s, identity %s", self.wallet_name, kind, store.describe(),
                 identities[0].bap_id)

    @staticmethod
    def _forget_vault(store: SecretStore) -> None:
        """Best effort: remove both vault slots of ``store`` (an install that did not finish)."""
        for slot in ("main", "pending"):
            try:
                store.delete(slot)  # type: ignore[arg-type]
            except (WalletError, OSError):
                pass

    def delete(self) -> None:
        """Forget this wallet: its vault entries and metadata. The GUI must confirm first."""
        with self._lock:
            self.lock()
            meta = self._meta()
            stores: list[SecretStore] = [self._file_store()]
            if meta is None or meta.storage == "keyring":
                stores.append(self._keyring_store())
            for store in stores:
                for slot in ("pending", "main"):
                    try:
                        store.delete(slot)  # type: ignore[arg-type]
                    except WalletError:
                        pass
            try:
                self.meta_path.unlink()
            except FileNotFoundError:
                pass
            log.info("wallet %r deleted", self.wallet_name)

    # -- locking -------------------------------------------------------------------

    def _set_unlocked(self, keystore: Keystore) -> None:
        if self._keystore is not None and self._keystore is not keystore:
            self._keystore.wipe()
        self._keystore = keystore
        self._last_activity = self._clock()

    def _open_vault(self, meta: WalletMeta, passphrase: str) -> dict[str, str]:
        """Decrypt the stored secret (see the module docstring for the pending slot).

        Raises :class:`TooManyAttempts` inside a throttle wait, :class:`WrongPassphrase`
        on a wrong passphrase, :class:`NoWallet` when the vault entry is missing.
        """
        wait = self._throttle.wait_remaining()
        if wait > 0:
            raise TooManyAttempts(
                f"too many wrong passphrases; try again in {wait:.0f} s", retry_after=wait
            )
        store = self._store_for(meta)
        main = store.get("main")
        pending = store.get("pending")
        if main is None and pending is None:
            raise NoWallet(f"the wallet's encrypted secret is missing from the {store.describe()}")
        plaintext: bytes | None = None
        for slot, text in (("main", main), ("pending", pending)):
            if text is None:
                continue
            envelope = Envelope.parse(text)
            if envelope.wallet != self.wallet_name or envelope.kind != meta.kind:
                continue
            try:
                plaintext = envelope.open(passphrase)
            except DecryptFailed:
                continue
            if slot == "pending":
                store.set("main", text)  # a change was interrupted after its new envelope was written
                log.info("wallet %r: finished an interrupted passphrase change", self.wallet_name)
            break
        if plaintext is None:
            delay = self._throttle.failed()
            hint = f"; wait {delay:.0f} s before trying again" if delay else ""
            raise WrongPassphrase(f"wrong passphrase{hint}", retry_after=delay)
        if pending is not None:
            store.delete("pending")
        self._throttle.succeeded()
        try:
            data = json.loads(plaintext)
            vault = {"secret": str(data["secret"]), "bip39_passphrase": str(data.get("bip39_passphrase", ""))}
            for extra in ("kind", "mnemonic"):
                if extra in data:
                    vault[extra] = str(data[extra])
        except (ValueError, KeyError, TypeError):
            raise WalletError("the stored wallet is damaged (its decrypted content is unreadable)") from None
        if vault.get("kind", meta.kind) != meta.kind:
            raise WalletError("the stored wallet is damaged (its vault holds another kind of secret)")
        return vault

    def unlock(self, passphrase: str) -> None:
        """Decrypt the secret into memory. :class:`WrongPassphrase` (with ``retry_after``) or :class:`NoWallet`."""
        with self._lock:
            meta = self._require_meta()
            secret = self._open_vault(meta, passphrase)
            keystore = Keystore.from_secret(meta.kind, secret["secret"], secret["bip39_passphrase"])  # type: ignore[arg-type]
            first = min(meta.records, key=lambda r: r.index, default=None)
            if first is not None and keystore.member_pubkey(first.index).hex() != first.pubkey:
                keystore.wipe()
                raise WalletError("the stored secret does not match this wallet's identities (metadata from another wallet?)")
            self._set_unlocked(keystore)
            log.info("wallet %r unlocked", self.wallet_name)

    def on_lock(self, listener: Callable[[str, float | None], None]) -> None:
        """Call ``listener(reason, idle_seconds)`` each time keys are dropped.

        ``reason`` is ``"idle"`` for the auto-lock (``idle_seconds`` is the auto-lock
        setting then) and ``"manual"`` for :meth:`lock`. The auto-lock happens lazily,
        inside whichever call notices it, so the app cannot otherwise tell it apart from
        a lock it asked for. Listeners run in that thread, under the wallet's lock: keep
        them short and never wait there for another thread that uses the wallet.
        """
        self._lock_listeners.append(listener)

    def lock(self) -> None:
        """Drop the keys: the key buffer is zeroed, then released."""
        with self._lock:
            self._drop_keys("manual", None)

    def _drop_keys(self, reason: str, idle_seconds: float | None) -> None:
        if self._keystore is None:
            return
        self._keystore.wipe()
        self._keystore = None
        log.info("wallet %r locked (%s)", self.wallet_name, reason)
        for listener in list(self._lock_listeners):
            try:
                listener(reason, idle_seconds)
            except Exception:  # noqa: BLE001 -- a listener must not keep the keys or break the caller
                log.warning("a lock listener of wallet %r failed", self.wallet_name)

    def _apply_auto_lock(self) -> None:
        if (
            self._keystore is not None
            and self.auto_lock_seconds is not None
            and self._clock() - self._last_activity >= self.auto_lock_seconds
        ):
            log.info("wallet %r auto-locked after %g s idle", self.wallet_name, self.auto_lock_seconds)
            self._drop_keys("idle", self.auto_lock_seconds)

    @property
    def is_locked(self) -> bool:
        """True when no keys are in memory; applies the idle auto-lock first."""
        with self._lock:
            self._apply_auto_lock()
            return self._keystore is None

    def auto_lock_remaining(self) -> float | None:
        """Seconds until the idle auto-lock (``None`` when locked or auto-lock is off),
        so a GUI can schedule a timer that calls :attr:`is_locked` right then."""
        with self._lock:
            self._apply_auto_lock()
            if self._keystore is None or self.auto_lock_seconds is None:
                return None
            return max(0.0, self.auto_lock_seconds - (self._clock() - self._last_activity))

    def touch(self) -> None:
        """Record user or API activity, restarting the idle timer (no effect while locked)."""
        with self._lock:
            self._apply_auto_lock()
            if self._keystore is not None:
                self._last_activity = self._clock()

    def _require_keystore(self) -> Keystore:
        self._apply_auto_lock()
        if self._keystore is None:
            raise WalletLocked("the wallet is locked; unlock it first")
        return self._keystore

    # -- identities ------------------------------------------------------------------

    def identities(self, include_hidden: bool = False) -> list[Identity]:
        """All identities by index (hidden ones only on request); works while locked."""
        with self._lock:
            meta = self._meta()
            return meta.identities(include_hidden) if meta else []

    def default_identity(self) -> Identity | None:
        with self._lock:
            meta = self._meta()
            return meta.default_identity() if meta else None

    def get_identity(self, bap_id: str) -> Identity:
        with self._lock:
            return self._require_meta().get(bap_id)

    @property
    def kind(self) -> str | None:
        """``mnemonic``, ``xprv``, ``wif``, ``tokenpass`` (a TokenPass rootPk) or ``tokenpass-xprv``
        (a legacy TokenPass xprv); ``None`` without a wallet."""
        meta = self._meta()
        return meta.kind if meta else None

    @property
    def has_bip39_passphrase(self) -> bool:
        """Whether restoring from the mnemonic also needs the BIP39 passphrase."""
        meta = self._meta()
        return bool(meta and meta.has_bip39_passphrase)

    def add_identity(self, label: str) -> Identity:
        """Derive the next BAP identity (needs the wallet unlocked; not for WIF wallets)."""
        with self._lock:
            keystore = self._require_keystore()
            meta = self._require_meta()
            if not keystore.is_hd:
                raise WalletError("a wallet imported from a single WIF holds exactly one identity")
            index = meta.next_index()
            identity = meta.add(index, keystore.member_pubkey(index), label)
            meta.save(self.meta_path)
            log.info("wallet %r: added identity %s at index %d", self.wallet_name, identity.bap_id, index)
            return identity

    def _update(self, bap_id: str, **changes: object) -> Identity:
        with self._lock:
            meta = self._require_meta()
            identity = meta.update(bap_id, **changes)
            meta.save(self.meta_path)
            return identity

    def rename_identity(self, bap_id: str, label: str) -> Identity:
        return self._update(bap_id, label=clean_label(label))

    def set_profile(self, bap_id: str, name: str | None, image: str | None, email: str | None = None) -> Identity:
        return self._update(
            bap_id, name=clean_profile_field(name, "name"), image=clean_profile_field(image, "image URL"),
            email=clean_profile_field(email, "e-mail"),
        )

    def hide_identity(self, bap_id: str, hidden: bool = True) -> Identity:
        """Hide (or show) an identity; hiding the default moves the default to the first visible one."""
        return self._update(bap_id, hidden=bool(hidden))

    def set_default(self, bap_id: str) -> Identity:
        with self._lock:
            meta = self._require_meta()
            if meta.record(bap_id).hidden:
                raise WalletError("a hidden identity cannot be the default; show it first")
            meta.default = bap_id
            meta.save(self.meta_path)
            return meta.get(bap_id)

    # -- signing ---------------------------------------------------------------------

    def _checked_member_key(self, bap_id: str | None, purpose: str) -> tuple[Keystore, Identity, coincurve.PrivateKey]:
        """The identity (``bap_id`` or the default) and its member key, checked against the stored
        pubkey; ``purpose`` completes "the wallet has no identity to ..." when there is none."""
        keystore = self._require_keystore()
        meta = self._require_meta()
        identity = meta.get(bap_id) if bap_id is not None else meta.default_identity()
        if identity is None:
            raise WalletError(f"the wallet has no identity to {purpose}")
        key = keystore.member_key(identity.index)
        if key.public_key.format(compressed=True).hex() != identity.pubkey:
            raise WalletError("the identity's stored pubkey does not match the wallet's key")
        return keystore, identity, key

    def _identity_key(self, bap_id: str | None) -> coincurve.PrivateKey:
        return self._checked_member_key(bap_id, "sign with")[2]

    def sign_token(
        self, path: str, body: str | bytes | None = None, scheme: str = "brc77", bap_id: str | None = None
    ) -> str:
        """An X-Auth-Token for ``path`` (and ``body``) signed with the identity's member key.

        Uses the default identity when ``bap_id`` is ``None``. Does not count as activity
        for auto-lock; callers :meth:`touch` when a person approved the request.
        """
        _check_token_request(path, body, scheme)
        with self._lock:
            key = self._identity_key(bap_id)
            return make_token(key, path, body, scheme)  # type: ignore[arg-type]

    def sign_message(self, message: bytes, bap_id: str | None = None) -> str:
        """A Bitcoin Signed Message signature (base64) of ``message`` by the identity's member key."""
        if isinstance(message, str):
            message = message.encode("utf-8")
        with self._lock:
            return sign_bsm(self._identity_key(bap_id), bytes(message))

    # -- derived keys (the TokenPass-compatible crypto endpoints) ------------------------------

    def _derivation_base(self, bap_id: str | None) -> coincurve.PrivateKey:
        """See :meth:`Keystore.derivation_base`: the identity's member key, or TokenPass's master."""
        keystore, identity, member = self._checked_member_key(bap_id, "derive keys from")
        return keystore.derivation_base(identity.index, member)

    def site_address(self, host: str, bap_id: str | None = None) -> str:
        """The address of the per-site key for ``host`` (what ``/api/sign`` answers as ``address``)."""
        with self._lock:
            return address_from_pubkey(derivation.site_key(self._derivation_base(bap_id), host).public_key)

    def sign_site_message(self, host: str, message: bytes, bap_id: str | None = None) -> tuple[str, str]:
        """BSM signature of ``message`` by ``host``'s per-site key: ``(address, base64 signature)``."""
        if not isinstance(message, (bytes, bytearray)):
            raise WalletError("the message must be bytes (decode its encoding first)")
        with self._lock:
            key = derivation.site_key(self._derivation_base(bap_id), host)
            return address_from_pubkey(key.public_key), sign_bsm(key, bytes(message))

    def sign_site_aip(self, host: str, data_hex: list[str], bap_id: str | None = None) -> list[str]:
        """AIP ``signedOps`` over ``data_hex`` by ``host``'s per-site key (:func:`aip_signed_ops`);
        malformed hex raises :class:`~auth_server.crypto.errors.InputError`."""
        with self._lock:
            return aip_signed_ops(derivation.site_key(self._derivation_base(bap_id), host), data_hex)

    def sign_site_token(
        self, host: str, path: str, body: str | bytes | None = None, scheme: str = "brc77", bap_id: str | None = None
    ) -> str:
        """An X-Auth-Token by ``host``'s per-site key: TokenPass's ``/api/sign {path}`` signer.

        Sign-in through Sigil's own authorize page uses :meth:`sign_token` (the member key).
        """
        _check_token_request(path, body, scheme)
        with self._lock:
            key = derivation.site_key(self._derivation_base(bap_id), host)
            return make_token(key, path, body, scheme)  # type: ignore[arg-type]

    def sign_request_token(
        self, host: str, path: str, body: str | bytes | None = None, scheme: str = "brc77", bap_id: str | None = None
    ) -> str:
        """An X-Auth-Token for another site's request (``/api/sign {path}``): by the identity's
        member key (:meth:`sign_token`), except that a wallet imported from TokenPass (its rootPk
        or legacy xprv) signs with ``host``'s per-site key (:meth:`sign_site_token`), as TokenPass did.
        """
        if self._require_keystore().is_tokenpass:
            return self.sign_site_token(host, path, body, scheme, bap_id)
        return self.sign_token(path, body, scheme, bap_id)

    def friend_public_key(self, friend_bap_id: str, bap_id: str | None = None) -> str:
        """The compressed public key (hex) this wallet shows ``friend_bap_id``."""
        with self._lock:
            return derivation.friend_public_key(self._derivation_base(bap_id), friend_bap_id).hex()

    def encrypt_for_friend(self, data: bytes, friend_bap_id: str, bap_id: str | None = None) -> bytes:
        """BIE1 ciphertext of ``data`` to the friend encryption key's own public key."""
        with self._lock:
            key = derivation.friend_encryption_key(self._derivation_base(bap_id), friend_bap_id)
        return electrum_encrypt(bytes(data), key.public_key)

    def decrypt(
        self, ciphertext: bytes, friend_bap_id: str | None = None, their_pubkey: str | None = None,
        bap_id: str | None = None,
    ) -> bytes:
        """Decrypt a BIE1 ciphertext: with ``their_pubkey`` (hex; it wins) by the ECDH child
        ``base.deriveChild(theirPublicKey, 2-encrypt-…)``, else by the friend encryption key.

        Raises :class:`~auth_server.crypto.errors.BadCiphertext` / ``BadMac`` for bytes that
        do not decrypt, :class:`~auth_server.crypto.errors.BadPubkey` for a bad ``their_pubkey``.
        """
        counterparty = parse_pubkey(their_pubkey) if their_pubkey is not None else None
        with self._lock:
            base = self._derivation_base(bap_id)
            if counterparty is None:
                key = derivation.friend_encryption_key(base, friend_bap_id)
                return electrum_decrypt(bytes(ciphertext), key)
            key = derivation.shared_decryption_key(base, counterparty, friend_bap_id)
        try:
            return electrum_decrypt(bytes(ciphertext), key)
        except BadCiphertext:
            # A sender that used its own key as the ECIES sender key may leave it out of the
            # message (@bsv/sdk's noKey); then their key is the sender's. The MAC decides.
            return electrum_decrypt(bytes(ciphertext), key, sender_pubkey=counterparty)

    def encrypt_to_pubkey(self, data: bytes, their_pubkey: str) -> bytes:
        """BIE1 ciphertext of ``data`` to ``their_pubkey`` (hex), as ``/api/encrypt {theirPublicKey}``
        answers; needs the wallet unlocked like every crypto request, though no key of it is used."""
        recipient = parse_pubkey(their_pubkey)
        with self._lock:
            self._require_keystore()
        return electrum_encrypt(bytes(data), recipient)

    # -- backup and passphrase -------------------------------------------------------------

    def export_secret(self, passphrase: str) -> str:
        """The backup (mnemonic, or the xprv / WIF that was imported), only with the right passphrase.

        With a BIP39 passphrase (see :attr:`has_bip39_passphrase`) the mnemonic alone
        does not restore the wallet; the user must keep that passphrase too.
        """
        with self._lock:
            meta = self._require_meta()
            secret = self._open_vault(meta, passphrase)["secret"]
            log.info("wallet %r: backup exported", self.wallet_name)
            return secret

    def export_backup(self, passphrase: str, backup_password: str, iterations: int = backup.ITERATIONS) -> str:
        """The wallet as ``.bep`` text that ``bitcoin-backup`` (and so TokenPass) opens.

        Needs the unlock passphrase again, as :meth:`export_secret` does. A TokenPass
        wallet is written as TokenPass writes it (``rootPk`` + encrypted ``ids``); an HD
        wallet as a BAP master ``{xprv, mnemonic, ids}`` (the words only when no BIP39
        passphrase is needed with them); a WIF wallet as ``{wif}``. Identities keep their
        labels as BAP names.
        """
        with self._lock:
            meta = self._require_meta()
            vault = self._open_vault(meta, passphrase)
            keystore = Keystore.from_secret(meta.kind, vault["secret"], vault["bip39_passphrase"])  # type: ignore[arg-type]
            try:
                payload = backup.wallet_payload(meta.records, vault, keystore)
            finally:
                keystore.wipe()
            log.info("wallet %r: encrypted backup file exported", self.wallet_name)
        return backup.seal_backup(payload, backup_password, iterations)

    def _change_step(self, step: str) -> None:
        """Test hook between the steps of :meth:`change_passphrase` (crash injection)."""

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-encrypt under ``new``; a crash at any step leaves a passphrase that opens it."""
        _check_new_passphrase(new)
        with self._lock:
            meta = self._require_meta()
            secret = self._open_vault(meta, old)
            store = self._store_for(meta)
            payload = json.dumps(secret).encode("utf-8")
            envelope = seal(self.wallet_name, meta.kind, payload, new, self._kdf)
            store.set("pending", envelope)
            self._change_step("pending-written")
            stored = store.get("pending")
            try:
                readable = stored is not None and Envelope.parse(stored).open(new) == payload
            except (DecryptFailed, WalletError):
                readable = False
            if not readable:
                store.delete("pending")
                raise WalletError("the re-encrypted wallet could not be read back; the old passphrase still works")
            self._change_step("pending-verified")
            store.set("main", envelope)
            self._change_step("main-replaced")
            store.delete("pending")
            log.info("wallet %r: passphrase changed", self.wallet_name)
