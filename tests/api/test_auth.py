"""Logging in, and what happens to every kind of bad token."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import Api


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _moto_signing_key() -> dict:
    """moto's own Cognito private key: lets a test mint tokens the pool would have signed."""
    from moto.utilities.utils import load_resource

    return load_resource("cognitoidp/resources/jwks-private.json")


def _resign(token: str, **changes) -> str:
    claims = {**_claims(token), **changes}
    key = jwt.PyJWK(_moto_signing_key())
    return jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": "dummy"})


@pytest.mark.parametrize(
    ("email", "password", "role", "firm"),
    [
        ("adviseur@demo.example", "Adviseur-demo-2026!", "advisor", "Demo Administratiekantoor"),
        ("harry@demo.example", "Harry-demo-2026!", "client", "Demo Administratiekantoor"),
        ("sanne@demo.example", "Sanne-demo-2026!", "client", "Demo Administratiekantoor"),
        ("adviseur@basis.example", "Adviseur-basis-2026!", "advisor", "Basis Boekhouding"),
        ("piet@basis.example", "Piet-basis-2026!", "client", "Basis Boekhouding"),
    ],
)
def test_each_demo_user_logs_in_with_the_right_role_and_firm(api: Api, backend, email, password, role, firm):
    response = api.post("/auth/login", body={"email": email, "password": password})
    assert response.status_code == 200
    assert response.json["role"] == role
    assert response.json["tenant_id"] == backend.firms[firm]
    assert response.json["expires_in"] == 3600
    assert _claims(response.json["token"])["email"] == email


@pytest.mark.parametrize(
    ("email", "password"),
    [("adviseur@demo.example", "wrong-password"), ("nobody@demo.example", "Adviseur-demo-2026!")],
)
def test_a_wrong_email_or_password_gets_the_same_answer(api: Api, email, password):
    response = api.post("/auth/login", body={"email": email, "password": password})
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["code"] == "invalid_credentials"
    assert response.json["detail"] == "E-mailadres of wachtwoord is onjuist."


def test_login_without_fields_names_each_missing_field(api: Api):
    response = api.post("/auth/login", body={})
    assert response.status_code == 400
    assert response.json["code"] == "validation_error"
    assert {e["field"] for e in response.json["errors"]} == {"email", "password"}


def test_a_client_token_on_advisor_routes_is_forbidden(api: Api, tokens):
    response = api.get("/advisor/clients", tokens["harry"])
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"


def test_an_advisor_token_on_portal_routes_is_forbidden(api: Api, tokens):
    response = api.get("/portal/messages", tokens["demo_advisor"])
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"


def test_the_answer_follows_accept_language(api: Api, tokens):
    response = api.get("/advisor/clients", tokens["harry"], headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert response.json["detail"] == "Only advisors have access to this part."


def _forged_by_another_key(token: str) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(_claims(token), other, algorithm="RS256", headers={"kid": "dummy"})


BAD_TOKENS = {
    "signed by another key": lambda t: f"Bearer {_forged_by_another_key(t)}",
    "expired": lambda t: f"Bearer {_resign(t, exp=int(time.time()) - 60, iat=int(time.time()) - 3700)}",
    "for another app client": lambda t: f"Bearer {_resign(t, aud='another-app-client')}",
    "from another pool": lambda t: f"Bearer {_resign(t, iss='https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other')}",
    "an access token": lambda t: f"Bearer {_resign(t, token_use='access')}",
    "of an unknown user": lambda t: f"Bearer {_resign(t, sub='00000000-0000-0000-0000-000000000000')}",
    "unsigned": lambda t: "Bearer " + jwt.encode(_claims(t), None, algorithm="none"),
    "garbage": lambda t: "garbage",
    "Bearer": lambda t: "Bearer",
    "Bearer x.y.z": lambda t: "Bearer x.y.z",
    "a token without Bearer": lambda t: t,
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_a_bad_token_gets_401_problem_json(api: Api, tokens, kind):
    header = BAD_TOKENS[kind](tokens["demo_advisor"])
    response = api.call("GET", "/advisor/clients", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["code"] == "unauthenticated"


def test_a_missing_token_gets_401_problem_json(api: Api):
    response = api.get("/advisor/clients")
    assert response.status_code == 401
    assert response.json["code"] == "unauthenticated"


def test_the_genuine_token_still_works_after_all_that(api: Api, tokens):
    assert api.get("/advisor/clients", tokens["demo_advisor"]).status_code == 200


def test_chalices_own_refusals_are_problem_json_too(api: Api, tokens):
    wrong_type = api.call("POST", "/advisor/clients", tokens["demo_advisor"], raw=b"name=x",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert wrong_type.status_code == 415
    assert wrong_type.headers["Content-Type"] == "application/problem+json"
    assert wrong_type.json["code"] == "unsupported_media_type"
    wrong_method = api.call("DELETE", "/health")
    assert wrong_method.headers["Content-Type"] == "application/problem+json"
    assert wrong_method.json["code"] == "not_found"
