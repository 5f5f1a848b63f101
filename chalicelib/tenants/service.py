"""Operator actions on firms: create, switch features, add advisors; and the advisor's own profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.clock import iso
from chalicelib.errors import FieldError, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.tenants.model import KNOWN_FEATURES, Advisor, Tenant

if TYPE_CHECKING:
    from chalicelib.auth.principal import Principal
    from chalicelib.ports import Ports

MAX_SMS_BUDGET = 100_000


def create_tenant(ports: Ports, name: str, features: frozenset[str] = frozenset(),
                  tenant_id: str | None = None) -> Tenant:
    """A new firm with these features (unknown ones are refused)."""
    _check_features(features)
    tenant = Tenant(id=tenant_id or new_id(), name=name, features=features)
    ports.tenants.add(tenant, created_at=iso(ports.clock.now()))
    return tenant


def set_feature(ports: Ports, tenant_id: str, feature: str, enabled: bool) -> Tenant:
    """Switch one feature of a firm on or off; the firm as it is then."""
    _check_features(frozenset({feature}))
    tenant = ports.tenants.get(tenant_id)
    features = tenant.features | {feature} if enabled else tenant.features - {feature}
    ports.tenants.set_features(tenant_id, frozenset(features))
    return ports.tenants.get(tenant_id)


def add_advisor(ports: Ports, tenant_id: str, name: str, email: str, password: str | None) -> Advisor:
    """Link an advisor to the firm; a new address gets a login with `password`.

    An address that has a login already (of another firm, or as a client) keeps it and its
    password: it gains a membership, nothing else. A login made here is undone when the
    advisor cannot be stored.
    """
    firm = ports.tenants.get(tenant_id)
    email = email.lower()
    sub = ports.people.sub_for_email(email)
    created = sub is None
    if sub is None:
        if not password:
            raise ValidationFailed(FieldError("password", "required"))
        sub = ports.identity.create_login(email, password)
    advisor = Advisor(id=new_id(), tenant_id=tenant_id, name=name, email=email)
    try:
        ports.tenants.add_advisor(advisor, sub=sub, firm=firm.name, created_at=iso(ports.clock.now()))
    except Exception:
        if created:
            ports.identity.delete_login(email)
        raise
    return advisor


def set_sms_budget(ports: Ports, tenant_id: str, budget: int) -> Tenant:
    """How many SMS codes the firm may send a day (the 80 % warning and the refusal follow it)."""
    if not 0 <= budget <= MAX_SMS_BUDGET:
        raise ValidationFailed(FieldError("budget", "invalid_sms_budget", {"max": MAX_SMS_BUDGET}))
    ports.tenants.set_sms_budget(tenant_id, budget)
    return ports.tenants.get(tenant_id)


def _check_features(features: frozenset[str]) -> None:
    unknown = features - KNOWN_FEATURES
    if unknown:
        raise ValidationFailed(FieldError("features", "unknown_feature", {"names": ", ".join(sorted(unknown))}))


def advisor_profile(ports: Ports, principal: Principal) -> dict[str, Any]:
    """Who is logged in to the dashboard, and what their firm may do."""
    advisor = ports.tenants.get_advisor(principal.tenant_id, principal.subject_id)
    firm = ports.tenants.get(principal.tenant_id)
    return {"advisor": {"id": advisor.id, "name": advisor.name, "email": advisor.email},
            "firm": {"id": firm.id, "name": firm.name, "features": sorted(firm.features)}}
