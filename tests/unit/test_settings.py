"""The settings are listed once, in chalicelib/config.py; every environment the app runs in names
exactly those: each stage of .chalice/config.json, the local stack (local/resources.py) and the
operator's shell (infra/operator-env.sh). Plain file reading, no AWS and no moto.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib import config
from chalicelib.config import LIBRARY_NAMES, NAMES, REQUIRED, environment, load_settings

REPO = Path(__file__).resolve().parents[2]
CHALICE_CONFIG = REPO / ".chalice" / "config.json"
OPERATOR_ENV = REPO / "infra" / "operator-env.sh"
KNOWN = NAMES | LIBRARY_NAMES
PLACEHOLDER = re.compile(r"^\$\{(\w+)\}$")
# Settings whose stack parameter the operator gives infra/deploy.sh, not the stateful stack.
FROM_THE_OPERATOR = {"PORTAL_URL": "PortalUrl", "TSA_URL": "TsaUrl", "TSA_CERTIFICATE_CHAIN": "TsaCertificateChain",
                     "SEAL_CERTIFICATE_CHAIN": "SealCertificateChain"}
DEPLOY = REPO / "infra" / "deploy.sh"


def minimal() -> dict[str, str]:
    return {name: f"value-of-{name.lower()}" for name in REQUIRED}


def stages() -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = json.loads(CHALICE_CONFIG.read_text(encoding="utf-8"))["stages"]
    return loaded


def stage_environment(stage: str) -> dict[str, str]:
    """The stage's variables over the top-level ones, as chalice merges them (functions add none here)."""
    top = json.loads(CHALICE_CONFIG.read_text(encoding="utf-8")).get("environment_variables", {})
    return {**top, **stages()[stage].get("environment_variables", {})}


def operator_exports() -> tuple[dict[str, str], set[str]]:
    """infra/operator-env.sh: its map of stack output -> setting, and every name it exports."""
    script = OPERATOR_ENV.read_text(encoding="utf-8")
    block = re.search(r"declare -A setting=\((.*?)\n\)", script, re.DOTALL)
    assert block, "operator-env.sh has no `declare -A setting=(...)` map"
    mapped = dict(re.findall(r"\[(\w+)\]=(\w+)", block.group(1)))
    literal = {name for line in re.findall(r"^\s*(?:echo \"|printf ')export (.*)$", script, re.MULTILINE)
               for name in re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", line)}
    return mapped, literal | set(mapped.values())


# --- the list itself ---------------------------------------------------------------------------


def test_every_setting_names_its_environment_variable_once():
    names = [v.name for v in config.VARIABLES.values()] + [n for v in config.VARIABLES.values() for n in v.fallbacks]
    assert len(names) == len(set(names)), names
    assert set(config.VARIABLES) == {f.name for f in dataclasses.fields(config.Settings)}
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in KNOWN)


def test_the_required_settings_are_those_without_a_default():
    assert {"STAGE", "TABLE_NAME", "DOCUMENTS_BUCKET", "DATA_KEY_ID", "SEAL_KEY_ID",
            "USER_POOL_ID", "USER_POOL_CLIENT_ID", "SENDER_EMAIL", "PORTAL_URL", "OTP_SECRET_ID",
            "BULK_SEND_QUEUE_URL", "WEBHOOK_QUEUE_URL"} == REQUIRED
    settings = load_settings(minimal())
    assert (settings.region, settings.aws_endpoint_url, settings.max_document_bytes) == ("eu-west-1", None, 25 * 1024**2)
    assert (settings.reminder_offsets_days, settings.sms_allowed_country_codes) == ((3, 1), (31,))
    assert (settings.sms_daily_budget, settings.tracing) == (500, False)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_a_missing_or_empty_required_setting_fails_loudly_by_its_name(name):
    for env in ({k: v for k, v in minimal().items() if k != name}, {**minimal(), name: ""}):
        with pytest.raises(RuntimeError, match=f"missing setting {name}"):
            load_settings(env)


def test_settings_are_parsed_by_their_type():
    settings = load_settings({
        **minimal(), "PORTAL_URL": "https://portaal.example/", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "MAX_DOCUMENT_BYTES": "1024", "REMINDER_OFFSETS_DAYS": "7, 2,", "SMS_ALLOWED_COUNTRY_CODES": "31,32",
        "SMS_DAILY_BUDGET": "3", "TRACING": "TRUE",
    })
    assert settings.portal_url == "https://portaal.example"
    assert (settings.aws_endpoint_url, settings.max_document_bytes) == ("http://127.0.0.1:5000", 1024)
    assert (settings.reminder_offsets_days, settings.sms_allowed_country_codes) == ((7, 2), (31, 32))
    assert (settings.sms_daily_budget, settings.tracing) == (3, True)


@pytest.mark.parametrize(("given", "region"), [
    ({"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "us-east-1"}, "eu-central-1"),
    ({"AWS_DEFAULT_REGION": "us-east-1"}, "us-east-1"),
    ({"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-east-1"}, "us-east-1"),
    ({}, "eu-west-1"),
])
def test_the_region_is_lambdas_own_then_botos_default_then_ireland(given, region):
    assert load_settings({**minimal(), **given}).region == region


def test_an_empty_optional_setting_counts_as_unset():
    empty = {name: "" for name in NAMES - REQUIRED}
    assert load_settings({**minimal(), **empty}) == load_settings(minimal())


def test_environment_writes_what_load_settings_reads_back():
    settings = dataclasses.replace(
        load_settings(minimal()), aws_endpoint_url="http://127.0.0.1:5000", reminder_offsets_days=(5,), tracing=True)
    written = environment(**dataclasses.asdict(settings))
    assert set(written) <= NAMES
    assert load_settings(written) == settings
    assert "AWS_ENDPOINT_URL" not in environment(aws_endpoint_url=None)
    with pytest.raises(TypeError, match="table"):
        environment(table="main")


# --- who sets them -----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", sorted(stages()))
def test_each_chalice_stage_sets_only_settings_the_app_or_its_libraries_read(stage):
    unknown = sorted(set(stage_environment(stage)) - KNOWN)
    assert not unknown, f"{stage}: nothing reads {unknown} (chalicelib/config.py lists what is read)"
    for function, overrides in stages()[stage].get("lambda_functions", {}).items():
        assert not set(overrides.get("environment_variables", {})) - KNOWN, (stage, function)


def test_the_deployed_stages_set_every_required_setting_and_the_local_stack_the_rest():
    for stage in stages():
        names = set(stage_environment(stage))
        if load_settings({**minimal(), **stage_environment(stage)}).is_local:
            from local.resources import LocalResources

            local = LocalResources(**{f.name: "x" for f in dataclasses.fields(LocalResources)})
            names |= set(local.environment("http://127.0.0.1:5000", portal_url="http://127.0.0.1:8000"))
        missing = sorted(REQUIRED - names)
        assert not missing, f"{stage} lacks {missing}"


def test_the_deployed_stages_take_each_resource_setting_from_a_stack_parameter_of_the_same_meaning():
    mapped, _ = operator_exports()
    for stage in stages():
        env = stage_environment(stage)
        placeholders = {name: match.group(1) for name, value in env.items() if (match := PLACEHOLDER.match(str(value)))}
        if placeholders:  # what the functions read from the stack is what the operator's shell reads from it
            assert placeholders == {setting: output for output, setting in mapped.items()} | FROM_THE_OPERATOR, stage


def test_the_deploy_script_passes_every_parameter_the_operator_gives():
    # The app template declares them without a default: a deploy that left one out would fail.
    script = DEPLOY.read_text(encoding="utf-8")
    for parameter in FROM_THE_OPERATOR.values():
        assert f'"{parameter}=' in script, parameter
    assert not (set(FROM_THE_OPERATOR) - {"PORTAL_URL"}) & REQUIRED, "the time-stamping authority is optional"


def test_the_authoritys_chain_is_read_leaf_first_as_the_operator_pastes_it():
    leaf, issuer = ("-----BEGIN CERTIFICATE-----\nMIIB" + name + "\n-----END CERTIFICATE-----" for name in ("leaf", "ca"))
    settings = load_settings({**minimal(), "TSA_URL": "https://tsa.example/tsr", "TSA_CERTIFICATE_CHAIN": f"{leaf}\n{issuer}\n"})
    assert settings.tsa_url == "https://tsa.example/tsr"
    assert [pem.splitlines()[1] for pem in settings.tsa_certificate_chain] == ["MIIBleaf", "MIIBca"]
    assert (load_settings(minimal()).tsa_url, load_settings(minimal()).tsa_certificate_chain) == (None, ())


def test_the_local_stack_writes_exactly_the_settings_and_botos_own_names():
    from local.resources import LocalResources

    resources = LocalResources(**{f.name: f"local-{f.name}" for f in dataclasses.fields(LocalResources)})
    env = resources.environment("http://127.0.0.1:5000", portal_url="http://127.0.0.1:8000/", stage="test")
    assert not set(env) - KNOWN, sorted(set(env) - KNOWN)
    settings = load_settings(env)
    assert (settings.stage, settings.table_name, settings.aws_endpoint_url) == ("test", "local-table_name", "http://127.0.0.1:5000")
    assert settings.portal_url == "http://127.0.0.1:8000"
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"} <= set(env)


def test_the_operator_shell_exports_every_required_setting_and_nothing_unknown():
    mapped, exported = operator_exports()
    assert len(mapped) >= 8, "operator-env.sh's output map was not read"
    assert not REQUIRED - exported, sorted(REQUIRED - exported)
    assert not exported - KNOWN, sorted(exported - KNOWN)


def test_the_operator_shell_reads_outputs_the_stateful_stack_has():
    from local.resources import load_template

    mapped, _ = operator_exports()
    assert not set(mapped) - set(load_template()["Outputs"]), sorted(set(mapped) - set(load_template()["Outputs"]))
