"""Templates: every kind in Latvian and English, strict about missing values, escaping HTML
always and plain text never; the folder transport writes parseable .eml files."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from jinja2 import TemplateNotFound, UndefinedError

from pvpp.app import App
from pvpp.mail import templates
from pvpp.mail.outbox import KINDS, MessageError, queue
from pvpp.mail.relay import deliver_due
from pvpp.mail.templates import render, render_html
from pvpp.mail.transport import FolderTransport, eml_name, folder_path

DUE = date(2026, 3, 31)
MEASURE = {
    "id": "M-K5-D2-1",
    "title": "Pakalpojumu kataloga izveide",
    "item": "K5 Digitālā transformācija",
    "step": "D2 Dokumentēšana 0→1",
    "due_on": DUE,
}
APPROVAL = {
    "head_name": "Ilze Bērziņa",
    "plan_version": 2,
    "approval_due": DUE,
    "days_late": 15,
    "approval_url": "http://localhost:8000/plans/approve/abc.def",
    "link_expires": date(2026, 5, 15),
    "copied": True,
}
CONTEXT: dict[str, dict[str, Any]] = {
    "plan": {
        "head_name": "Ilze Bērziņa",
        "plan_version": 2,
        "measure_count": 14,
        "later_count": 120,
        "first_due": DUE,
        "lead_name": "Jānis Ozoliņš",
        "approval_url": "http://localhost:8000/plans/approve/abc.def",
        "approval_due": date(2026, 4, 14),
        "link_expires": date(2026, 5, 15),
    },
    "invitation": {"due_on": DUE, "portal_url": "http://localhost:8000/signin"},
    "reminder": {"due_on": DUE, "overdue": False},
    "extension": {"due_on": DUE, "previous_due": date(2026, 3, 15)},
    "returned": {"due_on": DUE, "problems": ["'K5'!D12: nav atbildēts", "'K7'!E3: <b>&</b>"]},
    "review_returned": {
        "due_on": DUE,
        "comment": "Pierādījumi 1. komponentei nav pietiekami.",
        "items": [{"name": "1.1 Vienota terminoloģija", "text": "Pievienojiet rīkojumu <b>&</b>."}],
        "portal_url": "http://localhost:8000/questionnaire",
    },
    "followup": {"plan_version": 2, "respond_by": DUE, "measures": [MEASURE]},
    "escalation": {
        "head_name": "Ilze Bērziņa",
        "plan_version": 2,
        "overdue": [{**MEASURE, "days_overdue": 30}],
        "days": 14,
    },
    "status_returned": {
        "period_end": date(2026, 3, 31),
        "problems": ["'Statuss'!E8: “Gandrīz” nav no saraksta."],
    },
    "status_reminder": {"period_end": date(2026, 3, 31), "requested_on": date(2026, 3, 2)},
    "approval_reminder": APPROVAL,
    "approval_escalation": {**APPROVAL, "number": 2},
    "approval_refused": {
        "head_name": "Ilze Bērziņa",
        "plan_version": 2,
        "refused_on": DUE,
        "reason": "Pārāk daudz pasākumu 2026. gadā",
    },
    "plan_sheet_returned": {
        "filename": "VID-plāns.xlsx",
        "plan_version": 2,
        "problems": ["'Plāna priekšlikums'!K8: Solim M-K5-D2-1 atcelšanai vajag pamatojumu."],
    },
    "plan_sheet_taken": {
        "filename": "VID-plāns.xlsx",
        "from_version": 1,
        "plan_version": 2,
        "changes": 7,
        "head_name": "Ilze Bērziņa",
        "warnings": ["Periodā 2026H2 plānotie pasākumi pārsniedz komandas kapacitāti."],
    },
    "proposal": {
        "plan_version": 2,
        "measure_count": 14,
        "head_name": "Ilze Bērziņa",
        "approval_due": DUE,
    },
    "signin": {
        "person_name": "Anna Liepa",
        "role_name": "politikas īstenošanas komandas vadītājs",
        "signin_url": "http://localhost:8000/signin/abc",
        "expires": "02.04.2026 15:00",
        "request_url": "http://localhost:8000/signin",
    },
}
# Kinds about a received file: no date of their own to show; a sign-in link's expiry
# comes written already (with its time of day).
UNDATED = {"plan_sheet_returned", "plan_sheet_taken", "signin"}
# Kinds about no round (a sign-in link to the portal).
ROUNDLESS = {"signin"}
COMMON = {"institution_name": "Valsts ieņēmumu dienests", "round_code": "2026-K1"}
LATVIAN = set("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["lv", "en"])
def test_every_kind_renders_in_both_languages(kind: str, lang: str) -> None:
    subject, body = render(kind, lang, **COMMON, **CONTEXT[kind])
    assert "Valsts ieņēmumu dienests" in subject
    assert kind in ROUNDLESS or "2026-K1" in subject
    assert "\n" not in subject
    assert "Valsts ieņēmumu dienests" in body and body.endswith("\n")
    assert "\n\n\n" not in body  # block tags leave no holes
    if lang == "lv":
        assert "Labdien!" in body and "Ar cieņu" in body
        assert kind in UNDATED or "2026. gada 31. marts" in body
        assert LATVIAN & set(body.replace("Valsts ieņēmumu dienests", ""))
    else:
        assert "Kind regards" in body
        assert kind in UNDATED or "March 31, 2026" in body
    if kind == "returned":
        assert "- 'K7'!E3: <b>&</b>" in body  # plain text is not HTML-escaped
    if kind == "followup":
        assert "M-K5-D2-1 Pakalpojumu kataloga izveide" in body
    if kind == "escalation":
        # A head reads the measure's name; its id means nothing outside the status sheet.
        assert "- Pakalpojumu kataloga izveide — " in body and "M-K5-D2-1" not in body
    if kind in ("followup", "escalation"):
        # The item and the dimension come with their names, never as bare codes.
        assert "K5 Digitālā transformācija; " in body and "D2 Dokumentēšana 0→1" in body
    if kind.startswith(("approval_", "plan")):
        # The plan's code never stands alone: P2.4 with its name.
        assert ("P2.4 individuālais pilnveides plāns" if lang == "lv" else
                "P2.4 individual improvement plan") in body  # fmt: skip
    if kind in ("plan", "approval_reminder", "approval_escalation"):
        assert "http://localhost:8000/plans/approve/abc.def" in body
    if kind == "signin":
        assert "http://localhost:8000/signin/abc" in body and "02.04.2026 15:00" in body
        assert "Anna Liepa" in body
    if kind == "plan_sheet_returned":
        # Each problem with its sheet and cell, and what to do about it.
        assert "- 'Plāna priekšlikums'!K8: Solim M-K5-D2-1" in body
        assert ("novērst" if lang == "lv" else "correct the problems") in body
    if kind == "plan_sheet_taken":
        assert "VID-plāns.xlsx" in body and "Ilze Bērziņa" in body
        assert ("Jaunā plāna versija: 2" if lang == "lv" else "New plan version: 2") in body
        assert ("Reģistrēto izmaiņu skaits: 7" if lang == "lv" else "Changes recorded: 7") in body
        assert "- Periodā 2026H2 plānotie pasākumi pārsniedz" in body
        assert ("vadītājam apstiprināšanai" if lang == "lv" else "for approval") in body


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    context = {**COMMON, **CONTEXT["plan"]}
    del context["measure_count"]
    with pytest.raises(UndefinedError, match="measure_count"):
        render("plan", "lv", **context)


def test_unknown_kind_or_language_is_refused() -> None:
    with pytest.raises(MessageError, match="kind"):
        render("newsletter", "lv")
    with pytest.raises(MessageError, match="language"):
        render("plan", "de", **COMMON, **CONTEXT["plan"])


def test_html_is_always_escaped_and_text_env_serves_no_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: App
) -> None:
    folder = tmp_path / "templates" / "email"
    folder.mkdir(parents=True)
    (folder / "reminder.en.html.j2").write_text(
        "<p>{{ institution_name }} — {{ due_on|date }}</p>", encoding="utf-8"
    )
    monkeypatch.setenv("PVPP_RESOURCES_DIR", str(tmp_path))
    html = render_html("reminder", "en", institution_name="<script>x</script>&", due_on=DUE)
    assert html == "<p>&lt;script&gt;x&lt;/script&gt;&amp; — March 31, 2026</p>"
    assert render_html("plan", "en") is None  # no HTML template: text only
    env = templates._text_env(folder)
    assert env.autoescape is False
    with pytest.raises(TemplateNotFound):
        env.get_template("reminder.en.html.j2")
    assert templates._html_env(folder).autoescape is True


def test_folder_transport_writes_parseable_eml_with_latvian_text(
    store: str, tmp_path: Path, root: App
) -> None:
    settings = root.settings
    assert settings.email_transport == "folder"  # the embedded default
    subject, body = render("plan", "lv", **COMMON, **CONTEXT["plan"])
    pdf = b"%PDF-1.7\n\xe2\xe3\xcf\xd3 binary\n%%EOF\n"
    with root.db.unit_of_work() as s:
        row, _ = queue(
            s,
            round_code="2026-K1",
            institution_code="VID",
            kind="plan",
            version=2,
            to=[("Ilze Bērziņa", "ilze.berzina@vid.example.org")],
            cc=[("Jānis Ozoliņš, IT", "janis.ozolins@vid.example.org")],
            subject=subject,
            body=body,
            attachments=[("plāns.pdf", "application/pdf", pdf)],
            settings=root.settings,
        )
    report = deliver_due(root.settings, db=root.db)
    assert report.sent == 1
    (path,) = folder_path(settings).glob("*.eml")
    assert path.name == eml_name(row.message_id, row.created_at, "plan_VID")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d_plan_VID_[0-9a-f]{10}\.eml", path.name)
    raw = path.read_bytes()
    assert raw.isascii()  # encoded for any mail system: headers RFC 2047, body QP/base64
    assert b"\r\n" in raw
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg["Subject"] == subject
    assert "ņēm" in str(msg["Subject"])
    assert msg["Message-ID"] == row.message_id
    assert msg["To"].addresses[0].display_name == "Ilze Bērziņa"
    assert msg["Cc"].addresses[0].display_name == "Jānis Ozoliņš, IT"
    assert msg["Auto-Submitted"] == "auto-generated"
    text = msg.get_body(("plain",))
    assert text is not None and text["Content-Language"] == "lv"
    assert text.get_content().replace("\r\n", "\n") == body
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "plāns.pdf"
    assert attachment.get_content() == pdf
    # Sending again sends nothing; the file stays one file.
    assert deliver_due(root.settings, db=root.db).sent == 0
    assert len(list(folder_path(settings).glob("*.eml"))) == 1


def test_folder_transport_write_failure_is_temporary(tmp_path: Path) -> None:
    from pvpp.mail.transport import TemporaryFailure

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    msg = EmailMessage()
    msg["Message-ID"] = "<1@x.example.org>"
    msg.set_content("x")
    with pytest.raises(TemporaryFailure, match="cannot write"):
        FolderTransport(blocker / "outbox").send(msg)


def test_eml_names_are_readable_safe_and_unique() -> None:
    when = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    name = eml_name("<1.2.3@pvpp.example.org>", when, "invitation_VID")
    assert re.fullmatch(r"2026-03-01T10-00-00_invitation_VID_[0-9a-f]{10}\.eml", name)
    # The same message gets the same name; another message another one.
    assert eml_name("<1.2.3@pvpp.example.org>", when, "invitation_VID") == name
    assert eml_name("<1.2.4@pvpp.example.org>", when, "invitation_VID") != name
    for label in ("../../etc/passwd", "a/b\\c", "Ā\x00 x", ".hidden"):
        unsafe = eml_name("<a/b@d>", when, label)
        assert re.fullmatch(r"[A-Za-z0-9._-]+", unsafe) and not unsafe.startswith("."), unsafe
        assert ".." not in unsafe.removesuffix(".eml"), unsafe
    assert re.fullmatch(r"[0-9a-f]{10}\.eml", eml_name("<x@y>"))


def test_templates_have_the_word_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An email template can say a count with the words it agrees with, in its language."""
    folder = tmp_path / "email"
    folder.mkdir()
    (folder / "reminder.lv.txt.j2").write_text(
        "{{ t('national.overdue_measures', n=count) }}", encoding="utf-8"
    )
    (folder / "reminder.en.txt.j2").write_text(
        "{{ t('national.overdue_measures', n=count) }}", encoding="utf-8"
    )
    env = templates._text_env(folder)
    lv = env.get_template("reminder.lv.txt.j2")
    assert lv.render(lang="lv", count=21) == "21 pasākums, kura termiņš ir pagājis"
    assert lv.render(lang="lv", count=10) == "10 pasākumu, kuru termiņš ir pagājis"
    en = env.get_template("reminder.en.txt.j2")
    assert en.render(lang="en", count=1) == "1 measure past its due date"


@pytest.mark.parametrize(
    ("lang", "words"),
    [("lv", "Plānotāja pārbaudē pretrunas netika konstatētas."),
     ("en", "The planner's check found no conflicts.")],
)  # fmt: skip
def test_a_sheet_taken_without_warnings_says_so(lang: str, words: str) -> None:
    _, body = render("plan_sheet_taken", lang, **COMMON, **{**CONTEXT["plan_sheet_taken"],
                                                            "warnings": []})  # fmt: skip
    assert words in body
    assert "\n- " not in body  # no empty list of warnings


@pytest.mark.parametrize("lang", ["lv", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_subject_arrives_as_written(kind: str, lang: str) -> None:
    """A long Latvian subject folded by Python's email package lost the space before its
    dash ("labošanai— Lauku atbalsta dienests"); what a mail client decodes is the subject."""
    from pvpp.mail.outbox import set_subject

    long_name = "Lauku atbalsta dienests un Valsts reģionālās attīstības aģentūra"
    for name in (COMMON["institution_name"], long_name):
        subject, _ = render(kind, lang, **{**COMMON, "institution_name": name}, **CONTEXT[kind])
        msg = EmailMessage()
        set_subject(msg, subject)
        wire = msg.as_bytes(policy=policy.SMTP)
        assert all(len(line) <= 78 for line in wire.split(b"\r\n"))
        assert str(message_from_bytes(wire, policy=policy.default)["Subject"]) == subject


def test_a_subject_with_a_line_break_is_still_refused() -> None:
    from pvpp.mail.outbox import set_subject

    with pytest.raises(ValueError):
        set_subject(EmailMessage(), "Pašnovērtējums\r\nBcc: x@example.org")
