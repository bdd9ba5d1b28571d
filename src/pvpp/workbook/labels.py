"""Fixed wording of the workbook's layout (headers, row labels), in Latvian and English.

What is asked lives in the questionnaire data; this is only the frame around it.
"""

from __future__ import annotations

from pvpp.policy.models import Lang

LABELS: dict[str, dict[Lang, str]] = {
    "institution": {"lv": "Iestāde", "en": "Institution"},
    "round": {"lv": "Novērtēšanas kārta", "en": "Assessment round"},
    "due": {"lv": "Iesniegt līdz", "en": "Return by"},
    "questionnaire": {"lv": "Anketas versija", "en": "Questionnaire version"},
    "progress": {"lv": "Aizpildīts", "en": "Completed"},
    "col_code": {"lv": "Kods", "en": "Code"},
    "col_field": {"lv": "Dimensija / lauks", "en": "Dimension / field"},
    "col_question": {"lv": "Jautājums", "en": "Question"},
    "col_answer": {"lv": "Atbilde", "en": "Answer"},
    "col_degrees": {"lv": "Ko nozīmē katra pakāpe", "en": "What each degree means"},
    "about": {"lv": "Par šo punktu", "en": "About this item"},
    "target_result": {"lv": "Sasniedzamais rezultāts", "en": "Result to reach"},
    "national_target": {"lv": "Valsts mērķa pakāpe", "en": "National target degree"},
    "own_target": {"lv": "Iestādes mērķa pakāpe", "en": "Institution's target degree"},
    "own_target_hint": {
        "lv": "Neobligāti. Ja atstāsiet tukšu, mērķis ir valsts mērķa pakāpe ({target}). Mērķis "
        "var būt zemāks atbilstoši iestādes iespējām, bet ne zemāks par pašreizējo pakāpi.",
        "en": "Optional. If left empty, the national target degree ({target}) applies. A target "
        "may be lower to match your institution's means, but not below the current degree.",
    },
    "na_reason": {"lv": "Pamatojums “Nav attiecināms”", "en": "Reason for “Not applicable”"},
    "na_reason_hint": {
        "lv": "Obligāti, ja kādā dimensijā izvēlējāties “Nav attiecināms”.",
        "en": "Required if you chose “Not applicable” for any dimension.",
    },
    "evidence": {"lv": "Pierādījumi", "en": "Evidence"},
    "comment": {"lv": "Komentārs", "en": "Comment"},
    "comment_hint": {
        "lv": "Neobligāti: konteksts, plāni, jautājumi VARAM.",
        "en": "Optional: context, plans, questions for VARAM.",
    },
    "services_title": {
        "lv": "Pakalpojumi un to atbilstība nosacījumu grupām",
        "en": "Services and their conformity with the condition groups",
    },
    "services_intro": {
        "lv": "Uzskaitiet iestādes pakalpojumus (vienā rindā viens pakalpojums) un katram "
        "norādiet atbilstību katrai nosacījumu grupai K1–K10. Ne katrs nosacījums attiecas uz "
        "katru pakalpojumu — tad izvēlieties “Nav attiecināms”.",
        "en": "List your institution's services (one per row) and mark each one's conformity "
        "with every condition group K1–K10. Not every condition applies to every service — "
        "choose “Not applicable” then.",
    },
    "col_no": {"lv": "Nr.", "en": "No."},
    "col_service": {"lv": "Pakalpojuma nosaukums", "en": "Service name"},
    "col_type": {"lv": "Veids", "en": "Type"},
    "col_catalogue": {"lv": "Kataloga ID", "en": "Catalogue ID"},
    "services_listed": {"lv": "Norādīti pakalpojumi", "en": "Services listed"},
    "scale_title": {"lv": "Attīstības pakāpes", "en": "Development degrees"},
    "scale_degree": {"lv": "Pakāpe", "en": "Degree"},
    "non_scoring_title": {"lv": "Citas atbildes", "en": "Other answers"},
    "sheets_title": {"lv": "Darbgrāmatas lapas", "en": "Sheets in this workbook"},
}


def label(key: str, lang: Lang, **params: object) -> str:
    """A layout label in ``lang``."""
    text = LABELS[key][lang]
    return text.format(**params) if params else text
