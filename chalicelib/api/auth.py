"""Logging in and out, activating a client account, accepting an invitation of another firm."""

from __future__ import annotations

from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.api.routing import Routes, body_of
from chalicelib.auth.principal import Principal

routes = Routes(__name__)


@routes.route("/auth/login", methods=("POST",))
def login(request: Request, _: None) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.auth import service as auth

    return auth.login(aws.ports(), body_of(request))


@routes.route("/auth/logout", methods=("POST",), status=204, access="person")
def logout(request: Request, principal: Principal) -> Response:
    from chalicelib import aws
    from chalicelib.auth import service as auth

    auth.logout(aws.ports(), principal)
    return Response(body="", status_code=204)


@routes.route("/auth/activate", methods=("POST",))
def activate(request: Request, _: None) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.clients import service as clients

    return clients.activate(aws.ports(), body_of(request))


@routes.route("/auth/accept-invite", methods=("POST",), access="person")
def accept_invite(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.clients import service as clients

    return clients.accept_invite(aws.ports(), principal, body_of(request))
