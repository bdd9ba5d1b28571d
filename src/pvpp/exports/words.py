"""The words of the exports: sheet names, column headers, notes and state names, in Latvian
and English.

Kept apart so that a translation catalogue can take their place without touching the
exports themselves.
"""

from __future__ import annotations

from pvpp.policy.models import Lang

WORDS: dict[str, tuple[str, str]] = {
    # sheets (Excel allows at most 31 characters)
    "sheet_institutions": ("Iestādes", "Institutions"),
    "sheet_items": ("Punktu vērtējumi", "Item scores"),
    "sheet_services": ("Pakalpojumi", "Services"),
    "sheet_plans": ("Plānu pasākumi", "Plan measures"),
    "sheet_heat": ("Nosacījumu grupas", "Condition groups"),
    "sheet_needs": ("RV6 un RV7 vajadzības", "RV6 and RV7 needs"),
    "sheet_distribution": ("Pakāpju sadalījums", "Degree distribution"),
    "sheet_groups": ("Indekss pa grupām", "Index by group"),
    "sheet_info": ("Informācija", "Information"),
    "sheet_summary": ("Kopsavilkums", "Summary"),
    "sheet_measures": ("Pasākumi", "Measures"),
    # columns
    "code": ("Iestādes kods", "Institution code"),
    "name": ("Iestāde", "Institution"),
    "group": ("1. tabulas grupa", "Table 1 group"),
    "state": ("Statuss", "State"),
    "index": ("Kopējais indekss (0–100)", "Overall index (0–100)"),
    "overall": ("Kopējais vērtējums (0–4)", "Overall score (0–4)"),
    "component": ("{n}. komponente", "Component {n}"),
    "changed": ("Pēdējās izmaiņas", "Last change"),
    "flags": ("RV1 atzīmes", "RV1 flags"),
    "item": ("Punkts", "Item"),
    "item_name": ("Punkta nosaukums", "Item name"),
    "component_id": ("Komponente", "Component"),
    "score": ("Vērtējums", "Score"),
    "target": ("Mērķa pakāpe", "Target degree"),
    "target_source": ("Mērķa avots", "Target source"),
    "gap": ("Plaisa līdz mērķim", "Gap to target"),
    "priority": ("Prioritāte", "Priority"),
    "evidence": ("Pierādījumi", "Evidence"),
    "comment": ("Komentārs", "Comment"),
    "na_reason": ("Pamatojums “Nav attiecināms”", "Reason for “Not applicable”"),
    "row": ("Rinda", "Row"),
    "service": ("Pakalpojuma nosaukums", "Service name"),
    "service_type": ("Veids", "Type"),
    "catalogue": ("Kataloga ID", "Catalogue ID"),
    "plan_version": ("Plāna versija", "Plan version"),
    "position": ("Nr.", "No."),
    "due": ("Termiņš", "Due date"),
    "period": ("Periods", "Period"),
    "dimension": ("Dimensija", "Dimension"),
    "from_degree": ("No pakāpes", "From degree"),
    "to_degree": ("Līdz pakāpei", "To degree"),
    "measure_id": ("Pasākuma kods", "Measure code"),
    "measure": ("Pasākums", "Measure"),
    "rv5": ("RV5 pasākums", "RV5 measure"),
    "role": ("Atbildīgā loma", "Responsible role"),
    "funding": ("Finansējuma avoti", "Funding sources"),
    "support": ("Atbalsta piedāvājumi", "Support offers"),
    "effort": ("Darbietilpība", "Effort"),
    "measure_status": ("Statuss", "Status"),
    "dropped_reason": ("Atcelšanas pamatojums", "Reason for dropping"),
    "direction": ("Rīcības virziens", "Action direction"),
    "with_gap": ("Iestādes ar plaisu", "Institutions with a gap"),
    "rated": ("Novērtētās iestādes", "Institutions rated"),
    "median_gap": ("Plaisas mediāna", "Median gap"),
    "mean_gap": ("Vidējā plaisa", "Mean gap"),
    "degree_n": ("Pakāpe {n}", "Degree {n}"),
    "unrated": ("Nav novērtēts", "Unrated"),
    "total": ("Kopā", "Total"),
    "institutions": ("Iestāžu skaits", "Institutions"),
    "median_index": ("Indeksa mediāna", "Median index"),
    "field": ("Lauks", "Field"),
    "note": ("Piezīme", "Note"),
    "value": ("Vērtība", "Value"),
    # information sheet
    "round": ("Novērtēšanas kārta", "Assessment round"),
    "opens": ("Kārta atvērta", "Round opened"),
    "round_due": ("Iesniegšanas termiņš", "Return by"),
    "generated": ("Izveidots (Rīgas laiks)", "Generated (Riga time)"),
    "policy": ("Politikas versija", "Policy version"),
    "questionnaire": ("Anketas versija", "Questionnaire version"),
    "method": ("Vērtēšanas metode", "Scoring method"),
    "form": ("Forma", "Form"),
    "form_public": (
        "publicējamā: tikai apkopojumi, grupas ar mazāk nekā {n} iestādēm netiek rādītas, "
        "iestādes netiek nosauktas",
        "publishable: aggregates only, groups of fewer than {n} institutions withheld, "
        "no institution named",
    ),
    "form_internal": (
        "iekšējā: ar iestāžu datiem, tikai VARAM darbam — nepublicēt",
        "internal: with institution data, for VARAM's work only — do not publish",
    ),
    "scored": ("Novērtētās iestādes", "Institutions scored"),
    "assigned": ("Iestādes kārtā", "Institutions in the round"),
    "withheld": (
        "Novērtētas mazāk nekā {n} iestādes: apkopojumi netiek publicēti.",
        "Fewer than {n} institutions scored: aggregates are withheld.",
    ),
    "provisional": ("Piezīme par provizoriskām vērtībām", "Note on provisional values"),
    "provisional_text": (
        "Provizoriskas (projekta izstrādātas, VARAM vēl nav publicējusi): {what}. Kad VARAM "
        "publicēs oficiālās vērtības, vērtējumi, plaisas, prioritātes un plāni var mainīties.",
        "Provisional (designed by the project, not yet published by VARAM): {what}. When "
        "VARAM publishes the official values, scores, gaps, priorities and plans may change.",
    ),
    "prov_target": ("valsts mērķa pakāpe ({n} punktiem)", "national target degree ({n} items)"),
    "prov_weight": ("punktu svars ({n} punktiem)", "item weight ({n} items)"),
    "prov_scale": ("pakāpju skala un pakāpju apraksti", "the degree scale and its descriptors"),
    "prov_component": (
        "komponenšu RV5 sasaiste un pamata komponente",
        "the components' RV5 links and the foundation component",
    ),
    "prov_library": (
        "pasākumu bibliotēkas lomas, atbalsta piedāvājumi un darbietilpība",
        "the measures library's roles, support offers and effort sizes",
    ),
    "how_read": ("Kā lasīt", "How to read"),
    "how_read_text": (
        "Vērtējums ir punkta novērtēto dimensiju vidējā pakāpe (0–4); “Nav attiecināms” un "
        "“Nav zināms” netiek ieskaitīti. Plaisa = mērķa pakāpe − vērtējums. Prioritāte = "
        "plaisa × svars × pamata koeficients (1,5 pirmās komponentes punktiem). Skaitļi "
        "šūnās nav noapaļoti; redzami ar 1–2 decimālzīmēm.",
        "A score is the mean degree (0–4) of the item's rated dimensions; “Not applicable” "
        "and “Unknown” are left out. Gap = target degree − score. Priority = gap × weight × "
        "foundation factor (1.5 for the items of component 1). Cells hold unrounded numbers, "
        "shown with 1–2 decimals.",
    ),
    "legend_components": ("Komponentes", "Components"),
    # plan summary
    "plan_status": ("Plāna statuss", "Plan status"),
    "plan_created": ("Plāns izveidots (Rīgas laiks)", "Plan created (Riga time)"),
    "plan_start": ("Plāna sākums", "Plan starts"),
    "capacity": ("Kapacitāte (cilvēkdienas pusgadā)", "Capacity (person-days per half-year)"),
    "adjusted_from": ("Pielāgots no versijas", "Adjusted from version"),
    "measures_total": ("Pasākumi kopā", "Measures in total"),
    "measures_planned": ("Plānoti", "Planned"),
    "measures_dropped": ("Atcelti", "Dropped"),
    "measures_done": ("Izpildīti", "Done"),
    "by_period": ("Plānotie pasākumi pa periodiem", "Planned measures by period"),
    "target_own": ("iestādes", "institution's"),
    "target_national": ("valsts", "national"),
}

STATES: dict[str, tuple[str, str]] = {
    "invited": ("uzaicināta", "invited"),
    "in_progress": ("aizpilda", "in progress"),
    "submitted": ("iesniegta", "submitted"),
    "accepted": ("pieņemta", "accepted"),
    "returned": ("atgriezta labošanai", "returned"),
    "planned": ("plāns sagatavots", "planned"),
    "plan_sent": ("plāns nosūtīts", "plan sent"),
    "in_follow_up": ("uzraudzībā", "in follow-up"),
}
MEASURE_STATES: dict[str, tuple[str, str]] = {
    "planned": ("plānots", "planned"),
    "dropped": ("atcelts", "dropped"),
    "done": ("izpildīts", "done"),
}
PLAN_STATES: dict[str, tuple[str, str]] = {
    "draft": ("melnraksts", "draft"),
    "agreed": ("saskaņots", "agreed"),
    "sent": ("nosūtīts", "sent"),
}
FLAGS: dict[str, tuple[str, str]] = {
    "no_team": ("nav komandas", "no team"),
    "no_lead": ("nav komandas vadītāja", "no team lead"),
}


def word(key: str, lang: Lang, **params: object) -> str:
    """The text of ``key`` in ``lang``, with ``{name}`` placeholders filled from ``params``."""
    lv, en = WORDS[key]
    text = lv if lang == "lv" else en
    return text.format(**params) if params else text


def pick(table: dict[str, tuple[str, str]], key: str, lang: Lang) -> str:
    """``key``'s name in ``lang`` from one of the state tables; an unknown key as it is."""
    pair = table.get(key)
    return key if pair is None else pair[0 if lang == "lv" else 1]


def flag_label(flag: str, lang: Lang) -> str:
    """An RV1 flag as words; a missed training names the training."""
    if flag.startswith("no_training_"):
        training = flag.removeprefix("no_training_")
        return (
            f"nav apmeklēta apmācība {training}"
            if lang == "lv"
            else f"{training} training not attended"
        )
    return pick(FLAGS, flag, lang)
