"""The ``signing_key`` table: the keys the server signs id_tokens with, shared by every instance.

A row holds the public JWK in the clear (it is published anyway) and the private key
sealed with the key-encryption key of the operator's secret file
(:mod:`auth_server.oauth.secret_file`); without that file nothing in the database can
sign. Keys of one algorithm are numbered (``generation``) and ``(alg, generation)`` is
unique, so the first key and every rotation have exactly one winner when several
instances (or ``keys rotate`` runs) race: the others' ``INSERT`` does nothing and they
read the winner's row. Which key signs, and which are published, follows from the
times in the rows (:mod:`auth_server.oauth.signing_keys`), never from a flag an
instance would have to be told about.
"""

from __future__ import annotations

from dataclasses import dataclass

from auth_server.store.engine import Engine, fetch_all

_COLUMNS = "kid, alg, generation, public_jwk, sealed_private, created_at, activates_at, retired_at"


@dataclass(frozen=True)
class SigningKeyRow:
    """One signing key as stored. ``sealed_private`` is ``''`` once the key is retired by hand."""

    kid: str
    alg: str
    generation: int
    public_jwk: str  # JSON text, exactly as published
    sealed_private: str
    created_at: float
    activates_at: float  # the moment it becomes the signer of its algorithm
    retired_at: float | None  # set when retired by hand (``keys retire``)


class SigningKeyRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def all(self) -> list[SigningKeyRow]:
        """Every key, oldest generation first (one small table: read whole)."""
        rows = fetch_all(self._engine.conn, f"SELECT {_COLUMNS} FROM signing_key ORDER BY alg, generation")
        return [SigningKeyRow(**{**row, "generation": int(row["generation"])}) for row in rows]

    def add(self, row: SigningKeyRow) -> bool:
        """Insert ``row`` unless its kid or its ``(alg, generation)`` is taken; True if it went in."""
        with self._engine.write() as conn:
            cur = conn.execute(
                f"INSERT INTO signing_key ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (row.kid, row.alg, row.generation, row.public_jwk, row.sealed_private, row.created_at,
                 row.activates_at, row.retired_at),
            )
        return cur.rowcount == 1

    def retire(self, kid: str, now: float) -> bool:
        """Retire a key at ``now`` and forget its private half; False if unknown or retired already."""
        with self._engine.write() as conn:
            cur = conn.execute(
                "UPDATE signing_key SET retired_at = ?, sealed_private = '' WHERE kid = ? AND retired_at IS NULL",
                (now, kid),
            )
        return cur.rowcount == 1
