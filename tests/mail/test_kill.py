"""The sender killed at random points and restarted loses nothing.

Each round starts the relay in a fresh process (multiprocessing "spawn") and SIGKILLs it
at a random moment while it sends; a final clean run finishes the job. Every message is
then delivered, and any message received twice (killed between the server's 250 and the
commit) carries the same Message-ID both times. The random moments come from a fixed
seed, so a failure can be replayed.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from typing import Any

from pvpp.app import App
from pvpp.mail.outbox import list_messages
from pvpp.mail.relay import deliver_due
from pvpp.settings import Settings
from tests.mail.conftest import SmtpServer, pdf_blob, queue_plans, sha

MESSAGES = 40
ROUNDS = 10
SEED = 20270


def _relay(settings: Settings, ready: Any) -> None:
    """The relay in its own process, on its own root built from the test's settings."""
    root = App.build(settings)
    ready.set()
    deliver_due(root.settings, db=root.db)


def test_killed_sender_loses_nothing(store: str, smtp: SmtpServer, root: App) -> None:
    rows = queue_plans(root, MESSAGES)
    smtp.handler.delay = 0.004  # a few ms per message: kills land mid-run
    ctx = multiprocessing.get_context("spawn")
    rng = random.Random(SEED)
    killed = 0
    for _ in range(ROUNDS):
        ready = ctx.Event()
        proc = ctx.Process(target=_relay, args=(root.settings, ready), daemon=True)
        proc.start()
        try:
            assert ready.wait(60), "relay process did not start"
            start = len(smtp.received)
            # Wait for the first message of this run, then kill at a random moment.
            deadline = time.monotonic() + 10
            while len(smtp.received) == start and proc.is_alive():
                assert time.monotonic() < deadline, "relay sent nothing"
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.03))
            if proc.is_alive():
                os.kill(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
                killed += 1
        finally:
            proc.join(10)
            if proc.is_alive():  # pragma: no cover - never seen; do not leave it behind
                proc.kill()
                proc.join(5)

    final = deliver_due(root.settings, db=root.db)
    assert final.failed == [] and final.retrying == 0
    assert killed >= ROUNDS // 2, "the relay finished before most kills: slow it down"

    with root.db.unit_of_work() as s:
        stored = list_messages(s)
    assert {r.state for r in stored} == {"sent"}
    received_ids = Counter(r.message_id for r in smtp.received)
    assert set(received_ids) == {r.message_id for r in rows}  # nothing lost, nothing foreign
    # Each business key reached the server under exactly one Message-ID.
    ids_by_subject: dict[str, set[str]] = {}
    for got in smtp.received:
        ids_by_subject.setdefault(str(got.message["Subject"]), set()).add(got.message_id)
    assert all(len(ids) == 1 for ids in ids_by_subject.values())
    assert len(ids_by_subject) == MESSAGES
    for i, row in enumerate(rows):
        copies = [r for r in smtp.received if r.message_id == row.message_id]
        (part,) = list(copies[0].message.iter_attachments())
        assert sha(part.get_content()) == sha(pdf_blob(i))
        assert len({c.data for c in copies}) == 1  # duplicates are byte-identical
    duplicates = sum(n - 1 for n in received_ids.values())
    assert duplicates <= killed  # at most one per kill
