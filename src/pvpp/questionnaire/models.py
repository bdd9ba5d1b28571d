"""A questionnaire version and the answer fields it defines.

The questionnaire file (``questionnaires/<version>.yaml``) holds the texts; the fields and
their ids are derived here from the questionnaire and its policy, so the workbook builder
and the checker cannot disagree about them.

Field id scheme (each id is also the workbook-level defined name of its cell):

=========================  ==========================================================
``Q_<item>_<dim>``         degree answer for an item on a dimension, e.g. ``Q_K3_D2``;
                           item ids have their dots replaced: ``1.1`` → ``Q_1_1_D1``
``Q_<item>_<dim>_<n>``     part ``n`` (2, 3, …) of a dimension asked in several
                           questions, e.g. ``Q_K2_D3_2``; part 1 keeps ``Q_K2_D3``
``TARGET_<item>``          the team's own target degree for the item (optional)
``NAREASON_<item>``        why an answer of the item is "not applicable"
``EVIDENCE_<item>``        what document or practice shows the rating
``COMMENT_<item>``         free comment
``SVC<nn>_NAME``           service row ``nn`` (01, 02, …): service name
``SVC<nn>_TYPE``           service type ST1–ST4
``SVC<nn>_CATALOGUE``      optional catalogue id
``SVC<nn>_<group>``        conformity of service ``nn`` with condition group, e.g.
                           ``SVC03_K7``
=========================  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import Field as PydanticField

from pvpp.policy.models import Strict, Text


class AnswerOption(Strict):
    """A non-degree choice offered in a dropdown."""

    code: str = PydanticField(pattern=r"^[a-z_]+$")
    label: Text
    requires_reason: bool = False


class QuestionnaireItem(Strict):
    """An item's texts. A dimension's question is one text, or a list of texts when it
    asks several things that can have different answers (each its own answer field; the
    dimension is at the lowest of them, :func:`pvpp.scoring.combine_parts`)."""

    intro: Text
    evidence_hint: Text
    questions: dict[str, Text | tuple[Text, ...]]

    def parts(self, dimension_id: str) -> tuple[Text, ...]:
        """The questions asked for ``dimension_id``, in order (one for most)."""
        question = self.questions[dimension_id]
        return (question,) if isinstance(question, Text) else question


class SheetTitles(Strict):
    instructions: Text
    services: Text
    lists: Text
    components: dict[str, Text]


class Questionnaire(Strict):
    """A questionnaire version, tied to one policy version."""

    id: str = PydanticField(pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    policy: str
    title: Text
    sheets: SheetTitles
    non_scoring: tuple[AnswerOption, ...] = PydanticField(min_length=1)
    conformity: tuple[AnswerOption, ...] = PydanticField(min_length=2)
    service_rows: int = PydanticField(ge=1, le=200)
    instructions: tuple[Text, ...] = PydanticField(min_length=1)
    items: dict[str, QuestionnaireItem]


class FieldKind(StrEnum):
    DEGREE = "degree"
    TARGET = "target"
    NA_REASON = "na_reason"
    EVIDENCE = "evidence"
    COMMENT = "comment"
    SERVICE_NAME = "service_name"
    SERVICE_TYPE = "service_type"
    SERVICE_CATALOGUE = "service_catalogue"
    CONFORMITY = "conformity"


TEXT_KINDS = {
    FieldKind.NA_REASON,
    FieldKind.EVIDENCE,
    FieldKind.COMMENT,
    FieldKind.SERVICE_NAME,
    FieldKind.SERVICE_CATALOGUE,
}

# Longest text accepted per text field; bounds the cost of everything downstream.
TEXT_LIMITS = {
    FieldKind.NA_REASON: 2000,
    FieldKind.EVIDENCE: 4000,
    FieldKind.COMMENT: 4000,
    FieldKind.SERVICE_NAME: 300,
    FieldKind.SERVICE_CATALOGUE: 100,
}


@dataclass(frozen=True)
class AnswerField:
    """One answer cell of the workbook."""

    id: str
    kind: FieldKind
    component_id: str | None = None
    item_id: str | None = None
    dimension_id: str | None = None
    service_row: int | None = None
    condition_group: str | None = None
    #: Which question of its dimension a degree field answers (1 unless asked in parts).
    part: int = 1


def item_key(item_id: str) -> str:
    """The item id as used inside field ids (dots are not allowed in every consumer)."""
    return item_id.replace(".", "_")


def degree_field_id(item_id: str, dimension_id: str) -> str:
    return f"Q_{item_key(item_id)}_{dimension_id}"


def part_field_id(item_id: str, dimension_id: str, part: int) -> str:
    """Part ``part`` of a dimension's question: part 1 is the dimension's own field (ids
    stay stable when a question is split), the others ``<id>_<part>``."""
    base = degree_field_id(item_id, dimension_id)
    return base if part == 1 else f"{base}_{part}"


def item_field_id(kind: FieldKind, item_id: str) -> str:
    prefix = {
        FieldKind.TARGET: "TARGET",
        FieldKind.NA_REASON: "NAREASON",
        FieldKind.EVIDENCE: "EVIDENCE",
        FieldKind.COMMENT: "COMMENT",
    }[kind]
    return f"{prefix}_{item_key(item_id)}"


def service_field_id(row: int, suffix: str) -> str:
    return f"SVC{row:02d}_{suffix}"
