"""Operator actions on firms: create, switch features, add advisors."""

from __future__ import annotations

from typing import Any

from chalicelib import aws
from chalicelib.auth.principal import Principal
from chalicelib.clock import iso
from chalicelib.errors import FieldError, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.store.people import PersonRepository
from chalicelib.store.tenants import TenantRepository
from chalicelib.tenants.model import KNOWN_FEATURES, Advisor, Tenant

MAX_SMS_BUDGET = 100_000


def create_tenant(name: str, features: frozenset[str] = frozenset(), tenant_id: str | None = None) -> Tenant:
    _check_features(features)
    aws.bind_store()
    tenant = Tenant(id=tenant_id or new_id(), name=name, features=features)
    TenantRepository().add(tenant, created_at=iso(aws.clock().now()))
    return tenant


def set_feature(tenant_id: str, feature: str, enabled: bool) -> Tenant:
    _check_features(frozenset({feature}))
    aws.bind_store()
    repository = TenantRepository()
    tenant = repository.get(tenant_id)
    features = tenant.features | {feature} if enabled else tenant.features - {feature}
    repository.set_features(tenant_id, frozenset(features))
    return repository.get(tenant_id)


def add_advisor(tenant_id: str, name: str, email: str, password: str | None) -> Advisor:
    """Link an advisor to the firm; a new address gets a login with `password`.

    An address that has a login already (of another firm, or as a client) keeps it and its
    password: it gains a membership, nothing else.
    """
    aws.bind_store()
    repository = TenantRepository()
    firm = repository.get(tenant_id)
    email = email.lower()
    identity = aws.identity()
    sub = PersonRepository().sub_for_email(email)
    created = sub is None
    if sub is None:
        if not password:
            raise ValidationFailed(FieldError("password", "required"))
        sub = identity.create_login(email, password)
    advisor = Advisor(id=new_id(), tenant_id=tenant_id, name=name, email=email)
    try:
        repository.add_advisor(advisor, sub=sub, firm=firm.name, created_at=iso(aws.clock().now()))
    except Exception:
        if created:
            identity.delete_login(email)
        raise
    return advisor


def set_sms_budget(tenant_id: str, budget: int) -> Tenant:
    """How many SMS codes the firm may send a day (the 80 % warning and the refusal follow it)."""
    if not 0 <= budget <= MAX_SMS_BUDGET:
        raise ValidationFailed(FieldError("budget", "invalid_sms_budget", {"max": MAX_SMS_BUDGET}))
    aws.bind_store()
    repository = TenantRepository()
    repository.set_sms_budget(tenant_id, budget)
    return repository.get(tenant_id)


def _check_features(features: frozenset[str]) -> None:
    unknown = features - KNOWN_FEATURES
    if unknown:
        raise ValidationFailed(FieldError("features", "unknown_feature", {"names": ", ".join(sorted(unknown))}))


def advisor_profile(principal: Principal) -> dict[str, Any]:
    """Who is logged in to the dashboard, and what their firm may do."""
    aws.bind_store()
    repository = TenantRepository()
    advisor = repository.get_advisor(principal.tenant_id, principal.subject_id)
    firm = repository.get(principal.tenant_id)
    return {"advisor": {"id": advisor.id, "name": advisor.name, "email": advisor.email},
            "firm": {"id": firm.id, "name": firm.name, "features": sorted(firm.features)}}
