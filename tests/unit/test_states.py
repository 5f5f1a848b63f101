"""The signing request's state machine: which moves each state allows, and the chain they build."""

from __future__ import annotations

import pytest

from chalicelib.errors import AlreadySigned, NotOpen
from chalicelib.messaging.model import DocumentRef, SigningRequest
from chalicelib.signing.audit import chain_intact
from chalicelib.signing.states import MOVES, OPEN, SigningStatus, advance, first_event

AT = "2026-12-01T10:00:00.000Z"
DOCUMENT = DocumentRef(id="d1", filename="aangifte.pdf", content_type="application/pdf", size=10, sha256="ab" * 32,
                       s3_key="tenants/t1/documents/d1", version_id="v1")


def new_request() -> SigningRequest:
    sent = first_event(AT, "advisor:a1", {"document_sha256": DOCUMENT.sha256})
    return SigningRequest(id="r1", tenant_id="t1", message_id="m1", conversation_id="c1", client_id="k1",
                          advisor_id="a1", status=SigningStatus.SENT, deadline=None, document=DOCUMENT,
                          created_at=AT, audit_seq=sent.seq, audit_head=sent.hash, signer_name="Eva")


def in_status(status: SigningStatus) -> SigningRequest:
    from dataclasses import replace

    return replace(new_request(), status=status)


def test_a_new_request_is_sent_and_open_with_a_one_event_chain():
    request = new_request()
    assert request.status == SigningStatus.SENT and request.is_open
    assert (request.audit_seq, len(request.audit_head)) == (1, 64)


def test_viewing_moves_sent_to_viewed_and_only_from_sent():
    step = advance(new_request(), "viewed", AT, "client:k1")
    assert step.after.status == SigningStatus.VIEWED and step.after.is_open
    with pytest.raises(NotOpen):
        advance(step.after, "viewed", AT, "client:k1")


@pytest.mark.parametrize("event_type", ["code_sent", "code_failed", "code_locked", "code_verified", "reminder",
                                        "overdue"])
@pytest.mark.parametrize("status", sorted(OPEN))
def test_the_ceremony_s_events_keep_an_open_request_where_it_is(event_type, status):
    step = advance(in_status(status), event_type, AT, "client:k1")
    assert step.after.status == status
    assert step.after.audit_seq == step.before.audit_seq + 1


@pytest.mark.parametrize(("event_type", "ends"), [("signed", SigningStatus.SIGNED),
                                                  ("rejected", SigningStatus.REJECTED),
                                                  ("withdrawn", SigningStatus.WITHDRAWN)])
@pytest.mark.parametrize("status", sorted(OPEN))
def test_signing_rejecting_and_withdrawing_close_an_open_request(event_type, ends, status):
    step = advance(in_status(status), event_type, AT, "client:k1")
    assert step.after.status == ends and not step.after.is_open


def test_the_closing_moment_is_kept_on_the_request():
    assert advance(new_request(), "signed", AT, "client:k1").after.signed_at == AT
    assert advance(new_request(), "rejected", AT, "client:k1").after.rejected_at == AT


@pytest.mark.parametrize("event_type", sorted(MOVES))
@pytest.mark.parametrize("status", [SigningStatus.SIGNED, SigningStatus.REJECTED, SigningStatus.WITHDRAWN])
def test_a_closed_request_allows_no_move_at_all(event_type, status):
    expected = AlreadySigned if (status, event_type) == (SigningStatus.SIGNED, "signed") else NotOpen
    with pytest.raises(expected):
        advance(in_status(status), event_type, AT, "client:k1")


def test_a_second_signature_is_already_signed_which_is_also_not_open():
    signed = advance(new_request(), "signed", AT, "client:k1").after
    with pytest.raises(AlreadySigned):
        advance(signed, "signed", AT, "client:k1")
    assert issubclass(AlreadySigned, Exception) and not issubclass(AlreadySigned, NotOpen)


def test_every_step_extends_the_chain_so_that_it_verifies_from_genesis():
    request = new_request()
    events = [first_event(AT, "advisor:a1", {"document_sha256": DOCUMENT.sha256})]
    for event_type in ("viewed", "code_sent", "code_failed", "code_sent", "code_verified", "signed"):
        step = advance(request, event_type, AT, "client:k1")
        events.append(step.event)
        request = step.after
    assert [e.type for e in events] == ["sent", "viewed", "code_sent", "code_failed", "code_sent", "code_verified",
                                        "signed"]
    assert chain_intact(events, request.audit_head, request.audit_seq)


def test_a_step_from_a_stale_copy_forks_the_chain_and_does_not_verify():
    """What the store's condition (the chain head it found) prevents: two steps from one head."""
    request = new_request()
    events = [first_event(AT, "advisor:a1", {"document_sha256": DOCUMENT.sha256})]
    first = advance(request, "code_sent", AT, "client:k1")
    stale = advance(request, "rejected", AT, "client:k1")
    events += [first.event, stale.event]
    assert first.event.seq == stale.event.seq
    assert not chain_intact(events, stale.after.audit_head, 3)


def test_every_audit_event_type_but_the_first_is_a_move():
    from chalicelib.signing.audit import EVENT_TYPES

    assert set(MOVES) == EVENT_TYPES - {"sent"}


# --- a set of signers ---------------------------------------------------------------------------


def a_set(order: str, count: int = 3) -> list[SigningRequest]:
    """The requests of one message with `count` signers, in `order`; only the first one's turn in sequential."""
    from dataclasses import replace

    from chalicelib.messaging.model import Envelope, Signer

    envelope = Envelope("m1", tuple(Signer(f"r{n}", f"k{n}", f"Signer {n}") for n in range(1, count + 1)), order)
    return [replace(new_request(), id=f"r{n}", client_id=f"k{n}", stored_envelope=envelope,
                    turn=order == "parallel" or n == 1) for n in range(1, count + 1)]


def test_before_their_turn_a_signer_gets_no_code_and_cannot_sign_but_may_look_and_reject():
    from chalicelib.errors import NotYourTurn

    waiting = a_set("sequential")[1]
    for move in ("code_sent", "code_verified", "signed"):
        with pytest.raises(NotYourTurn):
            advance(waiting, move, AT, "client:k2")
    assert advance(waiting, "viewed", AT, "client:k2").after.status == SigningStatus.VIEWED
    assert advance(waiting, "rejected", AT, "client:k2").after.status == SigningStatus.REJECTED


def test_in_sequential_order_a_signature_gives_the_next_signer_alone_their_turn():
    from chalicelib.signing.states import settle

    first, second, third = a_set("sequential")
    settled = settle(advance(first, "signed", AT, "client:k1"), (first, second, third), AT, "client:k1")
    assert settled.message_status is None and not settled.completed and settled.turn_to == ("r2",)
    turn = settled.steps[1]
    assert (turn.before.id, turn.event.type, turn.after.turn) == ("r2", "turn", True)
    assert [s.before.id for s in settled.steps] == ["r1", "r2"]  # the third still waits


def test_the_last_signature_of_a_set_signs_the_message_and_completes_it():
    from dataclasses import replace

    from chalicelib.signing.states import settle

    first, second = a_set("parallel", 2)
    signed_first = replace(first, status=SigningStatus.SIGNED)
    settled = settle(advance(second, "signed", AT, "client:k2"), (signed_first, second), AT, "client:k2")
    assert (settled.message_status, settled.completed, len(settled.steps)) == ("signed", True, 1)
    alone = a_set("parallel", 1)[0]
    assert settle(advance(alone, "signed", AT, "client:k1"), (alone,), AT, "client:k1").completed is False


def test_a_rejection_withdraws_every_other_open_request_with_its_reason():
    from dataclasses import replace

    from chalicelib.signing.states import CO_SIGNER_REJECTED, settle

    first, second, third = a_set("parallel")
    signed_first = replace(first, status=SigningStatus.SIGNED)
    settled = settle(advance(second, "rejected", AT, "client:k2"), (signed_first, second, third), AT, "client:k2")
    assert settled.message_status == "rejected"
    withdrawn = settled.steps[1:]
    assert [(s.before.id, s.after.status, s.event.data["reason"]) for s in withdrawn] == [
        ("r3", SigningStatus.WITHDRAWN, CO_SIGNER_REJECTED)]


def test_a_signature_in_a_set_closed_meanwhile_is_refused():
    from dataclasses import replace

    from chalicelib.signing.states import settle

    first, second = a_set("parallel", 2)
    rejected = replace(second, status=SigningStatus.REJECTED)
    with pytest.raises(NotOpen):
        settle(advance(first, "signed", AT, "client:k1"), (first, rejected), AT, "client:k1")
