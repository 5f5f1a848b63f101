"""The demo data of API.md, seeded by the local run and the end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import aws
from chalicelib.auth.principal import Principal
from chalicelib.clients import service as clients
from chalicelib.tenants import service as tenants
from chalicelib.tenants.model import SIGNING


@dataclass(frozen=True)
class DemoClient:
    name: str
    email: str
    password: str
    phone: str | None
    city: str


@dataclass(frozen=True)
class DemoFirm:
    name: str
    signing: bool
    advisor_email: str
    advisor_password: str
    clients: tuple[DemoClient, ...]


DEMO_FIRMS = (
    DemoFirm("Demo Administratiekantoor", True, "adviseur@demo.example", "Adviseur-demo-2026!", (
        DemoClient("Harry de Vries", "harry@demo.example", "Harry-demo-2026!", "+31612345678", "Amsterdam"),
        DemoClient("Sanne Bakker", "sanne@demo.example", "Sanne-demo-2026!", None, "Utrecht"),
    )),
    DemoFirm("Basis Boekhouding", False, "adviseur@basis.example", "Adviseur-basis-2026!", (
        DemoClient("Piet Jansen", "piet@basis.example", "Piet-basis-2026!", "+31687654321", "Rotterdam"),
    )),
)


def seed() -> dict[str, str]:
    """Create the demo firms, advisors and active clients; the firms' ids by name."""
    ports = aws.ports()
    ids: dict[str, str] = {}
    for firm in DEMO_FIRMS:
        tenant = tenants.create_tenant(ports, firm.name, frozenset({SIGNING}) if firm.signing else frozenset())
        ids[firm.name] = tenant.id
        advisor = tenants.add_advisor(ports, tenant.id, f"Adviseur {firm.name}", firm.advisor_email,
                                      firm.advisor_password)
        principal = Principal(sub="seed", tenant_id=tenant.id, role="advisor", subject_id=advisor.id)
        for person in firm.clients:
            card = clients.create_client(ports, principal, {
                "name": person.name, "email": person.email, "phone": person.phone, "city": person.city,
            })
            clients.grant_access_directly(ports, tenant.id, card["id"], person.password)
    return ids
