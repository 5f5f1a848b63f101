"""Tenants and their advisors."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.auth.principal import Membership
from chalicelib.errors import Conflict, NotFound
from chalicelib.store import keys
from chalicelib.store.models import AdvisorItem, TenantItem
from chalicelib.store.people import PersonRepository
from chalicelib.store.transaction import Transition, TransitionRefused
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
        budget = int(item.sms_daily_budget) if item.sms_daily_budget is not None else None
        return Tenant(id=tenant_id, name=item.name, features=frozenset(item.features or ()), sms_daily_budget=budget)

    def set_sms_budget(self, tenant_id: str, budget: int) -> None:
        TenantItem(keys.tenant(tenant_id), keys.TENANT_PROFILE).update(
            actions=[TenantItem.sms_daily_budget.set(budget)], condition=TenantItem.pk.exists())

    def set_features(self, tenant_id: str, features: frozenset[str]) -> None:
        item = TenantItem(keys.tenant(tenant_id), keys.TENANT_PROFILE)
        action = TenantItem.features.set(set(features)) if features else TenantItem.features.remove()
        item.update(actions=[action], condition=TenantItem.pk.exists())

    def add_advisor(self, advisor: Advisor, sub: str, firm: str, created_at: str) -> None:
        """Store the advisor and its membership together; a login of another firm keeps its records."""
        membership = Membership(tenant_id=advisor.tenant_id, role="advisor", subject_id=advisor.id, firm=firm,
                                created_at=created_at)
        transition = Transition()
        transition.put("advisor", AdvisorItem(keys.tenant(advisor.tenant_id), keys.advisor(advisor.id),
                                              advisor_id=advisor.id, name=advisor.name, email=advisor.email,
                                              sub=sub, created_at=created_at))
        PersonRepository().join_to(transition, sub, advisor.email, membership)
        try:
            transition.commit()
        except TransitionRefused as exc:
            raise Conflict() from exc

    def get_advisor(self, tenant_id: str, advisor_id: str) -> Advisor:
        try:
            item = AdvisorItem.get(keys.tenant(tenant_id), keys.advisor(advisor_id))
        except DoesNotExist as exc:
            raise NotFound() from exc
        return Advisor(id=item.advisor_id, tenant_id=tenant_id, name=item.name, email=item.email)
