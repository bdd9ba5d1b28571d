"""The services an institution lists and how each meets the condition groups K1–K10.

The questionnaire's services sheet gives, per row, a service's name, type (ST1–ST4), an
optional catalogue id and, per condition group, its conformity: conforms, partly, does not
conform, or not applicable. This module reads those answers (as the workbook checker
stores them) and counts them per group. Pure: no store, no files.

A named row the team left partly empty (the checker lists the empty cells as unanswered
and the submission as incomplete) keeps its empty groups as *unanswered*: they are counted
apart, never read as "conforms".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pvpp.i18n import t
from pvpp.policy import Policy
from pvpp.policy.models import ItemKind


class Conformity(StrEnum):
    """The codes the questionnaire's ``conformity`` list gives (the same in every version)."""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    NA = "na"


#: The answers that call for a P5.2 measure naming the service.
NEEDS_WORK = frozenset({Conformity.PARTLY, Conformity.NO})

_NAME = re.compile(r"^SVC(\d{2,3})_NAME$")


@dataclass(frozen=True)
class Service:
    """One named row of the services sheet."""

    row: int
    name: str
    type: str | None
    catalogue: str | None
    #: condition group → the answer, or None where the team left the cell empty
    conformity: dict[str, Conformity | None]


@dataclass(frozen=True)
class ConformityCount:
    """How the services of one or more institutions meet one condition group."""

    group: str
    conforms: int = 0
    partly: int = 0
    not_conforming: int = 0
    not_applicable: int = 0
    unanswered: int = 0

    @property
    def reported(self) -> int:
        """Services the group applies to and whose conformity is stated (conforms, partly
        or not): the base the share of conforming services is taken over."""
        return self.conforms + self.partly + self.not_conforming

    @property
    def services(self) -> int:
        """Every service counted, whatever its answer."""
        return self.reported + self.not_applicable + self.unanswered

    @property
    def share(self) -> float | None:
        """Conforming services as a share (0–1) of the reported ones; None with none."""
        return self.conforms / self.reported if self.reported else None

    def __add__(self, other: ConformityCount) -> ConformityCount:
        if other.group != self.group:
            raise ValueError(f"cannot add counts of {self.group} and {other.group}")
        return ConformityCount(
            self.group,
            self.conforms + other.conforms,
            self.partly + other.partly,
            self.not_conforming + other.not_conforming,
            self.not_applicable + other.not_applicable,
            self.unanswered + other.unanswered,
        )


def condition_groups(policy: Policy) -> list[str]:
    """The policy's condition groups (K1–K10), in policy order."""
    return [i.id for i in policy.items if i.kind is ItemKind.CONDITION_GROUP]


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _conformity(value: Any) -> Conformity | None:
    try:
        return Conformity(value) if isinstance(value, str) else None
    except ValueError:
        return None


def read_services(policy: Policy, answers: Mapping[str, Any]) -> list[Service]:
    """The named services of an answer set, in sheet order. Rows without a name are not
    services (the checker refuses values on a row without a name)."""
    groups = condition_groups(policy)
    rows = sorted(int(m.group(1)) for key in answers if (m := _NAME.match(key)))
    out = []
    for row in rows:
        prefix = f"SVC{row:02d}_"
        name = _text(answers.get(prefix + "NAME"))
        if name is None:
            continue
        out.append(
            Service(
                row=row,
                name=name,
                type=_text(answers.get(prefix + "TYPE")),
                catalogue=_text(answers.get(prefix + "CATALOGUE")),
                conformity={g: _conformity(answers.get(prefix + g)) for g in groups},
            )
        )
    return out


def count_conformity(
    services: Iterable[Service], groups: Iterable[str]
) -> dict[str, ConformityCount]:
    """Per condition group: how many services conform, partly, not, n/a, unanswered."""
    tallies = {g: [0, 0, 0, 0, 0] for g in groups}
    slot = {Conformity.YES: 0, Conformity.PARTLY: 1, Conformity.NO: 2, Conformity.NA: 3}
    for service in services:
        for group, tally in tallies.items():
            answer = service.conformity.get(group)
            tally[4 if answer is None else slot[answer]] += 1
    return {g: ConformityCount(g, *tally) for g, tally in tallies.items()}


def conformity_by_group(policy: Policy, answers: Mapping[str, Any]) -> dict[str, ConformityCount]:
    """Condition group → how the answer set's services meet it, for every group of the
    policy in policy order (a group no service was listed for has all counts 0)."""
    return count_conformity(read_services(policy, answers), condition_groups(policy))


def needing_work(services: Iterable[Service], group: str) -> list[str]:
    """Names of the services that do not or only partly meet ``group``, in sheet order,
    each once (two rows may carry the same name)."""
    names: dict[str, None] = {}
    for service in services:
        if service.conformity.get(group) in NEEDS_WORK:
            names.setdefault(service.name, None)
    return list(names)


def total_counts(
    counts: Iterable[Mapping[str, ConformityCount]], groups: Iterable[str]
) -> dict[str, ConformityCount]:
    """The sum of several answer sets' counts (e.g. a round's institutions), per group."""
    out = {g: ConformityCount(g) for g in groups}
    for one in counts:
        for g in out:
            if g in one:
                out[g] = out[g] + one[g]
    return out


def with_services(title: str, services: Iterable[str], lang: str) -> str:
    """A measure's title with the services it names, where a person reads it (a P5.2
    service measure's title speaks of "the named services"); the title alone when the
    measure names none."""
    names = list(services)
    if not names:
        return title
    return t("services.named", lang, title=title, services="; ".join(names))
