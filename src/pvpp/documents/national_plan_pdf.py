"""A specialised plan (RV6, RV7) as a PDF: its basis, the needs it answers, its measures
(each with its responsible body, due date, the need it answers and the institutions it
serves), the measures dropped and why, what this version changed, and what the project
designed.

Publishable by default, by the disclosure rule (``docs/disclosure.md``): no institution is
named, and a figure over too few institutions (a need's counts, the institutions a measure
serves) is withheld with the marker. ``internal=True`` names the institutions each measure
serves. Latvian by default; the words are the catalogue's ``natplan.*``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from pvpp.disclosure import enough, published_minimum
from pvpp.documents.render import render_pdf
from pvpp.i18n import t
from pvpp.national_plans import PlanView, get_plan
from pvpp.policy.models import Lang
from pvpp.specialised import DROPPED, Measure
from pvpp.store.models import Institution


def text_of(texts: Mapping[str, str], lang: Lang) -> str:
    """A measure's title or description in ``lang``, the Latvian one where none is given."""
    return texts.get(lang) or texts.get("lv", "")


def served_shown(view: PlanView, measure: Measure, internal: bool) -> bool:
    """Whether the count of institutions ``measure`` serves may be shown: always inside
    VARAM; published, only when every need it answers is counted over enough institutions."""
    if internal:
        return True
    rated = {n.item: n.rated for n in view.needs}
    return all(enough(rated.get(i, 0)) for i in measure.items)


def plan_context(
    view: PlanView,
    *,
    lang: Lang,
    internal: bool,
    institutions: Mapping[str, str],
    today: date,
) -> dict[str, Any]:
    """Everything the plan document shows, as plain data (``institutions``: code → name,
    used only in the internal form)."""
    policy, library = view.policy, view.library
    measure_texts = {m.id: m.text.get(lang) for m in policy.measures}
    item_names = {i.id: f"{i.id} {i.name.get(lang)}" for i in policy.items}
    direction = library.direction(view.direction)
    marker = t("disclosure.marker", lang)

    def measure_row(m: Measure) -> dict[str, Any]:
        shown = served_shown(view, m, internal)
        return {
            "key": m.key,
            "title": text_of(m.title, lang),
            "description": text_of(m.description, lang),
            "responsible": library.body_name(m.responsible, lang),
            "due": m.due_on,
            "policy_measure": f"{m.policy_measure} {measure_texts.get(m.policy_measure, '')}",
            "items": [item_names.get(i, i) for i in m.items],
            "served": t("natplan.served_count", lang, n=len(m.institutions)) if shown else marker,
            "served_names": [f"{c} {institutions.get(c, '')}".strip() for c in m.institutions]
            if internal
            else [],
            "provisional": set(m.provisional),
            "dropped_reason": m.dropped_reason,
        }

    needs = []
    for n in view.needs:
        ok = internal or enough(n.rated)
        needs.append({
            "item": item_names.get(n.item, n.item),
            "with_gap": len(n.with_gap) if ok else marker,
            "rated": n.rated,
            "median_gap": n.median_gap if ok else None,
            "mean_gap": n.mean_gap if ok else None,
            "withheld": not ok,
        })  # fmt: skip
    plan = view.plan
    return {
        "lang": lang,
        "internal": internal,
        "min_group": published_minimum(),
        "title": t(f"natplan.title_{view.direction}", lang),
        "round": view.round.code,
        "policy": view.round.policy_version,
        "version": plan.version,
        # Stored in UTC; the day it was saved in Riga.
        "saved_on": plan.created_at.replace(tzinfo=plan.created_at.tzinfo or UTC)
        .astimezone(ZoneInfo("Europe/Riga"))
        .date(),
        "saved_by": plan.created_by,
        "today": today,
        "basis": t(
            "natplan.basis_text",
            lang,
            measure=direction.plan_measure,
            what=measure_texts.get(direction.plan_measure, ""),
        ),
        "direction_name": next(
            rv.name.get(lang) for rv in policy.action_directions if rv.id == view.direction
        ),
        "counted_on": plan.counted_on,
        "needs": needs,
        "any_withheld": any(n["withheld"] for n in needs),
        "measures": [measure_row(m) for m in view.measures if m.status != DROPPED],
        "dropped": [measure_row(m) for m in view.measures if m.status == DROPPED],
        "any_provisional": any(m.provisional for m in view.measures if m.status != DROPPED),
        "changes": [
            {
                "kind": t(f"natplan.kind_{c.kind}", lang),
                "key": c.measure_key,
                "reason": c.reason,
                "who": c.actor,
            }
            for c in view.changes
        ],
        "designed": [(d.name.get(lang), d.note.get(lang)) for d in library.designed],
    }


def institution_names(session: Session) -> dict[str, str]:
    """Institution code → name (for the internal form)."""
    return {i.code: i.name for i in session.exec(select(Institution)).all()}


def national_plan_pdf(
    session: Session,
    round_code: str,
    direction: str,
    *,
    today: date,
    lang: Lang = "lv",
    internal: bool = False,
    version: int | None = None,
) -> bytes:
    """The plan (its newest version, or ``version``) as a PDF as of ``today``."""
    view = get_plan(session, round_code, direction, version)
    names = institution_names(session) if internal else {}
    context = plan_context(view, lang=lang, internal=internal, institutions=names, today=today)
    return render_pdf("national/plan.html.j2", context)
