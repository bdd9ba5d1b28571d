"""The "Informācija" sheet every workbook ends with: what the figures come from, which of
them are provisional, and how to read them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from pvpp.exports.data import RoundData
from pvpp.exports.words import word
from pvpp.exports.writer import Pair, new_sheet, write_pairs
from pvpp.planning.library import Library
from pvpp.policy import Policy
from pvpp.policy.models import Lang
from pvpp.scoring import METHOD


def provisional_note(policy: Policy, library: Library | None, lang: Lang) -> str | None:
    """Which figures rest on designed values, from the policy's own ``provisional`` lists."""
    items = policy.items
    parts = []
    if n := sum("national_target" in i.provisional for i in items):
        parts.append(word("prov_target", lang, n=n))
    if n := sum("weight" in i.provisional for i in items):
        parts.append(word("prov_weight", lang, n=n))
    if policy.degree_scale.provisional or any(d.provisional for d in policy.dimensions):
        parts.append(word("prov_scale", lang))
    if any(c.provisional for c in policy.components):
        parts.append(word("prov_component", lang))
    if library is not None and library.common.provisional:
        parts.append(word("prov_library", lang))
    return word("provisional_text", lang, what="; ".join(parts)) if parts else None


def _info_pairs(
    data: RoundData, lang: Lang, generated_at: datetime, extra: Sequence[Pair]
) -> list[Pair]:
    rnd = data.round
    pairs: list[Pair] = [
        (word("round", lang), rnd.code),
        (word("opens", lang), rnd.opens_on),
        (word("round_due", lang), rnd.due_on),
        (word("generated", lang), generated_at),
        (word("policy", lang), rnd.policy_version),
        (word("questionnaire", lang), rnd.questionnaire_version),
        (word("method", lang), METHOD),
        *extra,
    ]
    note = provisional_note(data.policy, data.library, lang)
    if note:
        pairs.append((word("provisional", lang), note))
    pairs.append((word("how_read", lang), word("how_read_text", lang)))
    pairs.append(
        (
            word("legend_components", lang),
            "\n".join(
                f"{word('component', lang, n=c.number)} ({c.id}): {c.name.get(lang)}"
                for c in data.policy.components
            ),
        )
    )
    return pairs


def info_sheet(
    wb: Workbook, data: RoundData, lang: Lang, generated_at: datetime, extra: Sequence[Pair] = ()
) -> Worksheet:
    """Append the information sheet; ``extra`` pairs follow the round's own."""
    ws = new_sheet(wb, word("sheet_info", lang))
    write_pairs(ws, _info_pairs(data, lang, generated_at, extra), lang)
    return ws
