"""``pvpp policy``: show and check policy versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text
from rich.tree import Tree

from pvpp.cli.common import command_group, console, inert, root, write_json
from pvpp.policy import load_policy, load_policy_file
from pvpp.policy.models import Lang, Policy

app = command_group(help="Show and check policy versions (policy/*.yaml).", no_args_is_help=True)


def bold(head: str, rest: str) -> Text:
    """``head`` in bold, then ``rest``: a label from data, never markup."""
    return Text.assemble((head, "bold"), rest)


def policy_tree(policy: Policy, lang: Lang) -> Tree:
    """The policy as a rich tree: components and items, then the other lists with counts."""
    counts = policy.counts()
    # Labels are plain text (the console's markup is off); those with a style are built
    # as Text, so a bracket in a policy file prints as itself.
    root = Tree(bold(policy.id, f" — {policy.title.get(lang)} ({policy.plan.get(lang)})"))
    comps = root.add(f"Components: {counts['components']} · items: {counts['items']}")
    for c in policy.components:
        branch = comps.add(bold(c.id, f" {c.name.get(lang)} ({len(c.items)}) → {c.rv5_measure}"))
        for item in c.items:
            label = Text(
                f"{item.id} {item.name.get(lang)} · target {item.national_target}"
                f" · weight {item.weight:g}"
            )
            if "national_target" in item.provisional:
                label.append(" (provisional target)", style="dim")
            branch.add(label)
    dims = root.add(f"Dimensions: {counts['dimensions']}")
    for d in policy.dimensions:
        dims.add(f"{d.id} {d.name.get(lang)}")
    degrees = Text(f"Degrees: {counts['degrees']}")
    if policy.degree_scale.provisional:
        degrees.append(" (provisional)", style="dim")
    scale = root.add(degrees)
    for deg in policy.degree_scale.degrees:
        scale.add(f"{deg.value} {deg.name.get(lang)}")
    principles = root.add(f"Principles: {counts['principles']}")
    for p in policy.principles:
        principles.add(f"{p.id} {p.name.get(lang)}")
    rvs = root.add(
        f"Action directions: {counts['action_directions']} · measures: {counts['measures']}"
    )
    for rv in policy.action_directions:
        branch = rvs.add(bold(rv.id, f" {rv.name.get(lang)}"))
        for m in rv.measures:
            branch.add(f"{m.id} {m.text.get(lang)}")
    groups = root.add(f"Institution groups: {counts['institution_groups']}")
    for g in policy.institution_groups:
        groups.add(f"{g.id} {g.name.get(lang)} ({len(g.subtypes)} sub-types)")
    exclusions = root.add(f"Round-1 exclusions: {counts['exclusions']}")
    for e in policy.exclusions:
        exclusions.add(f"{e.id} {e.name.get(lang)}")
    funding = root.add(f"Funding sources: {counts['funding_sources']}")
    for f in policy.funding_sources:
        funding.add(f"{f.id} {f.name.get(lang)}")
    types = root.add(f"Service types: {counts['service_types']}")
    for st in policy.service_types:
        types.add(f"{st.id} {st.category.get(lang)} → {st.name.get(lang)}")
    return root


def policy_json(policy: Policy) -> dict[str, Any]:
    """The whole model plus counts per kind."""
    return {"id": policy.id, "counts": policy.counts(), "policy": policy.model_dump(mode="json")}


@app.command()
def show(
    ctx: typer.Context,
    version: Annotated[str | None, typer.Option("--version", "-v", help="Policy version")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole model as JSON")] = False,
    lang: Annotated[str, typer.Option("--lang", help="lv or en")] = "lv",
) -> None:
    """Print a policy version as a tree with counts (or the whole model with --json)."""
    policy = load_policy(version or root(ctx).settings.default_policy)
    if as_json:
        write_json(policy_json(policy))
    else:
        console.print(policy_tree(policy, "en" if lang == "en" else "lv"), highlight=False)


@app.command()
def check(file: Annotated[Path, typer.Argument(help="A policy YAML file")]) -> None:
    """Validate a policy file; each problem names the file, the path inside it and the fault."""
    policy = load_policy_file(file)
    counts = policy.counts()
    console.print(
        f"[green]ok[/green] {inert(file)}: policy {inert(policy.id)} — "
        f"{counts['components']} components, {counts['items']} items, "
        f"{counts['measures']} measures",
        markup=True,
    )
