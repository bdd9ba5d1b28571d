"""Database tables. Nothing here is updated in place where history matters: corrections
create new rows that supersede earlier ones, and every state change is recorded.

JSON columns hold structured values whose shape is owned by the domain modules (answers,
problems, score breakdowns); they are never queried inside SQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (the column type refuses naive datetimes)."""
    return datetime.now(UTC)


class _Keyed(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(row: _Keyed) -> int:
    """The primary key of a row the database has already stored (added and flushed).

    Every table declares ``id: int | None`` because a new row has no key until the
    database gives it one. Code that holds a stored row says so with this and gets an
    ``int``; a row that was never flushed is a programming error and raises.
    """
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: it was never flushed")
    return row.id


def json_column() -> Any:
    return Field(default=None, sa_column=Column(JSON))


class Institution(SQLModel, table=True):
    """An institution of table 1, as kept in the registry."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=40)
    name: str = Field(max_length=300)
    group_id: str = Field(max_length=10)
    subtype_id: str | None = Field(default=None, max_length=20)
    parent_code: str | None = Field(default=None, max_length=40)
    head_name: str = Field(max_length=200)
    head_email: str = Field(max_length=254)
    scope: str = Field(max_length=20)  # round1 | excluded | voluntary
    exclusion_id: str | None = Field(default=None, max_length=20)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RegistryImport(SQLModel, table=True):
    """One run of ``pvpp registry import``: the file as received and what it changed."""

    id: int | None = Field(default=None, primary_key=True)
    file_sha256: str = Field(foreign_key="storedfile.sha256", max_length=64)
    filename: str = Field(max_length=500)
    imported_at: datetime = Field(default_factory=utcnow)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: Any = json_column()


class Team(SQLModel, table=True):
    """The RV1 implementation team of an institution."""

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="institution.id", unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class TeamMember(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    is_lead: bool = False
    active: bool = True
    added_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None

    __table_args__ = (UniqueConstraint("team_id", "email"),)


class Training(SQLModel, table=True):
    """Attendance of a policy training (P1.1, P1.3, P2.2, P4.2, P4.4, P4.6)."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="teammember.id", index=True)
    measure_id: str = Field(max_length=10)
    attended_on: date

    __table_args__ = (UniqueConstraint("member_id", "measure_id", "attended_on"),)


class RepresentativeTraining(SQLModel, table=True):
    """Attendance of P1.1 by an institution's representative, who need not (yet) be a
    member of its team: P1.1 trains "iestāžu pārstāvjus" before the teams exist (P1.2)."""

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="institution.id", index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    measure_id: str = Field(max_length=10)
    attended_on: date
    recorded_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (UniqueConstraint("institution_id", "email", "measure_id", "attended_on"),)


class Round(SQLModel, table=True):
    """An assessment round with its frozen policy and questionnaire versions."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=40)
    policy_version: str = Field(max_length=40)
    questionnaire_version: str = Field(max_length=40)
    opens_on: date
    due_on: date
    created_at: datetime = Field(default_factory=utcnow)
    # A valid submission waits in "submitted" for a reviewer (pvpp.review) instead of being
    # accepted at once; decided when the round is created (rounds before 0014: False).
    review_required: bool = False


class RoundSkip(SQLModel, table=True):
    """An institution asked for in a round but given no assignment, and why."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    institution_id: int = Field(foreign_key="institution.id")
    reason: str = Field(max_length=40)  # excluded:<4.1.5.x> | no_role | out_of_scope
    __table_args__ = (UniqueConstraint("round_id", "institution_id"),)


class Assignment(SQLModel, table=True):
    """One institution in one round; ``state`` follows :mod:`pvpp.assignments`."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    institution_id: int = Field(foreign_key="institution.id", index=True)
    state: str = Field(max_length=20)
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (UniqueConstraint("round_id", "institution_id"),)


class Transition(SQLModel, table=True):
    """Every state change of an assignment: who, when and why."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str = Field(max_length=20)
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=100)
    reason: str = Field(default="", max_length=2000)


class StoredFile(SQLModel, table=True):
    """A received file, kept byte for byte under its SHA-256."""

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    path: str = Field(max_length=500)
    first_seen_at: datetime = Field(default_factory=utcnow)


class Submission(SQLModel, table=True):
    """A workbook received for an assignment (or unmatched), with the checker's verdict."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int | None = Field(default=None, foreign_key="assignment.id", index=True)
    file_sha256: str = Field(foreign_key="storedfile.sha256", unique=True, max_length=64)
    filename: str = Field(max_length=500)
    source: str = Field(max_length=500)
    received_at: datetime = Field(default_factory=utcnow)
    status: str = Field(max_length=20)  # accepted | incomplete | rejected
    problems: Any = json_column()
    meta: Any = json_column()
    supersedes_id: int | None = Field(default=None, foreign_key="submission.id")
    # The assignment's state when the file arrived, if it was one a workbook no longer
    # moves (pvpp.states.assignment.TAKES_WORKBOOK): the file is kept, not applied.
    late_state: str | None = Field(default=None, max_length=20)
    # The answers of a valid submission in a round with review, held for the reviewer
    # (pvpp.review); accepting makes them an AnswerSet, returning leaves them here. None is
    # stored as SQL NULL (not JSON null), so "held" is a condition the store can ask.
    answers: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True)))


class AnswerSet(SQLModel, table=True):
    """The answers of an accepted submission. The newest per assignment is current."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    submission_id: int = Field(foreign_key="submission.id", unique=True)
    answers: Any = json_column()
    created_at: datetime = Field(default_factory=utcnow)
    supersedes_id: int | None = Field(default=None, foreign_key="answerset.id")


class Review(SQLModel, table=True):
    """A reviewer's decision on one submission (:mod:`pvpp.review`): ``accepted`` or
    ``returned``, by whom and when, with the comment on the whole submission (required
    to return). Never updated: the assignment's next review supersedes this one."""

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    decision: str = Field(max_length=20)  # accepted | returned
    reviewer: str = Field(max_length=254)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    decided_at: datetime = Field(default_factory=utcnow)
    supersedes_id: int | None = Field(default=None, foreign_key="review.id")


class ReviewComment(SQLModel, table=True):
    """A reviewer's comment on one item of a submission (``item``: a policy item id, or
    ``services`` for the services' matrix), part of a :class:`Review`."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    item: str = Field(max_length=40)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))


class Plan(SQLModel, table=True):
    """A version of an institution's individual improvement plan."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    version: int
    answer_set_id: int = Field(foreign_key="answerset.id")
    inputs_sha256: str = Field(max_length=64)
    status: str = Field(default="draft", max_length=20)  # see pvpp.states.plan
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=100)
    note: str = Field(default="", max_length=2000)
    adjustments: Any = json_column()
    # The team's own targets per item: {item: {"target": degree, "reason": text}}.
    targets: Any = json_column()
    # What the planner's re-check found in the team's choices: [{"code", "params"}],
    # worded in the reader's language when shown (never applied to the plan).
    warnings: Any = json_column()
    # The head's approval: due when the plan goes out; the approved version is the agreed one.
    approval_due: date | None = None
    approved_at: datetime | None = None
    approved_by: str = Field(default="", max_length=254)

    __table_args__ = (UniqueConstraint("assignment_id", "version"),)


class PlanMeasure(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    position: int
    measure_id: str = Field(max_length=40)
    item_id: str = Field(max_length=10)
    dimension_id: str = Field(max_length=10)
    from_degree: int
    to_degree: int
    period: str = Field(max_length=20)
    due_on: date
    rv5_measure: str = Field(max_length=10)
    role: str = Field(max_length=40)
    funding: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    support: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    effort: str = Field(max_length=2)
    priority: float
    status: str = Field(default="planned", max_length=20)  # planned | dropped | done
    dropped_reason: str = Field(default="", max_length=2000)
    # library: the planner's proposal; alternative: another library measure for the same
    # step, chosen by the team; own: the team's own measure (its name in ``title``).
    origin: str = Field(default="library", max_length=20)
    title: str = Field(default="", max_length=500)
    # Services a P5.2 measure is for (names as the services sheet gives them).
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Funding already available for the measure (whole euros) and its link to the
    # planning documents (NAP2027, VPMP2027, DTP2027, ...), as the team states them (6.5).
    funding_eur: int | None = None
    funding_ref: str = Field(default="", max_length=500)


class PlanChange(SQLModel, table=True):
    """One change a team made to its plan proposal: what, before and after, who and when.

    ``kind`` is accept | alternative | move | drop | own | capacity | target; the row
    belongs to the plan version the change made."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    measure_id: str = Field(default="", max_length=40)
    kind: str = Field(max_length=20)
    before: Any = json_column()
    after: Any = json_column()
    reason: str = Field(default="", max_length=2000)
    actor: str = Field(max_length=254)
    source: str = Field(default="", max_length=500)
    at: datetime = Field(default_factory=utcnow)


class PlanSheet(SQLModel, table=True):
    """A plan sheet a team returned, kept whatever it was; the file itself is in the file
    store. An accepted sheet made a plan version (``new_plan_version``); a rejected one
    keeps its problems and changed no plan. A sheet whose metadata cannot be read or
    matched has no assignment (and, unread, no version)."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int | None = Field(default=None, foreign_key="assignment.id", index=True)
    plan_version: int | None = None  # the version the sheet was made from
    new_plan_version: int | None = None  # the version it made (accepted only)
    file_sha256: str = Field(foreign_key="storedfile.sha256", unique=True, max_length=64)
    filename: str = Field(max_length=500)
    source: str = Field(max_length=500)
    actor: str = Field(max_length=254)
    received_at: datetime = Field(default_factory=utcnow)
    status: str = Field(max_length=20)  # accepted | rejected
    problems: Any = json_column()


class PlanApproval(SQLModel, table=True):
    """A one-time approval link sent to a head for one plan version.

    Only the token's SHA-256 is stored; the link itself exists only in the email."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    token_sha256: str = Field(unique=True, max_length=64)
    issued_at: datetime = Field(default_factory=utcnow)
    expires_on: date
    used_at: datetime | None = None
    outcome: str = Field(default="", max_length=20)  # "" | approved | refused | superseded
    actor: str = Field(default="", max_length=254)
    # Why the head refused the plan (a refusal always gives one).
    reason: str = Field(default="", max_length=2000)


class SigninToken(SQLModel, table=True):
    """A one-time sign-in link for a person of an institution: a team member
    (``member_id``) or the head (no member). Only the token's SHA-256 is stored; the link
    exists only in the email (:mod:`pvpp.signin`)."""

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(unique=True, max_length=64)
    institution_id: int = Field(foreign_key="institution.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="teammember.id")
    email: str = Field(max_length=254)
    issued_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    # Who had it issued: "request" (the sign-in form), "demo", a command.
    issued_by: str = Field(default="", max_length=100)


class SigninAttempt(SQLModel, table=True):
    """One counted sign-in event, for the rate limits (:mod:`pvpp.signin`): a link asked
    for through the form (``request``; ``address`` is the HMAC of the typed address, so
    the table does not list who asked; ``limited`` when it was refused), or an unknown
    sign-in link opened (``guess``). ``client`` is the browser's address (IPv6: its /64).
    Rows older than a day are deleted as new ones come."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    kind: str = Field(max_length=10)  # request | guess
    client: str = Field(index=True, max_length=50)
    address: str = Field(default="", index=True, max_length=64)
    limited: bool = False


class WebSession(SQLModel, table=True):
    """A signed-in person's session in the portal (:mod:`pvpp.sessions`). Only the session
    id's SHA-256 is stored; the id itself is in the browser's cookie. A session is ended,
    never deleted: ``ended_at`` and ``end_reason`` (signout | idle | expired | replaced |
    revoked) say when and why."""

    id: int | None = Field(default=None, primary_key=True)
    sid_sha256: str = Field(unique=True, max_length=64)
    institution_id: int = Field(foreign_key="institution.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="teammember.id")
    email: str = Field(max_length=254)
    role: str = Field(max_length=10)  # team | lead | head, at sign-in
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    end_reason: str = Field(default="", max_length=20)
    user_agent: str = Field(default="", max_length=300)
    ip: str = Field(default="", max_length=45)


class ConsoleAccount(SQLModel, table=True):
    """A person of the ministry who signs in to the console (:mod:`pvpp.accounts`): a
    coordinator, reviewer or analyst. The password is kept as its argon2id hash and the
    TOTP secret encrypted under the installation's key, so a copy of the database signs
    nobody in. ``totp_step`` is the last time step whose code was used (a code works once);
    ``failed`` the failed attempts in a row and ``locked_until`` the lock-out
    (:mod:`pvpp.access`). An account is disabled, never deleted."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)  # lower case
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)  # coordinator | reviewer | analyst
    password_hash: str = Field(max_length=200)
    totp_secret: str = Field(max_length=200)  # AES-GCM under the installation's key
    totp_step: int | None = None
    disabled: bool = False
    failed: int = 0
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ConsoleSession(SQLModel, table=True):
    """A session of the console (:mod:`pvpp.console_auth`), kept apart from the portal's
    (:class:`WebSession`): its own cookie, so neither opens the other's pages. Only the
    session id's SHA-256 is stored. ``verified_at`` is None while the second factor is
    still to come (after the password); the id changes when it comes. Ended, never
    deleted: ``end_reason`` is signout | idle | expired | replaced | revoked | abandoned."""

    id: int | None = Field(default=None, primary_key=True)
    sid_sha256: str = Field(unique=True, max_length=64)
    account_id: int = Field(foreign_key="consoleaccount.id", index=True)
    method: str = Field(default="password", max_length=10)  # password | oidc
    created_at: datetime = Field(default_factory=utcnow)
    verified_at: datetime | None = None
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    end_reason: str = Field(default="", max_length=20)
    user_agent: str = Field(default="", max_length=300)
    ip: str = Field(default="", max_length=45)


class ConsoleOidcStart(SQLModel, table=True):
    """A sign-in to the console begun at an OpenID Connect provider
    (:mod:`pvpp.console_oidc`): what the browser's return is checked against, kept on the
    server (the browser holds only the id, whose SHA-256 is ``sid_sha256``, in a cookie).
    ``state_sha256`` and ``nonce_sha256`` are the digests of the values sent to the
    provider; ``verifier`` is PKCE's code verifier, sent with the code. Used once:
    ``ended_at`` is set when the browser comes back (whatever the outcome, in
    ``outcome``: ok | the reason refused); rows older than a day are deleted as new ones
    come."""

    id: int | None = Field(default=None, primary_key=True)
    sid_sha256: str = Field(unique=True, max_length=64)
    state_sha256: str = Field(max_length=64)
    nonce_sha256: str = Field(max_length=64)
    verifier: str = Field(max_length=128)
    client: str = Field(index=True, max_length=50)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    ended_at: datetime | None = None
    outcome: str = Field(default="", max_length=40)
    user_agent: str = Field(default="", max_length=300)
    ip: str = Field(default="", max_length=45)


class ApiToken(SQLModel, table=True):
    """A token of the read-only API (:mod:`pvpp.api_tokens`, ``pvpp user token``) held by
    a console account. Only the token's SHA-256 is stored, with its readable ``prefix``
    (``pvpp_`` and eight characters) that names it; the token itself is shown once.
    ``role`` is its scope: the account's role or a narrower one (:mod:`pvpp.token_rules`).
    ``last_used_at`` is written at most once a minute. Revoked, never deleted."""

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(unique=True, max_length=64)
    prefix: str = Field(unique=True, max_length=20)
    account_id: int = Field(foreign_key="consoleaccount.id", index=True)
    name: str = Field(default="", max_length=100)
    role: str = Field(max_length=20)  # coordinator | reviewer | analyst
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=100)
    last_used_at: datetime | None = None
    last_used_ip: str = Field(default="", max_length=45)
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str = Field(default="", max_length=100)


class DraftAnswer(SQLModel, table=True):
    """One saved value of one field of an assignment's answers being filled online
    (:mod:`pvpp.drafts`). Never updated: every save is a new row and the newest row of a
    field is its value (the last change wins), with who and when. ``value`` is the text as
    given, checked when read (``""``: cleared). ``source``: ``web`` (a page or an
    autosave), ``pending`` (kept over an ended session and saved after signing in again),
    ``workbook`` (a workbook uploaded in the portal, :class:`DraftUpload`)."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    field: str = Field(max_length=40)
    value: str = Field(default="", sa_column=Column(Text, nullable=False))
    member_id: int | None = Field(default=None, foreign_key="teammember.id")
    actor: str = Field(max_length=254)  # the person's address (or what wrote it)
    name: str = Field(default="", max_length=200)  # who, as shown beside the field
    source: str = Field(default="web", max_length=20)
    saved_at: datetime = Field(default_factory=utcnow)


class EvidenceFile(SQLModel, table=True):
    """A file a team attached as evidence in the portal (:mod:`pvpp.evidence`): to an item
    of the questionnaire (``kind`` ``item``, ``target`` the item id) or to a measure of
    its plan (``kind`` ``measure``, ``target`` the measure id), for one assignment. The
    bytes are in the file store under ``file_sha256``; ``name`` is the name it was sent
    with (shown escaped), ``media_type`` the kind its content was found to be. Never
    deleted: removing it marks the row (``removed_at``, ``removed_by``) and the stored
    file stays."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    kind: str = Field(max_length=10)  # item | measure
    target: str = Field(max_length=40)
    file_sha256: str = Field(foreign_key="storedfile.sha256", max_length=64)
    name: str = Field(max_length=255)
    size: int
    media_type: str = Field(max_length=100)
    member_id: int | None = Field(default=None, foreign_key="teammember.id")
    actor: str = Field(max_length=254)  # the address of who attached it
    actor_name: str = Field(default="", max_length=200)  # who, as the list shows them
    added_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None
    removed_by: str = Field(default="", max_length=254)


class PendingAnswers(SQLModel, table=True):
    """Answers that arrived with a session that had just ended (idle or too old): kept
    under a random key (only its SHA-256 here, the key in a short-lived cookie) and saved
    when the same person signs in again (:func:`pvpp.drafts.apply_pending`)."""

    id: int | None = Field(default=None, primary_key=True)
    key_sha256: str = Field(unique=True, max_length=64)
    session_id: int = Field(foreign_key="websession.id", index=True)
    assignment_id: int = Field(foreign_key="assignment.id")
    answers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    back_to: str = Field(default="/", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    applied_at: datetime | None = None
    outcome: str = Field(default="", max_length=20)  # applied | other_person | expired


class DraftUpload(SQLModel, table=True):
    """A workbook uploaded in the portal and taken into an assignment's draft
    (:mod:`pvpp.draft_workbooks`): the file as received (stored by SHA-256, like the drop
    folder's), who uploaded it and when, the fields it changed (written as
    :class:`DraftAnswer` rows with source ``workbook``) and the rule breaches found in it,
    each with its sheet and cell. A refused upload writes nothing and is only audited."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    file_sha256: str = Field(foreign_key="storedfile.sha256", max_length=64)
    filename: str = Field(max_length=500)
    member_id: int | None = Field(default=None, foreign_key="teammember.id")
    actor: str = Field(max_length=254)
    name: str = Field(default="", max_length=200)
    uploaded_at: datetime = Field(default_factory=utcnow)
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    problems: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class AuditLog(SQLModel, table=True):
    """What happened, by whom, to what: the trail behind every change."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_key: str = Field(max_length=100)
    detail: Any = json_column()


class OutboxMessage(SQLModel, table=True):
    """One email, queued once per business key and delivered by :mod:`pvpp.mail.relay`.

    ``state`` goes queued → sending → sent, or failed with the server's reply; a temporary
    failure puts it back to queued with a later ``next_attempt_at``. The Message-ID is made
    once, when the row is queued, so a resend after a crash carries the same one.
    """

    id: int | None = Field(default=None, primary_key=True)
    # "<round>|<institution>|<kind>|<version>": one message per business event, ever.
    business_key: str = Field(unique=True, max_length=200)
    round_code: str = Field(index=True, max_length=40)
    institution_code: str = Field(index=True, max_length=40)
    kind: str = Field(max_length=20)
    # The plan version for plan, follow-up and escalation; the submission id for a
    # returned workbook (each return is its own message); the plan sheet id for a plan
    # sheet returned or taken; 0 otherwise.
    version: int = 0
    lang: str = Field(default="lv", max_length=2)
    message_id: str = Field(unique=True, max_length=250)
    from_addr: str = Field(max_length=400)
    # Lists of {"name": display name, "email": addr-spec}.
    to_addrs: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    cc_addrs: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    subject: str = Field(max_length=500)
    body_text: str
    body_html: str | None = None
    # Lists of {"filename", "content_type", "sha256", "size"}; bytes in the file store.
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    state: str = Field(default="queued", index=True, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    # The relay run holding the row while it is in "sending" (see pvpp.mail.relay).
    claimed_by: str | None = Field(default=None, max_length=40)
    claimed_at: datetime | None = None
    last_code: int | None = None
    last_error: str = Field(default="", max_length=2000)
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class DeliveryAttempt(SQLModel, table=True):
    """One try at handing an outbox message to the mail server, and what came of it."""

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outboxmessage.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    # sent | temporary | permanent | interrupted | local
    outcome: str = Field(max_length=20)
    smtp_code: int | None = None
    reply: str = Field(default="", max_length=2000)


class DeliveryRecipient(SQLModel, table=True):
    """What the mail server said about one recipient in one attempt (pvpp.states.outbox).

    The newest row per address is that recipient's state; an accepted address is left
    out of later tries, and the message's To addresses decide its state.
    """

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outboxmessage.id", index=True)
    attempt_id: int = Field(foreign_key="deliveryattempt.id", index=True)
    role: str = Field(max_length=2)  # to | cc
    address: str = Field(max_length=320)
    # accepted | deferred (4xx) | refused (5xx)
    outcome: str = Field(max_length=10)
    smtp_code: int | None = None
    reply: str = Field(default="", max_length=2000)


class StatusReport(SQLModel, table=True):
    """A status sheet received for a plan (RV5 follow-up), as checked; kept whatever it was."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int | None = Field(default=None, foreign_key="assignment.id", index=True)
    plan_version: int | None = None
    period_end: date | None = None
    file_sha256: str = Field(foreign_key="storedfile.sha256", unique=True, max_length=64)
    filename: str = Field(max_length=500)
    source: str = Field(max_length=500)
    received_at: datetime = Field(default_factory=utcnow)
    status: str = Field(max_length=20)  # accepted | incomplete | rejected
    problems: Any = json_column()
    supersedes_id: int | None = Field(default=None, foreign_key="statusreport.id")
    new_plan_version: int | None = None  # when the report changed the plan


class MeasureStatus(SQLModel, table=True):
    """What a team reported about one measure; the newest row per measure is current."""

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="statusreport.id", index=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    measure_id: str = Field(max_length=40)
    status: str = Field(max_length=20)  # done | in_progress | not_started | move | drop
    new_due: date | None = None
    comment: str = Field(default="", max_length=2000)
    # What shows it (the portal asks for it; the status sheet has no column for it).
    evidence: str = Field(default="", max_length=2000)


class RoundMilestone(SQLModel, table=True):
    """An RV3/RV4 national measure (regulation, guidelines, trainings) tracked for a round."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    measure_id: str = Field(max_length=10)
    due_on: date
    state: str = Field(default="planned", max_length=20)  # planned | in_progress | done
    updated_at: datetime = Field(default_factory=utcnow)
    note: str = Field(default="", max_length=2000)


class NationalPlan(SQLModel, table=True):
    """A version of a specialised plan (RV6 or RV7) of a round, drafted from the round's
    aggregated gaps and edited by a coordinator: each save is a new version, older kept."""

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    direction: str = Field(max_length=10)  # RV6 | RV7
    version: int
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=254)
    note: str = Field(default="", max_length=2000)
    # The needs the plan answers, as counted when it was drafted (pvpp.specialised.Need
    # records), kept with every version so each reads the same later.
    needs: Any = json_column()
    # What the needs count: the round's closure (its date) or the current answers.
    counted_on: date | None = None

    __table_args__ = (UniqueConstraint("round_id", "direction", "version"),)


class NationalPlanMeasure(SQLModel, table=True):
    """A measure of a specialised plan version (pvpp.specialised.Measure)."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="nationalplan.id", index=True)
    position: int
    key: str = Field(max_length=20)
    template: str = Field(default="", max_length=40)
    title: Any = json_column()  # {"lv": ..., "en": ...}
    description: Any = json_column()
    responsible: str = Field(max_length=300)
    due_on: date
    policy_measure: str = Field(max_length=10)
    items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    institutions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="planned", max_length=20)  # planned | dropped
    dropped_reason: str = Field(default="", max_length=2000)
    provisional: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class NationalPlanChange(SQLModel, table=True):
    """One change a version made: ``kind`` draft | add | change | drop, the measure before
    and after, the reason, who and when."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="nationalplan.id", index=True)
    measure_key: str = Field(default="", max_length=20)
    kind: str = Field(max_length=20)
    before: Any = json_column()
    after: Any = json_column()
    reason: str = Field(default="", max_length=2000)
    actor: str = Field(max_length=254)
    at: datetime = Field(default_factory=utcnow)
