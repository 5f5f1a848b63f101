"""Uploaded documents, per firm."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.documents.model import Document
from chalicelib.errors import Conflict, DependencyFailed, NotFound
from chalicelib.store import keys
from chalicelib.store.models import DocumentItem
from chalicelib.store.transaction import condition_failed


def to_document(tenant_id: str, item: DocumentItem) -> Document:
    return Document(
        id=item.document_id, tenant_id=tenant_id, filename=item.filename, content_type=item.content_type,
        declared_size=int(item.declared_size), status=item.status, s3_key=item.s3_key, sha256=item.sha256,
        size=int(item.size) if item.size is not None else None, version_id=item.version_id,
    )


def _refused_or_failed(exc: PutError | UpdateError) -> Exception:
    """A failed condition is a Conflict; throttling, a 5xx or a timeout is a dependency failure."""
    if condition_failed(exc):
        return Conflict()
    return DependencyFailed()


class DocumentRepository:
    """`documents.ports.Documents` on the table."""

    def add(self, document: Document, created_by: str, created_at: str) -> None:
        try:
            DocumentItem(
                keys.tenant(document.tenant_id), keys.document(document.id), document_id=document.id,
                filename=document.filename, content_type=document.content_type,
                declared_size=document.declared_size, status=document.status, s3_key=document.s3_key,
                created_by=created_by, created_at=created_at,
            ).save(condition=DocumentItem.pk.does_not_exist())
        except PutError as exc:
            raise _refused_or_failed(exc) from exc

    def get(self, tenant_id: str, document_id: str) -> Document:
        try:
            return to_document(tenant_id, DocumentItem.get(keys.tenant(tenant_id), keys.document(document_id)))
        except DoesNotExist as exc:
            raise NotFound() from exc

    def mark_ready(self, tenant_id: str, document_id: str, sha256: str, size: int, version_id: str | None) -> Document:
        """pending → ready, once; the fingerprint and S3 version are fixed from then on.

        The condition is the rule: only a pending document becomes ready (Conflict otherwise,
        NotFound for one that does not exist).
        """
        item = DocumentItem(keys.tenant(tenant_id), keys.document(document_id))
        actions: list[Action] = [DocumentItem.status.set("ready"), DocumentItem.sha256.set(sha256), DocumentItem.size.set(size)]
        if version_id:
            actions.append(DocumentItem.version_id.set(version_id))
        try:
            item.update(actions=actions, condition=DocumentItem.status == "pending")
        except UpdateError as exc:
            refusal = _refused_or_failed(exc)
            if isinstance(refusal, Conflict):
                self.get(tenant_id, document_id)  # NotFound when there is none
            raise refusal from exc
        return self.get(tenant_id, document_id)
