"""Strict YAML reading shared by the policy and questionnaire loaders.

PyYAML silently keeps the last of two equal keys; in hand-edited policy data that hides
mistakes, so duplicates are an error here. Errors carry the file and a readable position.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pvpp.errors import PvppError


class DataFileError(PvppError):
    """A data file could not be read or is invalid; ``problems`` lists every finding."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        """One line per problem, each starting with the file name."""
        return "\n".join(f"{self.path}: {p}" for p in self.problems)


class _StrictLoader(yaml.SafeLoader):
    pass


def _construct_mapping(
    loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first defined on line {seen[key].line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """Parse a UTF-8 YAML file strictly; raise :class:`DataFileError` with the line on failure."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(path, ["file not found"]) from None
    except UnicodeDecodeError as exc:
        raise DataFileError(path, [f"not UTF-8 text (byte {exc.start})"]) from None
    except OSError as exc:
        raise DataFileError(path, [f"cannot be read: {exc.strerror}"]) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise DataFileError(path, [f"{where}{exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise DataFileError(path, [f"not valid YAML: {exc}"]) from None


def format_loc(data: Any, loc: tuple[Any, ...]) -> str:
    """Render a pydantic error location, naming list entries by their ``id`` where they have one.

    ``("components", 2, "items", 0, "name")`` becomes ``components[C3].items[K1].name``.
    """
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            label = str(part)
            if isinstance(node, list) and 0 <= part < len(node):
                entry = node[part]
                if isinstance(entry, dict) and "id" in entry:
                    label = str(entry["id"])
                node = entry
            else:
                node = None
            out += f"[{label}]"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"
