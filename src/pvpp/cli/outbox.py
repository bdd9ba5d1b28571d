"""``pvpp outbox``: deliver queued email and look at the queue."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pvpp.cli.common import (
    command_group,
    console,
    data_table,
    err_console,
    fail,
    plain,
    root,
    transaction,
    usage_error,
    write_json,
)
from pvpp.i18n import catalogue, t
from pvpp.mail.outbox import STATES, list_messages, recipient_answers, summary
from pvpp.mail.relay import deliver_due
from pvpp.store.models import id_of

app = command_group(
    help="The email outbox: queued, sent and failed messages.", no_args_is_help=True
)


@app.command()
def send(
    ctx: typer.Context,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Send at most this many messages")
    ] = None,
) -> None:
    """Deliver every message that is due; retry later what the server defers.

    Exits 1 when the circuit breaker stopped the run (the mail server looks down).
    """
    app_ = root(ctx)
    try:
        transport = app_.transport()
    except ValueError as exc:  # transport settings that cannot work
        fail(str(exc))
    try:
        report = deliver_due(app_.settings, db=app_.db, limit=limit, transport=transport)
    finally:
        transport.close()
    if report.busy:
        console.print("Another `pvpp outbox send` is running; nothing done.", highlight=False)
        return
    if report.recovered:
        console.print(
            f"{report.recovered} message(s) were left in sending by a stopped run and were "
            "sent again with the same Message-ID.",
            highlight=False,
        )
    console.print(
        f"Sent {report.sent}, failed {len(report.failed)}, retrying {report.retrying}.",
        highlight=False,
    )
    if report.sent:
        # A delivered plan email moves its assignment to "plan sent".
        from pvpp.delivery import record_sent_plans

        with transaction(ctx) as session:
            moved = record_sent_plans(session)
        if moved:
            console.print(f"{moved} plan(s) recorded as sent to the head.", highlight=False)
    for f in report.failed:
        console.print(
            f"  • failed {f.key} to {', '.join(f.to)}: {f.reply}",
            highlight=False,
            markup=False,
        )
    for f in report.partial:
        console.print(
            f"  • sent {f.key}, but refused for {', '.join(f.to)}: {f.reply}",
            highlight=False,
            markup=False,
        )
    if report.breaker_open:
        threshold = app_.settings.outbox_breaker_threshold
        err_console.print(
            f"[red]stopped:[/red] {threshold} temporary failures in a row — the mail server "
            "seems unavailable; the rest stays queued for the next run.",
            markup=True,
        )
        raise typer.Exit(1)


@app.command("list")
def list_(
    ctx: typer.Context,
    state: Annotated[
        str | None, typer.Option(help=f"Only messages in this state: {', '.join(STATES)}")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the queue: every message with its state, attempts and last error."""
    if state is not None and state not in STATES:
        usage_error(f"--state must be one of {', '.join(STATES)}")
    with transaction(ctx) as session:
        messages = list_messages(session, state)
        answers = recipient_answers(session, [id_of(m) for m in messages])
        rows = [summary(m, answers[id_of(m)]) for m in messages]
    if as_json:
        write_json(rows)
        return
    table = data_table(
        "id", "kind", "message", "to", "state", "attempts", "when (UTC)", "last error",
        title="Outbox",
    )  # fmt: skip
    for row in rows:
        when = row["sent_at"] if row["state"] == "sent" else row["next_attempt_at"]
        # Text(): addresses and server replies are data, never rich markup.
        table.add_row(
            str(row["id"]),
            kind_words(row["kind"]),
            plain(row["key"]),
            plain(", ".join(_recipient(r) for r in row["recipients"])),
            row["state"],
            str(row["attempts"]),
            when.strftime("%Y-%m-%d %H:%M") if when else "",
            plain(row["problem"]),
        )
    console.print(table)
    counts = {s: sum(1 for r in rows if r["state"] == s) for s in STATES}
    console.print(", ".join(f"{s}: {n}" for s, n in counts.items() if n) or "The outbox is empty.")


def kind_words(kind: str) -> str:
    """What a message is, in words (the key's kind code alone, "returned", says too little:
    a workbook, a status sheet or a plan sheet can be returned)."""
    key = f"mail.kind.{kind}"
    return t(key, "en") if key in catalogue("en") else kind


def _recipient(item: dict[str, Any]) -> str:
    """An address with what the server last said about it: ``a@b.lv (refused 550)``."""
    if not item["outcome"] or item["outcome"] == "accepted":
        return str(item["email"])
    return f"{item['email']} ({item['outcome']} {item['code'] or ''})".replace(" )", ")")
