"""The console's review pages' data: what waits for a reviewer, one submission as the
reviewer reads it, its evidence files, and the decision's problems in the reader's words.

The rules are :mod:`pvpp.review`'s (what waits, what a submission is compared with, what a
return needs); this module only puts what it returns into words for the pages
(:mod:`pvpp.web.console_review`), in Latvian or English. Which console roles may review
is the routes' guard (:data:`pvpp.access.REVIEW`: the coordinator and the reviewer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from pvpp.answer_diff import FieldChange, FieldDiff, summary
from pvpp.drafts import describe, local_time
from pvpp.evidence import human_size
from pvpp.filetypes import ALLOWED, download_name
from pvpp.i18n import t
from pvpp.policy.models import Lang
from pvpp.portal import NotFound
from pvpp.queries import assignment_of, institution_by_code, round_by_code
from pvpp.questionnaire import AnswerField, FieldKind, QuestionnaireSpec, load_questionnaire
from pvpp.review import (
    ACCEPTED,
    MAX_COMMENT,
    SERVICES,
    WHOLE,
    CommentProblem,
    ReviewError,
    SubmissionReview,
    item_of,
    open_review,
    waiting_changes,
)
from pvpp.store.files import read_file
from pvpp.store.models import EvidenceFile, StoredFile, id_of

__all__ = [
    "comment_errors",
    "evidence_file",
    "field_id",
    "queue",
    "reviewer_error",
    "submission_page",
    "typed_items",
]


def _url(round_code: str, institution: str) -> str:
    return f"/console/review/{round_code}/{institution}"


def queue(session: Session, lang: Lang, round_code: str | None = None) -> dict[str, Any]:
    """What waits for a reviewer, per round (the round ``round_code`` only, or every
    round), oldest first: institution, when it was received, how many answers changed
    since what it is compared with, how often it was returned before. An unknown round is
    :class:`~pvpp.portal.NotFound`. A constant number of statements
    (:func:`pvpp.review.waiting_changes`)."""
    try:
        rows = waiting_changes(session, round_code)
    except ReviewError as exc:
        raise NotFound(str(exc)) from exc
    rounds: dict[str, list[dict[str, Any]]] = {}
    if round_code is not None:
        rounds[round_code] = []
    for q in rows:
        w = q.waiting
        if q.base is None:
            base = t("console.review.base.none", lang)
        elif q.returned:
            base = t("console.review.base.returned", lang)
        elif q.base == "submission":
            base = t("console.review.base.submission", lang)
        else:
            base = t("console.review.base.round", lang)
        rounds.setdefault(q.round, []).append(
            {
                "institution": w.institution,
                "name": w.name,
                "url": _url(q.round, w.institution),
                "received": local_time(w.received_at, lang),
                "returned_before": w.returned_before,
                "changed": q.changed,
                "base": base,
                "has_base": q.base is not None,
            }
        )
    return {
        "round": round_code,
        "rounds": [{"code": code, "rows": found} for code, found in rounds.items()],
        "total": len(rows),
    }


# -- one submission -------------------------------------------------------------------------


def field_id(item: str) -> str:
    """The id of an item's comment box on the page (``item-1.1``, ``item-services``)."""
    return f"item-{item}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _label(spec: QuestionnaireSpec, f: AnswerField | None, name: str, lang: Lang) -> str:
    """A field's name within its item (the item heads its rows), or its service cell."""
    if f is None:
        return name
    if f.item_id is not None:
        return _capital(describe(spec, f, lang).split(": ", 1)[-1])
    return describe(spec, f, lang)


def _words(
    spec: QuestionnaireSpec, f: AnswerField | None, value: Any, lang: Lang
) -> dict[str, str] | None:
    """An answer as the team chose it: ``text`` (a degree with its name, a choice's label,
    a text as typed) and, for a degree, ``detail``: the descriptor of that degree on the
    field's dimension. None for no answer."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if f is None:
        return {"text": str(value), "detail": ""}
    q = spec.questionnaire
    scale = spec.policy.degree_scale
    if f.kind in (FieldKind.DEGREE, FieldKind.TARGET):
        degree = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.isdecimal():
            degree = int(value)
        if degree is not None and degree in scale.values:
            detail = ""
            if f.kind is FieldKind.DEGREE:
                dim = next(d for d in spec.policy.dimensions if d.id == f.dimension_id)
                detail = dim.descriptors[degree].get(lang)
            return {"text": spec.degree_label(degree, lang), "detail": detail}
        option = next((o for o in q.non_scoring if o.code == value), None)
        return {"text": option.label.get(lang) if option else str(value), "detail": ""}
    if f.kind is FieldKind.CONFORMITY:
        option = next((o for o in q.conformity if o.code == value), None)
        return {"text": option.label.get(lang) if option else str(value), "detail": ""}
    if f.kind is FieldKind.SERVICE_TYPE:
        known = {st.id for st in spec.policy.service_types}
        text = spec.service_type_label(value, lang) if value in known else str(value)
        return {"text": text, "detail": ""}
    return {"text": str(value), "detail": ""}


def _row(view: SubmissionReview, d: FieldDiff, lang: Lang) -> dict[str, Any]:
    spec = view.spec
    f = spec.field_by_id.get(d.field)
    return {
        "field": d.field,
        "label": _label(spec, f, d.field, lang),
        "change": d.change.value,
        "before": _words(spec, f, d.before, lang),
        "after": _words(spec, f, d.after, lang),
    }


def _file(row: EvidenceFile, round_code: str, institution: str, lang: Lang) -> dict[str, Any]:
    found = next((k for k in ALLOWED if k.media_type == row.media_type), None)
    return {
        "name": row.name,
        "url": f"{_url(round_code, institution)}/evidence/{id_of(row)}",
        "size": human_size(row.size, lang),
        "type": found.label if found else row.media_type,
        "by": t("web.evidence.by", lang, name=row.actor_name or row.actor,
                on=local_time(row.added_at, lang)),
    }  # fmt: skip


def _state(view: SubmissionReview, lang: Lang) -> str:
    decided = view.decided
    if decided is not None:
        key = "accepted" if decided.decision == ACCEPTED else "returned"
        return t(f"console.review.state.{key}", lang, who=decided.reviewer,
                 on=local_time(decided.decided_at, lang))  # fmt: skip
    if view.waiting:
        return t("console.review.state.waiting", lang)
    return t("console.review.state.moved", lang)


def _compared(view: SubmissionReview, lang: Lang) -> str:
    base = view.base
    if base is None:
        return t("console.review.compared.none", lang)
    if base.kind == "submission" and base.returned and view.last_return is not None:
        on = local_time(view.last_return.decided_at, lang)
        return t("console.review.compared.returned", lang, on=on)
    if base.kind == "submission":
        return t("console.review.compared.submission", lang)
    return t("console.review.compared.round", lang, round=base.round_code or "")


def submission_page(
    session: Session,
    round_code: str,
    institution: str,
    lang: Lang,
    *,
    only_changes: bool = False,
) -> dict[str, Any]:
    """The institution's newest submission held for review in the round, for the
    reviewer: its facts, what it is compared with and how many answers changed, the
    consistency warnings, the last return's comments (a resubmission answers them), and
    its answers per component and item (each with its change, the earlier value where it
    changed, the item's evidence files and the decision's comment on it); the services'
    matrix last. ``only_changes``: only the answers that changed (and the items with
    any). Nothing to review there is :class:`~pvpp.portal.NotFound`."""
    try:
        view = open_review(session, round_code, institution)
    except ReviewError as exc:
        raise NotFound(str(exc)) from exc
    spec = view.spec
    compared = view.base is not None
    by_item: dict[str, list[FieldDiff]] = {}
    for d in view.diff:
        by_item.setdefault(item_of(spec, d.field), []).append(d)
    note = view.last_return
    components = []
    hidden = 0
    for comp in spec.policy.components:
        items = []
        for item in comp.items:
            diffs = by_item.get(item.id, [])
            shown = [d for d in diffs if not only_changes or d.change is not FieldChange.UNCHANGED]
            if only_changes and not shown:
                hidden += 1
                continue
            items.append({
                "id": item.id, "name": item.name.get(lang), "field": field_id(item.id),
                "rows": [_row(view, d, lang) for d in shown],
                "changed": sum(1 for d in diffs if d.change is not FieldChange.UNCHANGED),
                "files": [_file(f, round_code, institution, lang)
                          for f in view.evidence.get(item.id, [])],
                "returned_comment": note.items.get(item.id, "") if note else "",
                "decided_comment": view.comments.get(item.id, ""),
            })  # fmt: skip
        if items:
            components.append({
                "id": comp.id, "number": comp.number, "name": comp.name.get(lang),
                "items": items,
            })  # fmt: skip
    services = by_item.get(SERVICES, [])
    shown_services = [
        d for d in services if not only_changes or d.change is not FieldChange.UNCHANGED
    ]
    if only_changes and not shown_services:
        hidden += 1
    counts = summary(view.diff)
    sub = view.submission
    return {
        "round": round_code,
        "institution": {"code": view.institution.code, "name": view.institution.name},
        "url": _url(round_code, institution),
        "submission": {
            "id": id_of(sub),
            "filename": sub.filename,
            "received": local_time(sub.received_at, lang),
            "online": sub.source.startswith("web:"),
        },
        "state": _state(view, lang),
        "waiting": view.waiting,
        "decided": (
            {"decision": view.decided.decision, "comment": view.decided.comment}
            if view.decided is not None
            else None
        ),
        "compared": compared,
        "compared_with": _compared(view, lang),
        "counts": {c.value: n for c, n in counts.items()},
        "changed": sum(n for c, n in counts.items() if c is not FieldChange.UNCHANGED),
        "only_changes": only_changes,
        "hidden": hidden,
        "warnings": [
            {"item": w.item, "text": w.message.get(lang) or w.message.get("en", w.code)}
            for w in view.warnings
        ],
        "last_return": (
            {
                "on": local_time(note.decided_at, lang),
                "by": note.reviewer,
                "comment": note.comment,
                "items": [(k, _item_name(spec, k, lang), v) for k, v in note.items.items()],
            }
            if note is not None
            else None
        ),
        "components": components,
        "services": {
            "field": field_id(SERVICES),
            "rows": [_row(view, d, lang) for d in shown_services],
            "shown": bool(shown_services) or not only_changes,
            "changed": sum(1 for d in services if d.change is not FieldChange.UNCHANGED),
            "returned_comment": note.items.get(SERVICES, "") if note else "",
            "decided_comment": view.comments.get(SERVICES, ""),
        },
    }


def _item_name(spec: QuestionnaireSpec, item: str, lang: Lang) -> str:
    if item == SERVICES:
        return t("web.q.services", lang)
    found = next((i for i in spec.policy.items if i.id == item), None)
    return f"{item} {found.name.get(lang)}" if found else item


def comment_errors(
    session: Session, round_code: str, problems: list[CommentProblem], lang: Lang
) -> list[tuple[str, str]]:
    """A refused decision's problems as the page shows them: the id of the comment box
    each is about (the whole submission's ``return-comment``, an item's
    :func:`field_id`) and the message in ``lang``."""
    rnd = round_by_code(session, round_code)
    spec = load_questionnaire(rnd.questionnaire_version) if rnd is not None else None
    out = []
    for p in problems:
        if p.field == WHOLE:
            where = "return-comment"
            what = t("console.review.whole_label", lang)
        else:
            where = field_id(p.field)
            what = _item_name(spec, p.field, lang) if spec is not None else p.field
        message = t(f"console.review.error.{p.reason}", lang, what=what, length=p.length,
                    limit=MAX_COMMENT)  # fmt: skip
        out.append((where, message))
    return out


def reviewer_error(lang: Lang) -> str:
    """Why a console person's address cannot sign a decision (an account made before
    addresses were checked)."""
    return t("console.review.error.reviewer", lang)


def evidence_file(
    session: Session, round_code: str, institution: str, evidence_id: int
) -> tuple[str, str, bytes]:
    """An evidence file of an item of the institution's assignment in the round, not
    removed (anything else :class:`~pvpp.portal.NotFound`, also a file of another
    institution or round named under this one): the name to download it as, the media
    type its content was found to be, and its bytes."""
    rnd = round_by_code(session, round_code)
    inst = institution_by_code(session, institution)
    assignment = assignment_of(session, rnd, inst) if rnd and inst else None
    row = session.get(EvidenceFile, evidence_id)
    if (
        assignment is None
        or row is None
        or row.assignment_id != assignment.id
        or row.kind != "item"
        or row.removed_at is not None
    ):
        raise NotFound(f"no evidence file {evidence_id} of {institution} in round {round_code}")
    stored = session.get(StoredFile, row.file_sha256)
    kind = next((k for k in ALLOWED if k.media_type == row.media_type), None)
    if stored is None or kind is None:  # pragma: no cover - a foreign key; only known kinds
        raise NotFound(f"evidence {evidence_id} cannot be served")
    return download_name(row.name, kind), kind.media_type, read_file(session, stored)


def typed_items(form: Mapping[str, Any]) -> dict[str, str]:
    """The item comments a return form carries (``item-<id>`` boxes), as typed, the empty
    ones left out (an empty box is no comment)."""
    out = {}
    for key, value in form.items():
        if key.startswith("item-") and isinstance(value, str) and value.strip():
            out[key.removeprefix("item-")] = value
    return out
