"""Benchmark: the reminder run costs what is due, not what is stored.

Seeds open approval requests into moto (100 due among 1,000 stored, then 100 due among
50,000 stored), runs the job once for each and prints wall time, DynamoDB read calls and
read units (as DynamoDB bills them: 4 KB units, eventually consistent reads at half), and the
ratio of the two run times. moto's index queries are narrowed to their partition here
(bench/moto_speed.py), as DynamoDB's are, so the ratio measures the job and not moto.

    .venv/bin/python -m bench.reminders            # 1,000 vs 50,000 (about a minute to seed)
    .venv/bin/python -m bench.reminders --quick    # 1,000 vs 5,000, for a smoke run
"""

from __future__ import annotations

import argparse
import json
import math
import time
from datetime import date, datetime, timezone
from typing import Any

from bench import moto_speed
from local.stack import LocalStack
from tests.conftest import free_port

RUN_AT = datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)  # D-3, 10:30 in Amsterdam
DUE_DEADLINE = date(2026, 12, 6)
LATER_DEADLINE = date(2027, 6, 1)


class ReadMeter:
    """Counts DynamoDB read calls and the read units their answers would cost."""

    def __init__(self) -> None:
        self.calls = 0
        self.units = 0.0

    def __call__(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name not in ("GetItem", "Query", "BatchGetItem", "Scan"):
            return
        self.calls += 1
        items = parsed.get("Items") or ([parsed["Item"]] if parsed.get("Item") else [])
        size = sum(len(json.dumps(item)) for item in items)
        consistent = model.name == "GetItem"  # pynamodb's gets here are strongly consistent at most
        self.units += max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


def _meter_every_client(meter: ReadMeter) -> None:
    """Attach the meter to every botocore client made from now on (PynamoDB makes one per model)."""
    import botocore.session

    create = botocore.session.Session.create_client

    def create_metered(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = create(self, *args, **kwargs)
        client.meta.events.register("after-call.dynamodb", meter)
        return client

    botocore.session.Session.create_client = create_metered  # type: ignore[method-assign]


def _item(tenant_id: str, client_id: str, advisor_id: str, n: int, deadline: date) -> dict[str, Any]:
    from chalicelib.ids import new_id
    from chalicelib.reminders.schedule import next_due
    from chalicelib.store.due import index_fields

    message_id = new_id()
    sent = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    due = index_fields(message_id, next_due(deadline, sent, (3, 1), set()))
    values = {
        "pk": f"TENANT#{tenant_id}", "sk": f"MSG#{message_id}", "message_id": message_id,
        "conversation_id": new_id(), "client_id": client_id, "advisor_id": advisor_id,
        "subject": f"Akkoord begroting {n}", "body": "Gaat u akkoord?", "response_type": "approve",
        "status": "sent", "deadline": deadline.isoformat(), "created_at": "2026-12-01T09:00:00.000Z",
        "notice_status": "sent", "gsi1pk": f"TENANT#{tenant_id}#CLIENT#{client_id}", "gsi1sk": f"MSG#{message_id}",
        **due,
    }
    return {"PutRequest": {"Item": {k: {"S": str(v)} for k, v in values.items()}}}


def seed(dynamodb: Any, table: str, context: dict[str, str], due: int, later: int) -> None:
    items = [_item(**context, n=n, deadline=DUE_DEADLINE) for n in range(due)]
    items += [_item(**context, n=n, deadline=LATER_DEADLINE) for n in range(later)]
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(RequestItems={table: items[start:start + 25]})


def measure(meter: ReadMeter) -> tuple[float, int, float, int]:
    from chalicelib import aws
    from chalicelib.reminders.job import run

    meter.calls, meter.units = 0, 0.0
    started = time.perf_counter()
    result = run(aws.ports(), RUN_AT)
    return time.perf_counter() - started, meter.calls, meter.units, result.reminders_sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    small, large = 1_000, 5_000 if args.quick else 50_000

    meter = ReadMeter()
    _meter_every_client(meter)
    moto_speed.speed_up()
    stack = LocalStack(host="127.0.0.1", moto_port=free_port(), port=free_port())
    stack.start_backend(stage="test", seed=False)
    try:
        from chalicelib import aws
        from chalicelib.auth.principal import Principal
        from chalicelib.clients.service import create_client
        from chalicelib.tenants import service as tenants

        tenant = tenants.create_tenant(aws.ports(), "Bench Kantoor")
        advisor = tenants.add_advisor(aws.ports(), tenant.id, "Bench", "bench@bench.example", "Bench-advisor-2026!")
        client = create_client(aws.ports(), Principal("bench", tenant.id, "advisor", advisor.id),
                               {"name": "Bench Klant", "email": "klant@bench.example"})
        context = {"tenant_id": tenant.id, "client_id": client["id"], "advisor_id": advisor.id}
        dynamodb = aws.client("dynamodb")
        assert stack.resources is not None
        table = stack.resources.table_name

        rows = []
        seed(dynamodb, table, context, due=100, later=small - 100)
        rows.append((small, *measure(meter)))
        seed(dynamodb, table, context, due=100, later=large - small - 100)
        rows.append((large, *measure(meter)))
    finally:
        stack.stop()

    print(f"{'stored':>8} {'due':>5} {'sent':>5} {'wall s':>8} {'read calls':>10} {'read units':>10}")
    for stored, seconds, calls, units, sent in rows:
        print(f"{stored:>8} {100:>5} {sent:>5} {seconds:>8.2f} {calls:>10} {units:>10.1f}")
    ratio = rows[1][1] / rows[0][1]
    print(f"run-time ratio {large:,} vs {small:,} stored: {ratio:.2f} (goal <= 1.3)")
    print(f"read-unit difference: {rows[1][3] - rows[0][3]:+.1f}")


if __name__ == "__main__":
    main()
