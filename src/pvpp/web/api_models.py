"""The read-only API's response models: what each route of ``/api/v1`` answers, with a
description and an example of every field (they make the OpenAPI document,
``/api/v1/openapi.json``, and docs/api.md shows the same examples)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AggregateTables",
    "Aggregates",
    "Assignment",
    "AssignmentDetail",
    "AssignmentPage",
    "ComponentScore",
    "ConformityRow",
    "DegreeRow",
    "ErrorBody",
    "ErrorDetail",
    "FundingRow",
    "GroupIndexRow",
    "Institution",
    "ItemScore",
    "Jump",
    "LeftOut",
    "MeasureCounts",
    "NeedRow",
    "PlanPage",
    "PlanProgress",
    "PlanSummary",
    "Position",
    "Round",
    "RoundPage",
    "Scores",
    "Shared",
    "Spread",
    "StateChange",
    "TokenInfo",
    "Trend",
    "TrendFigures",
    "TrendRow",
    "UnclearRow",
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
    """The scores of an assignment's current accepted answers (method pvpp-score-3,
    docs/scoring.md)."""

    assignment_id: int = Field(description="The assignment's id", examples=[17])
    institution_code: str = Field(description="Its institution's code", examples=["VID"])
    round: str = Field(description="Its round's code", examples=["2026-K1"])
    answers_accepted_at: datetime = Field(description="When the scored answers were accepted",
                                          examples=["2026-03-20T10:00:00Z"])  # fmt: skip
    method: str = Field(description="The scoring method", examples=["pvpp-score-3"])
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


# -- national figures -----------------------------------------------------------------------

_WITHHELD = "True when the row's figures are withheld (too few institutions, docs/disclosure.md)"


class NeedRow(_Model):
    """An RV6/RV7 need item: how many institutions have a gap on it."""

    direction: str = Field(description="RV6 or RV7", examples=["RV6"])
    item: str = Field(description="The item's id", examples=["K5"])
    item_name: str = Field(description="Its name", examples=["Koplietošanas pakalpojumi"])
    institutions_with_gap: int | None = Field(
        description="Institutions with a gap on it; null when withheld", examples=[9]
    )
    institutions_rated: int = Field(description="Institutions rated on it", examples=[14])
    median_gap: float | None = Field(description="Median gap in degrees; null when withheld",
                                     examples=[1.0])  # fmt: skip
    mean_gap: float | None = Field(description="Mean gap in degrees; null when withheld",
                                   examples=[1.14])  # fmt: skip
    withheld: bool = Field(description=_WITHHELD, examples=[False])


class DegreeRow(_Model):
    """How many institutions are at one degree of one item (the score rounded)."""

    item: str = Field(description="The item's id", examples=["1.1"])
    item_name: str = Field(description="Its name", examples=["Pakalpojumu pārvaldība"])
    degree: str = Field(description="A degree of the scale (0–4) or 'unrated'", examples=["2"])
    institutions: int = Field(description="Institutions at that degree", examples=[5])


class UnclearRow(_Model):
    """A question: how many institutions found it unclear, of those that answered it."""

    field: str = Field(description="The question's field id", examples=["Q_1_1_D1"])
    item: str = Field(description="Its item", examples=["1.1"])
    dimension: str = Field(description="Its dimension (and part)", examples=["D1"])
    question: str = Field(description="The question's text",
                          examples=["Vai ir noteikti atbildīgie?"])  # fmt: skip
    unclear: int | None = Field(
        description="Institutions that answered 'the question is not clear'; null when withheld",
        examples=[1],
    )
    answered: int = Field(description="Institutions that answered it", examples=[14])
    withheld: bool = Field(description=_WITHHELD, examples=[False])


class GroupIndexRow(_Model):
    """A table-1 institution group: its median index."""

    group: str = Field(description="The group's id", examples=["IG1"])
    group_name: str = Field(description="Its name", examples=["Tiešās pārvaldes iestādes"])
    institutions: int = Field(description="Its institutions scored", examples=[6])
    median_index: float | None = Field(description="Median index (0–100); null when withheld",
                                       examples=[61.3])  # fmt: skip
    withheld: bool = Field(description=_WITHHELD, examples=[False])


class ConformityRow(_Model):
    """A condition group: how the services listed meet it."""

    condition_group: str = Field(description="The condition group's item id", examples=["K5"])
    condition_group_name: str = Field(description="Its name",
                                      examples=["Koplietošanas pakalpojumi"])  # fmt: skip
    conforming: int = Field(description="Services that conform", examples=[40])
    partly: int = Field(description="Services that partly conform", examples=[12])
    not_conforming: int = Field(description="Services that do not conform", examples=[5])
    not_applicable: int = Field(description="Services it does not apply to", examples=[3])
    unanswered: int = Field(description="Services without an answer", examples=[0])
    reported: int = Field(description="Services listed", examples=[60])


class FundingRow(_Model):
    """A funding source: what the plans' measures state."""

    source: str = Field(description="The source's id (or several, none, total)",
                        examples=["state_budget"])  # fmt: skip
    source_name: str = Field(description="Its name", examples=["Valsts budžets"])
    measures: int = Field(description="Plan measures naming it", examples=[120])
    with_amount: int = Field(description="Of those, with an amount", examples=[80])
    eur: int = Field(description="The amounts stated, EUR", examples=[250000])


class AggregateTables(_Model):
    """The round's aggregates as the tables of its open data (docs/open-data.md), each a
    list of rows with the same fields as the table's JSON file."""

    needs: list[NeedRow] = Field(description="RV6/RV7 needs")
    degree_distribution: list[DegreeRow] = Field(description="Institutions per item and degree")
    unclear_questions: list[UnclearRow] = Field(description="Questions found unclear")
    index_by_group: list[GroupIndexRow] = Field(description="Median index per table-1 group")
    service_conformity: list[ConformityRow] = Field(
        description="Services' conformity per condition group (empty when withheld whole)"
    )
    funding: list[FundingRow] = Field(description="Plan funding per source (empty when "
                                      "withheld whole)")  # fmt: skip


class Aggregates(_Model):
    """A round's national aggregates: published (what the open data publishes) or, for the
    roles that read institutions' data, internal."""

    round: str = Field(description="The round's code", examples=["2026-K1"])
    form: str = Field(
        description="published: the round's closure, figures over too few institutions "
        "withheld; internal: the current answers, nothing withheld",
        examples=["published"],
    )
    closed_on: date | None = Field(description="The day the round was closed (published)",
                                   examples=["2026-04-20"])  # fmt: skip
    withheld: str | None = Field(
        description="Why there are no tables: open (not closed yet), few (too few "
        "institutions scored); null when there are",
        examples=[None],
    )
    note: str | None = Field(description="The reason in words, when withheld",
                             examples=[None])  # fmt: skip
    institutions_scored: int | None = Field(
        description="Institutions counted (null while the round is open)", examples=[14]
    )
    min_institutions: int = Field(
        description="The fewest institutions a published figure needs", examples=[4]
    )
    tables: AggregateTables | None = Field(description="The tables; null when withheld")
    tables_withheld: list[str] = Field(
        description="Tables withheld whole (too few contributors)", examples=[["funding"]]
    )
    institutions_by_condition_group: dict[str, dict[str, float | None]] | None = Field(
        description="Internal form only: each institution's score per condition group "
        "(null in the published form)",
        examples=[None],
    )


class Spread(_Model):
    """The scores of several institutions in one round."""

    n: int = Field(description="Institutions with a score", examples=[14])
    median: float | None = Field(description="Median; null when withheld", examples=[2.1])
    q1: float | None = Field(description="First quartile; null when withheld", examples=[1.6])
    q3: float | None = Field(description="Third quartile; null when withheld", examples=[2.7])
    counts: list[int] = Field(description="Institutions at each degree (empty when withheld)",
                              examples=[[0, 2, 6, 5, 1]])  # fmt: skip
    withheld: bool = Field(description=_WITHHELD, examples=[False])


class TrendRow(_Model):
    """An item, component or institution group across the rounds."""

    key: str = Field(description="Its id", examples=["C1"])
    spreads: list[Spread] = Field(description="One per round, oldest first")
    change: float | None = Field(
        description="Median of the last round minus the first's, when both are shown",
        examples=[0.4],
    )


class LeftOut(_Model):
    """A dimension (or a whole item) not compared."""

    item: str = Field(description="The item", examples=["1.3"])
    dimension: str | None = Field(description="The dimension; null: the whole item",
                                  examples=["D2"])  # fmt: skip
    reason: str = Field(description="not_in_policy, parts or reworded", examples=["reworded"])
    parts: list[int] = Field(description="With parts: questions per version",
                             examples=[[1, 2]])  # fmt: skip


class Shared(_Model):
    """What every questionnaire version compared asks alike."""

    versions: list[str] = Field(description="The questionnaire versions, in round order",
                                examples=[["pvpp2027-q1", "pvpp2027-q2"]])  # fmt: skip
    dimensions: dict[str, list[str]] = Field(description="Item → its dimensions compared",
                                             examples=[{"1.1": ["D1", "D2"]}])  # fmt: skip
    left_out: list[LeftOut] = Field(description="What is not compared, and why")


class PlanProgress(_Model):
    """A round's plans: their measures done."""

    round: str = Field(description="The round", examples=["2026-K1"])
    plans: int = Field(description="Plans counted", examples=[14])
    measures: int = Field(description="Their measures not dropped", examples=[900])
    done: int = Field(description="Of those, done", examples=[300])
    share: float | None = Field(description="Done, %; null when withheld", examples=[33.3])
    withheld: bool = Field(description=_WITHHELD, examples=[False])


class Position(_Model):
    """Internal: an institution of the last round against its table-1 group."""

    institution: str = Field(description="The institution's code", examples=["VID"])
    group: str = Field(description="Its group", examples=["IG1"])
    score: float | None = Field(description="Its overall score", examples=[2.4])
    n: int = Field(description="The group's institutions scored", examples=[6])
    median: float | None = Field(description="The group's median", examples=[2.2])
    q1: float | None = Field(description="The group's first quartile", examples=[1.9])
    q3: float | None = Field(description="The group's third quartile", examples=[2.6])
    withheld: bool = Field(description="True when the group is too small to compare with",
                           examples=[False])  # fmt: skip
    place: str | None = Field(description="below (Q1), within or above (Q3)",
                              examples=["within"])  # fmt: skip


class Jump(_Model):
    """Internal: dimensions an institution rated more than 2 degrees apart."""

    institution: str = Field(description="The institution's code", examples=["LAD"])
    item: str = Field(description="The item", examples=["1.1"])
    changes: list[tuple[str, int, int]] = Field(description="(dimension, before, now) each",
                                                examples=[[["D1", 0, 3]]])  # fmt: skip


class TrendFigures(_Model):
    """The rounds compared (docs/trends.md)."""

    same_questions: bool = Field(description="Whether every dimension was asked alike",
                                 examples=[True])  # fmt: skip
    degrees: list[int] = Field(description="The degree scale", examples=[[0, 1, 2, 3, 4]])
    min_group: int = Field(description="The fewest institutions a published figure needs",
                           examples=[4])  # fmt: skip
    shared: Shared = Field(description="What is compared")
    items: list[TrendRow] = Field(description="Per item")
    components: list[TrendRow] = Field(description="Per component")
    groups: list[TrendRow] = Field(description="Per table-1 institution group")
    plans: list[PlanProgress] = Field(description="Plan measures done, per round")
    jump_institutions: int | None = Field(
        description="Institutions with the jump warning; null when withheld", examples=[2]
    )
    positions: list[Position] | None = Field(description="Internal form only (else null)",
                                             examples=[None])  # fmt: skip
    jumps: list[Jump] | None = Field(description="Internal form only (else null)",
                                     examples=[None])  # fmt: skip


class Trend(_Model):
    """A round compared with earlier rounds."""

    round: str = Field(description="The round asked for", examples=["2027-K1"])
    rounds: list[str] = Field(description="The rounds compared, oldest first",
                              examples=[["2026-K1", "2027-K1"]])  # fmt: skip
    form: str = Field(description="published or internal", examples=["published"])
    withheld: str | None = Field(
        description="open: a round compared is not closed, so nothing is published yet",
        examples=[None],
    )
    open_round: str | None = Field(description="The round not closed, when withheld",
                                   examples=[None])  # fmt: skip
    trend: TrendFigures | None = Field(description="The figures; null when withheld")
