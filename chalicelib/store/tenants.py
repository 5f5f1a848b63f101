"""Tenants, advisors and the sub → principal lookup."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from chalicelib.auth.principal import Principal
from chalicelib.errors import NotFound
from chalicelib.store import keys
from chalicelib.store.connection import shared_connection
from chalicelib.store.models import AdvisorItem, PrincipalItem, TenantItem
from chalicelib.tenants.model import Advisor, Tenant


class TenantRepository:
    def add(self, tenant: Tenant, created_at: str) -> None:
        TenantItem(
            keys.tenant(tenant.id), keys.TENANT_PROFILE,
            name=tenant.name, features=set(tenant.features) or None, created_at=created_at,
        ).save(condition=TenantItem.pk.does_not_exist())

    def get(self, tenant_id: str) -> Tenant:
        try:
            item = TenantItem.get(keys.tenant(tenant_id), keys.TENANT_PROFILE)
        except DoesNotExist as exc:
            raise NotFound() from exc
        return Tenant(id=tenant_id, name=item.name, features=frozenset(item.features or ()))

    def set_features(self, tenant_id: str, features: frozenset[str]) -> None:
        item = TenantItem(keys.tenant(tenant_id), keys.TENANT_PROFILE)
        action = TenantItem.features.set(set(features)) if features else TenantItem.features.remove()
        item.update(actions=[action], condition=TenantItem.pk.exists())

    def add_advisor(self, advisor: Advisor, sub: str, created_at: str) -> None:
        """Store the advisor and its login mapping together."""
        with TransactWrite(connection=shared_connection()) as tx:
            tx.save(
                AdvisorItem(keys.tenant(advisor.tenant_id), keys.advisor(advisor.id), advisor_id=advisor.id,
                            name=advisor.name, email=advisor.email, sub=sub, created_at=created_at),
                condition=AdvisorItem.pk.does_not_exist(),
            )
            tx.save(
                PrincipalItem(keys.principal(sub), keys.PRINCIPAL, tenant_id=advisor.tenant_id,
                              role="advisor", subject_id=advisor.id),
                condition=PrincipalItem.pk.does_not_exist(),
            )

    def get_advisor(self, tenant_id: str, advisor_id: str) -> Advisor:
        try:
            item = AdvisorItem.get(keys.tenant(tenant_id), keys.advisor(advisor_id))
        except DoesNotExist as exc:
            raise NotFound() from exc
        return Advisor(id=item.advisor_id, tenant_id=tenant_id, name=item.name, email=item.email)

    def find_principal(self, sub: str) -> Principal | None:
        try:
            item = PrincipalItem.get(keys.principal(sub), keys.PRINCIPAL)
        except DoesNotExist:
            return None
        if item.role not in ("advisor", "client"):
            return None
        return Principal(sub=sub, tenant_id=item.tenant_id, role=item.role, subject_id=item.subject_id)  # type: ignore[arg-type]

