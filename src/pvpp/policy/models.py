"""Typed model of a policy version (the PVPP2027 structure as data).

Everything VARAM publishes is data in ``policy/<version>.yaml``; these classes only give it
shape. Fields that are our design rather than published text are named in each node's
``provisional`` list so they can be replaced when VARAM publishes the official values.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Lang = Literal["lv", "en"]
LANGS: tuple[Lang, ...] = ("lv", "en")


class Strict(BaseModel):
    """Base for data models: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in Latvian (the published wording) and English."""

    lv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @field_validator("lv", "en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    def get(self, lang: Lang) -> str:
        """The text in ``lang``."""
        return self.lv if lang == "lv" else self.en

    def text(self, lang: str) -> str:
        """The text in ``lang``: a policy text can fill a catalogue text's placeholder
        (:func:`pvpp.i18n.t` prints any value with a ``text(lang)`` method in the reader's
        language)."""
        return self.lv if lang == "lv" else self.en


class Node(Strict):
    """Common fields of every identified policy element."""

    id: str = Field(min_length=1)
    source: str | None = None
    provisional: tuple[str, ...] = ()


class Degree(Strict):
    value: int = Field(ge=0)
    name: Text


class DegreeScale(Strict):
    provisional: tuple[str, ...] = ()
    degrees: tuple[Degree, ...] = Field(min_length=2)

    @property
    def values(self) -> list[int]:
        return [d.value for d in self.degrees]

    @property
    def min(self) -> int:
        return min(self.values)

    @property
    def max(self) -> int:
        return max(self.values)

    def name(self, value: int, lang: Lang) -> str:
        """The degree's name in ``lang``."""
        return next(d.name.get(lang) for d in self.degrees if d.value == value)


class Dimension(Node):
    name: Text
    descriptors: dict[int, Text]


class ItemKind(StrEnum):
    SUB_ELEMENT = "sub_element"
    CONDITION_GROUP = "condition_group"
    CAPABILITY = "capability"
    RESOURCE = "resource"


class Item(Node):
    """One of the 29 assessable items (sub-element, condition group, capability, resource)."""

    kind: ItemKind
    name: Text
    target_result: Text
    national_target: int = Field(ge=0)
    weight: float = Field(gt=0)


class Component(Node):
    number: int = Field(ge=1)
    name: Text
    rv5_measure: str
    foundation: bool = False
    #: What a gap of this component's items weighs in a priority (1 unless the data says
    #: otherwise; 1.5 for component 1 in ``pvpp2027-v1``, a designed value).
    foundation_factor: float = Field(default=1.0, gt=0)
    items: tuple[Item, ...] = Field(min_length=1)


class Principle(Node):
    name: Text


class Measure(Node):
    text: Text
    produces: Text | None = None


class ActionDirection(Node):
    name: Text
    measures: tuple[Measure, ...] = Field(min_length=1)


class Subtype(Node):
    name: Text


class InstitutionGroup(Node):
    number: int = Field(ge=1)
    name: Text
    subtypes: tuple[Subtype, ...] = ()
    note: Text | None = None


class Exclusion(Node):
    name: Text


class FundingSource(Node):
    name: Text


class ServiceType(Node):
    category: Text
    name: Text
    scope: Text | None = None


class ParticipantRole(Node):
    """A service-management role an institution can have (1.4); no role, no team (fn. 18)."""

    name: Text


class Designed(Strict):
    """One designed (not published) part of the policy data, with why it is so.

    ``covers`` names the fields it explains, as paths inside the policy file
    (``components[*].items[*].weight``, ``dimensions``; ``[*]`` for every entry) or, with
    the prefix ``library.``, a part of the measures library (``library.measures``). Each
    field a path names must be marked ``provisional`` where it stands, and each field
    marked ``provisional`` must be covered by an entry: the loader checks both ways.
    ``numbers``: a reader's scores, gaps, priorities or plan depend on it, so the plan's
    method page and the workbook's instructions list it.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    name: Text
    note: Text
    covers: tuple[str, ...] = Field(min_length=1)
    numbers: bool = False


class Period(Strict):
    start: int
    end: int


class Policy(Strict):
    """A whole policy version."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    title: Text
    plan: Text
    period: Period
    source: str | None = None
    #: Top-level parts that are designed (e.g. ``dimensions``: the set is published for
    #: component 3 only, its use for the other components is ours).
    provisional: tuple[str, ...] = ()
    degree_scale: DegreeScale
    dimensions: tuple[Dimension, ...] = Field(min_length=1)
    components: tuple[Component, ...] = Field(min_length=1)
    principles: tuple[Principle, ...] = ()
    action_directions: tuple[ActionDirection, ...] = ()
    institution_groups: tuple[InstitutionGroup, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    funding_sources: tuple[FundingSource, ...] = ()
    service_types: tuple[ServiceType, ...] = ()
    participant_roles: tuple[ParticipantRole, ...] = ()
    designed: tuple[Designed, ...] = ()

    # -- look-ups used across the code base -------------------------------------------------

    @property
    def items(self) -> list[Item]:
        """All assessable items in policy order."""
        return [item for c in self.components for item in c.items]

    def item(self, item_id: str) -> Item:
        """The item with ``item_id`` (KeyError if unknown)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def component_of(self, item_id: str) -> Component:
        """The component that holds ``item_id``."""
        for component in self.components:
            if any(i.id == item_id for i in component.items):
                return component
        raise KeyError(item_id)

    def designed_for_numbers(self) -> list[Designed]:
        """The designed parts a reader's numbers depend on, in file order: what the plan's
        method page and the workbook's instructions list."""
        return [d for d in self.designed if d.numbers]

    @property
    def measures(self) -> list[Measure]:
        return [m for rv in self.action_directions for m in rv.measures]

    def counts(self) -> dict[str, int]:
        """How many elements of each kind this version holds."""
        items = self.items
        return {
            "components": len(self.components),
            "items": len(items),
            "condition_groups": sum(i.kind is ItemKind.CONDITION_GROUP for i in items),
            "capabilities": sum(i.kind is ItemKind.CAPABILITY for i in items),
            "resources": sum(i.kind is ItemKind.RESOURCE for i in items),
            "sub_elements": sum(i.kind is ItemKind.SUB_ELEMENT for i in items),
            "principles": len(self.principles),
            "dimensions": len(self.dimensions),
            "degrees": len(self.degree_scale.degrees),
            "action_directions": len(self.action_directions),
            "measures": len(self.measures),
            "institution_groups": len(self.institution_groups),
            "exclusions": len(self.exclusions),
            "funding_sources": len(self.funding_sources),
            "service_types": len(self.service_types),
            "participant_roles": len(self.participant_roles),
        }
