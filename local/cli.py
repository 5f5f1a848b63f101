"""Operator command line: firms, their features and SMS budget, their advisors, password resets, the seal key.

Runs against whatever the environment points at (the local stack's moto, or a deployed
stage's resources with the operator's AWS credentials).
"""

from __future__ import annotations

import argparse
import getpass
import json

from chalicelib import aws
from chalicelib.auth import service as auth
from chalicelib.ports import Ports
from chalicelib.tenants import service as tenants


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-tenant", help="create a firm")
    create.add_argument("name")
    create.add_argument("--signing", action="store_true", help="enable digital signing")
    feature = commands.add_parser("set-feature", help="switch a feature of a firm on or off")
    feature.add_argument("tenant_id")
    feature.add_argument("feature", choices=["signing"])
    feature.add_argument("state", choices=["on", "off"])
    advisor = commands.add_parser("add-advisor", help="add an advisor to a firm (a new address gets a login)")
    advisor.add_argument("tenant_id")
    advisor.add_argument("name")
    advisor.add_argument("email")
    budget = commands.add_parser("set-sms-budget", help="a firm's daily budget of SMS codes")
    budget.add_argument("tenant_id")
    budget.add_argument("budget", type=int)
    reset = commands.add_parser("reset-password", help="set a new password; every earlier token stops working")
    reset.add_argument("email")
    commands.add_parser("rotate-seal-key", help="seal new receipts with a new KMS key; the old one keeps verifying")
    args = parser.parse_args(argv)
    ports = aws.ports()

    if args.command == "create-tenant":
        tenant = tenants.create_tenant(ports, args.name, frozenset({"signing"}) if args.signing else frozenset())
        print(json.dumps({"id": tenant.id, "name": tenant.name, "features": sorted(tenant.features)}))
    elif args.command == "set-feature":
        tenant = tenants.set_feature(ports, args.tenant_id, args.feature, args.state == "on")
        print(json.dumps({"id": tenant.id, "features": sorted(tenant.features)}))
    elif args.command == "set-sms-budget":
        tenant = tenants.set_sms_budget(ports, args.tenant_id, args.budget)
        print(json.dumps({"id": tenant.id, "sms_daily_budget": tenant.sms_daily_budget}))
    elif args.command == "rotate-seal-key":
        _rotate_seal_key(ports)
    elif args.command == "reset-password":
        auth.reset_password(ports, args.email, getpass.getpass("New password: "))
        print(json.dumps({"email": args.email.lower(), "tokens": "revoked"}))
    else:
        password = getpass.getpass("Password (only used when the address has no login yet): ") or None
        created = tenants.add_advisor(ports, args.tenant_id, args.name, args.email, password)
        print(json.dumps({"id": created.id, "tenant_id": created.tenant_id, "email": created.email}))


def _rotate_seal_key(ports: Ports) -> None:
    """A new seal key like the active one; the API takes it up within a minute, with no deploy."""
    from chalicelib.signing.seal_keys import RotationRefused, rotate_seal_key

    try:
        print(json.dumps(rotate_seal_key(ports)))
    except RotationRefused as refused:
        raise SystemExit(f"not rotated: {refused}") from refused


if __name__ == "__main__":
    main()
