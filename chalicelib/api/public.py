"""Routes without a login: health and the seal's public key."""

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
