"""The console's access rules (pvpp.access): roles, the password policy, the lock-out and
the TOTP steps a code may use, what an OpenID Connect id_token must say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pvpp.access import (
    ANALYST,
    COORDINATOR,
    READ_NATIONAL,
    READ_ROUNDS,
    REVIEW,
    REVIEWER,
    RUN,
    Lockout,
    after_failure,
    candidate_steps,
    idp_second_factor,
    is_locked,
    may,
    password_problem,
    roles_with,
    step_is_fresh,
    verified_email,
)

NOW = datetime(2026, 4, 2, 10, 0, tzinfo=UTC)
POLICY = Lockout(5, timedelta(minutes=15))


def test_the_coordinator_does_everything_the_reviewer_reviews_the_analyst_reads_results() -> None:
    assert all(may(COORDINATOR, c) for c in (READ_NATIONAL, READ_ROUNDS, REVIEW, RUN))
    assert [may(REVIEWER, c) for c in (READ_NATIONAL, READ_ROUNDS, REVIEW, RUN)] == [
        True, True, True, False,
    ]  # fmt: skip
    assert [may(ANALYST, c) for c in (READ_NATIONAL, READ_ROUNDS, REVIEW, RUN)] == [
        True, False, False, False,
    ]  # fmt: skip
    assert not may("head", READ_NATIONAL) and not may("", RUN)


def test_the_roles_with_a_capability_are_those_that_may_do_it_most_powerful_first() -> None:
    assert roles_with(READ_NATIONAL) == (COORDINATOR, REVIEWER, ANALYST)
    assert roles_with(READ_ROUNDS) == roles_with(REVIEW) == (COORDINATOR, REVIEWER)
    assert roles_with(RUN) == (COORDINATOR,)
    assert roles_with("fly") == ()


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("short pass", "too short (10 characters): use at least 12"),
        ("", "too short (0 characters)"),
        ("x" * 257, "too long (257 characters): use at most 256"),
        ("aaaaaaaaaaaaaaaa", "too few characters (1 different)"),
        ("121212121212", "too few characters (2 different)"),
        ("line one\nline two", "control character"),
        ("Ilze.Berzina-2026!", "address or name"),
        ("my ilze berzina pass", "address or name"),
    ],
)
def test_weak_passwords_are_refused_with_what_to_do(password: str, says: str) -> None:
    problem = password_problem(password, email="ilze.berzina@varam.gov.lv", name="Ilze Berzina")
    assert problem is not None and says in problem


def test_a_long_varied_password_is_taken() -> None:
    assert password_problem("zaļš kalns mazs ezers", email="a@varam.gov.lv", name="Ilze") is None
    # Exactly the shortest allowed.
    assert password_problem("correct hor5", email="x@y.lv") is None
    # A short name or local part ("a@…", "Al") is not looked for: it would refuse too much.
    assert password_problem("a balanced passphrase Al", email="a@y.lv", name="Al") is None


def test_failures_count_up_and_the_fifth_locks_for_the_policy_s_time() -> None:
    failures, until = 0, None
    for expected in (1, 2, 3, 4):
        failures, until = after_failure(failures, NOW, POLICY)
        assert (failures, until) == (expected, None)
    failures, until = after_failure(failures, NOW, POLICY)
    assert failures == 0 and until == NOW + timedelta(minutes=15)
    assert is_locked(until, NOW + timedelta(minutes=14, seconds=59))
    assert not is_locked(until, NOW + timedelta(minutes=15))
    assert not is_locked(None, NOW)


def test_a_lock_out_policy_must_be_meaningful() -> None:
    with pytest.raises(ValueError, match="at least one failure"):
        Lockout(0, timedelta(minutes=1))
    with pytest.raises(ValueError, match="longer than nothing"):
        Lockout(3, timedelta(0))
    assert after_failure(0, NOW, Lockout(1, timedelta(seconds=1)))[1] == NOW + timedelta(seconds=1)


def test_a_code_may_match_its_step_or_one_either_side() -> None:
    assert candidate_steps(100) == [100, 99, 101]
    assert candidate_steps(100, drift=0) == [100]
    assert candidate_steps(100, drift=2) == [100, 99, 101, 98, 102]


def test_a_step_is_used_once_and_never_one_before_it() -> None:
    assert step_is_fresh(100, [None])
    assert step_is_fresh(101, [100])
    assert not step_is_fresh(100, [100])  # the same code again, within its window
    assert not step_is_fresh(99, [100])  # the previous step's code after this step's


# -- OpenID Connect ---------------------------------------------------------------------


def test_only_a_verified_address_stands_for_an_account() -> None:
    assert verified_email({"email": " Ilze.Berzina@VARAM.gov.lv ", "email_verified": True}) == (
        "ilze.berzina@varam.gov.lv", "")  # fmt: skip
    assert verified_email({"email": "a@b.lv", "email_verified": False}) == (
        None, "email_unverified")  # fmt: skip
    # Not the string "true", not missing: only JSON's true.
    assert verified_email({"email": "a@b.lv", "email_verified": "true"})[1] == "email_unverified"
    assert verified_email({"email": "a@b.lv"})[1] == "email_unverified"
    assert verified_email({"email_verified": True}) == (None, "no_email")
    assert verified_email({"email": "no address", "email_verified": True})[1] == "no_email"
    assert verified_email({"email": ["a@b.lv"], "email_verified": True})[1] == "no_email"


def test_the_provider_s_second_factor_counts_only_as_configured() -> None:
    mfa = {"amr": ["pwd", "mfa"], "acr": "high"}
    assert not idp_second_factor(mfa, mfa_amr=(), mfa_acr=())  # the default: never
    assert idp_second_factor(mfa, mfa_amr={"mfa", "otp"}, mfa_acr=())
    assert not idp_second_factor({"amr": ["pwd"]}, mfa_amr={"mfa", "otp"}, mfa_acr=())
    assert not idp_second_factor({"amr": "mfa"}, mfa_amr={"mfa"}, mfa_acr=())  # not a list
    assert idp_second_factor(mfa, mfa_amr=(), mfa_acr=("substantial", "high"))
    assert not idp_second_factor({"acr": "low"}, mfa_amr=(), mfa_acr=("high",))
    assert not idp_second_factor({"acr": ["high"]}, mfa_amr=(), mfa_acr=("high",))
