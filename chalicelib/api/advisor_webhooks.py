"""Webhooks: the firm's endpoints for integrators, their secrets, a test event, and each one's delivery log."""

from __future__ import annotations

from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.api.routing import Routes, body_of, query_param
from chalicelib.auth.principal import Principal

routes = Routes(__name__, role="advisor")


@routes.route("/advisor/webhooks", methods=("POST",), status=201)
def create_webhook(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.webhooks import service as webhooks

    return webhooks.create_endpoint(aws.ports(), principal, body_of(request))


@routes.route("/advisor/webhooks")
def list_webhooks(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.webhooks import service as webhooks

    return webhooks.list_endpoints(aws.ports(), principal, query_param(request, "limit"), query_param(request, "cursor"))


@routes.route("/advisor/webhooks/{webhook_id}", methods=("DELETE",), status=204)
def delete_webhook(request: Request, principal: Principal, webhook_id: str) -> Response:
    from chalicelib import aws
    from chalicelib.webhooks import service as webhooks

    webhooks.delete_endpoint(aws.ports(), principal, webhook_id)
    return Response(body="", status_code=204)


@routes.route("/advisor/webhooks/{webhook_id}/rotate-secret", methods=("POST",))
def rotate_webhook_secret(request: Request, principal: Principal, webhook_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.webhooks import service as webhooks

    return webhooks.rotate_secret(aws.ports(), principal, webhook_id)


@routes.route("/advisor/webhooks/{webhook_id}/test", methods=("POST",), status=202)
def test_webhook(request: Request, principal: Principal, webhook_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.webhooks import service as webhooks

    return webhooks.send_test(aws.ports(), principal, webhook_id)


@routes.route("/advisor/webhooks/{webhook_id}/deliveries")
def webhook_deliveries(request: Request, principal: Principal, webhook_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.webhooks import service as webhooks

    return webhooks.list_deliveries(aws.ports(), principal, webhook_id, query_param(request, "limit"),
                                    query_param(request, "cursor"))
