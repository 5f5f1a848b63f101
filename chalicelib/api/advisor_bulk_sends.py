"""Bulk sends: one request to many clients, sent in the background; its progress; withdraw and remind."""

from __future__ import annotations

from typing import Any

from chalice.app import Request

from chalicelib.api.routing import Routes, body_of, query_param
from chalicelib.auth.principal import Principal

routes = Routes(__name__, role="advisor")


@routes.route("/advisor/bulk-sends", methods=("POST",), status=202)
def create_bulk_send(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.bulk import service as bulk

    return bulk.create_bulk_send(aws.ports(), principal, body_of(request), request.headers.get("idempotency-key"))


@routes.route("/advisor/bulk-sends")
def list_bulk_sends(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.bulk import service as bulk

    return bulk.list_bulk_sends(aws.ports(), principal, query_param(request, "limit"), query_param(request, "cursor"))


@routes.route("/advisor/bulk-sends/{bulk_send_id}")
def get_bulk_send(request: Request, principal: Principal, bulk_send_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.bulk import service as bulk
    from chalicelib.texts import pick_language

    return bulk.bulk_send_view(aws.ports(), principal, bulk_send_id, query_param(request, "limit"),
                               query_param(request, "cursor"), pick_language(request.headers.get("accept-language")))


@routes.route("/advisor/bulk-sends/{bulk_send_id}/withdraw", methods=("POST",))
def withdraw_bulk_send(request: Request, principal: Principal, bulk_send_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.bulk import service as bulk

    return bulk.withdraw_bulk_send(aws.ports(), principal, bulk_send_id)


@routes.route("/advisor/bulk-sends/{bulk_send_id}/remind", methods=("POST",))
def remind_bulk_send(request: Request, principal: Principal, bulk_send_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.bulk import service as bulk

    return bulk.remind_bulk_send(aws.ports(), principal, bulk_send_id)
