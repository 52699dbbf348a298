"""The one exception type the OAuth layer raises for anything a client can get wrong."""

from __future__ import annotations

from collections.abc import Mapping


class OAuthError(Exception):
    """An RFC 6749 error: ``error`` code, a human ``description`` and the HTTP status.

    The web layer turns it into ``{"error", "error_description"}`` JSON (token-style
    endpoints) or an error page / redirect (authorize). Messages never carry secrets.
    """

    def __init__(self, error: str, description: str = "", status: int = 400,
                 headers: Mapping[str, str] | None = None, *, challenge: str | None = None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status
        self.headers = dict(headers or {})  # e.g. Retry-After on a 429
        #: the ``WWW-Authenticate`` value of a 401 when it must name a scheme (RFC 6749 5.2:
        #: the one the client tried, e.g. ``Basic``); None lets the web layer choose
        self.challenge = challenge

    def as_json(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description, 400)


def invalid_client(description: str, challenge: str | None = None) -> OAuthError:
    return OAuthError("invalid_client", description, 401, challenge=challenge)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description, 400)


def invalid_token(description: str) -> OAuthError:
    return OAuthError("invalid_token", description, 401)


def required(params: Mapping[str, str], name: str) -> str:
    """The non-empty parameter ``name``, or ``invalid_request`` saying it is required."""
    value = params.get(name)
    if not value:
        raise invalid_request(f"{name} is required")
    return value
