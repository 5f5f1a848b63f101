"""The operator command line creates firms, switches features and adds advisors."""

from __future__ import annotations

import json

from chalicelib.ids import new_id
from local import cli
from tests.conftest import Api


def test_an_operator_creates_a_firm_switches_signing_and_adds_an_advisor(api: Api, backend, capsys, monkeypatch):
    cli.main(["create-tenant", "Nieuw Kantoor"])
    tenant = json.loads(capsys.readouterr().out)
    assert tenant["features"] == []
    cli.main(["set-feature", tenant["id"], "signing", "on"])
    assert json.loads(capsys.readouterr().out)["features"] == ["signing"]
    email = f"nieuw-{new_id().lower()}@kantoor.example"
    monkeypatch.setattr("getpass.getpass", lambda prompt: "Nieuw-adviseur-2026!")
    cli.main(["add-advisor", tenant["id"], "Nieuwe Adviseur", email])
    capsys.readouterr()
    login = api.post("/auth/login", body={"email": email, "password": "Nieuw-adviseur-2026!"}).json
    assert (login["role"], login["tenant_id"]) == ("advisor", tenant["id"])
    cli.main(["set-feature", tenant["id"], "signing", "off"])
    assert json.loads(capsys.readouterr().out)["features"] == []


def test_an_operator_sets_a_firms_daily_sms_budget(backend, capsys):
    cli.main(["create-tenant", "Budget Kantoor", "--signing"])
    tenant = json.loads(capsys.readouterr().out)
    cli.main(["set-sms-budget", tenant["id"], "25"])
    assert json.loads(capsys.readouterr().out)["sms_daily_budget"] == 25


def test_a_password_reset_by_the_operator_revokes_the_earlier_tokens(api: Api, firm, capsys, monkeypatch):
    old_token = firm["token"]
    monkeypatch.setattr("getpass.getpass", lambda prompt: "Opnieuw-gezet-2026!")
    cli.main(["reset-password", firm["advisor_email"]])
    capsys.readouterr()
    assert api.get("/advisor/clients", old_token).status_code == 401
    assert api.post("/auth/login", body={"email": firm["advisor_email"], "password": "Opnieuw-gezet-2026!"}
                    ).status_code == 200


def test_adding_an_existing_login_as_advisor_of_another_firm_asks_no_password(api: Api, firm, capsys, monkeypatch):
    cli.main(["create-tenant", "Tweede Kantoor"])
    tenant = json.loads(capsys.readouterr().out)
    monkeypatch.setattr("getpass.getpass", lambda prompt: "")
    cli.main(["add-advisor", tenant["id"], "Zelfde Persoon", firm["advisor_email"]])
    capsys.readouterr()
    login = api.post("/auth/login", body={"email": firm["advisor_email"], "password": "Adviseur-test-2026!"}).json
    assert [m["tenant_id"] for m in login["memberships"]] == [firm["tenant"].id, tenant["id"]]
