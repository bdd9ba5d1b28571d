"""Load a questionnaire version, check it against its policy, and derive its fields."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from pvpp.paths import questionnaires_dir
from pvpp.policy import Policy, PolicyError, load_policy
from pvpp.policy.models import ItemKind, Lang, Text
from pvpp.questionnaire.models import (
    AnswerField,
    AnswerOption,
    FieldKind,
    Questionnaire,
    item_field_id,
    part_field_id,
    service_field_id,
)
from pvpp.yamlio import DataFileError, format_loc, read_yaml

if TYPE_CHECKING:
    from pvpp.questionnaire.values import Vocabulary

QuestionnaireError = DataFileError
#: The most questions one dimension of an item may be asked in.
MAX_PARTS = 4


def available_questionnaires() -> list[str]:
    """Questionnaire versions shipped in ``questionnaires/``."""
    return sorted(p.stem for p in questionnaires_dir().glob("*.yaml"))


@dataclass(frozen=True)
class QuestionnaireSpec:
    """A questionnaire together with its policy: everything needed to build or read a workbook."""

    questionnaire: Questionnaire
    policy: Policy

    @property
    def id(self) -> str:
        return self.questionnaire.id

    @cached_property
    def fields(self) -> tuple[AnswerField, ...]:
        """Every answer field, in workbook order."""
        out: list[AnswerField] = []
        for component in self.policy.components:
            for item in component.items:
                texts = self.questionnaire.items[item.id]
                for dim in self.policy.dimensions:
                    for part in range(1, len(texts.parts(dim.id)) + 1):
                        out.append(
                            AnswerField(
                                part_field_id(item.id, dim.id, part),
                                FieldKind.DEGREE,
                                component.id,
                                item.id,
                                dim.id,
                                part=part,
                            )
                        )
                for kind in (
                    FieldKind.TARGET,
                    FieldKind.NA_REASON,
                    FieldKind.EVIDENCE,
                    FieldKind.COMMENT,
                ):
                    out.append(
                        AnswerField(item_field_id(kind, item.id), kind, component.id, item.id)
                    )
        for row in range(1, self.questionnaire.service_rows + 1):
            out.append(
                AnswerField(service_field_id(row, "NAME"), FieldKind.SERVICE_NAME, service_row=row)
            )
            out.append(
                AnswerField(service_field_id(row, "TYPE"), FieldKind.SERVICE_TYPE, service_row=row)
            )
            out.append(
                AnswerField(
                    service_field_id(row, "CATALOGUE"), FieldKind.SERVICE_CATALOGUE, service_row=row
                )
            )
            for group in self.condition_groups:
                out.append(
                    AnswerField(
                        service_field_id(row, group),
                        FieldKind.CONFORMITY,
                        service_row=row,
                        condition_group=group,
                    )
                )
        return tuple(out)

    @cached_property
    def field_by_id(self) -> dict[str, AnswerField]:
        return {f.id: f for f in self.fields}

    @cached_property
    def condition_groups(self) -> list[str]:
        return [i.id for i in self.policy.items if i.kind is ItemKind.CONDITION_GROUP]

    @cached_property
    def degree_fields(self) -> list[AnswerField]:
        return [f for f in self.fields if f.kind is FieldKind.DEGREE]

    @cached_property
    def field_order(self) -> dict[str, int]:
        """Each field's place in :attr:`fields`."""
        return {f.id: i for i, f in enumerate(self.fields)}

    @cached_property
    def item_fields(self) -> dict[str, tuple[AnswerField, ...]]:
        """The fields of each item (its degrees, target, reason, evidence, comment), in
        field order; indexed once per questionnaire, as every check of a draft asks."""
        by_item: dict[str, list[AnswerField]] = {}
        for f in self.fields:
            if f.item_id is not None:
                by_item.setdefault(f.item_id, []).append(f)
        return {item: tuple(fields) for item, fields in by_item.items()}

    @cached_property
    def item_degree_fields(self) -> dict[str, tuple[AnswerField, ...]]:
        """The degree fields of each item, in field order."""
        return {
            item: tuple(f for f in fields if f.kind is FieldKind.DEGREE)
            for item, fields in self.item_fields.items()
        }

    @cached_property
    def row_fields(self) -> dict[int, tuple[AnswerField, ...]]:
        """The fields of each service row (name first), in field order."""
        by_row: dict[int, list[AnswerField]] = {}
        for f in self.fields:
            if f.service_row is not None:
                by_row.setdefault(f.service_row, []).append(f)
        return {row: tuple(fields) for row, fields in by_row.items()}

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """The accepted spellings of every choice, made once per questionnaire (every check
        of a draft or a workbook reads them)."""
        # Imported here: the values module reads this one.
        from pvpp.questionnaire.values import Vocabulary

        return Vocabulary(self)

    def question_text(self, field_id: str, lang: Lang) -> str:
        """The question a degree field asks, in ``lang``."""
        f = self.field_by_id[field_id]
        assert f.item_id is not None and f.dimension_id is not None, field_id
        return self.questionnaire.items[f.item_id].parts(f.dimension_id)[f.part - 1].get(lang)

    @cached_property
    def _parts(self) -> dict[tuple[str | None, str | None], list[AnswerField]]:
        by_dimension: dict[tuple[str | None, str | None], list[AnswerField]] = {}
        for f in self.degree_fields:
            by_dimension.setdefault((f.item_id, f.dimension_id), []).append(f)
        return by_dimension

    def parts_of(self, item_id: str, dimension_id: str) -> list[AnswerField]:
        """The degree fields of one dimension of an item (one unless asked in parts), in
        field order; looked up in an index made once per questionnaire (every check of a
        draft asks it for each item and dimension)."""
        return list(self._parts.get((item_id, dimension_id), ()))

    def sheet_title(self, key: str, lang: Lang) -> str:
        """Title of a sheet: a component id, ``instructions``, ``services`` or ``lists``."""
        sheets = self.questionnaire.sheets
        if key in sheets.components:
            return sheets.components[key].get(lang)
        titled: Text = getattr(sheets, key)
        return titled.get(lang)

    def sheet_of(self, field: AnswerField, lang: Lang) -> str:
        """The sheet that holds ``field``."""
        if field.component_id is not None:
            return self.sheet_title(field.component_id, lang)
        return self.sheet_title("services", lang)

    def required_sheets(self, lang: Lang) -> list[str]:
        """Sheets a returned workbook must still have, with these exact titles."""
        keys = ["instructions", *[c.id for c in self.policy.components], "services", "lists"]
        return [self.sheet_title(k, lang) for k in keys]

    # -- labels shown in dropdowns ---------------------------------------------------------

    def degree_label(self, value: int, lang: Lang) -> str:
        return f"{value} — {self.policy.degree_scale.name(value, lang)}"

    def degree_labels(self, lang: Lang) -> list[str]:
        return [self.degree_label(v, lang) for v in self.policy.degree_scale.values]

    def option_label(self, option: AnswerOption, lang: Lang) -> str:
        return option.label.get(lang)

    def service_type_label(self, type_id: str, lang: Lang) -> str:
        st = next(s for s in self.policy.service_types if s.id == type_id)
        return f"{st.id} — {st.name.get(lang)}"


def _problems(spec_q: Questionnaire, policy: Policy) -> list[str]:
    problems = []
    policy_items = [i.id for i in policy.items]
    dims = [d.id for d in policy.dimensions]
    for item_id in policy_items:
        entry = spec_q.items.get(item_id)
        if entry is None:
            problems.append(f"items: policy item {item_id!r} has no questions")
            continue
        missing = [d for d in dims if d not in entry.questions]
        extra = [d for d in entry.questions if d not in dims]
        if missing:
            problems.append(f"items.{item_id}.questions: no question for dimension(s) {missing}")
        if extra:
            problems.append(f"items.{item_id}.questions: {extra} are not dimensions of the policy")
        for dim, question in entry.questions.items():
            if isinstance(question, tuple) and not 1 <= len(question) <= MAX_PARTS:
                problems.append(
                    f"items.{item_id}.questions.{dim}: a list of questions needs 1 to "
                    f"{MAX_PARTS} entries"
                )
    for item_id in spec_q.items:
        if item_id not in policy_items:
            problems.append(f"items.{item_id}: not an item of policy {policy.id}")
    comps = {c.id for c in policy.components}
    if set(spec_q.sheets.components) != comps:
        problems.append(f"sheets.components: must name exactly the components {sorted(comps)}")
    titles = [spec_q.sheets.instructions, spec_q.sheets.services, spec_q.sheets.lists]
    titles += list(spec_q.sheets.components.values())
    for lang in ("lv", "en"):
        names = [t.get(lang) for t in titles]
        if len(set(names)) != len(names):
            problems.append(f"sheets: sheet titles in {lang} are not unique")
        for name in names:
            if len(name) > 31 or any(ch in name for ch in "[]:*?/\\"):
                problems.append(
                    f"sheets: {name!r} is not a valid sheet title (≤31 chars, no []:*?/\\)"
                )
    if not policy.service_types:
        problems.append(f"policy {policy.id} defines no service types for the service list")
    for name, options in (("non_scoring", spec_q.non_scoring), ("conformity", spec_q.conformity)):
        codes = [o.code for o in options]
        if len(set(codes)) != len(codes):
            problems.append(f"{name}: option codes must be unique")
    if sum(o.requires_reason for o in spec_q.non_scoring) != 1:
        problems.append("non_scoring: exactly one option must have requires_reason: true")
    return problems


def load_questionnaire_file(path: Path) -> QuestionnaireSpec:
    """Read and validate a questionnaire file against its policy version."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise QuestionnaireError(path, ["the file must hold a mapping at the top level"])
    try:
        questionnaire = Questionnaire.model_validate(raw)
    except ValidationError as exc:
        raise QuestionnaireError(
            path,
            [f"{format_loc(raw, e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)],
        ) from None
    try:
        policy = load_policy(questionnaire.policy)
    except PolicyError as exc:
        raise QuestionnaireError(path, [f"policy: {p}" for p in exc.problems]) from None
    problems = _problems(questionnaire, policy)
    if problems:
        raise QuestionnaireError(path, problems)
    return QuestionnaireSpec(questionnaire, policy)


@lru_cache(maxsize=8)
def load_questionnaire(version: str) -> QuestionnaireSpec:
    """The shipped questionnaire ``version`` with its policy (cached)."""
    path = questionnaires_dir() / f"{version}.yaml"
    if not path.exists():
        known = ", ".join(available_questionnaires()) or "none"
        raise QuestionnaireError(
            path, [f"unknown questionnaire version {version!r} (known: {known})"]
        )
    return load_questionnaire_file(path)
