"""`make run`'s stack over real HTTP: it starts, prints where to go, serves logins, stops on Ctrl-C."""

from __future__ import annotations

import requests


def test_the_banner_names_the_url_the_demo_logins_and_the_outbox(stack):
    banner = stack.log.read_text()
    assert stack.url in banner
    assert "adviseur@demo.example" in banner and "Adviseur-demo-2026!" in banner
    assert "harry@demo.example" in banner and "piet@basis.example" in banner
    assert f"{stack.url}/dev/outbox" in banner


def test_logins_over_http_give_the_right_role_and_the_advisor_sees_only_his_clients(stack):
    advisor = requests.post(f"{stack.url}/auth/login",
                            json={"email": "adviseur@demo.example", "password": "Adviseur-demo-2026!"}, timeout=10).json()
    harry = requests.post(f"{stack.url}/auth/login",
                          json={"email": "harry@demo.example", "password": "Harry-demo-2026!"}, timeout=10).json()
    assert (advisor["role"], harry["role"]) == ("advisor", "client")
    assert advisor["tenant_id"] == harry["tenant_id"]
    clients = requests.get(f"{stack.url}/advisor/clients", headers={"Authorization": f"Bearer {advisor['token']}"},
                           timeout=10).json()["items"]
    names = {c["name"] for c in clients}
    assert {"Harry de Vries", "Sanne Bakker"} <= names  # other e2e tests may add clients to this firm
    assert "Piet Jansen" not in names


def test_a_bad_token_over_http_is_a_401_problem_not_a_dropped_connection(stack):
    for header in ("garbage", "Bearer", "Bearer x.y.z"):
        answer = requests.get(f"{stack.url}/advisor/clients", headers={"Authorization": header}, timeout=10)
        assert answer.status_code == 401
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json()["code"] == "unauthenticated"


def test_an_unknown_path_is_a_404_problem(stack):
    answer = requests.get(f"{stack.url}/no/such/path", timeout=10)
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_the_outbox_is_readable(stack):
    outbox = requests.get(f"{stack.url}/dev/outbox", timeout=10).json()
    assert set(outbox) == {"emails", "sms"}
