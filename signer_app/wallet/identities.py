"""Identity metadata: what the app may know about a wallet while it is locked.

``wallet-<name>.json`` in the user data dir holds, per identity, the public facts
(BAP ID, member pubkey, address, derivation index) and the user's label, profile
and visibility; plus which identity is the default and where the secret is stored.
It never holds key material.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from auth_server.crypto import address_from_pubkey, bap_id_from_pubkey
from auth_server.display import shown_text
from signer_app.wallet.errors import WalletError
from signer_app.wallet.storage import write_private_file

META_VERSION = 1
MAX_LABEL_LENGTH = 100
MAX_PROFILE_FIELD_LENGTH = 2048


@dataclass(frozen=True)
class Identity:
    """A BAP identity of the wallet, as the GUI and the API see it (no keys)."""

    bap_id: str
    pubkey: str
    address: str
    label: str
    index: int
    name: str | None = None
    image: str | None = None
    hidden: bool = False
    is_default: bool = False
    email: str | None = None  # shown to OIDC apps by this computer's auth server (never verified)


@dataclass
class _Record:
    bap_id: str
    pubkey: str
    address: str
    label: str
    index: int
    name: str | None = None
    image: str | None = None
    hidden: bool = False
    email: str | None = None


def clean_label(label: str) -> str:
    """A label as stored: no control, bidi or zero-width characters (what the user sees is
    what is there, ``auth_server.display``), whitespace collapsed; refused if empty or too long."""
    label = " ".join(shown_text(str(label)).split())
    if not label:
        raise WalletError("a label must not be empty")
    if len(label) > MAX_LABEL_LENGTH:
        raise WalletError(f"a label has at most {MAX_LABEL_LENGTH} characters")
    return label


def clean_profile_field(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    if len(value) > MAX_PROFILE_FIELD_LENGTH:
        raise WalletError(f"the profile {what} has at most {MAX_PROFILE_FIELD_LENGTH} characters")
    return value


@dataclass
class WalletMeta:
    """The whole metadata file, loaded; mutate it, then :meth:`save`."""

    kind: str
    storage: str
    has_bip39_passphrase: bool = False
    default: str | None = None
    records: list[_Record] = field(default_factory=list)

    @staticmethod
    def path_for(data_dir: Path, wallet_name: str) -> Path:
        return data_dir / f"wallet-{wallet_name}.json"

    @classmethod
    def load(cls, path: Path) -> WalletMeta | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (ValueError, OSError):
            raise WalletError(f"the wallet metadata file {path} is damaged") from None
        try:
            if data.get("version") != META_VERSION:
                raise WalletError(f"the wallet metadata file {path} has an unknown version")
            records = [_Record(**r) for r in data["identities"]]
            return cls(
                kind=data["kind"],
                storage=data["storage"],
                has_bip39_passphrase=bool(data.get("has_bip39_passphrase", False)),
                default=data.get("default"),
                records=records,
            )
        except (KeyError, TypeError, AttributeError):
            raise WalletError(f"the wallet metadata file {path} is damaged") from None

    def save(self, path: Path) -> None:
        data: dict[str, Any] = {
            "version": META_VERSION,
            "kind": self.kind,
            "storage": self.storage,
            "has_bip39_passphrase": self.has_bip39_passphrase,
            "default": self.default,
            # the optional e-mail is written only when set (older files and readers never see it)
            "identities": [{k: v for k, v in asdict(r).items() if k != "email" or v is not None}
                           for r in self.records],
        }
        write_private_file(path, json.dumps(data, indent=2, sort_keys=True) + "\n")

    # -- queries -------------------------------------------------------------------

    def _public(self, record: _Record) -> Identity:
        return Identity(**asdict(record), is_default=record.bap_id == self.default)

    def identities(self, include_hidden: bool = False) -> list[Identity]:
        ordered = sorted(self.records, key=lambda r: r.index)
        return [self._public(r) for r in ordered if include_hidden or not r.hidden]

    def record(self, bap_id: str) -> _Record:
        for record in self.records:
            if record.bap_id == bap_id:
                return record
        raise WalletError("no identity with that BAP ID in this wallet")

    def get(self, bap_id: str) -> Identity:
        return self._public(self.record(bap_id))

    def default_identity(self) -> Identity | None:
        if self.default is not None:
            for record in self.records:
                if record.bap_id == self.default:
                    return self._public(record)
        visible = self.identities()
        return visible[0] if visible else None

    def next_index(self) -> int:
        return max((r.index for r in self.records), default=-1) + 1

    # -- changes -------------------------------------------------------------------

    def add(self, index: int, member_pubkey: bytes, label: str) -> Identity:
        record = _Record(
            bap_id=bap_id_from_pubkey(member_pubkey),
            pubkey=member_pubkey.hex(),
            address=address_from_pubkey(member_pubkey),
            label=clean_label(label),
            index=index,
        )
        if any(r.bap_id == record.bap_id for r in self.records):
            raise WalletError("this identity is already in the wallet")
        self.records.append(record)
        if self.default is None:
            self.default = record.bap_id
        return self._public(record)

    def update(self, bap_id: str, **changes: Any) -> Identity:
        record = self.record(bap_id)
        index = self.records.index(record)
        self.records[index] = replace(record, **changes)
        if changes.get("hidden") and self.default == bap_id:
            visible = [r for r in sorted(self.records, key=lambda r: r.index) if not r.hidden]
            self.default = visible[0].bap_id if visible else bap_id
        return self.get(bap_id)
