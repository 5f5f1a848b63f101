"""Each vocabulary has one table, and every other place that names it agrees with that table.

- Error codes: `chalicelib.errors.CODES` (status and nl/en title per code) against problems.py,
  the text catalogue, docs/openapi.yaml's Problem `code`, ../shared/API.md ("Error codes"; API.md
  wins) and the pages, which show the server's `detail` and keep sentences only for what no
  answer says.
- Message texts: every key in every language, with the same placeholders; every key the code
  raises has its text.
- Statuses and response types: chalicelib/web/model.js, the pages' one list of them, against the
  server's and the spec's.

Plain file reading, no AWS and no moto.
"""

from __future__ import annotations

import ast
import re
import string
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib import errors, problems
from chalicelib import texts as text_catalogue

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "chalicelib" / "web"
SPEC_FILE = REPO / "docs" / "openapi.yaml"
# In CI the repository is cloned elsewhere, but shared/ always sits beside it.
API_MD = REPO.parent / "shared" / "API.md"

# Failures that reach the pages without any answer of the server: the pages name them themselves.
PAGE_CODES = {"network_error": "api.js", "upload_failed": "upload.js"}
# The pages' own sentences about errors: the line above a validation error's list of fields, and
# the fallback for an answer that is not a problem document.
PAGE_SENTENCES = {"check_fields", "internal_error"}


# --- reading -----------------------------------------------------------------------------------


@cache
def spec() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loaded: dict[str, Any] = yaml.load(SPEC_FILE.read_text(encoding="utf-8"), Loader=loader)
    return loaded


def schema_enum(name: str) -> list[str]:
    schema = spec()["components"]["schemas"][name]
    return list(schema["properties"]["code"]["enum"] if name == "Problem" else schema["enum"])


def api_md_error_codes() -> dict[str, int]:
    """The "Error codes" section of API.md: entries like "`validation_error` 400"."""
    if not API_MD.is_file():
        pytest.skip(f"{API_MD} is not there (shared/ is expected beside the repository)")
    section = re.search(r"^#+\s*Error codes\s*$(.*?)(?:^\s*$|^#)", API_MD.read_text(encoding="utf-8"),
                        re.MULTILINE | re.DOTALL)
    assert section, "API.md has no 'Error codes' section"
    return {code: int(status) for code, status in re.findall(r"`([a-z_]+)`\s+(\d{3})", section.group(1))}


def web_source(name: str) -> str:
    return (WEB / name).read_text(encoding="utf-8")


def web_modules() -> dict[str, str]:
    """The pages' own modules (vendor/ left out), by file name."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(WEB.glob("*.js"))}


@cache
def web_texts() -> dict[str, dict[str, str]]:
    """The keys and texts of chalicelib/web/i18n.js, per language."""
    source = web_source("i18n.js")
    texts = {}
    for language in text_catalogue.LANGUAGES:
        block = re.search(rf"^const {language} = \{{\n(.*?)^\}};", source, re.MULTILINE | re.DOTALL)
        assert block, f"i18n.js has no dictionary `{language}`"
        texts[language] = dict(re.findall(r"^\s+'([\w.]+)':\s*'((?:[^'\\]|\\.)*)',?\s*$", block.group(1), re.MULTILINE))
    return texts


def web_lists(name: str) -> dict[str, list[str]]:
    """The `export const NAME = Object.freeze([...])` lists of a web module."""
    found = re.findall(r"^export const (\w+) = Object\.freeze\(\[([^\]]*)\]\);", web_source(name), re.MULTILINE)
    return {const: re.findall(r"'([^']*)'", items) for const, items in found}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def server_vocabulary() -> dict[str, tuple[str, ...]]:
    """The server's statuses and response types, under the names model.js gives them, in the server's order."""
    from chalicelib.messaging import model
    from chalicelib.signing.states import OPEN, SigningStatus

    if hasattr(model, "MESSAGE_STATES"):
        message_states = model.MESSAGE_STATES
    else:  # until it moves beside OPEN_MESSAGE_STATES
        from chalicelib.messaging.service import MESSAGE_STATES as message_states

    return {
        "RESPONSE_TYPES": tuple(model.RESPONSE_TYPES),
        "MESSAGE_STATUSES": tuple(message_states),
        "OPEN_MESSAGE_STATUSES": tuple(model.OPEN_MESSAGE_STATES),
        # answer_message takes a reply while the message is open, and after an earlier one.
        "REPLYABLE_MESSAGE_STATUSES": (*model.OPEN_MESSAGE_STATES, "replied"),
        "SIGNING_STATUSES": tuple(status.value for status in SigningStatus),
        "OPEN_SIGNING_STATUSES": tuple(status.value for status in SigningStatus if status in OPEN),
    }


def every_subclass(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *every_subclass(direct))]


# --- error codes: one table, and who agrees with it ----------------------------------------------


def test_problems_answers_each_code_with_the_status_and_titles_of_the_table():
    assert {code: entry.status for code, entry in errors.CODES.items()} == problems.STATUS
    for code, entry in errors.CODES.items():
        for language in text_catalogue.LANGUAGES:
            status, body = problems.problem(code, language)
            assert (status, body["status"], body["code"]) == (entry.status, entry.status, code)
            assert body["title"] == body["detail"] == getattr(entry, language), (code, language)


def test_every_code_has_a_4xx_or_5xx_status_and_a_title_in_every_language():
    for code, entry in errors.CODES.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code), code
        assert 400 <= entry.status <= 599, code
        for language in text_catalogue.LANGUAGES:
            title = getattr(entry, language)
            assert title.strip() and title.endswith("."), (code, language)
            assert not placeholders(title), f"a title is said without parameters: {code} ({language})"


def test_the_text_catalogue_takes_the_titles_from_the_table_and_no_message_key_hides_one():
    assert set(text_catalogue.CATALOG) == set(text_catalogue.LANGUAGES)
    for language in text_catalogue.LANGUAGES:
        titles = {code: text_catalogue.CATALOG[language][code] for code in errors.CODES}
        assert titles == {code: getattr(entry, language) for code, entry in errors.CODES.items()}, language


def test_the_openapi_problem_code_enum_is_the_table():
    enum = schema_enum("Problem")
    assert len(enum) == len(set(enum)), "a code twice in Problem.code"
    assert set(enum) == set(errors.CODES), {
        "missing from docs/openapi.yaml": sorted(set(errors.CODES) - set(enum)),
        "not in errors.CODES": sorted(set(enum) - set(errors.CODES)),
    }


def test_api_md_lists_exactly_the_codes_and_statuses_of_the_table():
    contract = api_md_error_codes()
    table = {code: entry.status for code, entry in errors.CODES.items()}
    wrong = {code: {"API.md": contract.get(code), "errors.CODES": table.get(code)}
             for code in contract.keys() | table.keys() if contract.get(code) != table.get(code)}
    assert not wrong, f"API.md is the contract; make errors.CODES say what it says: {wrong}"


def test_every_domain_error_names_a_code_of_the_table():
    wrong = {cls.__name__: cls.code for cls in [errors.DomainError, *every_subclass(errors.DomainError)]
             if cls.code not in errors.CODES}
    assert not wrong, wrong


def test_an_error_class_with_a_code_outside_the_table_fails_as_it_is_defined():
    with pytest.raises(TypeError, match="not_a_code"):
        type("Misnamed", (errors.DomainError,), {"code": "not_a_code"})


# --- message texts ---------------------------------------------------------------------------------


def test_every_message_has_a_text_in_every_language_with_the_same_placeholders():
    dutch = text_catalogue.CATALOG[text_catalogue.DEFAULT_LANGUAGE]
    for language in text_catalogue.LANGUAGES:
        catalog = text_catalogue.CATALOG[language]
        assert set(catalog) == set(dutch), {
            "only in nl": sorted(set(dutch) - set(catalog)), f"only in {language}": sorted(set(catalog) - set(dutch))}
        wrong = {key: (placeholders(dutch[key]), placeholders(text)) for key, text in catalog.items()
                 if placeholders(text) != placeholders(dutch[key])}
        assert not wrong, f"(nl, {language}) placeholders: {wrong}"
        assert all(text.strip() for text in catalog.values()), language


def _strings(node: ast.expr | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _called(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    return node.func.attr if isinstance(node.func, ast.Attribute) else None


def message_keys_in_the_code() -> dict[str, str]:
    """Message keys written out in chalicelib: error("key"), FieldError(field, "key"), fields.add(field, "key"),
    message="key"; by key, with where one of them is."""
    error_classes = {cls.__name__ for cls in [errors.DomainError, *every_subclass(errors.DomainError)]}
    found: dict[str, str] = {}
    for path in sorted((REPO / "chalicelib").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _called(node)
            keys = [key for keyword in node.keywords if keyword.arg == "message" for key in _strings(keyword.value)]
            if name in error_classes and name != "ValidationFailed" and node.args:
                keys += _strings(node.args[0])
            elif name in {"FieldError", "add"} and len(node.args) >= 2:
                keys += _strings(node.args[1])
            for key in keys:
                found.setdefault(key, f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def test_every_message_key_the_code_raises_has_its_text():
    used = message_keys_in_the_code()
    assert len(used) > 50, "the scan of chalicelib found almost no message keys"
    missing = {key: where for key, where in used.items() if key not in text_catalogue.CATALOG[text_catalogue.DEFAULT_LANGUAGE]}
    assert not missing, f"message keys without a text in chalicelib/texts.py: {missing}"


# --- the pages: the server's words, and their own only where no answer speaks ---------------------


def test_the_pages_hold_the_same_texts_in_every_language():
    texts = web_texts()
    dutch = texts[text_catalogue.DEFAULT_LANGUAGE]
    assert len(dutch) > 200, "i18n.js was not read"
    for language, catalog in texts.items():
        assert set(catalog) == set(dutch), {
            "only in nl": sorted(set(dutch) - set(catalog)), f"only in {language}": sorted(set(catalog) - set(dutch))}
        wrong = {key: text for key, text in catalog.items()
                 if set(re.findall(r"\{(\w+)\}", text)) != set(re.findall(r"\{(\w+)\}", dutch[key]))}
        assert not wrong, f"placeholders differ from nl in {language}: {wrong}"


def test_the_pages_word_no_error_code_the_server_words_itself():
    """errorText shows the answer's `detail`: a page sentence for a code would never be read."""
    own = {key.removeprefix("error.") for key in web_texts()[text_catalogue.DEFAULT_LANGUAGE] if key.startswith("error.")}
    assert own == set(PAGE_CODES) | PAGE_SENTENCES, {
        "say it in the server's table instead (errors.CODES, texts.py)": sorted(own - set(PAGE_CODES) - PAGE_SENTENCES),
        "missing": sorted(set(PAGE_CODES) | PAGE_SENTENCES - own)}


def test_the_codes_the_pages_make_up_are_not_contract_codes_and_are_made_where_said():
    assert not set(PAGE_CODES) & set(errors.CODES)
    for code, module in PAGE_CODES.items():
        assert f"'{code}'" in web_source(module), (code, module)


def test_every_error_code_the_pages_act_on_is_a_code_of_the_table_or_their_own():
    compared = {(name, code) for name, source in web_modules().items()
                for code in re.findall(r"\bcode\s*[!=]==?\s*'(\w+)'", source)}
    assert len(compared) >= 5, "no comparison with an error code found in chalicelib/web"
    unknown = sorted(pair for pair in compared if pair[1] not in errors.CODES and pair[1] not in PAGE_CODES)
    assert not unknown, f"(module, code) of codes nobody answers: {unknown}"


def test_the_pages_send_the_chosen_language_with_every_call():
    api = web_source("api.js")
    assert "'Accept-Language': getLanguage()" in api
    calls = {name for name, source in web_modules().items() if re.search(r"\bfetch\(", source)}
    assert calls == {"api.js"}, f"calls to the API outside api.js's request(): {sorted(calls - {'api.js'})}"


# --- statuses and response types: model.js --------------------------------------------------------


def test_the_pages_statuses_and_response_types_are_the_servers():
    pages = web_lists("model.js")
    server = server_vocabulary()
    assert set(pages) == set(server), {"only in model.js": sorted(set(pages) - set(server)),
                                       "not in model.js": sorted(set(server) - set(pages))}
    wrong = {name: {"model.js": pages[name], "server": list(values)} for name, values in server.items()
             if pages[name] != list(values)}
    assert not wrong, wrong


def test_the_specs_statuses_and_response_types_are_the_servers():
    server = server_vocabulary()
    assert schema_enum("ResponseType") == list(server["RESPONSE_TYPES"])
    assert schema_enum("MessageStatus") == list(server["MESSAGE_STATUSES"])
    assert schema_enum("SigningStatus") == list(server["SIGNING_STATUSES"])


def test_the_open_statuses_are_statuses():
    pages = web_lists("model.js")
    assert set(pages["OPEN_MESSAGE_STATUSES"]) <= set(pages["REPLYABLE_MESSAGE_STATUSES"]) <= set(pages["MESSAGE_STATUSES"])
    assert set(pages["OPEN_SIGNING_STATUSES"]) < set(pages["SIGNING_STATUSES"])


def test_no_other_page_module_writes_out_a_set_of_statuses():
    statuses = {*web_lists("model.js")["MESSAGE_STATUSES"], *web_lists("model.js")["SIGNING_STATUSES"]}
    found = {}
    for name, source in web_modules().items():
        for items in re.findall(r"\[([^\[\]]*)\]", source):  # an array literal of statuses, spreads of lists allowed
            words = re.findall(r"'([^']*)'", items)
            only_words = not re.sub(r"'[^']*'|\.\.\.\w+|[\s,]", "", items)
            if name != "model.js" and only_words and words and set(words) <= statuses and (len(words) > 1 or "..." in items):
                found.setdefault(name, []).append(items.strip())
    assert not found, f"import them from ./model.js instead: {found}"


def test_every_status_and_response_type_has_its_page_text_in_every_language():
    pages = web_lists("model.js")
    wanted = {f"status.{s}" for s in (*pages["MESSAGE_STATUSES"], *pages["SIGNING_STATUSES"])}
    wanted |= {f"type.{t}" for t in pages["RESPONSE_TYPES"]}
    for language, texts in web_texts().items():
        assert not wanted - set(texts), (language, sorted(wanted - set(texts)))
