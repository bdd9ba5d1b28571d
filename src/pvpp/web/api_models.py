"""The read-only API's response models: what each route of ``/api/v1`` answers, with a
description and an example of every field (they make the OpenAPI document,
``/api/v1/openapi.json``, and docs/api.md shows the same examples)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Assignment",
    "AssignmentDetail",
    "AssignmentPage",
    "ComponentScore",
    "ErrorBody",
    "ErrorDetail",
    "Institution",
    "ItemScore",
    "MeasureCounts",
    "PlanPage",
    "PlanSummary",
    "Round",
    "RoundPage",
    "Scores",
    "StateChange",
    "TokenInfo",
    "Warning",
]

_STATES = "invited, in_progress, returned, submitted, accepted, planned, plan_sent, in_follow_up"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(_Model):
    code: str = Field(
        description="What went wrong, for programs: missing_token, invalid_token, "
        "forbidden, rate_limited, not_found, round_not_found, assignment_not_found, "
        "no_accepted_answers, no_plan, no_earlier_round, invalid_parameter, "
        "method_not_allowed, internal_error",
        examples=["assignment_not_found"],
    )
    message: str = Field(
        description="What went wrong, for people (English)",
        examples=["round 2026-K1 has no assignment 999"],
    )


class ErrorBody(_Model):
    """Every error: a code and a message, never a traceback."""

    error: ErrorDetail = Field(description="What went wrong")


class TokenInfo(_Model):
    """The token the request presented."""

    prefix: str = Field(description="The token's readable prefix", examples=["pvpp_Xk3mQ9aZ"])
    name: str = Field(description="The name given to the token (what uses it)",
                      examples=["ministry dashboard"])  # fmt: skip
    account: str = Field(description="The console account it belongs to",
                         examples=["ilze.berzina@varam.gov.lv"])  # fmt: skip
    role: str = Field(description="Its scope: coordinator, reviewer or analyst",
                      examples=["reviewer"])  # fmt: skip
    capabilities: list[str] = Field(
        description="What it may do (read_national: rounds and their counts; read_rounds: "
        "assignments, scores, plans)",
        examples=[["read_national", "read_rounds"]],
    )
    expires_at: datetime = Field(description="When it stops working (UTC)",
                                 examples=["2027-03-02T09:00:00Z"])  # fmt: skip


class Round(_Model):
    """An assessment round with how many of its institutions are in each state."""

    code: str = Field(description="The round's code", examples=["2026-K1"])
    opens_on: date = Field(description="First day of the round", examples=["2026-01-15"])
    due_on: date = Field(description="Due date of the self-assessment", examples=["2026-03-31"])
    policy_version: str = Field(description="The policy data the round is scored by",
                                examples=["pvpp2027-v1"])  # fmt: skip
    questionnaire_version: str = Field(description="The questionnaire it asks",
                                       examples=["pvpp2027-q2"])  # fmt: skip
    review_required: bool = Field(
        description="Whether submissions wait for a reviewer before they are accepted",
        examples=[True],
    )
    closed_on: date | None = Field(
        description="The day the round was closed for publication; null while open",
        examples=[None],
    )
    assignments: int = Field(description="Institutions assigned to the round", examples=[143])
    states: dict[str, int] = Field(
        description=f"How many assignments are in each state (every state: {_STATES})",
        examples=[{"invited": 12, "in_progress": 30, "returned": 1, "submitted": 4,
                   "accepted": 20, "planned": 6, "plan_sent": 50, "in_follow_up": 20}],
    )  # fmt: skip


class Institution(_Model):
    code: str = Field(description="The institution's code in the registry", examples=["VID"])
    name: str = Field(description="Its name", examples=["Valsts ieņēmumu dienests"])
    group: str = Field(description="Its institution group (table 1)", examples=["2"])


class Assignment(_Model):
    """One institution in one round, and its state."""

    id: int = Field(description="The assignment's id", examples=[17])
    institution: Institution = Field(description="The institution")
    state: str = Field(description=f"Its state: one of {_STATES}", examples=["plan_sent"])
    updated_at: datetime = Field(description="When the state last changed (UTC)",
                                 examples=["2026-04-01T07:12:03Z"])  # fmt: skip
    flags: list[str] = Field(
        description="RV1 flags given when the round was created (no team, no lead, a "
        "training missing)",
        examples=[["no_training_P1.3"]],
    )
    answers_accepted_at: datetime | None = Field(
        description="When its current answers were accepted; null before any were",
        examples=["2026-03-20T10:00:00Z"],
    )
    plan_version: int | None = Field(description="Its newest plan version; null before a plan",
                                     examples=[2])  # fmt: skip


class StateChange(_Model):
    from_state: str | None = Field(description="The state before (null: created)",
                                   examples=["submitted"])  # fmt: skip
    to_state: str = Field(description="The state after", examples=["accepted"])
    at: datetime = Field(description="When (UTC)", examples=["2026-03-20T10:00:00Z"])


class AssignmentDetail(Assignment):
    """One assignment with every state it went through."""

    transitions: list[StateChange] = Field(description="Its state changes, oldest first")


class ComponentScore(_Model):
    component: str = Field(description="The component's id", examples=["C1"])
    score: float | None = Field(description="Weighted mean of its rated items; null if none",
                                examples=[1.75])  # fmt: skip
    rated_items: int = Field(description="Items with a score", examples=[4])
    items: int = Field(description="Items of the component", examples=[4])


class ItemScore(_Model):
    item: str = Field(description="The item's id", examples=["1.1"])
    component: str = Field(description="Its component", examples=["C1"])
    degrees: dict[str, int | str | None] = Field(
        description="The answer per dimension: a degree, 'unknown', 'unclear', "
        "'not_applicable', or null",
        examples=[{"D1": 2, "D2": 1, "D3": "unknown", "D4": 2}],
    )
    score: float | None = Field(description="Mean of the rated dimensions; null if unrated",
                                examples=[1.25])  # fmt: skip
    weight: float = Field(description="The item's weight", examples=[1.0])
    national_target: int = Field(description="The national target degree", examples=[3])
    own_target: int | None = Field(description="The institution's own target, if given",
                                   examples=[None])  # fmt: skip
    target: int = Field(description="The target that counts", examples=[3])
    gap: float | None = Field(description="Target minus score, not below 0", examples=[1.75])
    foundation_factor: float = Field(description="The component's foundation factor",
                                     examples=[1.5])  # fmt: skip
    priority: float | None = Field(description="Gap × weight × foundation factor",
                                   examples=[2.625])  # fmt: skip


class Warning(_Model):
    code: str = Field(description="The consistency warning's code",
                      examples=["high_without_evidence"])  # fmt: skip
    item: str = Field(description="The item it is about", examples=["1.1"])
    message: dict[str, str] = Field(
        description="Its text in Latvian (lv) and English (en)",
        examples=[{"lv": "1.1: pakāpe 3 bez pierādījuma", "en": "1.1: degree 3 without evidence"}],
    )


class Scores(_Model):
    """The scores of an assignment's current accepted answers (method pvpp-score-2,
    docs/scoring.md)."""

    assignment_id: int = Field(description="The assignment's id", examples=[17])
    institution_code: str = Field(description="Its institution's code", examples=["VID"])
    round: str = Field(description="Its round's code", examples=["2026-K1"])
    answers_accepted_at: datetime = Field(description="When the scored answers were accepted",
                                          examples=["2026-03-20T10:00:00Z"])  # fmt: skip
    method: str = Field(description="The scoring method", examples=["pvpp-score-2"])
    top_degree: int = Field(description="The highest degree of the scale", examples=[4])
    overall: float | None = Field(description="Weighted mean of the rated items",
                                  examples=[1.82])  # fmt: skip
    index: float | None = Field(description="Overall score over the top degree, × 100",
                                examples=[45.5])  # fmt: skip
    components: list[ComponentScore] = Field(description="The score of each component")
    items: list[ItemScore] = Field(description="The score, target, gap and priority of each item")
    warnings: list[Warning] = Field(
        description="Consistency warnings (not errors): a high degree without evidence, "
        "documentation without responsibility, a jump of more than 2 degrees since the last "
        "round, answers counted as the lowest degree"
    )


class MeasureCounts(_Model):
    """The plan's measures by the rules of pvpp.measures (docs/status.md)."""

    total: int = Field(description="Measures in the plan version", examples=[24])
    open: int = Field(description="Neither done nor dropped", examples=[15])
    done: int = Field(description="Reported done", examples=[7])
    dropped: int = Field(description="Dropped in the plan or by report", examples=[2])
    overdue: int = Field(description="Open and past their due date (today: the server's day)",
                         examples=[3])  # fmt: skip


class PlanSummary(_Model):
    """An assignment's current (newest) plan version."""

    assignment_id: int = Field(description="The assignment's id", examples=[17])
    institution_code: str = Field(description="Its institution's code", examples=["VID"])
    version: int = Field(description="The newest plan version", examples=[2])
    state: str = Field(description="draft, sent or approved", examples=["approved"])
    created_at: datetime = Field(description="When this version was made (UTC)",
                                 examples=["2026-04-01T07:00:00Z"])  # fmt: skip
    approval_due: date | None = Field(description="When the head's approval is due",
                                      examples=["2026-04-15"])  # fmt: skip
    approved_at: datetime | None = Field(description="When the head approved it",
                                         examples=["2026-04-09T12:30:00Z"])  # fmt: skip
    measures: MeasureCounts = Field(description="Its measures, counted by their state")


def _next() -> Any:
    return Field(
        description="The URL of the next page (the same filters and limit, and a cursor), "
        "or null on the last page",
        examples=["https://pvpp.varam.gov.lv/api/v1/rounds/2026-K1/assignments?limit=2"
                  "&cursor=WyJWSUQiXQ"],
    )  # fmt: skip


def _limit() -> Any:
    return Field(description="The most rows a page holds (the limit asked, or 100)",
                 examples=[100])  # fmt: skip


class RoundPage(_Model):
    """A page of rounds, newest first."""

    items: list[Round] = Field(description="The rounds of this page")
    limit: int = _limit()
    next: str | None = _next()


class AssignmentPage(_Model):
    """A page of a round's assignments, by institution code."""

    items: list[Assignment] = Field(description="The assignments of this page")
    limit: int = _limit()
    next: str | None = _next()


class PlanPage(_Model):
    """A page of a round's plan summaries, by institution code."""

    items: list[PlanSummary] = Field(description="The plan summaries of this page")
    limit: int = _limit()
    next: str | None = _next()
