"""One round trip for a step's items (chalicelib/store/reads.py), against DynamoDB's answers as botocore stubs them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from botocore.stub import Stubber

from chalicelib.errors import DependencyFailed
from chalicelib.store import reads
from chalicelib.store.models import ClientItem, OtpItem

TABLE = "table"


@pytest.fixture
def stubbed(monkeypatch) -> Any:
    import boto3

    client = boto3.client("dynamodb", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(reads.Item.Meta, "table_name", TABLE)
    connection = SimpleNamespace(client=client)
    monkeypatch.setattr(reads, "shared_connection", lambda: connection)
    monkeypatch.setattr(reads.time, "sleep", lambda seconds: None)
    with Stubber(client) as stubber:
        yield stubber


def _key(sk: str) -> dict[str, Any]:
    return {"pk": {"S": "TENANT#t1"}, "sk": {"S": sk}}


CLIENT = {**_key("CLIENT#k1"), "client_id": {"S": "k1"}, "name": {"S": "Eva"}, "email": {"S": "eva@example.com"},
          "language": {"S": "nl"}, "portal_access": {"S": "active"}, "created_at": {"S": "2026-12-01T10:00:00.000Z"}}
CODE = {**_key("OTP#r1"), "attempts": {"N": "2"}, "version": {"N": "3"}}
WANTED = {"client": (ClientItem, "TENANT#t1", "CLIENT#k1"), "code": (OtpItem, "TENANT#t1", "OTP#r1")}


def test_the_items_come_in_one_consistent_batch_and_unprocessed_keys_are_asked_again(stubbed):
    first = {"RequestItems": {TABLE: {"Keys": [_key("CLIENT#k1"), _key("OTP#r1")], "ConsistentRead": True}}}
    stubbed.add_response("batch_get_item", {"Responses": {TABLE: [CLIENT]},
                                            "UnprocessedKeys": {TABLE: {"Keys": [_key("OTP#r1")],
                                                                        "ConsistentRead": True}}}, first)
    again = {"RequestItems": {TABLE: {"Keys": [_key("OTP#r1")], "ConsistentRead": True}}}
    stubbed.add_response("batch_get_item", {"Responses": {TABLE: [CODE]}}, again)
    found = reads.read_together(WANTED)
    client, code = found.get("client", ClientItem), found.get("code", OtpItem)
    assert client is not None and client.name == "Eva"
    assert code is not None and int(code.attempts) == 2
    stubbed.assert_no_pending_responses()


def test_a_missing_item_is_absent_and_a_wrong_model_finds_nothing(stubbed):
    stubbed.add_response("batch_get_item", {"Responses": {TABLE: [CLIENT]}})
    found = reads.read_together(WANTED)
    assert found.get("code", OtpItem) is None and found.get("client", OtpItem) is None


def test_keys_left_unprocessed_every_time_are_a_dependency_failure(stubbed):
    left = {"UnprocessedKeys": {TABLE: {"Keys": [_key("OTP#r1")], "ConsistentRead": True}}}
    for _ in range(reads.ATTEMPTS):
        stubbed.add_response("batch_get_item", {"Responses": {TABLE: []}, **left})
    with pytest.raises(DependencyFailed):
        reads.read_together(WANTED)


def test_a_refused_read_is_a_dependency_failure(stubbed):
    stubbed.add_client_error("batch_get_item", "ProvisionedThroughputExceededException")
    with pytest.raises(DependencyFailed):
        reads.read_together(WANTED)
