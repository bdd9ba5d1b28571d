"""The "Informācija" sheet every workbook ends with: what the figures come from, which of
them are provisional, and how to read them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from pvpp.exports.data import RoundData
from pvpp.exports.writer import Pair, new_sheet, write_pairs
from pvpp.i18n import t
from pvpp.planning.library import Library
from pvpp.policy import Policy
from pvpp.policy.loader import LIBRARY_PREFIX
from pvpp.policy.models import Lang
from pvpp.scoring import METHOD


def provisional_note(policy: Policy, library: Library | None, lang: Lang) -> str | None:
    """Which figures rest on designed values: the policy's ``designed`` entries that
    numbers depend on (the measures library's only when the export holds plans)."""
    parts = [
        d.name.get(lang)
        for d in policy.designed_for_numbers()
        if library is not None or not all(c.startswith(LIBRARY_PREFIX) for c in d.covers)
    ]
    return t("exports.info.provisional_text", lang, what="; ".join(parts)) if parts else None


def _info_pairs(
    data: RoundData, lang: Lang, generated_at: datetime, extra: Sequence[Pair]
) -> list[Pair]:
    rnd = data.round
    pairs: list[Pair] = [
        (t("exports.info.round", lang), rnd.code),
        (t("exports.info.opens", lang), rnd.opens_on),
        (t("exports.info.round_due", lang), rnd.due_on),
        (t("exports.info.generated", lang), generated_at),
        (t("exports.info.policy", lang), rnd.policy_version),
        (t("exports.info.questionnaire", lang), rnd.questionnaire_version),
        (t("exports.info.method", lang), METHOD),
        *extra,
    ]
    note = provisional_note(data.policy, data.library, lang)
    if note:
        pairs.append((t("exports.info.provisional", lang), note))
    pairs.append((t("exports.info.how_read", lang), t("exports.info.how_read_text", lang)))
    pairs.append(
        (
            t("exports.info.legend_components", lang),
            "\n".join(
                f"{t('exports.column.component', lang, number=c.number)} ({c.id}): "
                f"{c.name.get(lang)}"
                for c in data.policy.components
            ),
        )
    )
    return pairs


def info_sheet(
    wb: Workbook, data: RoundData, lang: Lang, generated_at: datetime, extra: Sequence[Pair] = ()
) -> Worksheet:
    """Append the information sheet; ``extra`` pairs follow the round's own."""
    ws = new_sheet(wb, t("exports.sheet.info", lang))
    write_pairs(ws, _info_pairs(data, lang, generated_at, extra), lang)
    return ws
