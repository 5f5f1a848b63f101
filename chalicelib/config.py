"""The settings object: read from the environment once, lazily, and typed."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment."""

    stage: str
    region: str
    table_name: str
    idempotency_table_name: str
    documents_bucket: str
    data_key_id: str
    seal_key_id: str
    user_pool_id: str
    user_pool_client_id: str
    sender_email: str
    portal_url: str
    otp_secret_id: str
    aws_endpoint_url: str | None = None
    max_document_bytes: int = 25 * 1024 * 1024
    reminder_offsets_days: tuple[int, ...] = (3, 1)
    sms_allowed_country_codes: tuple[int, ...] = (31,)
    sms_daily_budget: int = 500  # per firm, unless the operator set another
    tracing: bool = False

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


def _ints(raw: str) -> tuple[int, ...]:
    return tuple(int(part) for part in raw.split(",") if part.strip())


def load_settings(env: os._Environ[str] | dict[str, str]) -> Settings:
    """Build the settings from an environment mapping; missing names fail loudly."""
    try:
        return Settings(
            # No default: a deployed stage that forgot it must not become "local" (and grow /dev/*).
            stage=env["STAGE"],
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION", "eu-west-1"),
            table_name=env["TABLE_NAME"],
            idempotency_table_name=env["IDEMPOTENCY_TABLE_NAME"],
            documents_bucket=env["DOCUMENTS_BUCKET"],
            data_key_id=env["DATA_KEY_ID"],
            seal_key_id=env["SEAL_KEY_ID"],
            user_pool_id=env["USER_POOL_ID"],
            user_pool_client_id=env["USER_POOL_CLIENT_ID"],
            sender_email=env["SENDER_EMAIL"],
            portal_url=env["PORTAL_URL"].rstrip("/"),
            otp_secret_id=env["OTP_SECRET_ID"],
            aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            max_document_bytes=int(env.get("MAX_DOCUMENT_BYTES", 25 * 1024 * 1024)),
            reminder_offsets_days=_ints(env.get("REMINDER_OFFSETS_DAYS", "3,1")),
            sms_allowed_country_codes=_ints(env.get("SMS_ALLOWED_COUNTRY_CODES", "31")),
            sms_daily_budget=int(env.get("SMS_DAILY_BUDGET", 500)),
            tracing=env.get("TRACING", "false").lower() == "true",
        )
    except KeyError as exc:
        raise RuntimeError(f"missing setting {exc.args[0]}") from exc


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read on first use (never at import time)."""
    return load_settings(os.environ)
