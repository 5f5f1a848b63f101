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
