"""Routes without a login: health, and the published keys that anyone checks a receipt with."""

from __future__ import annotations

from typing import Any

from chalice.app import Request

from chalicelib.api.routing import Routes

routes = Routes(__name__)


@routes.route("/health")
def health(request: Request, _: None) -> dict[str, Any]:
    return {"status": "ok"}


@routes.route("/keys/seal")
def seal_key(request: Request, _: None) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.signing.receipts import public_seal_key

    return public_seal_key(aws.ports())


@routes.route("/keys")
def published_keys(request: Request, _: None) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.signing.seal_keys import keys_view

    settings = aws.ports().settings
    return keys_view(aws.ports(), settings.seal_certificate_chain, settings.tsa_certificate_chain)
