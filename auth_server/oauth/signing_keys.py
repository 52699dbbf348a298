"""The id_token signing keys: kept in the store, shared by every instance, rotated with overlap.

A key's life, decided by the times in its row (:mod:`auth_server.store.signing_keys`), so
every instance reading the same rows agrees at the same moment, without a restart:

* **next**: made by ``sigil-server keys rotate --activate-in 1h``; published in the JWKS,
  signs nothing yet, so apps fetch it before it is used (their JWKS cache is shorter than
  ``--activate-in``);
* **active**: the newest key of its algorithm whose ``activates_at`` has passed; it signs
  every new id_token;
* **old**: superseded; still published until the last id_token it signed has expired
  (the successor's activation + ``id_token_ttl`` + :data:`CLOCK_LEEWAY`);
* **retired**: past that, or retired by hand (``keys retire``, which also erases the
  sealed private key); dropped from the JWKS.

The first instance to start makes the first key (or imports the key file an older
version left in the data dir, keeping its ``kid``); a unique ``(alg, generation)`` lets
exactly one of several racing instances win, and the others load the winner's key.
Instances re-read the (tiny) table every :data:`REFRESH_SECONDS`, so no request reads it.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey, RSAKey

from auth_server.outages import StoreUnavailable
from auth_server.oauth.secret_file import KeyCipher, SecretFileError, resolve_secret_file
from auth_server.paths import is_postgres
from auth_server.store.signing_keys import SigningKeyRepository, SigningKeyRow

if TYPE_CHECKING:
    from auth_server.config import Settings
    from auth_server.store import Store

log = logging.getLogger("sigil.keys")

SUPPORTED_ALGS: tuple[str, ...] = ("RS256", "ES256")
#: the files earlier versions kept the keys in, in the data dir; imported once, then unused
LEGACY_FILES = {"RS256": "oidc-rs256.pem", "ES256": "oidc-es256.pem"}
#: seconds past ``exp`` a relying party may still accept an id_token (clock skew)
CLOCK_LEEWAY = 60.0
#: how stale an instance's copy of the key table may be
REFRESH_SECONDS = 5.0
DEFAULT_ACTIVATE_IN = 3600.0
#: how long apps may cache discovery and the JWKS (Cache-Control max-age); well below
#: DEFAULT_ACTIVATE_IN, so every app has fetched a next key before it signs
JWKS_MAX_AGE = 300
STATES = ("next", "active", "old", "retired")


class KeyRuleError(ValueError):
    """A rotation or retirement the rules refuse (the message says why and what to do)."""


@dataclass(frozen=True)
class KeyState:
    """A key and where it is in its life at one moment."""

    row: SigningKeyRow
    state: str  # one of STATES
    activated_at: float | None  # when it became (or becomes) the signer; None if it never will
    retires_at: float | None  # when it leaves (or left) the JWKS; None while no successor is known

    @property
    def published(self) -> bool:
        return self.state != "retired"

    def as_dict(self) -> dict[str, Any]:
        return {"kid": self.row.kid, "alg": self.row.alg, "state": self.state, "generation": self.row.generation,
                "created": self.row.created_at, "activated": self.activated_at, "retired": self.retires_at}


def key_states(rows: Iterable[SigningKeyRow], now: float, overlap: float) -> list[KeyState]:
    """Each key's state at ``now``; ``overlap``: how long a superseded key stays published."""
    by_alg: dict[str, list[SigningKeyRow]] = {}
    for row in sorted(rows, key=lambda r: (r.alg, r.generation)):
        by_alg.setdefault(row.alg, []).append(row)
    out: list[KeyState] = []
    for keys in by_alg.values():
        # keys that have signed (or sign now): activated, and not retired before they were
        signed = [k for k in keys if k.activates_at <= now and (k.retired_at is None or k.activates_at <= k.retired_at)]
        live_signed = [k for k in signed if k.retired_at is None]
        live = [k for k in keys if k.retired_at is None]
        # the newest activated key; before any has (the first key, a clock behind), the oldest
        active = live_signed[-1] if live_signed else (live[0] if live else None)
        for key in keys:
            successor = next((k for k in signed if k.generation > key.generation), None)
            ends = successor.activates_at + overlap if successor is not None else None
            if key.retired_at is not None:
                out.append(KeyState(key, "retired", key.activates_at if key in signed else None, key.retired_at))
            elif key is active:
                waiting = next((k for k in live if k.generation > key.generation), None)
                forecast = waiting.activates_at + overlap if waiting is not None else None
                out.append(KeyState(key, "active", key.activates_at, forecast))
            elif key.activates_at > now:
                out.append(KeyState(key, "next", key.activates_at, None))
            else:
                state = "old" if ends is None or now < ends else "retired"
                out.append(KeyState(key, state, key.activates_at, ends))
    return out


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _generate(alg: str) -> Any:
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _der(private: Any) -> bytes:
    return private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


def _public_jwk(alg: str, der: bytes) -> tuple[str, str]:
    """(kid, published JWK as JSON text); the kid is the RFC 7638 thumbprint, as before."""
    key: RSAKey | ECKey = RSAKey.import_key(der) if alg == "RS256" else ECKey.import_key(der)
    key.ensure_kid()
    public = key.as_dict(private=False)
    public.update({"use": "sig", "alg": alg, "kid": key.kid})
    return str(key.kid), json.dumps(public, separators=(",", ":"))


def _new_row(cipher: KeyCipher, alg: str, der: bytes, generation: int, now: float, activates_at: float) -> SigningKeyRow:
    kid, jwk = _public_jwk(alg, der)
    return SigningKeyRow(kid=kid, alg=alg, generation=generation, public_jwk=jwk,
                         sealed_private=cipher.seal(der, kid=kid, alg=alg), created_at=now,
                         activates_at=activates_at, retired_at=None)


def _legacy_der(path: Path) -> bytes:
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return _der(private)


def ensure_keys(repo: SigningKeyRepository, cipher: KeyCipher, alg: str, now: float,
                legacy_dir: Path | None = None) -> list[SigningKeyRow]:
    """Make sure the store has a key to sign with, and that ``cipher`` opens every key in it.

    An algorithm without keys gets the key file an earlier version left in ``legacy_dir``
    (same kid, so apps that cached it keep verifying), else (for ``alg``) a new key. When
    several instances start at once one insert wins and the rest read its row. Raises
    :class:`SecretFileError` when a stored key was sealed with another secret file.
    """
    if alg not in SUPPORTED_ALGS:
        raise ValueError(f"id_token algorithm must be one of {', '.join(SUPPORTED_ALGS)}")
    rows = repo.all()
    for each in SUPPORTED_ALGS:
        if any(r.alg == each for r in rows):
            continue
        legacy = legacy_dir / LEGACY_FILES[each] if legacy_dir is not None else None
        if legacy is not None and legacy.exists():
            row = _new_row(cipher, each, _legacy_der(legacy), 1, now, now)
            if repo.add(row):
                log.info("imported the %s signing key %s from %s into the store (the file is no longer used)",
                         each, row.kid, legacy)
        elif each == alg:
            row = _new_row(cipher, each, _der(_generate(each)), 1, now, now)
            if repo.add(row):
                log.debug("made the %s signing key %s", each, row.kid)
    rows = repo.all()
    for row in rows:
        if row.sealed_private:
            cipher.open(row.sealed_private, kid=row.kid, alg=row.alg)
    if legacy_dir is not None:
        _warn_unimported(rows, legacy_dir)
    return rows


def _warn_unimported(rows: list[SigningKeyRow], legacy_dir: Path) -> None:
    known = {r.kid for r in rows}
    for each, name in LEGACY_FILES.items():
        path = legacy_dir / name
        if not path.exists():
            continue
        try:
            kid, _ = _public_jwk(each, _legacy_der(path))
        except (ValueError, TypeError):
            continue
        if kid not in known:
            log.warning("%s (kid %s) was not imported: the store already had %s keys from another instance; "
                        "id_tokens it signed no longer verify", path, kid, each)


def rotate(repo: SigningKeyRepository, cipher: KeyCipher, alg: str, now: float, activate_in: float,
           overlap: float) -> KeyState:
    """Add the next key of ``alg``, signing from ``now + activate_in``; published from now.

    Refused while another key of ``alg`` still waits to become active (one rotation at a
    time), and for the loser of two rotations racing.
    """
    if activate_in < 0:
        raise KeyRuleError("--activate-in cannot be negative")
    rows = ensure_keys(repo, cipher, alg, now)
    waiting = [s for s in key_states(rows, now, overlap) if s.row.alg == alg and s.state == "next"]
    if waiting:
        raise KeyRuleError(f"key {waiting[0].row.kid} already waits to become active; let it, or retire it "
                           "(`sigil-server keys retire KID`), before rotating again")
    generation = max((r.generation for r in rows if r.alg == alg), default=0) + 1
    row = _new_row(cipher, alg, _der(_generate(alg)), generation, now, now + activate_in)
    if not repo.add(row):
        raise KeyRuleError("another rotation was made at the same moment; see `sigil-server keys list`")
    return next(s for s in key_states(repo.all(), now, overlap) if s.row.kid == row.kid)


@dataclass(frozen=True)
class Retirement:
    kid: str
    was: str  # the state it left
    warning: str | None  # said loudly: tokens it signed may still be in use


def retire(repo: SigningKeyRepository, kid: str, now: float, overlap: float) -> Retirement:
    """Drop ``kid`` from the JWKS now and erase its private key; the active key is refused."""
    states = {s.row.kid: s for s in key_states(repo.all(), now, overlap)}
    state = states.get(kid)
    if state is None:
        raise KeyRuleError(f"no signing key {kid} (see `sigil-server keys list`)")
    if state.state == "active":
        raise KeyRuleError(f"{kid} is the active key and signs every new id_token; rotate first "
                           "(`sigil-server keys rotate`), then retire it once it is old")
    if state.row.retired_at is not None:
        raise KeyRuleError(f"{kid} is retired already")
    warning = None
    if state.state == "old":
        warning = (f"{kid} signed id_tokens that are still valid (until about "
                   f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(state.retires_at or now))}): apps that "
                   "verify them now fail. Do this only for a leaked key.")
    if not repo.retire(kid, now):
        raise KeyRuleError(f"{kid} is retired already")
    return Retirement(kid, state.state, warning)


@dataclass(frozen=True)
class _Signer:
    kid: str
    alg: str
    private: Any
    header: bytes  # the JWS header segment, base64url


class SigningKeys:
    """The key set one server signs with and publishes; thread-safe.

    Reads the table again when its copy is :data:`REFRESH_SECONDS` old, so a rotation made
    by ``keys rotate`` (or another instance) reaches this one without a restart, and picks
    the active key by the clock at each use, so every instance switches at the same moment.
    """

    def __init__(self, repo: SigningKeyRepository, cipher: KeyCipher, alg: str = "RS256", *,
                 clock: Callable[[], float] = time.time, overlap: float = 3600 + CLOCK_LEEWAY,
                 refresh: float = REFRESH_SECONDS) -> None:
        if alg not in SUPPORTED_ALGS:
            raise ValueError(f"id_token algorithm must be one of {', '.join(SUPPORTED_ALGS)}")
        self.alg = alg
        self.overlap = overlap
        self._repo = repo
        self._cipher = cipher
        self._clock = clock
        self._refresh = refresh
        self._lock = threading.Lock()
        self._rows: list[SigningKeyRow] = []
        self._loaded_at: float | None = None
        self._signers: dict[str, _Signer] = {}

    def prepare(self, legacy_dir: Path | None = None) -> SigningKeys:
        """At start: make or import the first key and check the secret file opens every key."""
        rows = ensure_keys(self._repo, self._cipher, self.alg, self._clock(), legacy_dir)
        with self._lock:
            self._rows, self._loaded_at = rows, self._clock()
        return self

    def _current_rows(self, now: float) -> list[SigningKeyRow]:
        """The table as read at most ``refresh`` seconds ago. A database that does not answer
        keeps the last copy in use for another ``refresh`` seconds (the JWKS still answers)."""
        loaded = self._loaded_at
        if loaded is None or not 0 <= now - loaded < self._refresh:
            with self._lock:
                if self._loaded_at is None or not 0 <= now - self._loaded_at < self._refresh:
                    try:
                        self._rows, self._loaded_at = self._repo.all(), now
                    except StoreUnavailable:
                        if self._loaded_at is None:
                            raise
                        log.warning("could not re-read the signing keys; using the last copy for %.0f s more",
                                    self._refresh)
                        self._loaded_at = now
        return self._rows

    def states(self) -> list[KeyState]:
        now = self._clock()
        return key_states(self._current_rows(now), now, self.overlap)

    def _signer(self) -> _Signer:
        active = next((s.row for s in self.states() if s.row.alg == self.alg and s.state == "active"), None)
        if active is None:
            raise SecretFileError(f"no {self.alg} signing key in the store; restart the server to make one")
        signer = self._signers.get(active.kid)
        if signer is None:
            der = self._cipher.open(active.sealed_private, kid=active.kid, alg=active.alg)
            header = {"alg": active.alg, "kid": active.kid, "typ": "JWT"}
            signer = _Signer(active.kid, active.alg, serialization.load_der_private_key(der, password=None),
                             _b64url(json.dumps(header, separators=(",", ":")).encode()))
            self._signers[active.kid] = signer
        return signer

    @property
    def kid(self) -> str:
        """The kid of the key that signs now."""
        return self._signer().kid

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of ``claims`` with the active key (header: alg, kid, typ=JWT).

        Signed with ``cryptography`` directly: the token endpoint signs one per exchange,
        and the generic JOSE layer doubled the cost of that step. Verified by joserfc and
        Authlib in the tests.
        """
        signer = self._signer()
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = signer.header + b"." + payload
        if signer.alg == "RS256":
            signature = signer.private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(signer.private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return (signing_input + b"." + _b64url(signature)).decode("ascii")

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The published keys (next, active, old), newest first: the same on every instance."""
        published = [s.row for s in self.states() if s.published]
        published.sort(key=lambda r: (-r.activates_at, r.alg, r.kid))
        return {"keys": [json.loads(r.public_jwk) for r in published]}


def open_signing_keys(settings: Settings, store: Store) -> SigningKeys:
    """The server's keys for ``settings`` on ``store``: the secret file found (made on SQLite),
    the first key made or imported, every key checked to open. Errors here are
    :class:`SecretFileError` (or ``ValueError`` for a bad ``id_token_alg``), at start."""
    if settings.id_token_alg not in SUPPORTED_ALGS:
        raise ValueError(f"id_token algorithm must be one of {', '.join(SUPPORTED_ALGS)}")
    cipher = KeyCipher.from_file(secret_path(settings))
    keys = SigningKeys(store.signing_keys, cipher, settings.id_token_alg, clock=settings.clock,
                       overlap=settings.id_token_ttl + CLOCK_LEEWAY)
    return keys.prepare(legacy_dir=settings.data_dir)


def secret_path(settings: Settings) -> Path:
    """The secret file ``settings`` name, made first on SQLite when absent."""
    return resolve_secret_file(settings.secret_file, postgres=is_postgres(settings.db_path), data_dir=settings.data_dir)
