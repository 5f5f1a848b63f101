"""Who the advisor is, and their client cards."""

from __future__ import annotations

from typing import Any

from chalice.app import Request

from chalicelib.api.routing import Routes, body_of, query_param
from chalicelib.auth.principal import Principal

routes = Routes(__name__, role="advisor")


@routes.route("/advisor/me")
def me(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.tenants.service import advisor_profile

    return advisor_profile(aws.ports(), principal)


@routes.route("/advisor/clients")
def list_clients(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.clients import service as clients

    return clients.list_clients(aws.ports(), principal, query_param(request, "q"), query_param(request, "limit"),
                                query_param(request, "cursor"))


@routes.route("/advisor/clients", methods=("POST",), status=201)
def create_client(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.clients import service as clients

    return clients.create_client(aws.ports(), principal, body_of(request))


@routes.route("/advisor/clients/{client_id}")
def get_client_card(request: Request, principal: Principal, client_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging.service import client_card

    return client_card(aws.ports(), principal, client_id)


@routes.route("/advisor/clients/{client_id}", methods=("PATCH",))
def update_client(request: Request, principal: Principal, client_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.clients import service as clients

    return clients.update_client(aws.ports(), principal, client_id, body_of(request))


@routes.route("/advisor/clients/{client_id}/invite", methods=("POST",), status=202)
def invite_client(request: Request, principal: Principal, client_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.clients import service as clients

    return clients.invite_client(aws.ports(), principal, client_id)
