"""The settings object: read from the environment once, lazily, and typed.

Each field names its environment variable here, and nowhere else in the app: this is the one
list of what the app reads. tests/unit/test_settings.py checks that .chalice/config.json (each
stage), the local stack (local/resources.py, which writes its environment with `environment`)
and infra/operator-env.sh set exactly these names, the required ones included.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Variable:
    """How one setting is read from the environment and written back to it."""

    name: str
    parse: Callable[[str], Any] = str
    show: Callable[[Any], str] = str
    fallbacks: tuple[str, ...] = ()  # read in turn when `name` is unset or empty


def _ints(raw: str) -> tuple[int, ...]:
    return tuple(int(part) for part in raw.split(",") if part.strip())


def _show_ints(values: tuple[int, ...]) -> str:
    return ",".join(str(value) for value in values)


def _flag(raw: str) -> bool:
    return raw.lower() == "true"


def _show_flag(value: bool) -> str:
    return "true" if value else "false"


def _url(raw: str) -> str:
    return raw.rstrip("/")


_PEM_END = "-----END CERTIFICATE-----"


def _pems(raw: str) -> tuple[str, ...]:
    """Concatenated PEM certificates, one entry each (leaf first, as published)."""
    return tuple(f"{block.strip()}\n{_PEM_END}\n" for block in raw.split(_PEM_END) if block.strip())


def _show_pems(values: tuple[str, ...]) -> str:
    return "".join(values)


def _env(variable: Variable, default: Any = dataclasses.MISSING) -> Any:
    """A settings field read from `variable`; without a default the setting is required."""
    return dataclasses.field(default=default, metadata={"env": variable})


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment."""

    # No default: a deployed stage that forgot it must not become "local" (and grow /dev/*).
    stage: str = _env(Variable("STAGE"))
    table_name: str = _env(Variable("TABLE_NAME"))
    documents_bucket: str = _env(Variable("DOCUMENTS_BUCKET"))
    data_key_id: str = _env(Variable("DATA_KEY_ID"))
    seal_key_id: str = _env(Variable("SEAL_KEY_ID"))
    user_pool_id: str = _env(Variable("USER_POOL_ID"))
    user_pool_client_id: str = _env(Variable("USER_POOL_CLIENT_ID"))
    sender_email: str = _env(Variable("SENDER_EMAIL"))
    portal_url: str = _env(Variable("PORTAL_URL", _url))
    otp_secret_id: str = _env(Variable("OTP_SECRET_ID"))
    bulk_send_queue_url: str = _env(Variable("BULK_SEND_QUEUE_URL"))  # the queue of bulk-send jobs (SQS)
    webhook_queue_url: str = _env(Variable("WEBHOOK_QUEUE_URL"))  # the queue of webhook deliveries (SQS)
    # Lambda sets both region names itself.
    region: str = _env(Variable("AWS_REGION", fallbacks=("AWS_DEFAULT_REGION",)), "eu-west-1")
    aws_endpoint_url: str | None = _env(Variable("AWS_ENDPOINT_URL"), None)  # moto, locally
    max_document_bytes: int = _env(Variable("MAX_DOCUMENT_BYTES", int), 25 * 1024 * 1024)
    reminder_offsets_days: tuple[int, ...] = _env(Variable("REMINDER_OFFSETS_DAYS", _ints, _show_ints), (3, 1))
    sms_allowed_country_codes: tuple[int, ...] = _env(Variable("SMS_ALLOWED_COUNTRY_CODES", _ints, _show_ints), (31,))
    sms_daily_budget: int = _env(Variable("SMS_DAILY_BUDGET", int), 500)  # per firm, unless the operator set another
    # E-mails a second that bulk sends may take of the account's SES sending rate (its quota is 14 a
    # second in a new production account): the queue's workers share it.
    bulk_send_rate: float = _env(Variable("BULK_SEND_RATE", float), 10.0)
    tracing: bool = _env(Variable("TRACING", _flag, _show_flag), False)
    # The RFC 3161 time-stamping authority and its certificate chain (docs/deploy.md). Without a
    # URL every seal's time stamp stays pending, which the pending-stamps alarm reports.
    tsa_url: str | None = _env(Variable("TSA_URL"), None)
    tsa_certificate_chain: tuple[str, ...] = _env(Variable("TSA_CERTIFICATE_CHAIN", _pems, _show_pems), ())
    # The X.509 chain (leaf first) of the seal key that seals the PDF receipts, from a CA that PDF
    # readers trust (docs/deploy.md); the local stack issues one from its own CA. Without it no PDF.
    seal_certificate_chain: tuple[str, ...] = _env(Variable("SEAL_CERTIFICATE_CHAIN", _pems, _show_pems), ())

    @property
    def is_local(self) -> bool:
        return self.stage in {"local", "test"}

    @property
    def jwks_url(self) -> str:
        # moto serves the pool's keys under its own endpoint; AWS under cognito-idp.
        base = self.aws_endpoint_url or f"https://cognito-idp.{self.region}.amazonaws.com"
        return f"{base.rstrip('/')}/{self.user_pool_id}/.well-known/jwks.json"

    @property
    def token_issuer(self) -> str:
        # Cognito (and moto) always put the AWS-style URL in `iss`.
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"


VARIABLES: dict[str, Variable] = {f.name: f.metadata["env"] for f in dataclasses.fields(Settings)}
# Every environment name the settings read, and those a stage must set.
NAMES: frozenset[str] = frozenset(name for v in VARIABLES.values() for name in (v.name, *v.fallbacks))
REQUIRED: frozenset[str] = frozenset(
    VARIABLES[f.name].name for f in dataclasses.fields(Settings) if f.default is dataclasses.MISSING)
# Read by the libraries themselves, not by Settings (boto3: credentials and region; Powertools:
# service and namespace); a stage may set them too.
LIBRARY_NAMES: frozenset[str] = frozenset({
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
    "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE",
})


def _read(env: Mapping[str, str], variable: Variable) -> str | None:
    for name in (variable.name, *variable.fallbacks):
        if env.get(name):
            return env[name]
    return None


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build the settings from an environment mapping; a missing (or empty) required name fails loudly."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(Settings):
        variable = VARIABLES[field.name]
        raw = _read(env, variable)
        if raw is not None:
            values[field.name] = variable.parse(raw)
        elif field.default is dataclasses.MISSING:
            raise RuntimeError(f"missing setting {variable.name}")
    return Settings(**values)


def environment(**values: Any) -> dict[str, str]:
    """The environment from which `load_settings` reads these values, given by field name (None: unset)."""
    unknown = sorted(set(values) - set(VARIABLES))
    if unknown:
        raise TypeError(f"not settings: {unknown}")
    return {VARIABLES[name].name: VARIABLES[name].show(value) for name, value in values.items() if value is not None}


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read on first use (never at import time)."""
    return load_settings(os.environ)
