"""Shared pieces of the command line: consoles, the root of an invocation, and the one
place where errors become messages."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

# typer runs on its own copy of click and names its exceptions nowhere public; a usage
# error (an unknown option, a bad value) is caught to print it the way pvpp prints errors.
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from pvpp.batch import Batch
from pvpp.codes import institution_code_problem, round_code_problem
from pvpp.errors import PvppError
from pvpp.policy.models import LANGS, Lang

if TYPE_CHECKING:
    from sqlmodel import Session

    # The context a group's invoke() receives: typer runs on its own copy of click and
    # has no public name for it (typer.Context is a subclass that groups never build).
    from typer._click import Context as GroupContext

    from pvpp.app import App

# What a terminal must never receive from data: controls (ESC starts a sequence that can
# retitle the window or rewrite the screen; BEL, backspace, carriage return), invisible
# format characters (bidirectional overrides that reorder what is shown) and the line and
# paragraph separators.
_UNSAFE = frozenset(("Cc", "Cf", "Zl", "Zp"))


def _visible(ch: str) -> str:
    code = ord(ch)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def visible_controls(text: str, keep: str = "") -> str:
    """``text`` with every control, format and separator character (except those in
    ``keep``) shown as its escape (``\\x1b``, ``\\u2028``): printed, it is inert."""
    if text.isprintable():
        return text
    return "".join(
        _visible(ch) if ch not in keep and unicodedata.category(ch) in _UNSAFE else ch
        for ch in text
    )


def inert(value: object) -> str:
    """Text from data (names, codes, file names, reasons) made inert for the terminal:
    controls shown as escapes and rich markup escaped, so ``[reverse]`` prints as itself.
    Use it for every value put into a line that is printed with markup."""
    return escape(visible_controls(str(value)))


def plain(value: object) -> Text:
    """A table cell or line from data: never parsed as markup, controls shown as escapes."""
    return Text(visible_controls(str(value)))


class InertConsole(Console):
    """A console that never writes a control character it did not put there itself.

    Every string it renders (lines, table cells, tree labels; before its markup, if any,
    is parsed) and, last, every piece of text it writes has its control, format and
    separator characters replaced by visible escapes; a line break stays a line break.
    Rich's own styling and cursor codes are not text and are unaffected. Markup in data
    is the other half: it is off unless a line asks for it, and then :func:`inert`."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(visible_controls(text, "\n"), **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            seg if seg.control else Segment(visible_controls(seg.text, "\n"), seg.style)
            for seg in buffer
        )


def data_table(*columns: str, **kwargs: Any) -> Table:
    """A table whose cells are data: a text cell is shown as it is, never as markup (a
    cell that should be styled is given as ``Text(value, style=...)``)."""
    table = _DataTable(header_style="bold", **kwargs)
    for column in columns:
        table.add_column(column)
    return table


class _DataTable(Table):
    def add_row(self, *renderables: Any, **kwargs: Any) -> None:
        super().add_row(*(plain(r) if isinstance(r, str) else r for r in renderables), **kwargs)


# Markup is off unless a line asks for it (``markup=True``), and then every value from
# data in it goes through inert(): what people typed can never style or hide a line.
console = InertConsole(soft_wrap=True, markup=False, highlight=False)
err_console = InertConsole(stderr=True, soft_wrap=True, markup=False, highlight=False)


#: How every error line of the command line begins: pvpp's own messages and click's usage
#: errors alike (:func:`error_line` is the one place that writes it).
ERROR_PREFIX = "error:"


def error_line(message: str) -> None:
    """Print one error line on stderr: the prefix, then ``message`` as inert text."""
    err_console.print(f"[red]{ERROR_PREFIX}[/red] {inert(message)}", markup=True)


def fail(*messages: str, code: int = 1) -> NoReturn:
    """Print each message as an error line and exit with ``code`` (no traceback).

    Messages are text, not markup: they carry what people typed (codes, file names), and a
    bracket in them must print as a bracket, not style the line or break it."""
    for message in messages:
        error_line(message)
    raise typer.Exit(code) from None


def usage_error(message: str) -> NoReturn:
    """A command used wrongly (an option's value, a missing choice): error line, exit 2."""
    fail(message, code=2)


def _show_usage_error(exc: UsageError) -> NoReturn:
    """Click's usage errors in the same form as pvpp's own (not click's "Error:" box)."""
    error_line(exc.format_message())
    if exc.ctx is not None:
        err_console.print(f"Try '{exc.ctx.command_path} --help' for help.")
    raise typer.Exit(exc.exit_code) from None


def failed_items(*batches: Batch[Any]) -> None:
    """When items of ``batches`` failed, one error line each (code and reason) and exit
    code 1; the rest was done (:mod:`pvpp.batch`)."""
    failed = [f"{b.what} {f.item}: {f.reason}" for b in batches for f in b.failed]
    if failed:
        fail(*failed, f"{len(failed)} item(s) failed; the others were done.")


@contextmanager
def file_errors() -> Iterator[None]:
    """Print a file that cannot be read or written as a plain message with exit code 1.

    Only around reading what people named on the command line (and writing where they
    asked): an ``OSError`` anywhere else is a fault of the installation, shown as one.
    """
    try:
        yield
    except OSError as exc:
        from pvpp.files import shown_name

        fail(f"{shown_name(exc.filename or '')}: {exc.strerror}")


@contextmanager
def error_messages() -> Iterator[None]:
    """The command line's one mapping of errors to messages (exit code 1, no traceback).

    Every service error is a :class:`~pvpp.errors.PvppError` whose text is written for
    people; each line of it is printed as an error. A database that cannot be reached is
    the other thing people can fix. The ``pvpp`` group runs every command inside this
    (:mod:`pvpp.cli.main`); nothing else in the CLI catches service errors.
    """
    from sqlalchemy.exc import OperationalError

    try:
        yield
    except PvppError as exc:
        fail(*(exc.message.splitlines() or [type(exc).__name__]))
    except OperationalError as exc:
        fail(f"database: {exc.orig}")


class PvppGroup(TyperGroup):
    """A command group whose commands run inside :func:`error_messages` (every group of
    the ``pvpp`` command line is one, so a sub-group invoked on its own maps errors too)."""

    def make_context(self, *args: Any, **kwargs: Any) -> GroupContext:
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as exc:
            _show_usage_error(exc)

    def invoke(self, ctx: GroupContext) -> Any:
        with error_messages():
            try:
                return super().invoke(ctx)
            except UsageError as exc:
                _show_usage_error(exc)


def command_group(**kwargs: Any) -> typer.Typer:
    """A typer app for a group of ``pvpp`` commands (see :class:`PvppGroup`)."""
    return typer.Typer(cls=PvppGroup, **kwargs)


def root(ctx: typer.Context) -> App:
    """The composition root the ``pvpp`` callback built for this invocation."""
    app: App = ctx.find_root().obj  # set by the callback of pvpp.cli.main
    return app


def transaction(ctx: typer.Context) -> AbstractContextManager[Session]:
    """One unit of work on the invocation's store (errors become messages in
    :func:`error_messages`)."""
    return root(ctx).db.unit_of_work()


def today_option(ctx: typer.Context, text: str | None) -> App:
    """The root on the day ``--today`` names, or on its own clock without one."""
    app = root(ctx)
    return app if text is None else app.on_day(parse_date(text, "--today"))


def _code_callback(
    problem_of: Callable[[str], str | None],
) -> Callable[[typer.Context, typer.CallbackParam, Any], Any]:
    def callback(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
        if value is None or ctx.resilient_parsing:
            return value
        for code in value if isinstance(value, list | tuple) else [value]:
            if (problem := problem_of(code)) is not None:
                # click names the argument or option: "Invalid value for '--round': ..."
                raise typer.BadParameter(problem)
        return value

    return callback


#: The callback of every argument or option that takes a round code (exit 2, naming it,
#: with the pattern in words): the shape of :mod:`pvpp.codes`, checked before any command.
round_code_arg = _code_callback(round_code_problem)
#: The same for institution codes (one or a list).
institution_code_arg = _code_callback(institution_code_problem)


def parse_date(text: str, option: str) -> date:
    """A YYYY-MM-DD option value, or exit 2 with a message naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        usage_error(f"{option} must be a date like 2026-12-31, not {text!r}")


def parse_lang(text: str, option: str = "--lang") -> Lang:
    """A language option value (lv or en), or exit 2 with a message naming the option."""
    if text not in LANGS:
        usage_error(f"{option} must be lv or en, not {text!r}")
    return text


def write_json(payload: object) -> None:
    """Write ``payload`` as UTF-8 JSON to stdout (not through rich, which would wrap lines)."""
    import json

    text = json.dumps(payload, ensure_ascii=False, indent=2, default=str)
    # JSON escapes C0 controls itself but not DEL, C1 controls (CSI), format characters
    # or the line separators; as \u escapes they are the same JSON and inert on a terminal.
    sys.stdout.write("".join(_json_escape(ch) for ch in text) + "\n")


def _json_escape(ch: str) -> str:
    if unicodedata.category(ch) not in _UNSAFE or ch == "\n":
        return ch
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON writes characters beyond the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
