"""Operator actions on firms: create, switch features, add advisors."""

from __future__ import annotations

from chalicelib import aws
from chalicelib.clock import iso
from chalicelib.errors import FieldError, ValidationFailed
from chalicelib.ids import new_id
from chalicelib.store.tenants import TenantRepository
from chalicelib.tenants.model import KNOWN_FEATURES, Advisor, Tenant


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


def add_advisor(tenant_id: str, name: str, email: str, password: str) -> Advisor:
    """Create the advisor's login with a permanent password and link it to the firm."""
    aws.bind_store()
    repository = TenantRepository()
    repository.get(tenant_id)
    identity = aws.identity()
    sub = identity.create_user(email.lower())
    identity.set_password(email.lower(), password)
    advisor = Advisor(id=new_id(), tenant_id=tenant_id, name=name, email=email.lower())
    repository.add_advisor(advisor, sub=sub, created_at=iso(aws.clock().now()))
    return advisor


def _check_features(features: frozenset[str]) -> None:
    unknown = features - KNOWN_FEATURES
    if unknown:
        raise ValidationFailed(FieldError("features", "unknown_feature", {"names": ", ".join(sorted(unknown))}))
