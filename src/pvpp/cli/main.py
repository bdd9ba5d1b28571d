"""Entry point: ``pvpp <group> <command>``."""

from __future__ import annotations

import typer

from pvpp.cli import demo, policy, workbook

app = typer.Typer(
    name="pvpp",
    help="PVPP2027 service-management maturity programme: policy, workbooks and rounds.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(policy.app, name="policy")
app.add_typer(workbook.app, name="workbook")
app.command("demo")(demo.demo)


if __name__ == "__main__":  # pragma: no cover
    app()
