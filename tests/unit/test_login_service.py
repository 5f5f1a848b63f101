"""Logging in and out on fakes: throttling, memberships, revoked tokens and the logout-second retry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.auth import service as auth
from chalicelib.auth.principal import Membership, Person, Principal
from chalicelib.errors import DependencyFailed, InvalidCredentials, NotFound, RateLimited, Unauthenticated, ValidationFailed
from chalicelib.tenants import service as tenants
from tests.fakes import FakePorts
from tests.fakes.accounts import ADVISOR_PASSWORD, a_firm
from tests.fakes.adapters import FakeWallClock

EMAIL = "adviseur@devries.example"


@pytest.fixture
def ports() -> FakePorts:
    return FakePorts()


@pytest.fixture
def wall(ports: FakePorts) -> FakeWallClock:
    return ports.wall_clock


@pytest.fixture
def advisor(ports: FakePorts) -> Principal:
    return a_firm(ports)


def log_in(ports: FakePorts, wall: FakeWallClock, email: str = EMAIL, password: str = ADVISOR_PASSWORD) -> dict:
    return auth.login(ports, {"email": email, "password": password})


def fail(ports: FakePorts, wall: FakeWallClock, times: int, email: str = EMAIL) -> None:
    for _ in range(times):
        with pytest.raises(InvalidCredentials):
            log_in(ports, wall, email, "Verkeerd-wachtwoord-1!")


# --- logging in ---------------------------------------------------------------------------------

def test_a_login_answers_a_token_the_oldest_memberships_role_and_every_membership(ports, wall, advisor):
    answer = log_in(ports, wall)

    assert answer["role"] == "advisor" and answer["tenant_id"] == advisor.tenant_id
    assert answer["expires_in"] == 3600
    assert answer["memberships"] == [{"tenant_id": advisor.tenant_id, "firm": "Kantoor De Vries", "role": "advisor"}]
    assert auth.authenticate(ports, answer["token"]).sub == advisor.sub


def test_the_address_may_be_typed_in_any_case(ports, wall, advisor):
    assert log_in(ports, wall, email="Adviseur@DeVries.Example")["role"] == "advisor"


def test_a_person_of_two_firms_gets_both_memberships_oldest_first(ports, wall, advisor):
    other = tenants.create_tenant(ports, "Tweede Kantoor")
    ports.clock.advance(minutes=1)
    tenants.add_advisor(ports, other.id, "Zelfde", EMAIL, None)

    answer = log_in(ports, wall)

    assert [m["tenant_id"] for m in answer["memberships"]] == [advisor.tenant_id, other.id]
    assert answer["tenant_id"] == advisor.tenant_id


def test_a_wrong_password_is_invalid_credentials_and_counts_as_a_failure(ports, wall, advisor):
    fail(ports, wall, 1)

    assert len(ports.people.login_failures(EMAIL, ports.clock.now()).recent) == 1


def test_an_unknown_address_gets_the_same_answer_and_is_counted_too(ports, wall):
    fail(ports, wall, 1, email="niemand@example.com")

    assert len(ports.people.login_failures("niemand@example.com", ports.clock.now()).recent) == 1


def test_missing_fields_are_each_named(ports, wall):
    with pytest.raises(ValidationFailed) as refused:
        auth.login(ports, {})

    assert {e.field for e in refused.value.errors} == {"email", "password"}


def test_four_failures_leave_the_right_password_working(ports, wall, advisor):
    fail(ports, wall, 4)

    assert log_in(ports, wall)["role"] == "advisor"


def test_five_failures_lock_the_address_even_for_the_right_password(ports, wall, advisor):
    fail(ports, wall, 5)

    with pytest.raises(RateLimited) as locked:
        log_in(ports, wall)

    assert locked.value.message == "too_many_logins"
    assert locked.value.retry_after == 15 * 60


def test_a_locked_address_is_refused_without_asking_the_identity_provider(ports, wall, advisor):
    fail(ports, wall, 5)
    ports.identity.fail_next()  # a call would raise DependencyFailed

    with pytest.raises(RateLimited):
        log_in(ports, wall)
    assert ports.identity.failures == 1, "the identity provider was not asked"


def test_the_wait_counts_down_to_when_the_oldest_of_the_last_five_leaves_the_window(ports, wall, advisor):
    fail(ports, wall, 1)
    ports.clock.advance(minutes=5)
    fail(ports, wall, 4)
    ports.clock.advance(minutes=1)

    with pytest.raises(RateLimited) as locked:
        log_in(ports, wall)

    assert locked.value.retry_after == 9 * 60


def test_the_lock_lifts_once_the_window_has_passed(ports, wall, advisor):
    fail(ports, wall, 5)
    ports.clock.advance(minutes=15, seconds=1)

    assert log_in(ports, wall)["role"] == "advisor"


def test_failures_older_than_the_window_do_not_count(ports, wall, advisor):
    fail(ports, wall, 4)
    ports.clock.advance(minutes=16)
    fail(ports, wall, 4)

    assert log_in(ports, wall)["role"] == "advisor"


def test_an_unknown_address_is_locked_after_five_failures_the_same_way(ports, wall):
    fail(ports, wall, 5, email="niemand@example.com")

    with pytest.raises(RateLimited):
        log_in(ports, wall, email="niemand@example.com")


def test_the_failures_of_one_address_do_not_lock_another(ports, wall, advisor):
    fail(ports, wall, 5, email="iemand-anders@example.com")

    assert log_in(ports, wall)["role"] == "advisor"


def test_a_failing_identity_provider_is_no_failed_login(ports, wall, advisor):
    ports.identity.fail_next()

    with pytest.raises(DependencyFailed):
        log_in(ports, wall)
    assert ports.people.login_failures(EMAIL, ports.clock.now()).recent == ()


def test_a_pool_user_without_a_person_is_invalid_credentials(ports, wall):
    ports.identity.create_login("los@example.com", "Los-wachtwoord-2026!")

    with pytest.raises(InvalidCredentials):
        log_in(ports, wall, "los@example.com", "Los-wachtwoord-2026!")


def test_a_person_without_memberships_is_invalid_credentials(ports, wall):
    sub = ports.identity.create_login("leeg@example.com", "Leeg-wachtwoord-2026!")
    ports.people.persons[sub] = Person(sub=sub, email="leeg@example.com", memberships=())

    with pytest.raises(InvalidCredentials):
        log_in(ports, wall, "leeg@example.com", "Leeg-wachtwoord-2026!")


def test_a_membership_of_an_unknown_role_is_not_offered(ports, wall, advisor):
    person = ports.people.persons[advisor.sub]
    stray = Membership(tenant_id="t-oud", role="operator", subject_id="x", firm="Oud",  # type: ignore[arg-type]
                       created_at="2000-01-01T00:00:00.000Z")
    ports.people.persons[advisor.sub] = Person(sub=person.sub, email=person.email,
                                               memberships=(stray, *person.memberships))

    assert [m["role"] for m in log_in(ports, wall)["memberships"]] == ["advisor"]


# --- the logout second --------------------------------------------------------------------------

def test_a_login_in_the_very_second_of_a_logout_waits_out_that_second_and_logs_in_once_more(ports, wall, advisor):
    auth.logout(ports, advisor)

    answer = log_in(ports, wall)

    assert wall.slept == [1.0]
    assert auth.authenticate(ports, answer["token"]).sub == advisor.sub


def test_the_retry_waits_only_for_the_rest_of_the_logout_second(ports, wall, advisor):
    ports.clock.advance(seconds=0.25)
    auth.logout(ports, advisor)

    log_in(ports, wall)

    assert wall.slept == [0.75]


def test_a_login_after_the_logout_second_needs_no_retry(ports, wall, advisor):
    auth.logout(ports, advisor)
    ports.clock.advance(seconds=1)

    answer = log_in(ports, wall)

    assert wall.slept == []
    assert auth.authenticate(ports, answer["token"]).sub == advisor.sub


# --- tokens -------------------------------------------------------------------------------------

def test_a_verified_token_is_its_person_with_every_membership(ports, wall, advisor):
    person = auth.authenticate(ports, log_in(ports, wall)["token"])

    assert person.email == EMAIL
    assert [m.tenant_id for m in person.memberships] == [advisor.tenant_id]


def test_a_token_the_verifier_refuses_is_unauthenticated(ports):
    with pytest.raises(Unauthenticated):
        auth.authenticate(ports, "token-vervalst")


def test_a_token_of_a_login_without_a_person_is_unauthenticated(ports):
    ports.identity.create_login("los@example.com", "Los-wachtwoord-2026!")
    token, _ = ports.identity.login("los@example.com", "Los-wachtwoord-2026!")

    with pytest.raises(Unauthenticated):
        auth.authenticate(ports, token)


def test_a_token_of_a_person_without_memberships_is_unauthenticated(ports, wall, advisor):
    token = log_in(ports, wall)["token"]
    person = ports.people.persons[advisor.sub]
    ports.people.persons[advisor.sub] = Person(sub=person.sub, email=person.email, memberships=())

    with pytest.raises(Unauthenticated):
        auth.authenticate(ports, token)


def test_logout_refuses_every_earlier_token_of_the_login(ports, wall, advisor):
    first = log_in(ports, wall)["token"]
    ports.clock.advance(minutes=5)
    second = log_in(ports, wall)["token"]
    ports.clock.advance(minutes=5)

    auth.logout(ports, advisor)

    for token in (first, second):
        with pytest.raises(Unauthenticated):
            auth.authenticate(ports, token)


def test_logout_refuses_a_token_issued_earlier_in_the_same_second(ports, wall, advisor):
    ports.clock.advance(seconds=0.5)
    token = log_in(ports, wall)["token"]

    auth.logout(ports, advisor)

    with pytest.raises(Unauthenticated):
        auth.authenticate(ports, token)


def test_logout_leaves_the_tokens_of_other_logins_alone(ports, wall, advisor):
    a_firm(ports, name="Ander Kantoor", email="ander@kantoor.example")
    other = log_in(ports, wall, "ander@kantoor.example")["token"]

    auth.logout(ports, advisor)

    assert auth.authenticate(ports, other).email == "ander@kantoor.example"


def test_the_revocation_is_stamped_with_the_wall_clock_not_the_business_clock(ports, advisor):
    from chalicelib.clock import FixedClock

    wall = FakeWallClock(FixedClock(ports.clock.now() + timedelta(hours=2)))
    ports._wall = wall
    auth.logout(ports, advisor)

    assert ports.people.find(advisor.sub).revoked_before == int(wall.now().timestamp()) + 1


# --- the operator's password reset --------------------------------------------------------------

def test_a_reset_password_works_and_the_old_one_does_not(ports, wall, advisor):
    auth.reset_password(ports, EMAIL, "Opnieuw-gezet-2026!")

    with pytest.raises(InvalidCredentials):
        log_in(ports, wall)
    ports.clock.advance(seconds=1)
    assert log_in(ports, wall, password="Opnieuw-gezet-2026!")["role"] == "advisor"


def test_a_reset_password_refuses_every_earlier_token(ports, wall, advisor):
    token = log_in(ports, wall)["token"]

    auth.reset_password(ports, EMAIL.upper(), "Opnieuw-gezet-2026!")

    with pytest.raises(Unauthenticated):
        auth.authenticate(ports, token)


def test_a_reset_for_an_address_without_a_login_is_not_found_and_touches_no_login(ports, wall):
    ports.identity.create_login("los@example.com", "Los-wachtwoord-2026!")

    with pytest.raises(NotFound):
        auth.reset_password(ports, "los@example.com", "Opnieuw-gezet-2026!")
    assert ports.identity.users["los@example.com"][0] == "Los-wachtwoord-2026!"


# --- the bearer header --------------------------------------------------------------------------

def test_a_bearer_header_gives_its_token():
    assert auth.bearer_token("Bearer a.b.c") == "a.b.c"
    assert auth.bearer_token("  bearer   a.b.c  ") == "a.b.c"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic a.b.c", "Bearer abc", "Bearer a.b", "a.b.c"])
def test_a_header_without_a_bearer_jwt_is_a_missing_token(header):
    with pytest.raises(Unauthenticated) as refused:
        auth.bearer_token(header)
    assert refused.value.message == "missing_token"
