"""local/moto_fixes.py and bench/moto_speed.py: the installed moto still needs each patch, the
patches keep moto's answers, and they are thread-safe.

moto is driven as the local stack drives it, through boto3 over HTTP, on a moto server of this
module's own (its tables have names no other test uses). "moto as it is" is the same server with
every patch's original put back for the length of a test. A race is made certain instead of
likely: a hook inside moto holds the first request at the interesting moment until the second
has got as far as it can (or HOLD has passed). With the request lock, the second waits outside
until the first is done; without it, both are inside moto at once.
"""

from __future__ import annotations

import logging
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.server import ThreadedMotoServer

from bench import moto_speed
from local import moto_fixes
from local.launch import free_port

HOLD = 0.5  # seconds a hooked request waits for the other one
REGION = "eu-west-1"
Client = Callable[[], Any]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A new DynamoDB client of the module's own moto server on each call (one per thread)."""
    moto_fixes.apply()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server._port}"
    yield lambda: boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing",
                               aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))
    server.stop()


@pytest.fixture
def table(client: Client) -> Iterator[str]:
    """A table like the app's: pk/sk, a sparse index with a string sort key, one with a number, one hash-only."""
    name = f"moto-fixes-{uuid.uuid4().hex[:12]}"
    attributes = {"pk": "S", "sk": "S", "g1pk": "S", "g1sk": "S", "g2pk": "S", "g2n": "N"}
    client().create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[_index("gsi1", "g1pk", "g1sk", "ALL"), _index("gsi2", "g2pk", "g2n", "KEYS_ONLY"),
                                _index("gsi3", "g2pk", None, "ALL")],
    )
    yield name
    client().delete_table(TableName=name)


def _index(name: str, hash_key: str, range_key: str | None, projection: str) -> dict[str, Any]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return {"IndexName": name, "KeySchema": schema, "Projection": {"ProjectionType": projection}}


@pytest.fixture
def moto_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every patch of `apply()` taken out for the length of the test."""
    for (owner, name), original in moto_fixes.originals().items():
        monkeypatch.setattr(owner, name, original)


def backend_table(name: str) -> Any:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[name]


def hold_writes(monkeypatch: pytest.MonkeyPatch, table: str, hook: Callable[[dict[str, Any]], None],
                after: bool = False) -> None:
    """Call hook(item) inside moto on each item write to `table`, before it is written (or after)."""
    original = DynamoDBBackend.put_item

    def put_item(self: Any, table_name: str, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if table_name == table and not after:
            hook(item_attrs)
        result = original(self, table_name, item_attrs, *args, **kwargs)
        if table_name == table and after:
            hook(item_attrs)
        return result

    monkeypatch.setattr(DynamoDBBackend, "put_item", put_item)


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except ClientError as error:
            outcome["result"] = error.response["Error"]["Code"]

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


# --- 1. Atomic transactions: each DynamoDB request runs alone -----------------------------------


def race_two_transactions_that_exclude_each_other(client: Client, table: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """T1 checks that A does not exist and puts B; T2 checks that B does not exist and puts A. Run
    one after the other, the second is cancelled. T1, past its check, holds its write of B until
    T2 has written A."""
    t2_wrote = threading.Event()
    t1_inside = threading.Event()

    def hook(item: dict[str, Any]) -> None:
        if item["sk"]["S"] == "B":
            t1_inside.set()
            t2_wrote.wait(HOLD)
        else:
            t2_wrote.set()

    hold_writes(monkeypatch, table, hook)

    def transaction(check: str, put: str) -> Callable[[], str]:
        return lambda: client().transact_write_items(TransactItems=[
            {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "X"}, "sk": {"S": check}},
                                "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": "X"}, "sk": {"S": put}}}},
        ]) and "committed"

    t1, t1_outcome = in_thread(transaction(check="A", put="B"))
    assert t1_inside.wait(5)
    t2, t2_outcome = in_thread(transaction(check="B", put="A"))
    t1.join()
    t2.join()
    return [t1_outcome["result"], t2_outcome["result"]]


def test_two_transactions_that_exclude_each_other_never_both_commit(client, table, monkeypatch):
    assert race_two_transactions_that_exclude_each_other(client, table, monkeypatch) == [
        "committed", "TransactionCanceledException"]


def test_moto_as_it_is_still_commits_both(client, table, moto_as_it_is, monkeypatch):
    """Needed: moto checks T1's condition, then lets T2 in before T1 writes."""
    assert race_two_transactions_that_exclude_each_other(client, table, monkeypatch) == ["committed", "committed"]


def meanwhile_a_transaction_that_will_fail(client: Client, table: str, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, bool]:
    """A transaction puts a draft, then fails its condition check. Once the draft is in moto's
    table, another request reads the draft and a third puts an item of its own, while the
    transaction holds on until they are answered. Did the read see the draft, and is the other
    item still there at the end?"""
    written, answered = threading.Event(), threading.Event()

    def hook(item: dict[str, Any]) -> None:
        if item["sk"]["S"] == "DRAFT" and not written.is_set():
            written.set()
            answered.wait(HOLD)

    hold_writes(monkeypatch, table, hook, after=True)
    transaction, _ = in_thread(lambda: client().transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": "Y"}, "sk": {"S": "DRAFT"}}}},
        {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "Y"}, "sk": {"S": "OPEN"}},
                            "ConditionExpression": "attribute_exists(pk)"}},
    ]))
    assert written.wait(5)
    saw_draft = "Item" in client().get_item(TableName=table, Key={"pk": {"S": "Y"}, "sk": {"S": "DRAFT"}})
    client().put_item(TableName=table, Item={"pk": {"S": "Y"}, "sk": {"S": "OTHER"}})
    answered.set()
    transaction.join()
    assert "Item" not in client().get_item(TableName=table, Key={"pk": {"S": "Y"}, "sk": {"S": "DRAFT"}})
    return saw_draft, "Item" in client().get_item(TableName=table, Key={"pk": {"S": "Y"}, "sk": {"S": "OTHER"}})


def test_a_cancelled_transaction_shows_no_reader_its_writes_and_undoes_no_other_write(client, table, monkeypatch):
    saw_draft, other_kept = meanwhile_a_transaction_that_will_fail(client, table, monkeypatch)
    assert not saw_draft and other_kept


def test_moto_as_it_is_still_shows_uncommitted_writes_and_loses_others_in_its_rollback(client, table, moto_as_it_is,
                                                                                        monkeypatch):
    """Needed: moto writes a transaction's items one by one, and rolls back by putting back a copy
    of the whole table, taken before the other request's write."""
    saw_draft, other_kept = meanwhile_a_transaction_that_will_fail(client, table, monkeypatch)
    assert saw_draft and not other_kept


# --- 2. Item-scoped rollback ---------------------------------------------------------------------


def put_three_items(client: Client, table: str) -> list[str]:
    put = client().put_item
    put(TableName=table, Item={"pk": {"S": "T"}, "sk": {"S": "UPDATED"}, "n": {"N": "1"}, "g2pk": {"S": "P"}, "g2n": {"N": "1"}})
    put(TableName=table, Item={"pk": {"S": "T"}, "sk": {"S": "DELETED"}, "v": {"S": "kept"}})
    put(TableName=table, Item={"pk": {"S": "T"}, "sk": {"S": "REPLACED"}, "v": {"S": "old"}})
    return everything(client, table)


def everything(client: Client, table: str) -> list[str]:
    return sorted(map(str, client().scan(TableName=table)["Items"]))


def cancel_a_transaction_that_changes_every_item(client: Client, table: str) -> None:
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client().transact_write_items(TransactItems=[
            {"Update": {"TableName": table, "Key": {"pk": {"S": "T"}, "sk": {"S": "UPDATED"}},
                        "UpdateExpression": "SET n = :two, g2pk = :q REMOVE g2n", "ExpressionAttributeValues": {
                            ":two": {"N": "2"}, ":q": {"S": "Q"}}}},
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "T"}, "sk": {"S": "DELETED"}}}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": "T"}, "sk": {"S": "REPLACED"}, "v": {"S": "new"}}}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": "T"}, "sk": {"S": "CREATED"}}}},
            {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "T"}, "sk": {"S": "MISSING"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])


def test_a_cancelled_transaction_leaves_every_item_as_it_was(client, table):
    before = put_three_items(client, table)
    cancel_a_transaction_that_changes_every_item(client, table)
    assert everything(client, table) == before


def test_the_rollback_copies_only_the_items_a_transaction_writes(client, table):
    put_three_items(client, table)
    kept = backend_table(table)
    cancel_a_transaction_that_changes_every_item(client, table)
    assert backend_table(table) is kept


def test_moto_as_it_is_still_copies_the_whole_table_for_each_transaction(client, table, moto_as_it_is):
    """A deep copy of the table, put in its place on failure: the cost grows with the table
    (tests/api takes 5.5 minutes with it instead of 1.2, docs/performance.md)."""
    before = put_three_items(client, table)
    kept = backend_table(table)
    cancel_a_transaction_that_changes_every_item(client, table)
    assert backend_table(table) is not kept
    assert everything(client, table) == before


# --- 3. Index queries narrowed to their partition (bench/moto_speed.py, benchmarks only) --------


@contextmanager
def narrowed_index_queries() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for owner, name, replacement in moto_speed.index_query_patches():
            patch.setattr(owner, name, replacement)
        yield


def fill(client: Client, table: str, count: int = 160) -> None:
    """Items over several partitions of each index: some without gsi1's sort key, some in no index."""
    with boto3.resource("dynamodb", endpoint_url=client().meta.endpoint_url, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing").Table(table).batch_writer() as batch:
        for n in range(count):
            item: dict[str, Any] = {"pk": f"P{n % 7}", "sk": f"S{n:04d}", "v": n}
            if n % 5:
                item.update(g1pk=f"G{n % 3}", **({"g1sk": f"{'ab'[n % 2]}{n:04d}"} if n % 4 else {}))
            if n % 2:
                item.update(g2pk=f"H{n % 2}{n % 3}", g2n=n % 40)
            batch.put_item(Item=item)


QUERIES: list[dict[str, Any]] = [
    {"IndexName": "gsi1", "KeyConditionExpression": "g1pk = :h", "ExpressionAttributeValues": {":h": {"S": "G1"}}},
    *({"IndexName": "gsi1", "KeyConditionExpression": f"g1pk = :h AND g1sk {op} :s",
       "ExpressionAttributeValues": {":h": {"S": "G2"}, ":s": {"S": "a0100"}}} for op in ("=", "<", "<=", ">", ">=")),
    {"IndexName": "gsi1", "KeyConditionExpression": "g1pk = :h AND g1sk BETWEEN :a AND :b",
     "ExpressionAttributeValues": {":h": {"S": "G0"}, ":a": {"S": "a0050"}, ":b": {"S": "b0150"}}},
    {"IndexName": "gsi1", "KeyConditionExpression": "g1pk = :h AND begins_with(g1sk, :p)",
     "ExpressionAttributeValues": {":h": {"S": "G1"}, ":p": {"S": "b01"}}},
    {"IndexName": "gsi1", "KeyConditionExpression": "g1pk = :h AND g1sk <= :s", "ScanIndexForward": False,
     "ExpressionAttributeValues": {":h": {"S": "G1"}, ":s": {"S": "b0200"}}},
    {"IndexName": "gsi1", "KeyConditionExpression": "g1pk = :h", "FilterExpression": "v > :v",
     "ExpressionAttributeValues": {":h": {"S": "G2"}, ":v": {"N": "120"}}},
    {"IndexName": "gsi1", "KeyConditionExpression": "g1pk = :h", "Select": "COUNT",
     "ExpressionAttributeValues": {":h": {"S": "G0"}}},
    {"IndexName": "gsi1", "KeyConditionExpression": "g1pk = :h", "ProjectionExpression": "sk, v",
     "ExpressionAttributeValues": {":h": {"S": "G0"}}},
    {"IndexName": "gsi1", "KeyConditionExpression": "g1pk = :h", "ExpressionAttributeValues": {":h": {"S": "none"}}},
    {"IndexName": "gsi2", "KeyConditionExpression": "g2pk = :h AND g2n > :n",
     "ExpressionAttributeValues": {":h": {"S": "H11"}, ":n": {"N": "10"}}},
    {"IndexName": "gsi2", "KeyConditionExpression": "g2pk = :h AND g2n BETWEEN :a AND :b",
     "ExpressionAttributeValues": {":h": {"S": "H10"}, ":a": {"N": "5.0"}, ":b": {"N": "25"}}},
    {"IndexName": "gsi2", "KeyConditionExpression": "g2pk = :h AND g2n = :n",
     "ExpressionAttributeValues": {":h": {"S": "H12"}, ":n": {"N": "5.00"}}},
    {"IndexName": "gsi3", "KeyConditionExpression": "g2pk = :h", "ExpressionAttributeValues": {":h": {"S": "H10"}}},
    {"KeyConditionExpression": "pk = :h AND sk > :s", "ExpressionAttributeValues": {":h": {"S": "P3"}, ":s": {"S": "S0100"}}},
]


def answers(client: Client, table: str, limit: int | None = None) -> list[Any]:
    """Every page of every query of QUERIES (pages of `limit` items), without the response metadata."""
    pages = []
    for query in QUERIES:
        start: dict[str, Any] = {}
        while True:
            page = client().query(TableName=table, **query, **({"Limit": limit} if limit else {}), **start)
            page.pop("ResponseMetadata")
            pages.append(page)
            if "LastEvaluatedKey" not in page:
                break
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    return pages


def change_some_index_keys(client: Client, table: str) -> None:
    """Items move between partitions, leave and join indexes, by each kind of write."""
    client().update_item(TableName=table, Key={"pk": {"S": "P1"}, "sk": {"S": "S0001"}},
                         UpdateExpression="SET g1pk = :h, g1sk = :s",
                         ExpressionAttributeValues={":h": {"S": "G2"}, ":s": {"S": "a0001"}})
    client().update_item(TableName=table, Key={"pk": {"S": "P2"}, "sk": {"S": "S0002"}}, UpdateExpression="REMOVE g1pk")
    client().delete_item(TableName=table, Key={"pk": {"S": "P3"}, "sk": {"S": "S0003"}})
    client().put_item(TableName=table, Item={"pk": {"S": "P0"}, "sk": {"S": "NEW"}, "g1pk": {"S": "G1"}, "g1sk": {"S": "b0000"},
                                             "g2pk": {"S": "H11"}, "g2n": {"N": "11"}, "v": {"N": "1"}})
    client().transact_write_items(TransactItems=[{"Update": {
        "TableName": table, "Key": {"pk": {"S": "P4"}, "sk": {"S": "S0004"}}, "UpdateExpression": "SET g2pk = :h, g2n = :n",
        "ExpressionAttributeValues": {":h": {"S": "H10"}, ":n": {"N": "6"}}}}])


def test_narrowed_index_queries_answer_exactly_as_moto_does_before_and_after_writes(client, table):
    fill(client, table)
    expected = answers(client, table), answers(client, table, limit=11)
    assert sum(page["Count"] for page in expected[0]) > 150
    with narrowed_index_queries():
        assert (answers(client, table), answers(client, table, limit=11)) == expected
        change_some_index_keys(client, table)
        after = answers(client, table), answers(client, table, limit=11)
    assert after == (answers(client, table), answers(client, table, limit=11))
    assert after != expected


def test_a_page_that_ends_on_its_limit_before_the_partition_ends_is_paged_as_moto_pages_it(client, table):
    fill(client, table)
    query: dict[str, Any] = {"TableName": table, "IndexName": "gsi1", "KeyConditionExpression": "g1pk = :h AND g1sk < :s",
                             "ExpressionAttributeValues": {":h": {"S": "G1"}, ":s": {"S": "b"}}}
    query["Limit"] = client().query(**query)["Count"]  # every 'a…' item; the 'b…' items follow in the partition
    expected = {k: v for k, v in client().query(**query).items() if k != "ResponseMetadata"}
    assert "LastEvaluatedKey" in expected
    with narrowed_index_queries():
        assert {k: v for k, v in client().query(**query).items() if k != "ResponseMetadata"} == expected


def test_moto_as_it_is_still_tests_every_item_of_the_table_and_sorts_the_whole_partition(client, table, monkeypatch):
    """The speed patch is still needed: for a query that matches one item, moto reads all 160 and
    sorts the whole index partition."""
    fill(client, table)
    tested: list[int] = []
    sorted_: list[int] = []
    all_items, sorted_items = Table.all_items, Table.sorted_items

    def counted_all_items(self: Any) -> Any:
        tested.append(len(all_items(self)))
        return all_items(self)

    def counted_sorted_items(self: Any, hash_attrs: Any, range_attrs: Any, items: list[Any]) -> Any:
        sorted_.append(len(items))
        return sorted_items(self, hash_attrs, range_attrs, items)

    monkeypatch.setattr(Table, "all_items", counted_all_items)
    monkeypatch.setattr(Table, "sorted_items", counted_sorted_items)

    def query_one() -> None:
        found = client().query(TableName=table, IndexName="gsi1", KeyConditionExpression="g1pk = :h AND g1sk = :s",
                               ExpressionAttributeValues={":h": {"S": "G1"}, ":s": {"S": "b0001"}})
        assert found["Count"] == 1

    query_one()
    assert tested == [160] and sorted_[0] > 20
    tested.clear()
    sorted_.clear()
    with narrowed_index_queries():
        query_one()
    assert tested == [] and sorted_ == [1]


def test_a_scan_or_query_in_the_middle_of_a_narrowed_index_query_sees_the_whole_table(client, table, monkeypatch):
    """The narrowing changes nothing shared. The request lock is taken out, so the patch must be
    safe on its own: a Scan and a base-table Query run from other threads while a narrowed index
    query is inside moto, with its partition in hand."""
    fill(client, table)
    scan = lambda: client().scan(TableName=table)["Count"]  # noqa: E731
    base = lambda: client().query(TableName=table, KeyConditionExpression="pk = :h",  # noqa: E731
                                  ExpressionAttributeValues={":h": {"S": "P3"}})["Count"]
    index = lambda: client().query(TableName=table, IndexName="gsi1", KeyConditionExpression="g1pk = :h",  # noqa: E731
                                   ExpressionAttributeValues={":h": {"S": "G1"}})["Count"]
    expected = {"scan": scan(), "base": base(), "index": index()}
    monkeypatch.setattr(moto_fixes, "_requests", nullcontext())
    seen: dict[str, int] = {}
    sorted_items = Table.sorted_items

    def meanwhile(self: Any, *args: Any) -> Any:  # moto sorts an index query's candidates: the query is under way
        if not seen:
            for kind, ask in (("scan", scan), ("base", base)):
                thread, outcome = in_thread(ask)
                thread.join()
                seen[kind] = outcome["result"]
        return sorted_items(self, *args)

    monkeypatch.setattr(Table, "sorted_items", meanwhile)
    with narrowed_index_queries():
        seen["index"] = index()
    assert seen == expected


# --- the version check ---------------------------------------------------------------------------


def test_on_another_moto_the_local_stack_refuses_to_start_and_patches_nothing(monkeypatch):
    monkeypatch.setattr(moto_fixes, "installed_moto", lambda: "5.9.0")
    monkeypatch.setattr(moto_fixes, "_applied", set())
    handler = DynamoHandler.call_action
    with pytest.raises(moto_fixes.MotoVersionError, match=r"checked against moto 5\.2\.5, but moto 5\.9\.0"):
        moto_fixes.apply()
    assert DynamoHandler.call_action is handler


def test_on_another_moto_a_benchmark_runs_without_the_speed_patch_and_says_so(monkeypatch):
    monkeypatch.setattr(moto_fixes, "installed_moto", lambda: "5.9.0")
    monkeypatch.setattr(moto_speed, "_applied", False)
    query = Table.query
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        moto_speed.speed_up()
    assert Table.query is query
    assert any("speed patch is skipped" in str(w.message) for w in caught)


def test_the_tests_run_on_moto_without_the_speed_patch():
    assert "speed" not in moto_fixes._applied
    assert (Table, "query") not in moto_fixes.originals()
