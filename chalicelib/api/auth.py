"""Logging in and activating a client account."""

from __future__ import annotations

from typing import Any

from chalice.app import Request

from chalicelib.api.routing import Routes, body_of
from chalicelib.auth import service as auth
from chalicelib.clients import service as clients

routes = Routes(__name__)


@routes.route("/auth/login", methods=("POST",))
def login(request: Request, _: None) -> dict[str, Any]:
    return auth.login(body_of(request))


@routes.route("/auth/activate", methods=("POST",))
def activate(request: Request, _: None) -> dict[str, Any]:
    return clients.activate(body_of(request))
