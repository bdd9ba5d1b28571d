"""``pvpp review``: read, accept and return submissions in a round with review."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from pvpp.answer_diff import FieldChange, FieldDiff, summary
from pvpp.cli.common import (
    command_group,
    console,
    data_table,
    institution_code_arg,
    parse_lang,
    plain,
    root,
    round_code_arg,
    transaction,
    usage_error,
)
from pvpp.drafts import describe
from pvpp.evidence import human_size
from pvpp.exports.data import name_of
from pvpp.review import (
    SERVICES,
    SubmissionReview,
    accept,
    item_of,
    open_review,
    return_submission,
    waiting,
)

app = command_group(
    help="Review submissions: list, read (changes and warnings), accept or return.",
    no_args_is_help=True,
)

RoundArg = Annotated[str, typer.Argument(help="Round code", callback=round_code_arg)]
InstitutionArg = Annotated[
    str, typer.Argument(help="Institution code", callback=institution_code_arg)
]
ReviewerOption = Annotated[str, typer.Option(help="The reviewer's email address")]

MARK = {
    FieldChange.CHANGED: ("changed", "bold yellow"),
    FieldChange.ADDED: ("added", "green"),
    FieldChange.REMOVED: ("removed", "red"),
    FieldChange.UNCHANGED: ("unchanged", "dim"),
}


@app.command("list")
def list_(ctx: typer.Context, code: RoundArg) -> None:
    """The round's submissions waiting for a reviewer, oldest first."""
    with transaction(ctx) as session:
        rows = waiting(session, code)
    if not rows:
        console.print(plain(f"Nothing waits for review in round {code}."))
        return
    table = data_table(
        "institution", "name", "submission", "file", "received", "returned before",
        title=f"Waiting for review in round {code}",
    )  # fmt: skip
    for row in rows:
        table.add_row(
            row.institution, row.name, str(row.submission_id), row.filename,
            row.received_at.strftime("%Y-%m-%d %H:%M"), str(row.returned_before or ""),
        )  # fmt: skip
    console.print(table)
    console.print(plain(f"{len(rows)} waiting; read one with: pvpp review show {code} CODE"))


def _value(value: Any) -> str:
    text = "—" if value is None else str(value)
    text = text.replace("\n", " ⏎ ")
    return text if len(text) <= 120 else text[:117] + "…"


def _compared(view: SubmissionReview) -> str:
    base = view.base
    if base is None:
        return "nothing earlier (no earlier submission, no earlier round): every answer is new"
    if base.kind == "submission":
        how = ", returned by a reviewer" if base.returned else ""
        return f"the previous submission {base.submission_id} of this round{how}"
    return f"the answers accepted in round {base.round_code}"


def _state(view: SubmissionReview) -> str:
    if view.decided is not None:
        return (
            f"{view.decided.decision} by {view.decided.reviewer} on "
            f"{view.decided.decided_at:%Y-%m-%d %H:%M}"
        )
    if view.waiting:
        return "waiting for review"
    shown = name_of("state", view.assignment.state, "en")
    return f"{shown} (a newer submission or a move since)"


def _field_line(view: SubmissionReview, d: FieldDiff) -> Text:
    f = view.spec.field_by_id.get(d.field)
    label = describe(view.spec, f, "en") if f is not None else d.field
    if f is not None and f.item_id is not None:  # the item heads its lines already
        label = label.split(": ", 1)[-1]
    word, style = MARK[d.change]
    line = Text("    ")
    line.append(f"{word:<9}", style=style)
    if d.change is FieldChange.CHANGED:
        shown = f"{_value(d.before)} → {_value(d.after)}"
    elif d.change is FieldChange.REMOVED:
        shown = f"{_value(d.before)} → —"
    else:
        shown = _value(d.after)
    line.append(plain(f" {label}: {shown}"))
    return line


@app.command()
def show(
    ctx: typer.Context,
    code: RoundArg,
    institution: InstitutionArg,
    every: Annotated[
        bool, typer.Option("--all", help="List the unchanged answers too (counted otherwise)")
    ] = False,
) -> None:
    """A submission as a reviewer reads it: what changed since the institution's previous
    submission, per item, with the evidence files, the consistency warnings and the
    comments of the last return."""
    with transaction(ctx) as session:
        view = open_review(session, code, institution)
    sub = view.submission
    console.print(
        plain(
            f"Submission {sub.id} of {view.institution.code} ({view.institution.name}) in "
            f"round {code}: {sub.filename}, received {sub.received_at:%Y-%m-%d %H:%M} "
            f"from {sub.source}"
        )
    )
    console.print(plain(f"State: {_state(view)}"))
    console.print(plain(f"Compared with: {_compared(view)}"))
    counts = summary(view.diff)
    console.print(plain("Answers: " + ", ".join(f"{n} {c.value}" for c, n in counts.items())))
    if view.last_return is not None:
        note = view.last_return
        console.print()
        console.print(
            plain(
                f"Returned before (submission {note.submission_id}, by {note.reviewer} on "
                f"{note.decided_at:%Y-%m-%d %H:%M}): {note.comment}"
            )
        )
        for item, text in note.items.items():
            console.print(plain(f"  {item}: {text}"))
    if view.decided is not None and (view.decided.comment or view.comments):
        console.print()
        console.print(plain(f"Decision's comment: {view.decided.comment or '—'}"))
        for item, text in view.comments.items():
            console.print(plain(f"  {item}: {text}"))
    by_item: dict[str, list[FieldDiff]] = {}
    for d in view.diff:
        by_item.setdefault(item_of(view.spec, d.field), []).append(d)
    names = {i.id: i.name.en for i in view.spec.policy.items}
    for item, diffs in by_item.items():
        console.print()
        title = f"Item {item} {names[item]}" if item in names else "Services"
        changed = [d for d in diffs if d.change is not FieldChange.UNCHANGED]
        counted = ", ".join(f"{n} {c.value}" for c, n in summary(diffs).items() if n)
        console.print(plain(f"{title}: {counted}"))
        for d in diffs if every else changed:
            console.print(_field_line(view, d))
        for row in view.evidence.get(item, []) if item != SERVICES else []:
            console.print(
                plain(
                    f"    file     {row.name} ({row.media_type}, {human_size(row.size, 'en')}, "
                    f"sha256 {row.file_sha256[:12]}…, by {row.actor_name or row.actor})"
                )
            )
    console.print()
    if view.warnings:
        console.print(plain(f"Consistency warnings ({len(view.warnings)}):"))
        for w in view.warnings:
            console.print(plain(f"  - {w.code}: {w.message['en']}"))
    else:
        console.print(plain("Consistency warnings: none"))
    if view.waiting:
        console.print(
            plain(
                f"Decide with: pvpp review accept {code} {institution} --reviewer EMAIL, or "
                f"pvpp review return {code} {institution} --reviewer EMAIL --comment TEXT "
                "[--item-comment ITEM=TEXT ...]"
            )
        )


@app.command("accept")
def accept_(
    ctx: typer.Context,
    code: RoundArg,
    institution: InstitutionArg,
    reviewer: ReviewerOption,
    comment: Annotated[str, typer.Option(help="A note kept with the decision")] = "",
) -> None:
    """Accept the submission waiting for review: its answers count from now on."""
    app_ = root(ctx)
    with transaction(ctx) as session:
        review = accept(
            session, code, institution, reviewer=reviewer, comment=comment,
            now=app_.clock.now(), where={"via": "cli"},
        )  # fmt: skip
        submission = review.submission_id
    console.print(plain(f"Accepted submission {submission} of {institution} in round {code}."))


def _item_comments(given: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in given:
        item, sep, text = entry.partition("=")
        if not sep or not item.strip():
            usage_error(f"--item-comment must be ITEM=TEXT (e.g. 1.1=Add the order), not {entry!r}")
        if item.strip() in out:
            usage_error(f"--item-comment names item {item.strip()} twice: give it once")
        out[item.strip()] = text
    return out


@app.command("return")
def return_(
    ctx: typer.Context,
    code: RoundArg,
    institution: InstitutionArg,
    reviewer: ReviewerOption,
    comment: Annotated[str, typer.Option(help="Why it is returned: the whole submission")],
    item_comment: Annotated[
        list[str] | None,
        typer.Option(
            "--item-comment",
            help=f"ITEM=TEXT: a comment on one item (its id, e.g. 1.1, or {SERVICES}); repeat",
        ),
    ] = None,
    lang: Annotated[str | None, typer.Option(help="The email's language (lv or en)")] = None,
) -> None:
    """Return the submission to the team with comments: the questionnaire opens again and
    the team is emailed the comments (queued in the outbox)."""
    app_ = root(ctx)
    items = _item_comments(item_comment or [])
    chosen = parse_lang(lang) if lang is not None else None
    with transaction(ctx) as session:
        review = return_submission(
            session, code, institution, reviewer=reviewer, comment=comment,
            item_comments=items, now=app_.clock.now(), settings=app_.settings, lang=chosen,
            where={"via": "cli"},
        )  # fmt: skip
        submission = review.submission_id
    n = len(items)
    console.print(
        plain(
            f"Returned submission {submission} of {institution} in round {code} with "
            f"{n} item comment{'' if n == 1 else 's'}; the team's email is queued "
            "(pvpp outbox send delivers it)."
        )
    )
