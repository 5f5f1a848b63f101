"""The client portal: the overview, messages, and the signing ceremony."""

from __future__ import annotations

from typing import Any

from chalice.app import Request

from chalicelib.api.routing import Routes, body_of, query_param
from chalicelib.auth.principal import Principal

routes = Routes(__name__, role="client")


@routes.route("/portal/messages")
def list_messages(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging import service as messages

    return messages.portal_messages(aws.ports(), principal, query_param(request, "limit"),
                                    query_param(request, "cursor"))


@routes.route("/portal/messages/{message_id}")
def get_message(request: Request, principal: Principal, message_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging import service as messages

    return messages.open_message(aws.ports(), principal, message_id)


@routes.route("/portal/messages/{message_id}/reply", methods=("POST",), status=201)
def reply(request: Request, principal: Principal, message_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging import service as messages

    return messages.reply(aws.ports(), principal, message_id, body_of(request))


@routes.route("/portal/messages/{message_id}/approve", methods=("POST",))
def approve(request: Request, principal: Principal, message_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging import service as messages

    return messages.answer_approval(aws.ports(), principal, message_id, True, body_of(request))


@routes.route("/portal/messages/{message_id}/reject", methods=("POST",))
def reject(request: Request, principal: Principal, message_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging import service as messages

    return messages.answer_approval(aws.ports(), principal, message_id, False, body_of(request))


@routes.route("/portal/signing-requests/{request_id}/reject", methods=("POST",))
def reject_signing(request: Request, principal: Principal, request_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging import service as messages

    return messages.reject_signing(aws.ports(), principal, request_id, body_of(request))


@routes.route("/portal/signing-requests/{request_id}")
def signing_request(request: Request, principal: Principal, request_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.signing.ceremony import signing_request_view

    return signing_request_view(aws.ports(), principal, request_id)


@routes.route("/portal/signing-requests/{request_id}/otp", methods=("POST",), status=202)
def request_code(request: Request, principal: Principal, request_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.signing.ceremony import request_code

    return request_code(aws.ports(), principal, request_id)


@routes.route("/portal/signing-requests/{request_id}/otp/verify", methods=("POST",))
def verify_code(request: Request, principal: Principal, request_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.signing.ceremony import verify_code

    return verify_code(aws.ports(), principal, request_id, body_of(request))


@routes.route("/portal/signing-requests/{request_id}/sign", methods=("POST",))
def sign(request: Request, principal: Principal, request_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.signing.sign import sign

    identity = (request.context or {}).get("identity") or {}
    return sign(aws.ports(), principal, request_id, body_of(request), identity.get("sourceIp"),
                request.headers.get("user-agent"), request.headers.get("idempotency-key"))
