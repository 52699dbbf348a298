"""The OAuth 2.0 / OIDC provider: one object that wires the endpoints and grants together.

The spec rules live one module each (``authorize``, ``grants/*`` with what every grant
shares in ``grants/common``,
``userinfo``, ``revocation``, ``introspection``, ``client_auth``); this class composes
them over one :class:`~auth_server.oauth.provider_context.ProviderContext` and owns the
transactions. The ``*_endpoint`` methods take the raw request parts
(:class:`~auth_server.oauth.client_auth.ClientRequest`), authenticate the client and do
the work; the web layer only translates HTTP to and from them. Nothing here knows bottle.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

from auth_server.oauth import consents, introspection, logout, revocation, userinfo
from auth_server.oauth.authorize import AuthorizationRequest, Authorizer, RedirectableError
from auth_server.oauth.client_auth import ClientAuthenticator, ClientRequest, MethodDeps, confidential
from auth_server.oauth.provider_context import ProviderConfig, ProviderContext, UserDirectory
from auth_server.oauth.errors import OAuthError, required
from auth_server.oauth.grants import GRANTS, authorization_code, device_code
from auth_server.oauth.grants.common import check_client_id
from auth_server.oauth.idtoken import SigningKeys
from auth_server.store.clients import ClientChanged
from auth_server.store.models import DeviceAuthorization, OAuthClient
from auth_server.store.oauth import OAuthStore
from auth_server.store.replay import Claim

if TYPE_CHECKING:
    from auth_server.config import Settings
    from auth_server.crypto import AuthToken
    from auth_server.store import Store

T = TypeVar("T")
#: seconds a request served on the I/O loop waits for its client's key fetch (which goes on
#: in its own thread: the client's next request finds the keys)
LOOP_FETCH_WAIT = 0.25

__all__ = ["AuthorizationRequest", "Provider", "ProviderConfig", "RedirectableError", "UserDirectory",
           "build_provider"]


class Provider:
    """Every OAuth endpoint of one server.

    ``client_auth`` authenticates clients at the ``*_endpoint`` methods; ``transaction``
    (the store's ``write``) opens the write transaction those methods run in. Tests may
    leave both out and call the plain methods with an already known client.
    """

    def __init__(
        self,
        store: OAuthStore,
        users: UserDirectory,
        keys: SigningKeys,
        config: ProviderConfig,
        clock: Callable[[], float] = time.time,
        *,
        client_auth: ClientAuthenticator | None = None,
        transaction: Callable[[], AbstractContextManager[Any]] | None = None,
        grant_in_transaction: bool = True,
    ) -> None:
        self.context = ProviderContext(store, users, keys, config, clock)
        self.authorizer = Authorizer(self.context)
        self.client_auth = client_auth
        self._transaction = transaction
        self._grant_in_transaction = grant_in_transaction

    @property
    def store(self) -> OAuthStore:
        return self.context.store

    @property
    def keys(self) -> SigningKeys:
        return self.context.keys

    @property
    def config(self) -> ProviderConfig:
        return self.context.config

    # -- authorize -------------------------------------------------------

    def parse_authorization(self, params: Mapping[str, str]) -> AuthorizationRequest:
        return self.authorizer.parse(params)

    def needs_sign_in(self, request: AuthorizationRequest, auth_time: int | None) -> bool:
        return self.authorizer.needs_sign_in(request, auth_time)

    def ensure_allowed(self, request: AuthorizationRequest, user_id: str) -> None:
        self.authorizer.ensure_allowed(request, user_id)

    def needs_consent(self, request: AuthorizationRequest, user_id: str) -> bool:
        return self.authorizer.needs_consent(request, user_id)

    def approve(self, request: AuthorizationRequest, user_id: str, bap_id: str | None, auth_time: int | None,
                remember: bool = True) -> str:
        return self.authorizer.approve(request, user_id, bap_id, auth_time, remember)

    def deny(self, request: AuthorizationRequest) -> str:
        return self.authorizer.deny(request)

    def parse_logout(self, params: Mapping[str, str]) -> logout.LogoutRequest:
        return logout.parse_logout(self.context, params)

    def consents(self, user_id: str) -> list[consents.Consent]:
        return consents.consents_of(self.store, user_id)

    def withdraw_consent(self, user_id: str, client_id: str) -> bool:
        """Forget a consent and revoke the app's tokens for the user, in one transaction."""
        return self.committed_even_on_error(lambda: consents.withdraw(self.store, user_id, client_id))

    # -- for an authenticated client -------------------------------------

    def token(self, client: OAuthClient, form: Mapping[str, str], claim: Claim | None = None) -> dict[str, Any]:
        """The grant named by ``grant_type`` (see :data:`~auth_server.oauth.grants.GRANTS`).
        ``claim``: the client's proof, left for the code exchange to spend in its one call."""
        check_client_id(client, form)
        grant_type = required(form, "grant_type")
        if claim is not None:
            if grant_type != authorization_code.GRANT_TYPE:
                raise RuntimeError("only the code exchange spends the client's proof in its own call")
            return authorization_code.exchange(self.context, client, form, claim)
        exchange = GRANTS.get(grant_type)
        if exchange is None:
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
        return exchange(self.context, client, form)

    def userinfo(self, access_token: str | None,
                 on_client: Callable[[OAuthClient], None] | None = None) -> dict[str, Any]:
        return userinfo.userinfo(self.context, access_token, on_client)

    def revoke(self, client: OAuthClient, value: str | None, hint: str | None = None) -> None:
        revocation.revoke(self.context, client, value, hint)

    def introspect(self, client: OAuthClient, value: str | None, hint: str | None = None) -> dict[str, Any]:
        return introspection.introspect(self.context, client, value, hint)

    def start_device(self, client: OAuthClient, scope: str | None) -> dict[str, Any]:
        return device_code.start(self.context, client, scope)

    def pending_device(self, user_code: str) -> DeviceAuthorization:
        return device_code.pending(self.context, user_code)

    def client(self, client_id: str) -> OAuthClient | None:
        """A registered client, or None: for the pages that name the app asking."""
        return self.store.clients.get(client_id)

    def decide_device(self, user_code: str, approved: bool, user_id: str, bap_id: str | None,
                      auth_time: int | None) -> DeviceAuthorization:
        return device_code.decide(self.context, user_code, approved, user_id, bap_id, auth_time)

    # -- endpoints over raw request parts ----------------------------------

    def _authenticator(self) -> ClientAuthenticator:
        if self.client_auth is None:
            raise RuntimeError("this provider was built without client authentication")
        return self.client_auth

    def committed_even_on_error(self, work: Callable[[], T], *, together: bool = True) -> T:
        """Run ``work`` in one write transaction that is committed also when it raises
        ``OAuthError``: a spent client token, a code marked as reused and a revoked token
        family must stay so when the answer is an error. (One commit, too, for the claim of
        the client's token, the code or refresh token it spends and the tokens it gets.)
        """
        if self._transaction is None or not together:
            return work()  # each write commits on its own, errors or not
        error: OAuthError | None = None
        with self._transaction():
            try:
                result = work()
            except OAuthError as exc:
                error = exc
        if error is not None:
            raise error
        return result

    def token_endpoint(self, request: ClientRequest) -> dict[str, Any]:
        """RFC 6749 3.2: authenticate the client and run its grant, in one transaction.

        What may be slow (a client's keys fetched from its jwks_uri) is done first, outside
        the transaction: on SQLite the transaction holds the one writer lock every sign-in
        needs. Inside it only the single-use parts are claimed, with the grant's writes.
        Without ``grant_in_transaction`` (PostgreSQL) there is no enclosing transaction: each
        single-use step is one atomic statement there (the client's claim, the code's
        redemption call), and ``BEGIN``/``COMMIT`` would be two more round trips.

        A code exchange is one call to the store on PostgreSQL: the client is this instance's
        copy of it, which that call re-checks, and the client's proof is spent in it too
        (:class:`~auth_server.oauth.client_auth.ClientRequest`). When the client changed since
        the copy was read, it is authenticated again from a fresh read."""
        auth = self._authenticator()
        auth.prepare(request)
        if request.form.get("grant_type") == authorization_code.GRANT_TYPE:
            request = dataclasses.replace(request, use_recent_client=True, defer_claim=True)

        def grant(request: ClientRequest) -> dict[str, Any]:
            client = auth.authenticate(request)
            return self.token(client, request.form, request.notes.pop("claim", None))

        try:
            return self.committed_even_on_error(lambda: grant(request), together=self._grant_in_transaction)
        except ClientChanged:
            fresh = dataclasses.replace(request, use_recent_client=False)
            return self.committed_even_on_error(lambda: grant(fresh), together=self._grant_in_transaction)

    def revocation_endpoint(self, request: ClientRequest) -> None:
        client = self._authenticator().authenticate(request)
        self.revoke(client, request.form.get("token"), request.form.get("token_type_hint"))

    def introspection_endpoint(self, request: ClientRequest, *, single_use: bool = False) -> dict[str, Any]:
        """A replayed introspection can only repeat a question about a token the replayer
        already holds (it is in the signed body), so the client's proof is single use only
        when asked: without the claim this read makes no database write.

        One statement on PostgreSQL: the client is this instance's copy of it, which the
        token's statement re-checks (a single-use proof is spent first, so then the client is
        read fresh: a retry could not show the proof again)."""
        def answer(request: ClientRequest) -> dict[str, Any]:
            client = confidential(self._authenticator().authenticate(request, claim=single_use))
            return self.introspect(client, request.form.get("token"), request.form.get("token_type_hint"))

        try:
            return answer(dataclasses.replace(request, use_recent_client=not single_use))
        except ClientChanged:
            # authenticated again from a fresh read; a proof the first attempt spent is not spent twice
            return answer(dataclasses.replace(request, use_recent_client=False, defer_claim=True))

    def device_authorization_endpoint(self, request: ClientRequest,
                                      admit: Callable[[OAuthClient], None] | None = None) -> dict[str, Any]:
        """RFC 8628 3.1 for a public client (credentials, when sent, must be valid);
        ``admit`` may refuse the known client (an ``OAuthError``) before a row is written."""
        client = self._authenticator().authenticate_public(request)
        if admit is not None:
            admit(client)
        return self.start_device(client, request.form.get("scope"))

    def device_token_endpoint(self, request: ClientRequest) -> dict[str, Any]:
        """The device flow's own polling endpoint: only the device_code grant is answered."""
        client = self._authenticator().authenticate_public(request)
        if request.form.get("grant_type") != device_code.GRANT_TYPE:
            raise OAuthError("unsupported_grant_type", f"grant_type must be {device_code.GRANT_TYPE}")
        return device_code.exchange(self.context, client, request.form)


def build_provider(settings: Settings, store: Store, keys: SigningKeys | None = None) -> Provider:
    """The provider of a server: configuration from ``settings`` (whose base URL must be
    settled, i.e. the socket bound), every client-authentication method on ``store`` (the
    replay guard remembers X-Auth-Tokens and client-assertion jtis), signing with ``keys``
    (opened from the store here when the caller has not opened them at start)."""
    from auth_server.request_token import replay_expiry, verify_request_token
    from auth_server.oauth.endpoints import TOKEN_PATH
    from auth_server.oauth.users import StoreUserDirectory

    def verify(header: str | None, path: str, body: bytes, claim: bool) -> AuthToken:
        return verify_request_token(header, path, body, settings, store, claim=claim)

    from auth_server.oauth.signing_keys import open_signing_keys

    users = StoreUserDirectory(store.users, store.groups, subscription=settings.enable_subscription,
                               base_url=settings.base_url)
    return Provider(
        store.oauth, users, keys if keys is not None else open_signing_keys(settings, store),
        ProviderConfig.from_settings(settings), settings.clock,
        client_auth=ClientAuthenticator.build(MethodDeps(
            clients=store.oauth.clients, verify=verify, claim_once=store.replay.claim,
            replay_expiry=lambda token: replay_expiry(token, settings),
            issuer=settings.base_url, token_endpoint=settings.base_url + TOKEN_PATH, clock=settings.clock,
            # on the I/O loop (--threads 0) a request waiting for a key fetch stops the worker
            fetch_wait=LOOP_FETCH_WAIT if settings.threads == 0 else None,
        )),
        transaction=store.write,
        # SQLite: one commit (one fsync) for the client's claim and the grant's writes
        grant_in_transaction=store.engine.dialect != "postgresql",
    )


