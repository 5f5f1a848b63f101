"""The communication module: messages, signing requests, notifications."""

from __future__ import annotations

from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.api.routing import Routes, body_of, query_param
from chalicelib.auth.principal import Principal

routes = Routes(__name__, role="advisor")


@routes.route("/advisor/messages", methods=("POST",), status=201)
def create_message(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging.sending import send_message

    return send_message(aws.ports(), principal, body_of(request), request.headers.get("idempotency-key"))


@routes.route("/advisor/messages")
def list_messages(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging import service as messages

    return messages.list_messages(aws.ports(), principal, query_param(request, "client_id"),
                                  query_param(request, "status"), query_param(request, "limit"),
                                  query_param(request, "cursor"))


@routes.route("/advisor/messages/{message_id}")
def get_message(request: Request, principal: Principal, message_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging import service as messages

    return messages.advisor_message(aws.ports(), principal, message_id)


@routes.route("/advisor/signing-requests/{request_id}/withdraw", methods=("POST",))
def withdraw(request: Request, principal: Principal, request_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging import service as messages

    return messages.withdraw(aws.ports(), principal, request_id)


@routes.route("/advisor/signing-requests/{request_id}/receipt")
def receipt(request: Request, principal: Principal, request_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.signing.receipts import receipt_view

    return receipt_view(aws.ports(), principal, request_id)


@routes.route("/advisor/signing-requests/{request_id}/evidence")
def evidence(request: Request, principal: Principal, request_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.signing.receipts import evidence_bundle

    return evidence_bundle(aws.ports(), principal, request_id)


@routes.route("/advisor/signing-requests/{request_id}/certificate")
def certificate(request: Request, principal: Principal, request_id: str) -> Response:
    from chalicelib import aws
    from chalicelib.signing.transactiebon import certificate_pdf
    from chalicelib.texts import pick_language

    pdf = certificate_pdf(aws.ports(), principal, request_id, pick_language(request.headers.get("accept-language")))
    return Response(body=pdf, status_code=200, headers={
        "Content-Type": "application/pdf", "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="transactiebon-{request_id}.pdf"'})


@routes.route("/advisor/notifications")
def notifications(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging import service as messages

    return messages.notifications(aws.ports(), principal, query_param(request, "limit"),
                                  query_param(request, "cursor"), query_param(request, "unread"))


@routes.route("/advisor/notifications/read-all", methods=("POST",))
def read_all_notifications(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging import service as messages

    return messages.mark_all_read(aws.ports(), principal)


@routes.route("/advisor/notifications/{notification_id}/read", methods=("POST",))
def read_notification(request: Request, principal: Principal, notification_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.messaging import service as messages

    return messages.mark_notification_read(aws.ports(), principal, notification_id)
