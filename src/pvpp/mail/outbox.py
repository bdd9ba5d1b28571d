"""The outbox: one row per email, queued once per business key, validated before storing.

Everything that ends up in a header (addresses, display names, the subject, attachment
names) is checked here, when the message is queued, so a hostile value (an institution
name with a line break and a ``Bcc:`` after it) is refused with a clear error long before
anything talks to a mail server. The relay rebuilds the message from the stored row with
:func:`build_email`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pvpp import audit
from pvpp.approval_links import withdraw_links_in
from pvpp.contacts import address_problem, describe_char, forbidden_char, name_problem
from pvpp.errors import PvppError
from pvpp.settings import Settings
from pvpp.states.machine import check_move
from pvpp.states.outbox import ALLOWED, WITHDRAWABLE, OutboxState, RecipientOutcome
from pvpp.store.files import read_file, store_file
from pvpp.store.models import DeliveryRecipient, OutboxMessage, StoredFile, id_of

KINDS = (
    "plan",
    "invitation",
    "reminder",
    "extension",
    "returned",
    "followup",
    "escalation",
    "status_returned",
    "status_reminder",
    "approval_reminder",
    "approval_escalation",
    "approval_refused",
    "plan_sheet_returned",
    "plan_sheet_taken",
    "proposal",
    "signin",
    "review_returned",
)
# The states of a message, in their life-cycle order (pvpp.states.outbox).
STATES = tuple(OutboxState)
LANGS = ("lv", "en")

# The business key joins its parts with this; parts containing it are refused so two
# different keys can never collapse into one string.
KEY_SEPARATOR = "|"
MAX_SUBJECT = 500
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
_DOMAIN = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")

# An address as callers give it: a bare addr-spec, or (display name, addr-spec).
Recipient = str | tuple[str, str]


class MessageError(PvppError, ValueError):
    """A message that cannot be queued, with the reason in plain words."""


def check_header_text(value: str, what: str) -> str:
    """``value`` if it is safe as one header line; otherwise raise :class:`MessageError`.

    Python's email package refuses CR and LF itself, but lets other line-breaking or
    invisible characters through (vertical tab, form feed, NEL, U+2028/U+2029: all line
    boundaries for ``str.splitlines``; bidi overrides), so the rule of
    :func:`pvpp.contacts.forbidden_char` applies: the same one the registry import uses.
    """
    bad = forbidden_char(value)
    if bad is not None:
        raise MessageError(
            f"{what} contains a control character ({describe_char(bad)}); line breaks and "
            "other control or invisible characters are not allowed in email headers"
        )
    return value


def parse_recipient(value: Recipient, what: str = "address") -> Address:
    """An :class:`~email.headerregistry.Address` from an addr-spec or (name, addr-spec).

    The display name and the address must pass :func:`pvpp.contacts.name_problem` and
    :func:`pvpp.contacts.address_problem`, the rules the registry import and the team
    commands check too: exactly one plain ASCII address (``a@b.lv>, <c@d.lv`` is refused,
    not half-parsed), a domain with a dot and no trailing dot, a name of one short line.
    """
    name, spec = ("", value) if isinstance(value, str) else value
    if not isinstance(name, str) or not isinstance(spec, str):
        raise MessageError(f"{what} must be text, not {value!r}")
    check_header_text(name, f"{what} display name")
    if name.strip() and (problem := name_problem(name)) is not None:
        raise MessageError(f"{what} display name {problem}")
    check_header_text(spec, what)
    spec = spec.strip()
    problem = address_problem(spec)
    if problem is not None:
        raise MessageError(f"{what} {spec!r} is not an email address: {problem}")
    try:
        addr = Address(display_name=name.strip(), addr_spec=spec)
    except (ValueError, IndexError, TypeError) as exc:
        # Address raises ValueError subclasses (header defects included) for bad input.
        raise MessageError(f"{what} {spec!r} is not an email address ({exc})") from None
    return addr


def parse_sender(value: str) -> Address:
    """The From address: ``pvpp@example.org`` or ``PVPP2027 <pvpp@example.org>``."""
    check_header_text(value, "sender (PVPP_MAIL_FROM)")
    if "<" in value:
        name, spec = parseaddr(value)
        if not spec:
            raise MessageError(f"sender (PVPP_MAIL_FROM) {value!r} is not an email address")
        return parse_recipient((name, spec), "sender (PVPP_MAIL_FROM)")
    return parse_recipient(value, "sender (PVPP_MAIL_FROM)")


def _as_json(addr: Address) -> dict[str, str]:
    return {"name": addr.display_name, "email": addr.addr_spec}


def _from_json(item: dict[str, str]) -> Address:
    return Address(display_name=item.get("name", ""), addr_spec=item["email"])


def business_key(round_code: str, institution_code: str, kind: str, version: int) -> str:
    """The unique key of a message: one per round, institution, kind and version."""
    for part, what in ((round_code, "round code"), (institution_code, "institution code")):
        if not part or KEY_SEPARATOR in part:
            raise MessageError(f"{what} must be non-empty and must not contain {KEY_SEPARATOR!r}")
        check_header_text(part, what)
    if kind not in KINDS:
        raise MessageError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if version < 0:
        raise MessageError("version must be 0 or more")
    return KEY_SEPARATOR.join((round_code, institution_code, kind, str(version)))


def _check_attachment(filename: str, content_type: str, data: bytes) -> None:
    check_header_text(filename, "attachment name")
    if not filename.strip() or "/" in filename or "\\" in filename or filename in (".", ".."):
        raise MessageError(f"attachment name {filename!r} must be a plain file name")
    check_header_text(content_type, "attachment content type")
    if not _CONTENT_TYPE.fullmatch(content_type):
        raise MessageError(f"attachment {filename!r}: {content_type!r} is not a content type")
    if not isinstance(data, bytes | bytearray):
        raise MessageError(f"attachment {filename!r} must be bytes")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise MessageError(f"attachment {filename!r} is larger than {MAX_ATTACHMENT_BYTES} bytes")


def queue(
    session: Session,
    *,
    round_code: str,
    institution_code: str,
    kind: str,
    version: int = 0,
    to: Sequence[Recipient],
    cc: Sequence[Recipient] = (),
    subject: str,
    body: str,
    html: str | None = None,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    lang: str = "lv",
    settings: Settings,
    actor: str = "pvpp",
) -> tuple[OutboxMessage, bool]:
    """Queue one message in the caller's transaction; returns (row, created).

    The same business key (round, institution, kind, version) queued again returns the
    row already there, unchanged: the first content queued is the one sent, and a new
    plan version is a new key. ``attachments`` are (filename, content type, bytes); the
    bytes go to the content-addressed file store. Every header value is validated first
    (:class:`MessageError` on anything unsafe); nothing is stored when one is refused.
    """
    key = business_key(round_code, institution_code, kind, version)
    if lang not in LANGS:
        raise MessageError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    sender = parse_sender(settings.mail_from)
    to_addrs = [parse_recipient(r, "recipient") for r in to]
    cc_addrs = [parse_recipient(r, "copy recipient") for r in cc]
    if not to_addrs:
        raise MessageError("a message needs at least one recipient")
    subject = check_header_text(subject.strip(), "subject")
    if not subject or len(subject) > MAX_SUBJECT:
        raise MessageError(f"the subject must be 1 to {MAX_SUBJECT} characters")
    if "\x00" in body or (html is not None and "\x00" in html):
        raise MessageError("the body must not contain NUL characters")
    files = list(attachments)
    for filename, content_type, data in files:
        _check_attachment(filename, content_type, data)
    domain = settings.message_id_domain
    if not _DOMAIN.fullmatch(domain):
        raise MessageError(f"PVPP_MESSAGE_ID_DOMAIN {domain!r} is not a domain name")

    existing = _by_key(session, key)
    if existing is not None:
        return existing, False

    stored = []
    for filename, content_type, data in files:
        record = store_file(session, bytes(data))
        stored.append(
            {
                "filename": filename,
                "content_type": content_type,
                "sha256": record.sha256,
                "size": record.size,
            }
        )
    row = OutboxMessage(
        business_key=key,
        round_code=round_code,
        institution_code=institution_code,
        kind=kind,
        version=version,
        lang=lang,
        message_id=make_msgid(domain=domain),
        from_addr=str(sender),
        to_addrs=[_as_json(a) for a in to_addrs],
        cc_addrs=[_as_json(a) for a in cc_addrs],
        subject=subject,
        body_text=body,
        body_html=html,
        attachments=stored,
    )
    # A concurrent queue of the same key (PostgreSQL; SQLite serialises writers) loses
    # on the unique constraint: the savepoint keeps the caller's transaction usable.
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = _by_key(session, key)
        if existing is None:
            raise
        return existing, False
    audit.record(
        session,
        actor=actor,
        action="outbox.queue",
        entity="outbox",
        key=key,
        message_id=row.message_id,
        to=[a["email"] for a in row.to_addrs],
    )
    return row, True


def _by_key(session: Session, key: str) -> OutboxMessage | None:
    return session.exec(select(OutboxMessage).where(OutboxMessage.business_key == key)).first()


def find(
    session: Session, *, round_code: str, institution_code: str, kind: str, version: int = 0
) -> OutboxMessage | None:
    """The message already queued under this business key, if any.

    Lets a caller skip expensive work (rendering a PDF) for a message that exists.
    """
    return _by_key(session, business_key(round_code, institution_code, kind, version))


WITHDRAWN_MARK = "withdrawn"


@dataclass(frozen=True)
class Withdrawal:
    """What :func:`withdraw_to` did with one message to an address no longer in use."""

    message_id: int
    kind: str
    version: int
    outcome: str  # "withdrawn", or "being sent" (too late: the relay holds it)

    def text(self) -> str:
        return f"{self.kind} (version {self.version}) {self.outcome}"


def withdraw_to(
    session: Session,
    *,
    institution_code: str,
    addresses: Iterable[str],
    reason: str,
    actor: str = "pvpp",
) -> list[Withdrawal]:
    """Withdraw the institution's messages not yet sent (queued or failed) that go, To or
    Cc, to any of ``addresses`` (compared without case): they are never sent.

    A withdrawn row is kept with its content and recipients; its business key gets the
    suffix ``|withdrawn-<id>``, so the same event can be queued again (to whoever the
    institution's addresses are now) by the run that queues it: ``plan send`` finds no plan
    email for the version and queues one. The one-time approval links in a withdrawn
    message, which nobody received, can no longer be used. A message the relay is sending
    at this moment cannot be stopped: it is listed as ``being sent``. In the caller's
    transaction; each row is moved with a conditional update, so a relay claiming the same
    row at once either sends it (and it is listed as being sent) or finds it withdrawn.
    """
    wanted = {a.strip().lower() for a in addresses if a.strip()}
    if not wanted:
        return []
    rows = session.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.institution_code == institution_code,
            col(OutboxMessage.state).in_(sorted({*WITHDRAWABLE, OutboxState.SENDING})),
        )
        .order_by(col(OutboxMessage.id))
    ).all()
    out = []
    for row in rows:
        if not wanted & {a.lower() for a in recipients(row)}:
            continue
        row_id = id_of(row)
        if row.state == OutboxState.SENDING:
            out.append(Withdrawal(row_id, row.kind, row.version, "being sent"))
            continue
        check_move(ALLOWED, OutboxState(row.state), OutboxState.WITHDRAWN, f"outbox row {row_id}")
        # An UPDATE's result is a cursor result: its rowcount says whether the row was
        # still in the state read above.
        moved = cast(
            CursorResult[Any],
            session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.state) == row.state)
                .values(
                    state=OutboxState.WITHDRAWN.value,
                    business_key=f"{row.business_key}{KEY_SEPARATOR}{WITHDRAWN_MARK}-{row_id}",
                )
                .execution_options(synchronize_session=False)
            ),
        )
        if moved.rowcount != 1:
            out.append(Withdrawal(row_id, row.kind, row.version, "being sent"))
            continue
        session.refresh(row)
        withdraw_links_in(session, row.body_text)
        audit.record(
            session,
            actor=actor,
            action="outbox.withdraw",
            entity="outbox",
            key=row.business_key,
            message_id=row.message_id,
            to=recipients(row),
            reason=reason,
        )
        out.append(Withdrawal(row_id, row.kind, row.version, "withdrawn"))
    return out


def list_messages(session: Session, state: str | None = None) -> list[OutboxMessage]:
    """Messages in the outbox, oldest first; only those in ``state`` when given."""
    if state is not None and state not in STATES:
        raise MessageError(f"state must be one of {', '.join(STATES)}, not {state!r}")
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if state is not None:
        query = query.where(OutboxMessage.state == state)
    return list(session.exec(query).all())


def recipients(row: OutboxMessage) -> list[str]:
    """Every addr-spec the message goes to (To, then Cc)."""
    return [a["email"] for a in [*row.to_addrs, *row.cc_addrs]]


def recipient_answers(
    session: Session, outbox_ids: Iterable[int]
) -> dict[int, dict[str, DeliveryRecipient]]:
    """Per message, the newest answer of the mail server about each of its recipients
    (an address never answered is missing). One query for all the messages."""
    ids = list(outbox_ids)
    out: dict[int, dict[str, DeliveryRecipient]] = {i: {} for i in ids}
    for start in range(0, len(ids), 500):
        rows = session.exec(
            select(DeliveryRecipient)
            .where(col(DeliveryRecipient.outbox_id).in_(ids[start : start + 500]))
            .order_by(col(DeliveryRecipient.id))
        ).all()
        for answer in rows:
            out[answer.outbox_id][answer.address] = answer  # the newest wins
    return out


def latest_outcomes(
    session: Session, outbox_ids: Iterable[int]
) -> dict[int, dict[str, RecipientOutcome]]:
    """Per message, each answered recipient's newest outcome (pvpp.states.outbox.verdict)."""
    return {
        i: {addr: RecipientOutcome(a.outcome) for addr, a in answers.items()}
        for i, answers in recipient_answers(session, outbox_ids).items()
    }


def set_subject(msg: EmailMessage, subject: str) -> None:
    """Put ``subject`` on ``msg`` so that every reader decodes it exactly.

    Python's own folding of a long non-ASCII header can drop the space between two
    encoded words ("labošanai — Lauku" arrived as "labošanai— Lauku"): RFC 2047 readers
    ignore whitespace between encoded words, so a space must travel inside one. Such a
    subject is encoded here once, whole (spaces inside the encoded words, lines of at most
    76 characters), and stored as it is; the policy keeps lines that short unchanged.
    """
    msg["Subject"] = subject  # refuses a line break or other header injection first
    if subject.isascii():
        return
    del msg["Subject"]
    msg.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())


def build_email(row: OutboxMessage, session: Session, settings: Settings) -> EmailMessage:
    """The message as it goes out, rebuilt from the stored row.

    The Date header is the time the message was queued and the Message-ID the stored one,
    so a resend after a crash is the same message, byte for byte apart from transport
    headers, and a mail client shows it once. Attachments are read back from the file
    store and checked against their digest.
    """
    msg = EmailMessage()
    msg["From"] = row.from_addr
    msg["To"] = [_from_json(a) for a in row.to_addrs]
    if row.cc_addrs:
        msg["Cc"] = [_from_json(a) for a in row.cc_addrs]
    set_subject(msg, row.subject)
    msg["Date"] = format_datetime(row.created_at)
    msg["Message-ID"] = row.message_id
    # RFC 3834: tells auto-responders (out-of-office replies) not to answer.
    msg["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the body 7-bit: safe through any relay, 8BITMIME or not.
    msg.set_content(row.body_text, cte="quoted-printable")
    # After set_content, which clears Content-* headers; it describes the text part.
    msg["Content-Language"] = row.lang
    if row.body_html is not None:
        msg.add_alternative(row.body_html, subtype="html", cte="quoted-printable")
    for item in row.attachments:
        record = session.get(StoredFile, item["sha256"])
        if record is None:
            raise OSError(f"attachment {item['filename']} ({item['sha256']}) is not in the store")
        data = read_file(session, record)
        maintype, subtype = item["content_type"].split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=item["filename"])
    # Boundaries from the Message-ID instead of random ones, so a resend is the same
    # bytes. "=_" never occurs in quoted-printable or base64 text, so no part can
    # contain its boundary.
    digest = hashlib.sha256(row.message_id.encode()).hexdigest()[:24]
    for i, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_pvpp_{digest}_{i}")
    return msg


def last_problem(code: int | None, error: str) -> str:
    """What went wrong on a message's last try, for people: empty when nothing did.

    The stored code is the server's last reply, so a delivered message has 250; that
    is not an error and is not shown. A refused copy of a delivered message is (its
    text names the recipient); a failed or deferred try shows its code and text.
    """
    if code is not None and 200 <= code < 300:
        return error
    return f"{code if code is not None else ''} {error}".strip()


def summary(
    row: OutboxMessage, answers: dict[str, DeliveryRecipient] | None = None
) -> dict[str, Any]:
    """A plain view of a row for listings and JSON output; ``answers``: the server's
    newest answer per recipient (:func:`recipient_answers`), shown per recipient."""
    answers = answers or {}
    roles = [("to", a["email"]) for a in row.to_addrs] + [("cc", a["email"]) for a in row.cc_addrs]
    each = []
    for role, addr in roles:
        answer = answers.get(addr)
        each.append(
            {
                "email": addr,
                "role": role,
                "outcome": answer.outcome if answer else "",
                "code": answer.smtp_code if answer else None,
                "reply": answer.reply if answer else "",
            }
        )
    return {
        "id": row.id,
        "key": row.business_key,
        "kind": row.kind,
        "to": recipients(row),
        "recipients": each,
        "subject": row.subject,
        "state": row.state,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "sent_at": row.sent_at,
        "last_code": row.last_code,
        "last_error": row.last_error,
        "problem": last_problem(row.last_code, row.last_error),
        "message_id": row.message_id,
    }
