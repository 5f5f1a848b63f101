"""Local stage only: the outbox, the reminder and webhook triggers and the seal key rotation. On deployed stages
they answer 404."""

from __future__ import annotations

from typing import Any

from chalice.app import Request

from chalicelib.api.routing import Routes, body_of
from chalicelib.config import get_settings
from chalicelib.errors import NotFound

routes = Routes(__name__)


def _local_only() -> None:
    # The routes exist in every build (route tables are fixed at import, before settings are
    # read) but do nothing outside the local stage: exactly the 404 of a missing route.
    if not get_settings().is_local:
        raise NotFound()


@routes.route("/dev/outbox")
def outbox(request: Request, _: None) -> dict[str, Any]:
    _local_only()
    from chalicelib.notify.outbox import read_outbox

    return read_outbox()


@routes.route("/dev/reminders/run", methods=("POST",))
def run_reminders(request: Request, _: None) -> dict[str, Any]:
    _local_only()
    from chalicelib import aws
    from chalicelib.reminders.job import run_from_request

    return run_from_request(aws.ports(), body_of(request))


@routes.route("/dev/webhooks/run", methods=("POST",))
def run_webhooks(request: Request, _: None) -> dict[str, Any]:
    """Every webhook delivery due by `at` (default now) made at once."""
    _local_only()
    from chalicelib import aws
    from chalicelib.webhooks.delivery import run_from_request

    return run_from_request(aws.ports(), body_of(request))


@routes.route("/dev/keys/seal/rotate", methods=("POST",))
def rotate_seal_key(request: Request, _: None) -> dict[str, Any]:
    """What the operator's `python -m local.cli rotate-seal-key` does on a deployed stage."""
    _local_only()
    from chalicelib import aws
    from chalicelib.signing import seal_keys

    return seal_keys.rotate_seal_key(aws.ports())
