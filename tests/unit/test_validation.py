"""The text rules of the contract on plain values: nesting, surrogates, NFC, control and invisible characters."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from chalicelib.errors import ValidationFailed
from chalicelib.store.pages import decode_cursor, encode_cursor
from chalicelib.validation import Fields, fields_with_lone_surrogates, nesting_depth, parse_json_object, parse_limit, query_value


def _errors(call: Any, *args: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as refused:
        call(*args)
    return [(e.field, e.message) for e in refused.value.errors]


def _read(body: dict[str, Any], name: str, **options: Any) -> tuple[str | None, list[tuple[str, str]]]:
    fields = Fields(body)
    value = fields.password(name) if options.pop("password", False) else fields.text(name, **options)
    return value, [(e.field, e.message) for e in fields.errors]


# --- JSON -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "depth"), [
    ("{}", 1), ('{"a": [1, {"b": 2}]}', 3), ('{"a": "[[[[{{{{"}', 1), (r'{"a": "\"[[[["}', 1),
    (r'{"a": "\\", "b": [[]]}', 3), ("[" * 1000 + "]" * 1000, 1000), ('"unterminated [[[', 0), ("1", 0),
])
def test_nesting_depth_counts_brackets_outside_strings(text, depth):
    assert nesting_depth(text) == depth


@pytest.mark.parametrize("text", ['"\\' * 200_000, '"' * 400_000, "[]" * 200_000, "[" * 400_000, '"a\\' * 200_000])
def test_nesting_depth_reads_hostile_text_in_linear_time(text):
    started = time.monotonic()
    nesting_depth(text)
    assert time.monotonic() - started < 1.0


def test_thirty_two_levels_parse_and_thirty_three_do_not():
    assert parse_json_object('{"a": ' + "[" * 31 + "]" * 31 + "}")
    assert _errors(parse_json_object, '{"a": ' + "[" * 32 + "]" * 32 + "}") == [("body", "json_too_deep")]
    assert _errors(parse_json_object, "[" * 100_000 + "]" * 100_000) == [("body", "json_too_deep")]


@pytest.mark.parametrize("raw", [b"[1]", b'"x"', b"\xff\xfe", b'{"a": NaN}', b'{"a": -Infinity}', b"{", b'{"a": 1e99999'])
def test_only_a_utf8_json_object_is_a_body(raw):
    assert _errors(parse_json_object, raw) == [("body", "invalid_json")]


def test_an_empty_body_is_an_empty_object_and_a_surrogate_pair_is_one_character():
    assert parse_json_object(b"") == {}
    assert parse_json_object(rb'{"a": "\ud83d\ude00"}') == {"a": "\U0001f600"}


def test_a_lone_surrogate_anywhere_names_its_top_level_field():
    raw = rb'{"ok": "fine", "city": "\ud800", "signers": [{"name": ["x", "\udfff"]}], "meta": {"\ud800": 1}}'
    assert sorted(_errors(parse_json_object, raw)) == [("city", "invalid_characters"), ("meta", "invalid_characters"),
                                                       ("signers", "invalid_characters")]


def test_a_field_name_that_cannot_be_echoed_is_reported_as_the_body():
    assert fields_with_lone_surrogates({"\ud800": "x"}) == ["body"]
    assert fields_with_lone_surrogates({"x" * 100: "\ud800"}) == ["body"]
    assert fields_with_lone_surrogates({"a": [[["\ud800"]]], "b": "ok"}) == ["a"]


# --- Text fields ----------------------------------------------------------------------------------------

def test_text_is_stripped_and_normalised_to_nfc():
    assert _read({"name": "  Rene\u0301 "}, "name") == ("Ren\u00e9", [])


def test_the_length_limit_counts_the_normalised_text():
    assert _read({"name": "e\u0301" * 10}, "name", max_length=10) == ("\u00e9" * 10, [])


@pytest.mark.parametrize("value", ["a\x00b", "a\nb", "a\rb", "a\tb", "a\x1bb", "a\x7fb", "a\x85b", "a\u2028b"])
def test_a_single_line_field_refuses_control_characters_and_line_breaks(value):
    assert _read({"subject": value}, "subject") == (None, [("subject", "control_characters")])


@pytest.mark.parametrize("value", ["a\u202eb", "a\u202ab", "a\u2066b", "a\u200eb", "a\u200bb", "a\u200db", "a\ufeffb",
                                   "a\u2060b", "a\u00adb", "a\U000e0041b"])
def test_a_single_line_field_refuses_bidi_controls_and_zero_width_characters(value):
    assert _read({"filename": value}, "filename") == (None, [("filename", "invisible_characters")])


def test_a_multi_line_field_keeps_line_breaks_tabs_and_emoji_sequences():
    text = "Beste Harry,\r\n\n\tZie bijlage \U0001f469\u200d\U0001f4bc.\u2028Groet"
    assert _read({"body": text}, "body", multiline=True, max_length=1000) == (text, [])


@pytest.mark.parametrize("value", ["a\x00b", "a\x0bb", "a\x0cb", "a\x1bb", "a\x7fb", "a\x9bb"])
def test_a_multi_line_field_refuses_other_control_characters(value):
    assert _read({"body": value}, "body", multiline=True) == (None, [("body", "control_characters_multiline")])


def test_a_lone_surrogate_is_refused_even_without_the_json_parser():
    assert _read({"city": "x\ud800"}, "city") == (None, [("city", "invalid_characters")])


def test_an_email_address_follows_the_single_line_rules_and_is_lower_case():
    fields = Fields({"a": "Harry@Demo.Example", "b": "harry\u200b@demo.example", "c": "harry@demo.example\r\nBcc: x"})
    assert (fields.email("a"), fields.email("b"), fields.email("c")) == ("harry@demo.example", None, None)
    assert [(e.field, e.message) for e in fields.errors] == [("b", "invisible_characters"), ("c", "control_characters")]


# --- Passwords ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["Wachtwoord-e\u0301-2026!", "Wacht\u200dwoord\t2026!", "\u202eWachtwoord-2026!"])
def test_a_password_is_taken_as_typed(value):
    assert _read({"password": value}, "password", password=True) == (value, [])


@pytest.mark.parametrize(("value", "message"), [("Wacht\nwoord-2026!", "control_characters"),
                                                ("Wacht\u2028woord-2026!", "control_characters"),
                                                ("Wacht\ud800woord-2026!", "invalid_characters"),
                                                ("x" * 257, "too_long"), ("   ", "required")])
def test_a_password_cognito_cannot_take_is_refused(value, message):
    assert _read({"password": value}, "password", password=True) == (None, [("password", message)])


# --- Query parameters ------------------------------------------------------------------------------------

def test_a_query_value_is_normalised_and_odd_characters_name_the_parameter():
    assert query_value("q", "Rene\u0301") == "Ren\u00e9"
    assert query_value("q", None) is None
    assert _errors(query_value, "q", "a\x00") == [("q", "control_characters")]
    assert _errors(query_value, "status", "sent\u200b") == [("status", "invisible_characters")]
    assert _errors(query_value, "cursor", "x" * 3000) == [("cursor", "too_long")]


@pytest.mark.parametrize("raw", ["\u00b2", "\u0663", "\uff15", "\U0001d7e0", "1e2", "+5", " 5", "5 ", "0", "201", "-1",
                                 "1" * 5000])
def test_a_limit_is_one_to_three_ascii_digits_from_1_to_200(raw):
    assert "\u00b2".isdigit()  # why str.isdigit() will not do
    assert _errors(parse_limit, raw) == [("limit", "invalid_limit")]


def test_a_plain_limit_is_read():
    assert (parse_limit(None), parse_limit(""), parse_limit("1"), parse_limit("200"), parse_limit("007")) == (50, 50, 1, 200, 7)


# --- Cursors ----------------------------------------------------------------------------------------------

TABLE = {"partition": ("pk", "TENANT#A"), "prefixes": {"sk": "CLIENT#"}}
INDEX = {"partition": ("gsi1pk", "TENANT#A#CLIENT#B"), "prefixes": {"gsi1sk": "MSG#", "pk": "TENANT#A", "sk": "MSG#"}}
GOOD_TABLE_KEY = {"pk": {"S": "TENANT#A"}, "sk": {"S": "CLIENT#01"}}
GOOD_INDEX_KEY = {"pk": {"S": "TENANT#A"}, "sk": {"S": "MSG#01"}, "gsi1pk": {"S": "TENANT#A#CLIENT#B"},
                  "gsi1sk": {"S": "MSG#01"}}


def _cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def test_a_cursor_this_query_made_is_read_back():
    assert decode_cursor(encode_cursor(GOOD_TABLE_KEY), **TABLE) == GOOD_TABLE_KEY
    assert decode_cursor(encode_cursor(GOOD_INDEX_KEY), **INDEX) == GOOD_INDEX_KEY
    assert decode_cursor(None, **TABLE) is None


@pytest.mark.parametrize("key", [
    {"pk": {"S": "TENANT#B"}, "sk": {"S": "CLIENT#01"}},  # another partition
    {"pk": {"S": "TENANT#A"}, "sk": {"S": "MSG#01"}},  # another kind of item: outside the query's range
    {"pk": {"S": "TENANT#A"}}, {**GOOD_TABLE_KEY, "gsi1pk": {"S": "x"}},  # missing or extra attributes
    {"pk": {"S": "TENANT#A"}, "sk": {"N": "1"}}, {"pk": {"S": "TENANT#A"}, "sk": {"S": 1}},
    {"pk": {"S": "TENANT#A"}, "sk": "CLIENT#01"}, {"pk": ["TENANT#A"], "sk": {"S": "CLIENT#01"}},
    {"pk": {"S": "TENANT#A"}, "sk": {"S": "CLIENT#01", "N": "1"}}, {"pk": {"S": "TENANT#A"}, "sk": {"S": ""}},
    {"pk": {"S": "TENANT#A"}, "sk": {"S": "CLIENT#" + "x" * 1100}},  # over DynamoDB's 1024 bytes
    {"pk": {"S": "TENANT#A"}, "sk": {"S": "CLIENT#\ud800"}}, ["x"], {"a": json.loads("[" * 40 + "]" * 40)},
])
def test_a_crafted_cursor_is_refused(key):
    assert _errors(lambda: decode_cursor(_cursor(key), **TABLE)) == [("cursor", "invalid_cursor")]


def test_an_index_cursor_needs_every_key_of_the_index_and_the_table():
    for name in GOOD_INDEX_KEY:
        partial = {other: value for other, value in GOOD_INDEX_KEY.items() if other != name}
        with pytest.raises(ValidationFailed):
            decode_cursor(_cursor(partial), **INDEX)
    with pytest.raises(ValidationFailed):
        decode_cursor(_cursor({**GOOD_INDEX_KEY, "pk": {"S": "TENANT#B"}}), **INDEX)


@pytest.mark.parametrize("cursor", ["%%%", "eyJ", "\u00b2", "x" * 5000, base64.urlsafe_b64encode(b"\xff").decode(),
                                    base64.urlsafe_b64encode(b"[" * 1500).decode()])
def test_a_cursor_that_is_not_base64_json_is_refused(cursor):
    with pytest.raises(ValidationFailed):
        decode_cursor(cursor, **TABLE)
