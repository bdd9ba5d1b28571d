"""What the exports of a round read, loaded once, and the item-scores table that the round
workbook and the CSV share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from pvpp.exports.writer import Column, code_col, col
from pvpp.i18n import catalogue, t
from pvpp.measures import MeasureFacts
from pvpp.planning.library import Library, load_library
from pvpp.policy import Policy, load_policy
from pvpp.policy.models import Lang
from pvpp.queries import current_answer_sets, round_plans, team_statuses
from pvpp.questionnaire import QuestionnaireSpec, load_questionnaire
from pvpp.questionnaire.models import FieldKind, item_field_id
from pvpp.rounds import get_round
from pvpp.scoring import ScoreResult, score_answers
from pvpp.store.models import Assignment, Institution, Plan, PlanMeasure, Round, id_of


@dataclass
class Scored:
    """A scored institution of a round: its current answers and their scores."""

    institution: Institution
    assignment: Assignment
    answers: dict[str, Any]
    result: ScoreResult


@dataclass
class RoundData:
    """Everything an export of a round reads, loaded once."""

    round: Round
    policy: Policy
    spec: QuestionnaireSpec
    library: Library
    institutions: dict[int, Institution]
    assignments: list[Assignment]
    scored: list[Scored]
    plans: dict[int, tuple[Plan, list[tuple[PlanMeasure, MeasureFacts]]]] = field(
        default_factory=dict
    )
    flags: dict[int, list[str]] = field(default_factory=dict)


def load_round(session: Session, round_code: str, *, internal: bool = True) -> RoundData:
    """The round with its assignments (by institution code), current answers and scores;
    ``internal`` adds each assignment's current plan and its institution's RV1 flags."""
    rnd = get_round(session, round_code)
    policy = load_policy(rnd.policy_version)
    spec = load_questionnaire(rnd.questionnaire_version)
    library = load_library(rnd.policy_version)
    institutions = {id_of(i): i for i in session.exec(select(Institution)).all()}
    assignments = sorted(
        session.exec(select(Assignment).where(Assignment.round_id == rnd.id)).all(),
        key=lambda a: institutions[a.institution_id].code,
    )
    current = current_answer_sets(session, rnd)
    scored = [
        Scored(
            institutions[a.institution_id],
            a,
            current[a.id].answers,
            score_answers(policy, current[a.id].answers),
        )
        for a in assignments
        if a.id in current
    ]
    data = RoundData(rnd, policy, spec, library, institutions, list(assignments), scored)
    if internal:
        data.plans = round_plans(session, rnd)
        # RV1 flags as of now: they change as teams are set up.
        teams = team_statuses(session, institutions.values())
        data.flags = {a.id: teams[a.institution_id].flags() for a in assignments if a.id}
    return data


def non_scoring(spec: QuestionnaireSpec, lang: Lang) -> dict[str, str]:
    """The labels of the non-scoring answers ("Nav attiecināms", "Nav zināms") by code."""
    return {o.code: o.label.get(lang) for o in spec.questionnaire.non_scoring}


def _degree(value: Any, labels: dict[str, str]) -> int | str | None:
    """A degree as a number; a non-scoring answer by its label; nothing when unanswered."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return labels.get(str(value), str(value))


def group_name(policy: Policy, group_id: str, lang: Lang) -> str:
    """A table-1 group as "number. name"; an unknown group by its id."""
    for g in policy.institution_groups:
        if g.id == group_id:
            return f"{g.number}. {g.name.get(lang)}"
    return group_id


def name_of(namespace: str, code: str, lang: Lang) -> str:
    """The catalogue's name for a stored ``code`` under ``exports.<namespace>`` (``state``,
    ``measure_state``, ``plan_state``, ``flag``); a code it has no name for, as stored, so
    that a value the store holds is never lost from an export."""
    key = f"exports.{namespace}.{code}"
    return t(key, lang) if key in catalogue(lang) else code


def state_label(state: str, returned_how: str | None, lang: Lang) -> str:
    """An assignment's state as words; a returned one says why (its workbook failed the
    check, a reviewer sent it back, a coordinator reopened it): "returned" alone would not
    tell the three apart."""
    shown = name_of("state", state, lang)
    if returned_how is None:
        return shown
    return t("exports.returned_how.label", lang, state=shown,
             how=name_of("returned_how", returned_how, lang))  # fmt: skip


def flag_label(flag: str, lang: Lang) -> str:
    """An RV1 flag as words; a missed training names the training."""
    if flag.startswith("no_training_"):
        return t("exports.flag.no_training", lang, training=flag.removeprefix("no_training_"))
    return name_of("flag", flag, lang)


def skip_label(reason: str, policy: Policy, lang: Lang) -> str:
    """Why an institution has no assignment in a round, in words (a stored
    ``excluded:<clause>`` names the plan's clause and its group)."""
    kind, _, clause = reason.partition(":")
    if kind == "excluded":
        group = next((e.name.get(lang) for e in policy.exclusions if e.id == clause), "")
        return t("exports.skip.excluded", lang, clause=clause, group=group).replace(": )", ")")
    return name_of("skip", reason, lang)


def answer_text(answers: dict[str, Any], key: str) -> str | None:
    """An answer as text; nothing when unanswered."""
    value = answers.get(key)
    return None if value is None else str(value)


def item_columns(policy: Policy) -> list[Column]:
    """Columns of the item-scores table (the Excel sheet and the CSV)."""
    # Wrapped: a non-scoring answer shows its label ("Nav attiecināms") on two lines.
    dims = [code_col(d.id, "degree", 12) for d in policy.dimensions]
    return [
        col("exports.column.code", width=14),
        col("exports.column.name", width=36),
        col("exports.column.component_id", width=12),
        col("exports.column.item", width=8),
        col("exports.column.item_name", "long", 34),
        *dims,
        col("exports.column.score", "dec2", 11),
        col("exports.column.target", "int", 10),
        col("exports.column.target_source", width=12),
        col("exports.column.gap", "dec2", 11),
        col("exports.column.priority", "dec2", 11),
        col("exports.column.evidence", "long", 50),
        col("exports.column.comment", "long", 40),
        col("exports.column.na_reason", "long", 30),
    ]


def item_rows(data: RoundData, lang: Lang) -> list[list[Any]]:
    """One row per scored institution and item, in policy order."""
    labels = non_scoring(data.spec, lang)
    dims = [d.id for d in data.policy.dimensions]
    rows = []
    for s in data.scored:
        for item in data.policy.items:
            score = s.result.items[item.id]
            rows.append(
                [
                    s.institution.code,
                    s.institution.name,
                    score.component,
                    item.id,
                    item.name.get(lang),
                    *[_degree(score.degrees.get(d), labels) for d in dims],
                    score.score,
                    score.target,
                    t("exports.target_source.own", lang)
                    if score.own_target is not None
                    else t("exports.target_source.national", lang),
                    score.gap,
                    score.priority,
                    answer_text(s.answers, item_field_id(FieldKind.EVIDENCE, item.id)),
                    answer_text(s.answers, item_field_id(FieldKind.COMMENT, item.id)),
                    answer_text(s.answers, item_field_id(FieldKind.NA_REASON, item.id)),
                ]
            )
    return rows
