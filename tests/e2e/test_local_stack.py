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


def test_an_invitation_to_the_demo_advisors_address_from_another_firm_leaves_his_password_alone(stack):
    """The reported takeover, over HTTP: Basis Boekhouding invites the Demo advisor's address as a client."""
    import re
    from urllib.parse import parse_qs, urlparse

    def login(email: str, password: str) -> requests.Response:
        return requests.post(f"{stack.url}/auth/login", json={"email": email, "password": password}, timeout=10)

    basis = {"Authorization": f"Bearer {login('adviseur@basis.example', 'Adviseur-basis-2026!').json()['token']}"}
    card = requests.post(f"{stack.url}/advisor/clients", headers=basis, timeout=10,
                         json={"name": "Overname Poging", "email": "adviseur@demo.example"}).json()
    assert requests.post(f"{stack.url}/advisor/clients/{card['id']}/invite", headers=basis, timeout=10).status_code == 202
    mail = [m for m in requests.get(f"{stack.url}/dev/outbox", timeout=10).json()["emails"]
            if "adviseur@demo.example" in m["to"]][-1]
    link = re.search(r"https?://\S+?token=[\w-]+", mail["body"]).group(0)  # type: ignore[union-attr]
    token = parse_qs(urlparse(link).query)["token"][0]

    for _ in range(2):  # and the link does not turn into a reset later either
        taken = requests.post(f"{stack.url}/auth/activate", json={"token": token, "password": "Overgenomen-2026!!"},
                              timeout=10)
        assert (taken.status_code, taken.json()["code"]) == (409, "conflict")

    assert login("adviseur@demo.example", "Overgenomen-2026!!").status_code == 401
    assert login("adviseur@demo.example", "Adviseur-demo-2026!").status_code == 200
