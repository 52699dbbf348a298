"""The TokenPass-compatible HTTP API on 127.0.0.1 (docs/PROTOCOL.md section 7).

``app.create_signer_api`` builds it, ``serving.LocalApiServer`` serves it; what it serves is
:class:`signer_app.service.SignerService` (grants live in :mod:`signer_app.grants`).
"""
