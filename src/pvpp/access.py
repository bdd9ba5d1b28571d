"""The ministry console's access rules, as pure functions: the roles and what each may do,
the password policy, the lock-out after repeated failures, which TOTP time steps a
code may match (and that none is used twice), and what an OpenID Connect provider's
id_token must say to stand for an account and for its second factor.

Nothing here reads a clock, a database or a secret: the services (:mod:`pvpp.accounts`,
:mod:`pvpp.console_auth`) hand in "now", the stored counts and the steps; the
tests in ``tests/core/test_access.py`` use plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "ANALYST",
    "CAPABILITIES",
    "COORDINATOR",
    "MAX_PASSWORD",
    "MIN_DISTINCT",
    "MIN_PASSWORD",
    "READ_NATIONAL",
    "READ_ROUNDS",
    "REVIEW",
    "REVIEWER",
    "ROLES",
    "RUN",
    "Lockout",
    "after_failure",
    "candidate_steps",
    "idp_second_factor",
    "is_locked",
    "may",
    "password_problem",
    "roles_with",
    "step_is_fresh",
    "verified_email",
]

COORDINATOR, REVIEWER, ANALYST = "coordinator", "reviewer", "analyst"
#: Every console role, most powerful first.
ROLES = (COORDINATOR, REVIEWER, ANALYST)

# What a console page needs (a route names the roles it admits through
# pvpp.web.deps.console_person; these name the same split for services and docs).
#: National results: figures across institutions and rounds, plans drafted from them.
READ_NATIONAL = "read_national"
#: A round's progress and its institutions' submissions.
READ_ROUNDS = "read_rounds"
#: Accepting or returning a submission.
REVIEW = "review"
#: Everything else: rounds, reminders, plans, accounts.
RUN = "run"

#: The issue's split: the coordinator does everything, the reviewer reviews and reads,
#: the analyst reads national results only.
CAPABILITIES: dict[str, frozenset[str]] = {
    COORDINATOR: frozenset({READ_NATIONAL, READ_ROUNDS, REVIEW, RUN}),
    REVIEWER: frozenset({READ_NATIONAL, READ_ROUNDS, REVIEW}),
    ANALYST: frozenset({READ_NATIONAL}),
}


def may(role: str, capability: str) -> bool:
    """Whether ``role`` may do ``capability`` (an unknown role may do nothing)."""
    return capability in CAPABILITIES.get(role, frozenset())


def roles_with(capability: str) -> tuple[str, ...]:
    """The roles that may do ``capability``, most powerful first (what a console route
    admits: ``console_person(*roles_with(REVIEW))``)."""
    return tuple(r for r in ROLES if may(r, capability))


# -- passwords ---------------------------------------------------------------------------

#: NIST SP 800-63B asks for at least 8 characters of a memorised secret chosen by the
#: person; these accounts reach every institution's answers, so 12.
MIN_PASSWORD = 12
#: Long enough for any passphrase; the bound keeps one request from making argon2 hash
#: megabytes.
MAX_PASSWORD = 256
#: "aaaaaaaaaaaa" and "121212121212" are as long as a password and as weak as none.
MIN_DISTINCT = 5


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """What is wrong with ``password`` for the account of ``email`` and ``name``, as one
    English sentence that says what to do; None when it may be used.

    The rules (NIST SP 800-63B: length, no composition rules, nothing taken from the
    account itself): at least :data:`MIN_PASSWORD` and at most :data:`MAX_PASSWORD`
    characters, at least :data:`MIN_DISTINCT` different characters, no control
    characters, and not containing the address, its local part or the name."""
    if len(password) < MIN_PASSWORD:
        return (
            f"the password is too short ({len(password)} characters): use at least "
            f"{MIN_PASSWORD}, for example a few unrelated words"
        )
    if len(password) > MAX_PASSWORD:
        return f"the password is too long ({len(password)} characters): use at most {MAX_PASSWORD}"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        return "the password contains a control character (a tab or a line break?): leave it out"
    if len(set(password)) < MIN_DISTINCT:
        return (
            f"the password repeats too few characters ({len(set(password))} different): use "
            f"at least {MIN_DISTINCT} different characters"
        )
    low = password.casefold()
    local = email.split("@", 1)[0].casefold()
    taken = [part for part in (email.casefold(), local, name.casefold()) if len(part) >= 4]
    if any(part in low for part in taken):
        return "the password contains the account's address or name: choose one that does not"
    return None


# -- lock-out ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    """After ``most`` failed sign-in attempts in a row (a wrong password or a wrong code)
    the account is refused for ``lasting``."""

    most: int
    lasting: timedelta

    def __post_init__(self) -> None:
        if self.most < 1:
            raise ValueError(f"a lock-out comes after at least one failure, not {self.most}")
        if self.lasting <= timedelta(0):
            raise ValueError("a lock-out must last longer than nothing")


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    """Whether an account locked until ``locked_until`` is still locked at ``now``."""
    return locked_until is not None and now < locked_until


def after_failure(failures: int, now: datetime, policy: Lockout) -> tuple[int, datetime | None]:
    """The failures in a row and the lock after one more failure at ``now``: with the
    ``policy.most``-th the account is locked until ``now + policy.lasting`` and the count
    starts again (so the next lock-out, after the lock ends, takes as many failures);
    otherwise the count goes up and there is no lock. A success sets the count to 0."""
    count = max(0, failures) + 1
    if count >= policy.most:
        return 0, now + policy.lasting
    return count, None


# -- TOTP time steps ----------------------------------------------------------------------


def candidate_steps(now_step: int, drift: int = 1) -> list[int]:
    """The time steps a code typed at ``now_step`` may belong to: the current one first,
    then up to ``drift`` steps either side (a phone's clock a little off, a code typed as
    it changed; RFC 6238 section 5.2 recommends at most one)."""
    out = [now_step]
    for d in range(1, drift + 1):
        out += [now_step - d, now_step + d]
    return out


def step_is_fresh(matched: int, used: Iterable[int | None]) -> bool:
    """Whether a code matching time step ``matched`` may be used: only when it is later
    than every step already used for the account (RFC 6238 section 5.2: a code is
    accepted once; a code of an earlier step after a later one was used is a replay)."""
    return all(last is None or matched > last for last in used)


# -- OpenID Connect -------------------------------------------------------------------------


def verified_email(claims: Mapping[str, object]) -> tuple[str | None, str]:
    """The address an id_token vouches for, in lower case, and ``""``; or None and why
    not (``no_email``: none, or not an address; ``email_unverified``: ``email_verified``
    is not true). Only a provider's *verified* address may stand for a console account:
    an address anyone can type into their profile at the provider proves nothing."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or len(email.strip()) > 254:
        return None, "no_email"
    if claims.get("email_verified") is not True:
        return None, "email_unverified"
    return email.strip().lower(), ""


def idp_second_factor(
    claims: Mapping[str, object], *, mfa_amr: Iterable[str], mfa_acr: Iterable[str]
) -> bool:
    """Whether the id_token shows the provider asked a second factor itself, so the
    console's TOTP code need not be asked again: one of its ``amr`` values (RFC 8176:
    ``mfa``, ``otp``, ``hwk``…) is in ``mfa_amr``, or its ``acr`` is in ``mfa_acr``. With
    both empty (the default) never: the code is always asked."""
    amr = claims.get("amr")
    said = {v for v in amr if isinstance(v, str)} if isinstance(amr, list) else set()
    acr = claims.get("acr")
    return bool(said & set(mfa_amr)) or (isinstance(acr, str) and acr in set(mfa_acr))
