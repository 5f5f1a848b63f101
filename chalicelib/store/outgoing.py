"""What a send acts on, read in one round trip: the client's card, the firm, the advisor, the documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chalicelib.errors import NotFound
from chalicelib.idempotency import IdempotencyKey
from chalicelib.messaging.ports import Outgoing
from chalicelib.store import idempotency as records
from chalicelib.store import keys
from chalicelib.store.clients import to_client
from chalicelib.store.documents import to_document
from chalicelib.store.models import AdvisorItem, ClientItem, DocumentItem, TenantItem
from chalicelib.store.reads import Wanted, read_together
from chalicelib.store.tenants import to_advisor, to_tenant


def read_outgoing(tenant_id: str, client_id: str, advisor_id: str, document_ids: Sequence[str], now: datetime,
                  key: IdempotencyKey | None = None, co_signer_ids: Sequence[str] = ()) -> Outgoing:
    """The card, the firm, the advisor (None without a card of theirs), the documents and co-signers found,
    and the key's earlier answer, in one BatchGetItem; NotFound for an unknown client."""
    pk = keys.tenant(tenant_id)
    wanted: dict[str, Wanted] = {
        "client": (ClientItem, pk, keys.client(client_id)), "firm": (TenantItem, pk, keys.TENANT_PROFILE),
        "advisor": (AdvisorItem, pk, keys.advisor(advisor_id)),
        **{f"document:{d}": (DocumentItem, pk, keys.document(d)) for d in document_ids},
        **{f"co_signer:{c}": (ClientItem, pk, keys.client(c)) for c in co_signer_ids},
    }
    if key is not None:
        wanted[records.PART] = records.wanted(key)
    found = read_together(wanted)
    client, firm, advisor = (found.get("client", ClientItem), found.get("firm", TenantItem),
                             found.get("advisor", AdvisorItem))
    if client is None or firm is None:
        raise NotFound()
    documents = {d: to_document(tenant_id, item) for d in document_ids
                 if (item := found.get(f"document:{d}", DocumentItem)) is not None}
    co_signers = {c: to_client(tenant_id, card) for c in co_signer_ids
                  if (card := found.get(f"co_signer:{c}", ClientItem)) is not None}
    return Outgoing(client=to_client(tenant_id, client), firm=to_tenant(tenant_id, firm),
                    advisor=to_advisor(tenant_id, advisor) if advisor is not None else None, documents=documents,
                    earlier=records.answer_in(found, now), co_signers=co_signers)
