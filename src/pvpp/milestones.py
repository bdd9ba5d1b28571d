"""National milestones of a round: the assessment guidelines and training (RV2 P2.1,
P2.2), regulation (RV3), and the guidelines and trainings for the policy (RV4).

The plan sets these measures for VARAM, not for institutions; a round tracks each as a
milestone with a due date and a state (planned → in progress → done), recorded when the
round is launched and updated by the coordinator. Every change is in the audit log.
The policy gives no date per measure: the default due date is the end of the plan's
period (31 December 2027) — a designed value, provisional until VARAM sets its own.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from pvpp import audit
from pvpp.errors import PvppError
from pvpp.policy import Policy, load_policy
from pvpp.policy.models import Measure
from pvpp.rounds import get_round
from pvpp.store.models import RoundMilestone, id_of, utcnow

DIRECTIONS = ("RV3", "RV4")
#: Measures of other directions tracked too: RV2's guidelines for assessment and
#: improvement plans (P2.1) and the teams' training on them (P2.2), which the roadmap
#: puts before the self-assessment (P2.3).
MEASURES = ("P2.1", "P2.2")
STATES = ("planned", "in_progress", "done")
DEFAULT_DUE = date(2027, 12, 31)
#: The longest note a milestone keeps (a longer one is cut here, refused by the console).
MAX_NOTE = 2000


class MilestoneError(PvppError):
    """A milestone change that cannot be made (unknown measure or state)."""


def milestone_measures(policy: Policy) -> list[Measure]:
    """The policy's measures a round tracks as national milestones, in policy order."""
    return [
        m
        for direction in policy.action_directions
        for m in direction.measures
        if direction.id in DIRECTIONS or m.id in MEASURES
    ]


def record_milestones(session: Session, round_code: str, *, actor: str = "flow") -> int:
    """Create the round's milestones that do not exist yet (P2.1, P2.2 and every RV3/RV4
    measure; a round launched before P2.1 and P2.2 were tracked gets them now); returns
    how many."""
    rnd = get_round(session, round_code)
    policy = load_policy(rnd.policy_version)
    have = set(
        session.exec(select(RoundMilestone.measure_id).where(RoundMilestone.round_id == rnd.id))
    )
    made = 0
    for measure in milestone_measures(policy):
        if measure.id in have:
            continue
        session.add(RoundMilestone(round_id=id_of(rnd), measure_id=measure.id, due_on=DEFAULT_DUE))
        made += 1
    if made:
        audit.record(session, actor=actor, action="milestones.record", entity="round",
                     key=round_code, count=made)  # fmt: skip
    return made


def milestones(session: Session, round_code: str, today: date) -> list[dict[str, Any]]:
    """The round's milestones with their state, text (lv/en) and whether they are late
    (due before ``today``)."""
    rnd = get_round(session, round_code)
    texts = {m.id: m.text for m in load_policy(rnd.policy_version).measures}
    rows = session.exec(
        select(RoundMilestone)
        .where(RoundMilestone.round_id == rnd.id)
        .order_by(col(RoundMilestone.measure_id))
    ).all()
    return [
        {
            "measure": r.measure_id,
            "text_lv": texts[r.measure_id].lv if r.measure_id in texts else "",
            "text_en": texts[r.measure_id].en if r.measure_id in texts else "",
            "due_on": r.due_on,
            "state": r.state,
            "late": r.state != "done" and r.due_on < today,
            "note": r.note,
        }
        for r in rows
    ]


def set_milestone(
    session: Session,
    round_code: str,
    measure_id: str,
    *,
    state: str | None = None,
    due_on: date | None = None,
    note: str | None = None,
    actor: str = "cli",
    ip: str = "",
) -> RoundMilestone:
    """Change a milestone's state, due date or note (the audit log keeps the old values,
    who changed them and, from the console, their address ``ip``)."""
    if state is not None and state not in STATES:
        raise MilestoneError(f"state must be one of {', '.join(STATES)}, not {state!r}")
    rnd = get_round(session, round_code)
    row = session.exec(
        select(RoundMilestone).where(
            RoundMilestone.round_id == rnd.id, RoundMilestone.measure_id == measure_id
        )
    ).first()
    if row is None:
        raise MilestoneError(
            f"round {round_code} has no milestone {measure_id}; milestones are P2.1, P2.2 "
            "and the RV3/RV4 measures, recorded when the round is launched"
        )
    before = {"state": row.state, "due_on": row.due_on.isoformat(), "note": row.note}
    row.state = state or row.state
    row.due_on = due_on or row.due_on
    row.note = (note if note is not None else row.note)[:MAX_NOTE]
    row.updated_at = utcnow()
    session.add(row)
    where = {"ip": ip} if ip else {}
    audit.record(session, actor=actor, action="milestone.update", entity="round",
                 key=f"{round_code}:{measure_id}", before=before, state=row.state,
                 due_on=row.due_on.isoformat(), note=row.note, **where)  # fmt: skip
    return row
