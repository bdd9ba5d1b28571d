"""Plain-language messages for workbook problems, in Latvian and English.

Each problem has a stable ``code`` (tests and the store key on it) and a message template
per language. Messages say what is wrong and what to do about it.
"""

from __future__ import annotations

from pvpp.policy.models import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
    # -- the file itself -------------------------------------------------------------------
    "empty_file": {
        "lv": "Datne ir tukša (0 baitu). Lūdzu, nosūtiet aizpildīto darbgrāmatu vēlreiz.",
        "en": "The file is empty (0 bytes). Please send the filled workbook again.",
    },
    "too_large": {
        "lv": "Datne ir pārāk liela ({size}; atļauts līdz {limit}). Pašnovērtējuma darbgrāmata "
        "parasti ir mazāka par 200 KB — vai nosūtījāt pareizo datni?",
        "en": "The file is too large ({size}; the limit is {limit}). A self-assessment workbook "
        "is usually under 200 KB — is this the right file?",
    },
    "old_xls": {
        "lv": "Šī ir vecā formāta Excel datne (.xls). Lūdzu, atveriet saņemto .xlsx darbgrāmatu "
        "un saglabājiet to .xlsx formātā.",
        "en": "This is an old-format Excel file (.xls). Please open the .xlsx workbook you "
        "received and save it as .xlsx.",
    },
    "encrypted": {
        "lv": "Darbgrāmata ir aizsargāta ar paroli (šifrēta), tāpēc to nevar nolasīt. Lūdzu, "
        "noņemiet paroli (Fails → Informācija → Aizsargāt darbgrāmatu) un nosūtiet vēlreiz.",
        "en": "The workbook is password-protected (encrypted) and cannot be read. Please remove "
        "the password (File → Info → Protect Workbook) and send it again.",
    },
    "macro_enabled": {
        "lv": "Darbgrāmatā ir makroprogrammas (.xlsm). Makro netiek pieņemti drošības dēļ. "
        "Lūdzu, saglabājiet kā “Excel darbgrāmata (.xlsx)” un nosūtiet vēlreiz.",
        "en": "The workbook contains macros (.xlsm). Macros are not accepted for security "
        "reasons. Please save it as “Excel Workbook (.xlsx)” and send it again.",
    },
    "opendocument": {
        "lv": "Šī ir OpenDocument izklājlapa (.ods). Lūdzu, saglabājiet to kā Excel 2007–365 "
        "(.xlsx) darbgrāmatu un nosūtiet vēlreiz.",
        "en": "This is an OpenDocument spreadsheet (.ods). Please save it as an Excel 2007–365 "
        "(.xlsx) workbook and send it again.",
    },
    "not_a_workbook": {
        "lv": "Šī datne nav Excel darbgrāmata ({detail}). Lūdzu, nosūtiet saņemto .xlsx "
        "pašnovērtējuma darbgrāmatu.",
        "en": "This file is not an Excel workbook ({detail}). Please send the .xlsx "
        "self-assessment workbook you received.",
    },
    "damaged": {
        "lv": "Darbgrāmata ir bojāta un to nevar nolasīt ({detail}). Lūdzu, atveriet to Excel "
        "vai LibreOffice, saglabājiet vēlreiz kā .xlsx un nosūtiet.",
        "en": "The workbook is damaged and cannot be read ({detail}). Please open it in Excel "
        "or LibreOffice, save it again as .xlsx and send it.",
    },
    "zip_bomb": {
        "lv": "Darbgrāmatas saturs atspiests būtu nesamērīgi liels ({detail}). Šāda datne netiek "
        "apstrādāta. Lūdzu, nosūtiet saņemto darbgrāmatu, aizpildītu parastā veidā.",
        "en": "The workbook would expand to an unreasonable size ({detail}). Such a file is "
        "not processed. Please send the workbook you received, filled in the usual way.",
    },
    "xml_entities": {
        "lv": "Darbgrāmatas daļā {member} ir XML DTD/entītiju deklarācijas, kas netiek pieņemtas "
        "drošības dēļ. Lūdzu, saglabājiet darbgrāmatu ar Excel vai LibreOffice un nosūtiet "
        "vēlreiz.",
        "en": "Part {member} of the workbook contains XML DTD/entity declarations, which are "
        "not accepted for security reasons. Please save the workbook with Excel or "
        "LibreOffice and send it again.",
    },
    # -- identity of the workbook ----------------------------------------------------------
    "no_metadata": {
        "lv": "Šī nav pvpp pašnovērtējuma darbgrāmata (nav slēptās lapas ar kārtas un iestādes "
        "datiem). Lūdzu, aizpildiet darbgrāmatu, ko saņēmāt no VARAM, nevis jaunu datni.",
        "en": "This is not a pvpp self-assessment workbook (the hidden sheet with round and "
        "institution data is missing). Please fill the workbook you received from VARAM, "
        "not a new file.",
    },
    "bad_metadata": {
        "lv": "Slēptajā lapā “{sheet}” trūkst vai ir bojāts lauks “{field}”. Darbgrāmata ir "
        "mainīta; lūdzu, pārnesiet atbildes uz oriģinālo darbgrāmatu.",
        "en": "Field “{field}” on the hidden sheet “{sheet}” is missing or damaged. The "
        "workbook has been altered; please copy your answers into the original workbook.",
    },
    "unknown_questionnaire": {
        "lv": "Darbgrāmata ir veidota anketas versijai “{version}”, kuru šī sistēma nepazīst "
        "(zināmās: {known}). Lūdzu, pieprasiet aktuālo darbgrāmatu.",
        "en": "The workbook was made for questionnaire version “{version}”, which this system "
        "does not know (known: {known}). Please ask for the current workbook.",
    },
    "bad_signature": {
        "lv": "Darbgrāmatas paraksts neatbilst tās kārtas, iestādes un anketas datiem — "
        "darbgrāmata ir mainīta vai nav izdota šajā sistēmā. Lūdzu, izmantojiet saņemto "
        "darbgrāmatu.",
        "en": "The workbook's signature does not match its round, institution and "
        "questionnaire data — the workbook was altered or not issued by this system. Please "
        "use the workbook you received.",
    },
    "wrong_institution": {
        "lv": "Šī darbgrāmata ir iestādei {found}, nevis {expected}. Lūdzu, nosūtiet savas "
        "iestādes darbgrāmatu.",
        "en": "This workbook belongs to institution {found}, not {expected}. Please send your "
        "own institution's workbook.",
    },
    "wrong_round": {
        "lv": "Šī darbgrāmata ir novērtēšanas kārtai {found}, nevis {expected}. Lūdzu, "
        "aizpildiet šīs kārtas darbgrāmatu.",
        "en": "This workbook is for assessment round {found}, not {expected}. Please fill this "
        "round's workbook.",
    },
    # -- structure -------------------------------------------------------------------------
    "missing_sheet": {
        "lv": "Trūkst lapas “{sheet}” (tā ir dzēsta vai pārdēvēta). Lūdzu, atjaunojiet lapas "
        "nosaukumu vai izmantojiet oriģinālo darbgrāmatu.",
        "en": "Sheet “{sheet}” is missing (deleted or renamed). Please restore its name or use "
        "the original workbook.",
    },
    "missing_cell": {
        "lv": "Nav atrodama atbildes šūna “{field}” (lapā “{sheet}”): darbgrāmatas struktūra ir "
        "mainīta. Lūdzu, pārnesiet atbildes uz oriģinālo darbgrāmatu.",
        "en": "Answer cell “{field}” (sheet “{sheet}”) cannot be found: the workbook's "
        "structure was changed. Please copy your answers into the original workbook.",
    },
    "moved_cell": {
        "lv": "Atbildes šūna “{field}” ir pārvietota uz {where}; tai jābūt lapā “{sheet}”. "
        "Lūdzu, izmantojiet oriģinālo darbgrāmatu.",
        "en": "Answer cell “{field}” was moved to {where}; it belongs on sheet “{sheet}”. "
        "Please use the original workbook.",
    },
    # -- values ----------------------------------------------------------------------------
    "formula": {
        "lv": "Šūnā ir formula ({formula}), bet šeit jābūt atbildei. Lūdzu, izvēlieties vērtību "
        "no saraksta vai ierakstiet tekstu.",
        "en": "The cell holds a formula ({formula}) where an answer belongs. Please choose a "
        "value from the list or type text.",
    },
    "bad_degree": {
        "lv": "“{value}” nav atļauta atbilde. Izvēlieties pakāpi {low}–{high} vai “{na}” / "
        "“{nk}” no saraksta.",
        "en": "“{value}” is not an allowed answer. Choose a degree {low}–{high} or “{na}” / "
        "“{nk}” from the list.",
    },
    "bad_target": {
        "lv": "“{value}” nav atļauta mērķa pakāpe. Izvēlieties pakāpi {low}–{high} no saraksta "
        "vai atstājiet tukšu (tad mērķis ir valsts mērķa pakāpe).",
        "en": "“{value}” is not an allowed target degree. Choose a degree {low}–{high} from the "
        "list or leave it empty (the national target then applies).",
    },
    "target_below_current": {
        "lv": "Mērķa pakāpe {target} ir zemāka par pašreizējo pakāpi {current} (punkts {item}). "
        "Mērķis var būt zemāks par valsts mērķi, bet ne zemāks par esošo stāvokli.",
        "en": "Target degree {target} is below the current degree {current} (item {item}). A "
        "target may be below the national target, but not below where you are now.",
    },
    "reason_required": {
        "lv": "Punktā {item} izvēlēts “{na}” ({dims}), bet nav norādīts pamatojums. Lūdzu, "
        "īsi paskaidrojiet, kāpēc šis punkts uz jūsu iestādi neattiecas.",
        "en": "Item {item} has “{na}” ({dims}) but no reason is given. Please explain briefly "
        "why it does not apply to your institution.",
    },
    "not_text": {
        "lv": "Šeit jābūt tekstam, bet šūnā ir {kind}. Lūdzu, ierakstiet tekstu.",
        "en": "Text belongs here, but the cell holds {kind}. Please type text.",
    },
    "text_too_long": {
        "lv": "Teksts ir par garu ({length} rakstzīmes; atļauts līdz {limit}). Lūdzu, "
        "saīsiniet to vai atsaucieties uz dokumentu.",
        "en": "The text is too long ({length} characters; the limit is {limit}). Please shorten "
        "it or refer to a document.",
    },
    "bad_service_type": {
        "lv": "“{value}” nav pakalpojuma veids. Izvēlieties ST1–ST4 no saraksta.",
        "en": "“{value}” is not a service type. Choose ST1–ST4 from the list.",
    },
    "bad_conformity": {
        "lv": "“{value}” nav atļauta atbilstības vērtība. Izvēlieties no saraksta: {allowed}.",
        "en": "“{value}” is not an allowed conformity value. Choose from the list: {allowed}.",
    },
    "service_without_name": {
        "lv": "{row}. pakalpojuma rindā ir aizpildīti lauki, bet nav pakalpojuma nosaukuma. "
        "Lūdzu, ierakstiet nosaukumu vai notīriet rindu.",
        "en": "Service row {row} has values but no service name. Please type the name or "
        "clear the row.",
    },
}


def message(code: str, lang: Lang, **params: object) -> str:
    """The message ``code`` in ``lang`` with ``params`` filled in."""
    return MESSAGES[code][lang].format(**params)
