"""RV1 implementation teams: members, their roles, the lead, and trainings attended.

Trainings a round asks for before the self-assessment: P1.1 (the institution's
representatives, on service types, scales and levels, roles), P1.3 (the team, on the
policy) and P2.2 (the team, on assessment and improvement plans: the roadmap puts P2.2
before the self-assessment P2.3). P1.1 comes before any team exists (P1.2 sets the teams
up), so it is recorded for a representative by name and email
(:class:`~pvpp.store.models.RepresentativeTraining`) when the person is not a member; a
member's trainings are recorded on the member. Either way it counts for the institution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address

from sqlmodel import Session, col, select

from pvpp import audit
from pvpp.contacts import address_problem, name_problem
from pvpp.errors import PvppError
from pvpp.mail.outbox import Withdrawal, withdraw_to
from pvpp.planning.library import Common
from pvpp.store.models import (
    Institution,
    RepresentativeTraining,
    Team,
    TeamMember,
    Training,
    id_of,
    utcnow,
)

TRAININGS = ("P1.1", "P1.3", "P2.2", "P4.2", "P4.4", "P4.6")
#: The trainings an institution owes before its self-assessment, in the roadmap's order.
BEFORE_ASSESSMENT = ("P1.1", "P1.3", "P2.2")
#: Trainings of the institution's representatives, recordable without a team.
REPRESENTATIVE_TRAININGS = ("P1.1",)


class TeamError(PvppError):
    """A team command that cannot be carried out, with the reason in plain words."""


@dataclass(frozen=True)
class TeamStatus:
    """What RV1 asks of a team, for one institution."""

    has_team: bool
    has_lead: bool
    trainings: frozenset[str]

    def flags(self) -> list[str]:
        out = []
        if not self.has_team:
            out.append("no_team")
        elif not self.has_lead:
            out.append("no_lead")
        out += [f"no_training_{t}" for t in BEFORE_ASSESSMENT if t not in self.trainings]
        return out


def _institution(session: Session, code: str) -> Institution:
    inst = session.exec(select(Institution).where(Institution.code == code)).first()
    if inst is None:
        raise TeamError(f"no institution with code {code!r} in the registry")
    return inst


def _team(session: Session, inst: Institution, *, create: bool) -> Team | None:
    team = session.exec(select(Team).where(Team.institution_id == inst.id)).first()
    if team is None and create:
        team = Team(institution_id=id_of(inst))
        session.add(team)
        session.flush()
    return team


def _member(session: Session, institution: str, email: str) -> TeamMember:
    """The active team member with ``email`` in ``institution``'s team."""
    team = _team(session, _institution(session, institution), create=False)
    member = None
    if team is not None:
        member = session.exec(
            select(TeamMember).where(
                TeamMember.team_id == team.id, TeamMember.email == email.lower()
            )
        ).first()
    if member is None or not member.active:
        raise TeamError(f"{email} is not a member of this team")
    return member


def add_member(
    session: Session,
    common: Common,
    *,
    institution: str,
    name: str,
    email: str,
    roles: list[str],
    lead: bool = False,
    actor: str = "cli",
) -> TeamMember:
    """Add (or update) a member; roles come from the measures library's role list."""
    inst = _institution(session, institution)
    if not inst.roles:
        raise TeamError(
            f"{institution} has no service-management role, so it needs no team (PVPP2027 fn. 18)"
        )
    name = name.strip()
    # The rules of pvpp.contacts, which the outbox checks again: a member added here
    # can always be sent to.
    if (problem := name_problem(name)) is not None:
        raise TeamError(f"the member's name {problem}")
    if (problem := address_problem(email.strip())) is not None:
        raise TeamError(f"{email!r} is not an email address: {problem}")
    addr = Address(addr_spec=email.strip())
    known = [r.id for r in common.roles]
    unknown = [r for r in roles if r not in known]
    if unknown or not roles:
        raise TeamError(f"roles must be some of: {', '.join(known)}")
    team = _team(session, inst, create=True)
    assert team is not None
    email = addr.addr_spec.lower()
    member = session.exec(
        select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.email == email)
    ).first()
    if member is None:
        member = TeamMember(team_id=id_of(team), name=name, email=email, roles=sorted(set(roles)))
    else:
        member.name, member.roles, member.active, member.removed_at = (
            name,
            sorted(set(roles)),
            True,
            None,
        )
    session.add(member)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="team.member",
        entity="institution",
        key=institution,
        member=email,
        roles=member.roles,
    )
    if lead:
        set_lead(session, institution=institution, email=email, actor=actor)
    return member


def set_lead(session: Session, *, institution: str, email: str, actor: str = "cli") -> None:
    """Make ``email`` the team's only lead."""
    member = _member(session, institution, email)
    for other in session.exec(select(TeamMember).where(TeamMember.team_id == member.team_id)).all():
        other.is_lead = other.id == member.id
        session.add(other)
    audit.record(
        session,
        actor=actor,
        action="team.lead",
        entity="institution",
        key=institution,
        member=member.email,
    )


def remove_member(
    session: Session, *, institution: str, email: str, actor: str = "cli"
) -> list[Withdrawal]:
    """Mark a member as gone (kept for history), and withdraw the institution's mail not yet
    sent to them (unless they are also its head): a person who left the team must not get
    the team's mail. Returns what was withdrawn; the run that queued it queues it again to
    the team as it is now (docs/email.md, "A head's address changes")."""
    member = _member(session, institution, email)
    member.active, member.is_lead, member.removed_at = False, False, utcnow()
    session.add(member)
    audit.record(
        session,
        actor=actor,
        action="team.remove",
        entity="institution",
        key=institution,
        member=member.email,
    )
    inst = session.exec(select(Institution).where(Institution.code == institution)).first()
    if inst is not None and (inst.head_email or "").strip().lower() == member.email.lower():
        return []
    return withdraw_to(
        session,
        institution_code=institution,
        addresses=[member.email],
        reason=f"team: {member.email} left the implementation team",
        actor=actor,
    )


def record_training(
    session: Session,
    *,
    institution: str,
    email: str,
    measure: str,
    attended_on: date,
    name: str | None = None,
    actor: str = "cli",
) -> bool:
    """Record that a person attended training ``measure``; False if already recorded.

    A member of the institution's team: on the member. Anyone else, for P1.1 (the
    institution's representatives, trained before a team exists): as a representative of
    the institution, with ``name``; the other trainings are the team's."""
    if measure not in TRAININGS:
        raise TeamError(f"{measure!r} is not a policy training ({', '.join(TRAININGS)})")
    inst = _institution(session, institution)
    member = _active_member(session, inst, email)
    if member is None:
        return _record_representative(session, inst, email, measure, attended_on, name, actor)
    existing = session.exec(
        select(Training).where(
            Training.member_id == member.id,
            Training.measure_id == measure,
            Training.attended_on == attended_on,
        )
    ).first()
    if existing:
        return False
    session.add(Training(member_id=id_of(member), measure_id=measure, attended_on=attended_on))
    audit.record(
        session,
        actor=actor,
        action="team.training",
        entity="institution",
        key=institution,
        member=member.email,
        measure=measure,
    )
    return True


def _active_member(session: Session, inst: Institution, email: str) -> TeamMember | None:
    team = _team(session, inst, create=False)
    if team is None:
        return None
    member = session.exec(
        select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.email == email.lower())
    ).first()
    return member if member is not None and member.active else None


def _record_representative(
    session: Session,
    inst: Institution,
    email: str,
    measure: str,
    attended_on: date,
    name: str | None,
    actor: str,
) -> bool:
    if measure not in REPRESENTATIVE_TRAININGS:
        raise TeamError(
            f"{email} is not a member of {inst.code}'s team, and {measure} trains the team: "
            f"add them first (pvpp team add), or record {', '.join(REPRESENTATIVE_TRAININGS)} "
            "for a representative"
        )
    if not name or not name.strip():
        raise TeamError(
            f"{email} is not a member of {inst.code}'s team: give the representative's name "
            "(--name) to record their P1.1 training"
        )
    if (problem := name_problem(name)) is not None:
        raise TeamError(f"the representative's name {problem}")
    if (problem := address_problem(email.strip())) is not None:
        raise TeamError(f"{email!r} is not an email address: {problem}")
    address = email.strip().lower()
    existing = session.exec(
        select(RepresentativeTraining).where(
            RepresentativeTraining.institution_id == inst.id,
            RepresentativeTraining.email == address,
            RepresentativeTraining.measure_id == measure,
            RepresentativeTraining.attended_on == attended_on,
        )
    ).first()
    if existing:
        return False
    session.add(
        RepresentativeTraining(
            institution_id=id_of(inst), name=name.strip(), email=address,
            measure_id=measure, attended_on=attended_on,
        )
    )  # fmt: skip
    audit.record(session, actor=actor, action="team.training", entity="institution",
                 key=inst.code, representative=address, measure=measure)  # fmt: skip
    return True


def representatives_trained(session: Session, institution: str) -> list[RepresentativeTraining]:
    """The institution's representatives recorded as trained without a team membership."""
    inst = _institution(session, institution)
    return list(
        session.exec(
            select(RepresentativeTraining)
            .where(RepresentativeTraining.institution_id == inst.id)
            .order_by(col(RepresentativeTraining.attended_on), col(RepresentativeTraining.email))
        ).all()
    )


def team_status(session: Session, inst: Institution) -> TeamStatus:
    """Team, lead and trainings of ``inst`` as RV1 checks them (the per-round twin is
    :func:`pvpp.queries.team_statuses`)."""
    from pvpp.queries import team_statuses

    return team_statuses(session, [inst])[id_of(inst)]


def members(session: Session, institution: str) -> list[TeamMember]:
    """Active members of the institution's team, lead first."""
    inst = _institution(session, institution)
    team = _team(session, inst, create=False)
    if team is None:
        return []
    rows = session.exec(
        select(TeamMember).where(TeamMember.team_id == team.id, col(TeamMember.active).is_(True))
    ).all()
    return sorted(rows, key=lambda m: (not m.is_lead, m.name))
