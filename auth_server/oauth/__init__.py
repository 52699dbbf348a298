"""OAuth 2.0 / OpenID Connect logic: codes, PKCE, tokens, id_tokens, consent, device flow.

Everything here takes plain values (strings, dicts, repository objects) and never sees a
bottle request; ``auth_server/web`` (``authorize``, ``tokens``, ``device``, ``discovery``)
translates HTTP to and from these calls. :mod:`auth_server.oauth.provider` wires them.
"""
