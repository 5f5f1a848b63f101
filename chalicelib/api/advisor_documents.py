"""Documents: a presigned upload, then the server's own check of what arrived."""

from __future__ import annotations

from typing import Any

from chalice.app import Request

from chalicelib.api.routing import Routes, body_of
from chalicelib.auth.principal import Principal

routes = Routes(__name__, role="advisor")


@routes.route("/advisor/documents", methods=("POST",), status=201)
def create_document(request: Request, principal: Principal) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.documents import service as documents

    return documents.create_upload(aws.ports(), principal, body_of(request))


@routes.route("/advisor/documents/{document_id}/download")
def download_document(request: Request, principal: Principal, document_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.documents import service as documents

    return documents.download(aws.ports(), principal, document_id)


@routes.route("/advisor/documents/{document_id}/complete", methods=("POST",))
def complete_document(request: Request, principal: Principal, document_id: str) -> dict[str, Any]:
    from chalicelib import aws
    from chalicelib.documents import service as documents

    return documents.complete_upload(aws.ports(), principal, document_id)
