"""Tenants and their advisors."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.auth.principal import Membership
from chalicelib.errors import Conflict, DependencyFailed, NotFound
from chalicelib.store import keys
from chalicelib.store.models import AdvisorItem, TenantItem
from chalicelib.store.people import join
from chalicelib.store.transaction import Transition, TransitionRefused, condition_failed
from chalicelib.tenants.model import Advisor, Tenant


def to_tenant(tenant_id: str, item: TenantItem) -> Tenant:
    budget = int(item.sms_daily_budget) if item.sms_daily_budget is not None else None
    return Tenant(id=tenant_id, name=item.name, features=frozenset(item.features or ()), sms_daily_budget=budget)


def to_advisor(tenant_id: str, item: AdvisorItem) -> Advisor:
    return Advisor(id=item.advisor_id, tenant_id=tenant_id, name=item.name, email=item.email)


class TenantRepository:
    """`tenants.ports.Tenants` on the table."""

    def add(self, tenant: Tenant, created_at: str) -> None:
        try:
            TenantItem(
                keys.tenant(tenant.id), keys.TENANT_PROFILE,
                name=tenant.name, features=set(tenant.features) or None, created_at=created_at,
            ).save(condition=TenantItem.pk.does_not_exist())
        except PutError as exc:
            raise (Conflict() if condition_failed(exc) else DependencyFailed()) from exc

    def get(self, tenant_id: str) -> Tenant:
        try:
            return to_tenant(tenant_id, TenantItem.get(keys.tenant(tenant_id), keys.TENANT_PROFILE))
        except DoesNotExist as exc:
            raise NotFound() from exc

    def set_sms_budget(self, tenant_id: str, budget: int) -> None:
        self._change(tenant_id, TenantItem.sms_daily_budget.set(budget))

    def set_features(self, tenant_id: str, features: frozenset[str]) -> None:
        self._change(tenant_id, TenantItem.features.set(set(features)) if features else TenantItem.features.remove())

    def _change(self, tenant_id: str, action: Action) -> None:
        try:
            TenantItem(keys.tenant(tenant_id), keys.TENANT_PROFILE).update(actions=[action],
                                                                           condition=TenantItem.pk.exists())
        except UpdateError as exc:
            raise (NotFound() if condition_failed(exc) else DependencyFailed()) from exc

    def add_advisor(self, advisor: Advisor, sub: str, firm: str, created_at: str) -> None:
        """The advisor and its membership together; a login of another firm keeps its records."""
        membership = Membership(tenant_id=advisor.tenant_id, role="advisor", subject_id=advisor.id, firm=firm,
                                created_at=created_at)
        transition = Transition()
        transition.put("advisor", AdvisorItem(keys.tenant(advisor.tenant_id), keys.advisor(advisor.id),
                                              advisor_id=advisor.id, name=advisor.name, email=advisor.email,
                                              sub=sub, created_at=created_at))
        join(transition, sub, advisor.email, membership)
        try:
            transition.commit()
        except TransitionRefused as exc:
            raise Conflict() from exc

    def get_advisor(self, tenant_id: str, advisor_id: str) -> Advisor:
        try:
            return to_advisor(tenant_id, AdvisorItem.get(keys.tenant(tenant_id), keys.advisor(advisor_id)))
        except DoesNotExist as exc:
            raise NotFound() from exc
