"""Deterministic synthetic answers for the demo, tests and benchmarks.

Profiles model what real rounds show: weak institutions mostly at degrees 0–1, average
ones around 2, strong ones at 3–4, with some "not applicable" and "unknown" answers,
evidence where the degree is high, and a few services with their conformity: most of a
strong institution's services conform, a weak one's mostly do not or only partly, so the
plans show P5.2 measures naming services (see pvpp.planning.service_steps).
"""

from __future__ import annotations

import random
import zlib
from typing import Any

from pvpp.policy.models import Lang
from pvpp.questionnaire import FieldKind, QuestionnaireSpec
from pvpp.scoring import combine_parts

PROFILES: dict[str, tuple[float, float]] = {
    # mean degree, spread
    "weak": (0.8, 0.8),
    "average": (2.0, 0.9),
    "strong": (3.2, 0.7),
}

SERVICE_NAMES = [
    "Iesnieguma pieņemšana un izskatīšana",
    "Atļaujas izsniegšana",
    "Konsultācija iedzīvotājiem",
    "Reģistra izziņas sniegšana",
    "Pārbaudes veikšana uzņēmumā",
    "Datu apmaiņa ar citām iestādēm",
    "Pašvaldības nodevu aprēķins",
    "Sūdzību izskatīšana",
    "Licences pagarināšana",
    "Pabalsta piešķiršana",
]
# Per profile, the weights of the conformity answers yes / partly / no / na.
CONFORMITY_WEIGHTS: dict[str, tuple[float, float, float, float]] = {
    "weak": (0.25, 0.35, 0.25, 0.15),
    "average": (0.6, 0.25, 0.07, 0.08),
    "strong": (0.88, 0.06, 0.0, 0.06),
}
EVIDENCE = [
    "Iekšējie noteikumi Nr. 12 “Par pakalpojumu pārvaldību”, apstiprināti 2025. gada martā.",
    "Lomu apraksts un rīkojums par atbildīgajiem darbiniekiem.",
    "Pakalpojumu katalogs iestādes tīmekļvietnē; klientu aptaujas rezultāti par 2025. gadu.",
    "Procesu apraksti iestādes dokumentu vadības sistēmā; ceturkšņa pārskati vadībai.",
]


def synthetic_answers(spec: QuestionnaireSpec, profile: str, seed: int) -> dict[str, Any]:
    """A complete, valid answer set (field id → parsed value) for ``profile``."""
    rng = random.Random(f"{spec.id}:{profile}:{seed}")
    mean, spread = PROFILES[profile]
    scale = spec.policy.degree_scale
    answers: dict[str, Any] = {}
    for item in spec.policy.items:
        item_mean = mean + rng.uniform(-0.5, 0.5)
        dims = [f for f in spec.degree_fields if f.item_id == item.id]
        not_applicable = False
        for f in dims:
            roll = rng.random()
            if roll < 0.02:
                answers[f.id] = "not_applicable"
                not_applicable = True
            elif roll < 0.05:
                answers[f.id] = "unknown"
            else:
                value = round(rng.gauss(item_mean, spread))
                answers[f.id] = min(max(value, scale.min), scale.max)
        # The item's dimensions as the checker and the scorer read them: a dimension asked
        # in parts at its lowest part, so a target is never below the current degree.
        combined = [
            combine_parts([answers[f.id] for f in spec.parts_of(item.id, dim.id)])
            for dim in spec.policy.dimensions
        ]
        rated = [v for v in combined if isinstance(v, int)]
        if not_applicable:
            answers[f"NAREASON_{item.id.replace('.', '_')}"] = (
                "Iestāde šo pakalpojumu nesniedz; funkcija nodota citai iestādei."
            )
        if rated and max(rated) >= 2:
            answers[f"EVIDENCE_{item.id.replace('.', '_')}"] = rng.choice(EVIDENCE)
        if rated and rng.random() < 0.3:
            current = sum(rated) // len(rated)
            answers[f"TARGET_{item.id.replace('.', '_')}"] = rng.randint(current, scale.max)
    groups = spec.condition_groups
    codes = ("yes", "partly", "no", "na")
    assert set(codes) == {o.code for o in spec.questionnaire.conformity}
    types = [st.id for st in spec.policy.service_types]
    names = rng.sample(SERVICE_NAMES, rng.randint(2, 5))
    for row, name in enumerate(names, start=1):
        answers[f"SVC{row:02d}_NAME"] = name
        answers[f"SVC{row:02d}_TYPE"] = rng.choice(types)
        for group in groups:
            answers[f"SVC{row:02d}_{group}"] = rng.choices(
                codes, weights=CONFORMITY_WEIGHTS[profile]
            )[0]
    assert all(k in spec.field_by_id for k in answers), "synthetic answers name unknown fields"
    kinds = {spec.field_by_id[k].kind for k in answers}
    assert FieldKind.DEGREE in kinds
    return answers


def profile_for(code: str) -> str:
    """A stable weak/average/strong profile per institution code (for varied rounds)."""
    digest = sum(code.encode())
    return ("weak", "average", "average", "strong")[digest % 4]


def answer_workbook(
    spec: QuestionnaireSpec, blank: bytes, code: str, *, lang: Lang = "lv", seed: int = 0
) -> bytes:
    """``blank`` (the workbook sent to ``code``) filled as that institution would fill it."""
    from pvpp.workbook.fill import cell_values, fill_workbook

    # Seeded by the code, so an institution answers the same however it is listed.
    answers = synthetic_answers(
        spec, profile_for(code), seed=seed * 100_003 + zlib.crc32(code.encode())
    )
    return fill_workbook(blank, cell_values(spec, answers, lang))


def filled_workbooks(
    spec: QuestionnaireSpec,
    institutions: list[tuple[str, str]],
    *,
    round_code: str,
    key: bytes,
    lang: Lang = "lv",
    seed: int = 0,
) -> dict[str, bytes]:
    """Institution code → a workbook built for it and filled with its profile's answers."""
    from pvpp.workbook.build import build_workbook

    out = {}
    for code, name in institutions:
        blank = build_workbook(
            spec,
            institution_code=code,
            institution_name=name,
            round_code=round_code,
            lang=lang,
            key=key,
        )
        out[code] = answer_workbook(spec, blank, code, lang=lang, seed=seed)
    return out


# What a team writes on one row of a status sheet: status label, new due date, comment.
StatusOverride = tuple[str, str | None, str | None]


def answer_status_sheet(
    data: bytes, code: str, overrides: dict[int, StatusOverride] | None = None
) -> bytes:
    """A status sheet filled as the institution's profile would: strong ones report every
    measure done, average ones all but the last, weak ones half of them not started.

    ``overrides`` maps a row index (0 = first measure) to (status label, new due, comment).
    """
    import io

    from openpyxl import load_workbook

    from pvpp.workbook.status import FIRST_ROW, choice_label, sheet_title

    wb = load_workbook(io.BytesIO(data))
    lang = "en" if sheet_title("en") in wb.sheetnames else "lv"
    ws = wb[sheet_title(lang)]
    rows = [r for r in range(FIRST_ROW, ws.max_row + 1) if ws[f"B{r}"].value]
    profile = profile_for(code)
    for i, r in enumerate(rows):
        if profile == "strong" or (profile == "average" and i < len(rows) - 1):
            key = "done"
        elif profile == "average":
            key = "in_progress"
        else:
            key = "done" if i % 2 == 0 else "not_started"
        label, due, comment = (choice_label(key, lang), None, None)
        if overrides and i in overrides:
            label, due, comment = overrides[i]
        ws[f"E{r}"] = label
        if due is not None:
            ws[f"F{r}"] = due
        if comment is not None:
            ws[f"G{r}"] = comment
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def next_round_answers(
    spec: QuestionnaireSpec,
    answers: dict[str, Any],
    done: list[tuple[str, str, int]],
    *,
    worse: tuple[str, ...] = (),
    drop: int = 3,
) -> dict[str, Any]:
    """An institution's answers a round later: ``answers`` (its previous round's) with each
    dimension a done plan measure raised (item, dimension, to degree: every part of it at
    least there), and every degree of the items ``worse`` lowered by ``drop`` (a team that
    finds it had rated itself too high). An own target below the new degree is raised to
    it, as the checker asks."""
    from pvpp.questionnaire.models import item_key

    out = {k: v for k, v in answers.items() if k in spec.field_by_id}
    low = spec.policy.degree_scale.min
    for item, dimension, degree in done:
        for f in spec.parts_of(item, dimension):
            value = out.get(f.id)
            if isinstance(value, int) or value in ("unknown", "unclear"):
                out[f.id] = max(value if isinstance(value, int) else low, degree)
    for item in worse:
        for f in spec.degree_fields:
            if f.item_id == item and isinstance(out.get(f.id), int):
                out[f.id] = max(low, out[f.id] - drop)
    for node in spec.policy.items:
        key = f"TARGET_{item_key(node.id)}"
        target = out.get(key)
        if not isinstance(target, int):
            continue
        combined = [
            combine_parts([out.get(f.id) for f in spec.parts_of(node.id, d.id)])
            for d in spec.policy.dimensions
        ]
        rated = [v for v in combined if isinstance(v, int)]
        if rated:
            out[key] = max(target, sum(rated) // len(rated))
    return out
