"""The auth server embedded in the desktop app: same code as ``sigil-server``, on loopback.

Its SQLite database lives in the app's data dir, so the whole identity stack (wallet,
signer, OAuth server) runs on one machine. The GUI starts and stops it and reads its
figures and clients through :mod:`auth_server.admin`, and manages its team (users, groups,
invitations, disabling) through :mod:`auth_server.team`, as ``sigil-server`` does. Its
sign-in pages send browsers to this app's own signer API (``signer_url``), whatever port
that API was given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from auth_server import admin
from auth_server.admin import ServerStats

if TYPE_CHECKING:
    from auth_server.admin import OAuthClient  # the record admin hands out, named where the signer may look
    from auth_server.config import Settings
    from auth_server.serving.bootstrap import RunningServer

LOOPBACK = "127.0.0.1"
DESKTOP_ACTOR = "desktop"  # how the audit log names what the Server tab does


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    member_pubkey: str | None
    auth_method: str = "x_auth_token"
    client_secret: str | None = None  # only right after registering a secret client: shown once


@dataclass(frozen=True)
class IdentityConsent:
    """An app one of the wallet's identities allowed (on this embedded server)."""

    pubkey: str
    client_id: str
    client_name: str
    scopes: tuple[str, ...]


class EmbeddedServerError(Exception):
    """The server could not start (port taken, store unreadable); the message is for people."""


class EmbeddedServer:
    """Start/stop the auth server in-process; ``url`` is what the GUI shows."""

    def __init__(self, data_dir: Path, port: int, base_url: str = "",
                 signer_url: Callable[[], str] | None = None) -> None:
        """``signer_url`` says, when the server starts, where the local signer API listens."""
        self.data_dir = Path(data_dir)
        self.port = port
        self.base_url = base_url
        self._signer_url = signer_url
        self._lock = threading.RLock()
        self._store: Any = None  # open from the first look at it until close(), across restarts
        self._served: RunningServer | None = None
        self.last_error = ""

    @property
    def db_path(self) -> Path:
        return self.data_dir / "sigil.db"

    @property
    def running(self) -> bool:
        return self._served is not None

    @property
    def url(self) -> str:
        """The public base URL (configured, or the loopback address it is bound to)."""
        if self.base_url:
            return self.base_url.rstrip("/")
        port = self._served.thread.port if self._served is not None else self.port
        return f"http://{LOOPBACK}:{port}"

    @property
    def origin(self) -> str | None:
        """The origin of its pages (the local API trusts it) while it runs."""
        if not self.running:
            return None
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def _settings(self, **more: Any) -> Settings:
        """The server's settings: loopback, the app's database, no access log; ``more`` on top."""
        from auth_server.config import Settings

        return Settings(host=LOOPBACK, port=self.port, db_path=self.db_path,
                        base_url=self.base_url or f"http://{LOOPBACK}:{self.port}", log_requests=False, **more)

    def _open_store(self) -> Any:
        if self._store is None:
            from auth_server.serving.bootstrap import open_store

            self._store = open_store(self._settings())
        return self._store

    def start(self) -> None:
        """Bind and serve; raises EmbeddedServerError with a readable reason."""
        with self._lock:
            if self._served is not None:
                return
            # imported here, not at the top: the window paints before the server code loads
            from auth_server.serving.bootstrap import bind, start_server

            signer = {"signer_url": self._signer_url()} if self._signer_url is not None else {}
            settings = self._settings(**signer)
            try:
                # Bound before the app is built, so that with port 0 the issuer names the real port.
                sock = bind(settings)
            except OSError as exc:
                self.last_error = f"cannot listen on {LOOPBACK}:{self.port} ({exc.strerror or exc})"
                raise EmbeddedServerError(self.last_error) from None
            if not self.base_url:
                self.port = sock.getsockname()[1]
            # Checkpoints off the request path, as in sigil-server; once a second is plenty
            # for one person's sign-ins and spares a laptop frequent wake-ups.
            try:
                self._served = start_server(settings, store=self._open_store(), sock=sock, checkpoint_interval=1.0)
            except ValueError as exc:  # the signing keys' secret file is not the one they were sealed with
                self.last_error = str(exc)
                raise EmbeddedServerError(self.last_error) from None
            self.last_error = ""

    def stop(self) -> None:
        with self._lock:
            served, self._served = self._served, None
            if served is not None:
                served.stop(close_store=False)  # the Server tab keeps reading it

    def close(self) -> None:
        self.stop()
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    # -- what the Server tab shows ------------------------------------------------------

    def stats(self) -> ServerStats:
        """Registered clients, users and live sessions (zeros if the store cannot be read)."""
        try:
            return admin.stats(self._open_store())
        except Exception:
            return ServerStats(0, 0, 0)

    def clients(self) -> list[RegisteredClient]:
        try:
            rows = admin.clients(self._open_store())
        except Exception:
            return []
        return [_registered(c) for c in rows]

    def register_client(self, name: str, redirect_uris: list[str], member_pubkey: str | None,
                        owner_bap_id: str | None = None, *, auth_method: str | None = None,
                        jwks_uri: str | None = None) -> RegisteredClient:
        """Register an OAuth client of any method (as ``sigil-server clients add``); ValueError
        names the first bad field. A secret client's secret is in the answer, this once."""
        new = admin.register_client(self._open_store(), name, redirect_uris, member_pubkey or None,
                                    owner_bap_id=owner_bap_id, auth_method=auth_method, jwks_uri=jwks_uri or None)
        return _registered(new.client, new.client_secret)

    def consents(self, pubkeys: list[str]) -> list[IdentityConsent]:
        """The apps these identities allowed to sign them in here (for the Access tab)."""
        try:
            store = self._open_store()
            return [IdentityConsent(pubkey, c.client_id, c.client_name, c.scopes)
                    for pubkey in pubkeys for c in admin.consents(store, pubkey)]
        except Exception:
            return []

    def withdraw_consent(self, pubkey: str, client_id: str) -> bool:
        """Withdraw an identity's consent; the app's tokens for it stop working at once."""
        return admin.withdraw_consent(self._open_store(), pubkey, client_id)

    def sync_emails(self, emails: dict[str, str]) -> None:
        """Give identities that signed in here the e-mail set on them in the wallet (where it
        differs); an address taken by another identity is skipped, nothing raises."""
        try:
            store = self._open_store()
            for pubkey, email in emails.items():
                user = store.users.get_by_pubkey(pubkey)
                if user is not None and user.email != email:
                    try:
                        admin.set_email_of(store, user, email)
                    except ValueError:
                        continue
        except Exception:
            return

    def set_email(self, pubkey: str, email: str | None) -> bool:
        """The e-mail apps see for this identity (unverified); False if it never signed in here.
        ValueError when the address is malformed or another identity uses it."""
        return admin.set_user_email(self._open_store(), pubkey, email)

    # -- the team (auth_server.team; the audit log names these actions "desktop") --------

    def members(self) -> list[Any]:
        """Users with their groups (:class:`auth_server.team.UserDetails`); [] if unreadable."""
        from auth_server import team

        try:
            return team.users(self._open_store(), limit=500)
        except Exception:
            return []

    def group_names(self) -> list[str]:
        from auth_server import team

        try:
            return [g.name for g in team.groups(self._open_store())]
        except Exception:
            return []

    def add_group(self, name: str) -> None:
        """Make a group; ``auth_server.team.TeamError`` (a ValueError) says what is wrong."""
        from auth_server import team

        team.add_group(self._open_store(), name.strip(), actor=DESKTOP_ACTOR)

    def change_groups(self, user_id: str, *, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> None:
        from auth_server import team

        team.change_groups(self._open_store(), user_id, add=list(add), remove=list(remove), actor=DESKTOP_ACTOR)

    def set_disabled(self, user_id: str, disabled: bool) -> None:
        """Lock a user out (sessions and tokens end at once) or let them in again."""
        from auth_server import team

        team.set_disabled(self._open_store(), user_id, disabled, actor=DESKTOP_ACTOR)

    def invite(self, groups: list[str], uses: int = 1, days: float = 7.0) -> str:
        """A new invitation link to this server (shown once)."""
        from auth_server import team

        new = team.invite(self._open_store(), self.url, groups=groups, uses=uses, expires_in=days * 86400.0,
                          actor=DESKTOP_ACTOR)
        return new.url

    def app_name_for(self, origin: str) -> str:
        """The name of the registered client whose redirect URI shares ``origin``."""
        if not origin:
            return ""
        for client in self.clients():
            for uri in client.redirect_uris:
                parts = urlsplit(uri)
                if f"{parts.scheme}://{parts.netloc}" == origin:
                    return client.name
        return ""


def _registered(client: OAuthClient, secret: str | None = None) -> RegisteredClient:
    """What the GUI shows of an OAuth client record from :mod:`auth_server.admin`."""
    return RegisteredClient(client.client_id, client.name, tuple(client.redirect_uris), client.member_pubkey,
                            client.token_endpoint_auth_method, secret)
