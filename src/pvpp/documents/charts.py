"""Charts for the improvement plan: standalone SVG 1.1 drawn by the project, crisp in print.

Two pure functions, each returning one complete ``<svg>`` document as a string:

- :func:`radar_chart` — the four components on a spider chart: grid rings at each degree,
  one closed polygon per series (current, target, national median ...);
- :func:`bar_chart` — the ten condition groups as horizontal rows: the first series as a
  bar, later series as ticks on the same row, and each row's values in columns on the right.

Properties the PDF relies on:

- nothing external: no scripts, no links, no images, no stylesheets, no fonts fetched; the
  text asks for ``DejaVu Sans`` (shipped in ``templates/fonts``) with a ``sans-serif`` fallback;
- every text that comes from data (labels, series names, title) is XML-escaped, characters
  XML 1.0 forbids are replaced by U+FFFD, and text too long for its place is wrapped and
  then cut with an ellipsis (the whole text is kept in a ``<title>`` next to it); widths are
  measured with DejaVu Sans advance widths, so wrapped text does not overlap;
- a value of ``None`` means *unrated*: it is drawn at 0 with a hollow marker and listed in
  the legend as unrated, and its value label is a dash;
- value labels have one decimal, with a decimal comma in Latvian (``2,5``);
- the output is deterministic (equal inputs give equal strings) and coordinates have at
  most two decimals.
"""

from __future__ import annotations

import base64
import itertools
import math
import numbers
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from xml.sax.saxutils import escape

from pvpp.i18n import day, number, t
from pvpp.policy.models import Lang

FONT_FAMILY = "DejaVu Sans, sans-serif"
SVG_NS = "http://www.w3.org/2000/svg"

TEXT_COLOUR = "#222222"
MUTED_COLOUR = "#595959"
GRID_COLOUR = "#c8c8c8"
OUTER_COLOUR = "#8c8c8c"
STRIPE_COLOUR = "#f4f4f4"

ELLIPSIS = "…"
DASH_PATTERN = "6 3"

PAD = 8.0
TITLE_SIZE = 14.0
LABEL_SIZE = 10.0
SMALL_SIZE = 8.5
LINE_FACTOR = 1.2  # line height over font size
MARKER_SHAPES = ("circle", "diamond", "triangle", "square")
TITLE_TEXT_LIMIT = 500  # characters kept in a <title> holding a shortened text

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}|[a-zA-Z]{3,20}")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TOLERANCE = 1e-9

# DejaVu Sans advance widths in 1/2048 em (from templates/fonts/DejaVuSans.ttf); accented
# letters (ā, č, ē, ģ, ī, ķ, ļ, ņ, š, ū, ž ...) measure as their base letter.
_EM = 2048
_ADVANCES = {
    563: "'",
    569: "ijl",
    604: "IJ",
    651: " ,.‘’·",
    690: "/:;\\|",
    721: "f",
    739: "-",
    799: "()[]",
    803: "t",
    821: "!",
    842: "r",
    942: '"',
    1024: "*_`–",
    1061: "“”„",
    1067: "s",
    1075: "z",
    1087: "?",
    1126: "c",
    1141: "L",
    1178: "F",
    1186: "k",
    1212: "vxy",
    1235: "P",
    1251: "TY",
    1253: "o«»",
    1255: "a",
    1260: "e",
    1294: "E",
    1298: "hnu",
    1300: "Sbdgpq",
    1303: "$0123456789{}€",
    1343: "K",
    1401: "AV",
    1403: "XZ",
    1405: "B",
    1423: "R",
    1430: "C",
    1499: "U",
    1532: "N",
    1540: "H",
    1577: "D",
    1587: "G",
    1597: "&",
    1612: "OQ",
    1675: "w",
    1716: "#+<=>^~−",
    1767: "M",
    1946: "%",
    1995: "m",
    2025: "W",
    2048: "@—…",
}
_ADVANCE = {ch: width for width, chars in _ADVANCES.items() for ch in chars}
_DEFAULT_ADVANCE = 1400  # unknown letters: a little wider than the average Latin letter
_BOLD_FACTOR = 1.12  # DejaVu Sans Bold is about 12 % wider


@dataclass(frozen=True)
class Series:
    """One data series: a name for the legend, one value per axis or row, and its style.

    ``values`` holds a number or ``None`` (unrated) per axis/row and is stored as a tuple.
    ``colour`` is ``#rgb``, ``#rrggbb`` or a colour keyword; ``dashed`` draws the series'
    line (radar) or tick (bar chart) dashed.
    """

    name: str
    values: Sequence[float | None]
    colour: str
    dashed: bool = False

    def __post_init__(self) -> None:
        values: list[float | None] = []
        for value in self.values:
            if value is None:
                values.append(None)
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"series {self.name!r}: value {value!r} is not a number")
            if not math.isfinite(value):
                raise ValueError(f"series {self.name!r}: value {value!r} is not finite")
            values.append(float(value))
        object.__setattr__(self, "values", tuple(values))
        if not isinstance(self.colour, str) or not _COLOUR.fullmatch(self.colour):
            raise ValueError(
                f"series {self.name!r}: colour {self.colour!r} is not #rgb, #rrggbb or a name"
            )


# --- text -------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """``text`` with the characters XML 1.0 forbids replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", str(text))


@lru_cache(maxsize=4096)
def _char_advance(ch: str) -> float:
    width = _ADVANCE.get(ch)
    if width is not None:
        return width
    if unicodedata.combining(ch):
        return 0
    base = unicodedata.normalize("NFD", ch)[0]
    if base in _ADVANCE:
        return _ADVANCE[base]
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return _EM
    return _DEFAULT_ADVANCE


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Estimated width of ``text`` in DejaVu Sans at font size ``size`` (user units)."""
    width = sum(_char_advance(ch) for ch in text) * size / _EM
    return width * _BOLD_FACTOR if bold else width


def _fit(text: str, max_width: float, size: float, bold: bool) -> int:
    """How many leading characters of ``text`` fit in ``max_width`` (at least one)."""
    scale = size / _EM * (_BOLD_FACTOR if bold else 1)
    used = 0.0
    for count, ch in enumerate(text):
        used += _char_advance(ch) * scale
        if used > max_width:
            return max(count, 1)
    return len(text)


def _ellipsize(line: str, max_width: float, size: float, bold: bool) -> str:
    room = max_width - text_width(ELLIPSIS, size, bold=bold)
    cut = _fit(line, room, size, bold) if room > 0 else 0
    if text_width(line[:cut], size, bold=bold) > room:
        cut = 0
    return line[:cut].rstrip() + ELLIPSIS


def wrap_text(
    text: str, max_width: float, size: float, *, max_lines: int = 1, bold: bool = False
) -> list[str]:
    """``text`` broken into at most ``max_lines`` lines no wider than ``max_width``.

    Lines break at whitespace; a word wider than a line is broken between characters. When
    the text needs more lines, the last line kept ends with an ellipsis. Empty text gives
    one empty line.
    """
    max_lines = max(1, max_lines)
    # no character is narrower than 0.25 em (combining marks aside), so a longer text
    # cannot fit and is cut before measuring: huge inputs cost no more than short ones
    budget = int(max_lines * (max_width / (size * 0.25) + 1)) + 1
    overflow = bool(text[budget:].strip())
    lines: list[str] = []
    current = ""
    for word in _clean(text[:budget]).split():
        if len(lines) > max_lines:
            overflow = True
            break
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold=bold) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while len(lines) <= max_lines and text_width(word, size, bold=bold) > max_width:
            cut = _fit(word, max_width, size, bold)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    if not lines:
        return [""]
    if overflow or len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _ellipsize(lines[-1], max_width, size, bold)
    return lines


# --- markup -----------------------------------------------------------------------------------


def _num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attr(value: str | float) -> str:
    if isinstance(value, str):
        return escape(value, {'"': "&quot;"})
    return _num(value)


def _open(tag: str, attrs: dict[str, str | float | None]) -> str:
    """The start tag of an element; attributes set to None are left out."""
    parts = [tag] + [f'{key}="{_attr(val)}"' for key, val in attrs.items() if val is not None]
    return f"<{' '.join(parts)}>"


def _el(tag: str, attrs: dict[str, str | float | None], content: str | None = None) -> str:
    """An element; ``content`` must already be markup (escaped)."""
    start = _open(tag, attrs)
    if content is None:
        return start[:-1] + "/>"
    return f"{start}{content}</{tag}>"


def format_value(value: float | None, lang: Lang = "lv") -> str:
    """A value with one decimal (``2,5`` in Latvian, ``2.5`` in English); a dash for None.

    Rounded as ``round(value, 1)`` and formatted by Babel, by the same function as the
    numbers in the plan's tables (:func:`pvpp.i18n.number`), so both agree.
    """
    return number(value, lang, 1)


def _text(
    x: float,
    y: float,
    lines: list[str],
    original: str,
    *,
    size: float = LABEL_SIZE,
    anchor: str = "start",
    fill: str = TEXT_COLOUR,
    bold: bool = False,
    cls: str = "label",
) -> str:
    """Text whose first baseline is at ``y``; the full text goes in a ``<title>`` if cut."""
    attrs: dict[str, str | float | None] = {
        "class": cls,
        "x": x,
        "y": y,
        "font-size": size,
        "text-anchor": anchor if anchor != "start" else None,
        "font-weight": "bold" if bold else None,
        "fill": fill,
    }
    if len(lines) == 1:
        body = escape(lines[0])
    else:
        step = size * LINE_FACTOR
        body = "".join(
            _el("tspan", {"x": x, "y": y + i * step}, escape(line)) for i, line in enumerate(lines)
        )
    element = _el("text", attrs, body)
    full = _one_line(original)
    if " ".join(lines) == full:
        return element
    return f"<g>{_el('title', {}, escape(_capped(original)))}{element}</g>"


def _marker(
    shape: str,
    x: float,
    y: float,
    colour: str,
    *,
    hollow: bool,
    r: float = 3.5,
    cls: str | None = None,
) -> str:
    """A data marker; hollow (white inside) for an unrated value."""
    style: dict[str, str | float | None] = {
        "fill": "#ffffff" if hollow else colour,
        "stroke": colour,
        "stroke-width": 1.5,
        "class": cls or ("marker unrated" if hollow else "marker"),
    }
    if shape == "circle":
        return _el("circle", {"cx": x, "cy": y, "r": r, **style})
    if shape == "square":
        s = r * 0.9
        return _el("rect", {"x": x - s, "y": y - s, "width": 2 * s, "height": 2 * s, **style})
    if shape == "diamond":
        s = r * 1.25
        points = [(x, y - s), (x + s, y), (x, y + s), (x - s, y)]
    else:  # triangle
        s = r * 1.2
        points = [(x, y - s), (x + s * 0.87, y + s * 0.5), (x - s * 0.87, y + s * 0.5)]
    return _el("polygon", {"points": _points(points), **style})


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in points)


def _svg(
    width: float, height: float, title: str | None, desc: str, body: list[str],
    label_id: str | None = None,
) -> str:  # fmt: skip
    """The document; with ``label_id`` (a chart inline in a web page) it is an image
    named by its title and described by its desc (``<label_id>-title``, ``-desc``)."""
    head = _open(
        "svg",
        {
            "xmlns": SVG_NS,
            "version": "1.1",
            "width": width,
            "height": height,
            "viewBox": f"0 0 {_num(width)} {_num(height)}",
            "font-family": FONT_FAMILY,
            "role": "img" if label_id else None,
            "aria-labelledby": f"{label_id}-title" if label_id and title else None,
            "aria-describedby": f"{label_id}-desc" if label_id else None,
        },
    )
    meta = []
    if title:
        meta.append(_el("title", {"id": f"{label_id}-title" if label_id else None},
                        escape(_capped(title))))  # fmt: skip
    meta.append(_el("desc", {"id": f"{label_id}-desc" if label_id else None}, escape(desc)))
    return "\n".join([head, *meta, *body, "</svg>"]) + "\n"


def _title_block(title: str | None, width: float) -> tuple[list[str], float]:
    """The visible chart title at the top and the height it takes."""
    if not title:
        return [], PAD
    lines = wrap_text(title, width - 2 * PAD, TITLE_SIZE, max_lines=2, bold=True)
    markup = _text(
        PAD, PAD + TITLE_SIZE, lines, title, size=TITLE_SIZE, bold=True, cls="chart-title"
    )
    return [markup], PAD + len(lines) * TITLE_SIZE * LINE_FACTOR + 6


LegendSymbol = Callable[[float, float], str]


def _legend(
    items: list[tuple[LegendSymbol, str]], top: float, width: float
) -> tuple[list[str], float]:
    """Legend items flowing left to right in rows; returns the markup and its height."""
    symbol_w, gap, spacing = 22.0, 5.0, 16.0
    row_h = LABEL_SIZE * 1.7
    max_name = width - 2 * PAD - symbol_w - gap
    markup: list[str] = []
    x, row = PAD, 0
    for symbol, name in items:
        line = wrap_text(name, max_name, LABEL_SIZE)
        item_w = symbol_w + gap + text_width(line[0], LABEL_SIZE)
        if x > PAD and x + item_w > width - PAD:
            x, row = PAD, row + 1
        centre = top + row * row_h + row_h / 2
        markup.append(
            '<g class="legend-item">'
            + symbol(x, centre)
            + _text(x + symbol_w + gap, centre + LABEL_SIZE * 0.35, line, name, cls="legend")
            + "</g>"
        )
        x += item_w + spacing
    return markup, (row + 1) * row_h if items else 0.0


def _check_values(series: Sequence[Series], count: int, max_value: float, what: str) -> None:
    if not math.isfinite(max_value) or max_value <= 0:
        raise ValueError(f"max_value must be a positive number, not {max_value!r}")
    if not series:
        raise ValueError("at least one series is needed")
    for s in series:
        if len(s.values) != count:
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {count} {what}")
        for value in s.values:
            if value is not None and not -_TOLERANCE <= value <= max_value + _TOLERANCE:
                raise ValueError(f"series {s.name!r}: {value} is outside 0..{max_value}")


def _degrees(max_value: float) -> list[float]:
    """The grid positions: each whole degree from 0 to ``max_value``, and ``max_value``."""
    steps = [float(k) for k in range(math.floor(max_value + _TOLERANCE) + 1)]
    if max_value - steps[-1] > _TOLERANCE:
        steps.append(max_value)
    return steps


def _degree_label(degree: float, lang: Lang) -> str:
    return (
        str(round(degree))
        if abs(degree - round(degree)) < _TOLERANCE
        else format_value(degree, lang)
    )


def _clamp(value: float | None, max_value: float) -> float:
    return 0.0 if value is None else min(max(value, 0.0), max_value)


def _one_line(text: str) -> str:
    return " ".join(_clean(text).split())


def _capped(text: str) -> str:
    """``text`` on one line, cut to TITLE_TEXT_LIMIT characters (huge inputs stay small)."""
    line = _one_line(text[: TITLE_TEXT_LIMIT * 4])
    return line if len(line) <= TITLE_TEXT_LIMIT else line[: TITLE_TEXT_LIMIT - 1] + ELLIPSIS


def _description(labels: Sequence[str], series: Sequence[Series], lang: Lang, unrated: str) -> str:
    """A plain-text summary of the data for the SVG's ``<desc>``: one line per series."""
    lines = []
    for s in series:
        values = "; ".join(
            f"{_capped(label)} = {unrated if v is None else format_value(v, lang)}"
            for label, v in zip(labels, s.values, strict=True)
        )
        lines.append(f"{_capped(s.name)}: {values}")
    return "\n".join(lines)


def _line_symbol(s: Series, shape: str) -> LegendSymbol:
    def draw(x: float, y: float) -> str:
        line = _el(
            "line",
            {
                "x1": x,
                "y1": y,
                "x2": x + 22,
                "y2": y,
                "stroke": s.colour,
                "stroke-width": 2,
                "stroke-dasharray": DASH_PATTERN if s.dashed else None,
            },
        )
        return line + _marker(shape, x + 11, y, s.colour, hollow=False, cls="symbol")

    return draw


def _unrated_symbol(x: float, y: float) -> str:
    return _marker("circle", x + 11, y, MUTED_COLOUR, hollow=True, cls="symbol")


# --- radar chart ------------------------------------------------------------------------------


def radar_chart(
    axes: list[str],
    series: list[Series],
    *,
    max_value: float = 4,
    size: int = 360,
    title: str | None = None,
    lang: Lang = "lv",
) -> str:
    """A radar (spider) chart as a standalone SVG 1.1 document.

    ``axes`` are the spoke labels, clockwise from the top (e.g. ``"1. Pamatnosacījumi"``);
    each series gives one value per axis, drawn as a closed polygon in its colour (dashed
    if asked) with a marker per vertex; ``None`` is drawn at the centre with a hollow marker.
    Grid rings are drawn at each whole degree from 0 to ``max_value`` and labelled. The chart
    is ``size`` wide and as tall as its title, labels and legend need. ``lang`` picks
    the decimal separator and the legend's "unrated" wording.

    Raises ValueError for fewer than three axes, no series, a series of the wrong length,
    or a value outside ``0..max_value``.
    """
    if len(axes) < 3:
        raise ValueError("a radar chart needs at least three axes")
    if size < 160:
        raise ValueError("size must be at least 160")
    _check_values(series, len(axes), max_value, "axes")
    n = len(axes)
    body, top = _title_block(title, size)
    cx = size / 2
    radius = size * 0.24
    label_gap = 8.0
    line_h = LABEL_SIZE * LINE_FACTOR

    def angle(i: float) -> float:
        return -math.pi / 2 + 2 * math.pi * i / n

    # axis labels outside the outer ring, laid out first (y relative to the centre) so that
    # the chart is only as tall as its labels need
    placed = []
    extent_top, extent_bottom = -radius, radius
    for i, label in enumerate(axes):
        cos, sin = math.cos(angle(i)), math.sin(angle(i))
        x, y = cx + (radius + label_gap) * cos, (radius + label_gap) * sin
        if cos > 0.2:
            anchor, room_x = "start", size - PAD - x
        elif cos < -0.2:
            anchor, room_x = "end", x - PAD
        else:
            anchor, room_x = "middle", 2 * min(x - PAD, size - PAD - x)
        side = abs(sin) <= 0.2  # beside the circle: room for a tall block
        lines = wrap_text(label, room_x, LABEL_SIZE, max_lines=8 if side else 4)
        block = (len(lines) - 1) * line_h
        if side:
            first = y - block / 2 + LABEL_SIZE * 0.35
        elif sin < 0:  # above the centre: the block grows upwards
            first = y - block
        else:  # below: it grows downwards
            first = y + LABEL_SIZE
        extent_top = min(extent_top, first - LABEL_SIZE)
        extent_bottom = max(extent_bottom, first + block + LABEL_SIZE * 0.3)
        placed.append((x, first, lines, label, anchor))
    cy = top - extent_top + 2

    def point(i: int, value: float, extra: float = 0.0) -> tuple[float, float]:
        distance = radius * value / max_value + extra
        return cx + distance * math.cos(angle(i)), cy + distance * math.sin(angle(i))

    # grid: rings, spokes, degree labels
    grid = []
    degrees = _degrees(max_value)
    for degree in degrees[1:]:
        outer = degree == degrees[-1]
        grid.append(
            _el(
                "circle",
                {
                    "class": "ring outer" if outer else "ring",
                    "cx": cx,
                    "cy": cy,
                    "r": radius * degree / max_value,
                    "fill": "none",
                    "stroke": OUTER_COLOUR if outer else GRID_COLOUR,
                    "stroke-width": 1,
                },
            )
        )
    for i in range(n):
        x, y = point(i, max_value)
        grid.append(
            _el(
                "line",
                {"class": "spoke", "x1": cx, "y1": cy, "x2": x, "y2": y, "stroke": GRID_COLOUR},
            )
        )
    between = angle(0.5)  # degree labels run between the first two spokes
    for degree in degrees:
        distance = radius * degree / max_value
        grid.append(
            _el(
                "text",
                {
                    "class": "degree",
                    "x": cx + distance * math.cos(between) + 3,
                    "y": cy + distance * math.sin(between) - 3,
                    "font-size": SMALL_SIZE,
                    "fill": MUTED_COLOUR,
                },
                escape(_degree_label(degree, lang)),
            )
        )
    body.append(f'<g class="grid">{"".join(grid)}</g>')

    labels = [
        _text(x, cy + first, lines, label, anchor=anchor, cls="axis-label")
        for x, first, lines, label, anchor in placed
    ]
    body.append(f'<g class="axis-labels">{"".join(labels)}</g>')

    # series, the first drawn last so it lies on top
    drawn = []
    for index in reversed(range(len(series))):
        s = series[index]
        shape = MARKER_SHAPES[index % len(MARKER_SHAPES)]
        vertices = [point(i, _clamp(v, max_value)) for i, v in enumerate(s.values)]
        polygon = _el(
            "polygon",
            {
                "class": "series",
                "points": _points(vertices),
                "fill": "none" if s.dashed else s.colour,
                "fill-opacity": None if s.dashed else 0.12,
                "stroke": s.colour,
                "stroke-width": 2,
                "stroke-linejoin": "round",
                "stroke-dasharray": DASH_PATTERN if s.dashed else None,
            },
        )
        markers = "".join(
            _marker(shape, x, y, s.colour, hollow=v is None)
            for (x, y), v in zip(vertices, s.values, strict=True)
        )
        drawn.append(f'<g class="series-{index}">{polygon}{markers}</g>')
    body.extend(drawn)

    # legend below the chart square
    unrated = t("charts.unrated", lang)
    items: list[tuple[LegendSymbol, str]] = [
        (_line_symbol(s, MARKER_SHAPES[i % len(MARKER_SHAPES)]), s.name)
        for i, s in enumerate(series)
    ]
    if any(v is None for s in series for v in s.values):
        items.append((_unrated_symbol, unrated))
    legend_top = cy + extent_bottom + 10
    legend, legend_h = _legend(items, legend_top, size)
    body.append(f'<g class="legend">{"".join(legend)}</g>')
    height = legend_top + legend_h + PAD
    return _svg(size, height, title, _description(axes, series, lang, unrated), body)


# --- bar chart --------------------------------------------------------------------------------


def bar_chart(
    labels: list[str],
    series: list[Series],
    *,
    max_value: float = 4,
    width: int = 640,
    height: int | None = None,
    title: str | None = None,
    lang: Lang = "lv",
) -> str:
    """Horizontal bars, one row per label, as a standalone SVG 1.1 document.

    The first series is drawn as a bar (e.g. the current score); later series as ticks with
    a marker on the same row (e.g. target and national median), dashed if asked. Each row's
    values are printed with one decimal in columns on the right (``2,5`` in Latvian), headed
    by each series' symbol. Gridlines mark each whole degree from 0 to ``max_value``. ``None``
    is drawn as a hollow marker at 0 with a dash for its value. The height follows from the
    number of rows unless ``height`` is given. ``lang`` picks the decimal separator and the
    legend's "unrated" wording.

    Raises ValueError for no labels, no series, a series of the wrong length, a value outside
    ``0..max_value`` or a size too small for the rows.
    """
    if not labels:
        raise ValueError("a bar chart needs at least one label")
    _check_values(series, len(labels), max_value, "labels")
    n = len(labels)
    body, top = _title_block(title, width)

    unrated = t("charts.unrated", lang)
    shapes = [MARKER_SHAPES[i % len(MARKER_SHAPES)] for i in range(len(series))]
    items: list[tuple[LegendSymbol, str]] = [(_bar_symbol(series[0]), series[0].name)]
    items += [(_tick_symbol(s, shapes[i]), s.name) for i, s in enumerate(series) if i > 0]
    if any(v is None for s in series for v in s.values):
        items.append((_unrated_symbol, unrated))
    legend, legend_h = _legend(items, top, width)
    header_h = 16.0
    rows_top = top + legend_h + 4 + header_h
    axis_h = SMALL_SIZE + 8

    if height is None:
        row_h = 26.0
        total_h = rows_top + n * row_h + axis_h + PAD
    else:
        row_h = (height - rows_top - axis_h - PAD) / n
        total_h = float(height)
        if row_h < 12:
            raise ValueError(f"height {height} leaves {row_h:.1f} per row; 12 is the least")

    label_w = round(width * 0.32)
    column_w = 30.0
    columns_right = width - PAD
    columns_left = columns_right - column_w * len(series)
    x0 = PAD + label_w + 8
    x1 = columns_left - 12
    plot_w = x1 - x0
    if plot_w < 80:
        raise ValueError(f"width {width} is too small for {len(series)} series")

    def x_of(value: float | None) -> float:
        return x0 + plot_w * _clamp(value, max_value) / max_value

    rows_bottom = rows_top + n * row_h
    bar_h = min(row_h * 0.5, 16)
    tick_h = row_h * 0.7
    line_h = LABEL_SIZE * LINE_FACTOR
    label_lines = max(1, min(2, int(row_h // line_h)))

    # stripes, gridlines and degree labels
    grid = []
    for r in range(1, n, 2):
        grid.append(
            _el(
                "rect",
                {
                    "class": "stripe",
                    "x": PAD,
                    "y": rows_top + r * row_h,
                    "width": width - 2 * PAD,
                    "height": row_h,
                    "fill": STRIPE_COLOUR,
                },
            )
        )
    for degree in _degrees(max_value):
        x = x_of(degree)
        grid.append(
            _el(
                "line",
                {
                    "class": "gridline",
                    "x1": x,
                    "y1": rows_top,
                    "x2": x,
                    "y2": rows_bottom,
                    "stroke": OUTER_COLOUR if degree == 0 else GRID_COLOUR,
                    "stroke-width": 1,
                },
            )
        )
        grid.append(
            _el(
                "text",
                {
                    "class": "degree",
                    "x": x,
                    "y": rows_bottom + SMALL_SIZE + 4,
                    "font-size": SMALL_SIZE,
                    "text-anchor": "middle",
                    "fill": MUTED_COLOUR,
                },
                escape(_degree_label(degree, lang)),
            )
        )
    body.append(f'<g class="grid">{"".join(grid)}</g>')

    # column headers: each series' symbol above its value column
    headers = []
    header_y = rows_top - header_h / 2
    for i, s in enumerate(series):
        centre = columns_left + column_w * (i + 0.5) + 4
        symbol = _bar_symbol(s) if i == 0 else _tick_symbol(s, shapes[i])
        headers.append(symbol(centre - 11, header_y))
    body.append(f'<g class="column-headers">{"".join(headers)}</g>')

    # rows
    for r, label in enumerate(labels):
        centre = rows_top + (r + 0.5) * row_h
        lines = wrap_text(label, label_w, LABEL_SIZE, max_lines=label_lines)
        first = centre - (len(lines) - 1) * line_h / 2 + LABEL_SIZE * 0.35
        row = [_text(PAD, first, lines, label, cls="row-label")]
        for i, s in enumerate(series):
            value = s.values[r]
            if value is None:
                row.append(_marker("circle", x0, centre, s.colour, hollow=True))
            elif i == 0:
                row.append(
                    _el(
                        "rect",
                        {
                            "class": "bar",
                            "x": x0,
                            "y": centre - bar_h / 2,
                            "width": x_of(value) - x0,
                            "height": bar_h,
                            "fill": s.colour,
                            "fill-opacity": 0.45 if s.dashed else None,
                            "stroke": s.colour if s.dashed else None,
                            "stroke-dasharray": DASH_PATTERN if s.dashed else None,
                        },
                    )
                )
            else:
                x = x_of(value)
                row.append(
                    _el(
                        "line",
                        {
                            "class": "tick",
                            "x1": x,
                            "y1": centre - tick_h / 2,
                            "x2": x,
                            "y2": centre + tick_h / 2,
                            "stroke": s.colour,
                            "stroke-width": 2.5,
                            "stroke-dasharray": "3 2" if s.dashed else None,
                        },
                    )
                    + _marker(shapes[i], x, centre - tick_h / 2, s.colour, hollow=False, r=3)
                )
            row.append(
                _el(
                    "text",
                    {
                        "class": "value",
                        "x": columns_left + column_w * (i + 1),
                        "y": centre + LABEL_SIZE * 0.35,
                        "font-size": LABEL_SIZE,
                        "text-anchor": "end",
                        "fill": TEXT_COLOUR,
                    },
                    escape(format_value(value, lang)),
                )
            )
        body.append(f'<g class="row">{"".join(row)}</g>')

    body.append(f'<g class="legend">{"".join(legend)}</g>')
    return _svg(width, total_h, title, _description(labels, series, lang, unrated), body)


def _bar_symbol(s: Series) -> LegendSymbol:
    def draw(x: float, y: float) -> str:
        return _el(
            "rect",
            {
                "x": x + 3,
                "y": y - 5,
                "width": 16,
                "height": 10,
                "fill": s.colour,
                "fill-opacity": 0.45 if s.dashed else None,
                "stroke": s.colour if s.dashed else None,
                "stroke-dasharray": DASH_PATTERN if s.dashed else None,
            },
        )

    return draw


def _tick_symbol(s: Series, shape: str) -> LegendSymbol:
    def draw(x: float, y: float) -> str:
        line = _el(
            "line",
            {
                "x1": x + 11,
                "y1": y - 4,
                "x2": x + 11,
                "y2": y + 7,
                "stroke": s.colour,
                "stroke-width": 2.5,
                "stroke-dasharray": "3 2" if s.dashed else None,
            },
        )
        return line + _marker(shape, x + 11, y - 4, s.colour, hollow=False, r=3, cls="symbol")

    return draw


# --- national report: distribution per component, heat map ------------------------------------

#: Shades from the lowest degree (light) to the highest (dark); a sequential scale, so
#: darker always means a higher degree. Every shaded area also prints its value: the
#: shade helps the eye, it never carries the meaning alone.
SHADES = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
WITHHELD_FILL = "#ffffff"
WITHHELD_MARK = "*"


# --- line over time ----------------------------------------------------------------------


def _nice_step(top: float, ticks: int = 5) -> float:
    """A step of 1, 2 or 5 × 10^k giving about ``ticks`` gridlines up to ``top``."""
    raw = max(top, 1.0) / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    return next(float(m * power) for m in (1, 2, 5, 10) if m * power >= raw)


def line_chart(
    days: Sequence[date],
    series: list[Series],
    *,
    max_value: float,
    marker: tuple[date, str] | None = None,
    width: int = 640,
    height: int = 300,
    title: str | None = None,
    lang: Lang = "lv",
    label_id: str | None = None,
    labels: Sequence[str] | None = None,
    decimals: int = 0,
) -> str:
    """Lines over time, one per series (a value per day of ``days``, in order), as a
    standalone SVG 1.1 document: the days on the horizontal axis (the first, the last and,
    when ``marker`` is given, its day drawn as a dotted vertical line with its label, e.g.
    the due date, the axis reaching it if it is later), counts on the vertical axis from 0
    to ``max_value`` with gridlines at round steps. Series are told apart by their line's
    pattern (solid, dashed) as well as colour. The ``<desc>`` lists every value, so a
    reader without the picture has the data; ``label_id`` makes the document an inline
    image named by its title (see :func:`_svg`).

    ``labels`` names each day (e.g. the rounds compared, one per day): each is written
    under its day instead of the first and last dates, and the description uses them;
    ``decimals`` is how many the description's values have (counts: none).

    Raises ValueError for no days, days out of order, no series, a series of the wrong
    length, labels of the wrong length or a value outside ``0..max_value``."""
    if not days:
        raise ValueError("a line chart needs at least one day")
    if labels is not None and len(labels) != len(days):
        raise ValueError(f"{len(labels)} labels for {len(days)} days")
    if any(b <= a for a, b in itertools.pairwise(days)):
        raise ValueError("the days of a line chart must be in order, each once")
    max_value = max(float(max_value), 1.0)
    _check_values(series, len(days), max_value, "days")
    body, top = _title_block(title, width)
    items: list[tuple[LegendSymbol, str]] = [(_plain_line_symbol(s), s.name) for s in series]
    if marker is not None:
        items.append((_marker_symbol, marker[1]))
    legend, legend_h = _legend(items, top, width)
    body += legend
    step = max(1.0, _nice_step(max_value))  # counts: a gridline per whole number at most
    ticks = [step * k for k in range(math.floor(max_value / step + _TOLERANCE) + 1)]
    if ticks[-1] < max_value - _TOLERANCE:
        ticks.append(ticks[-1] + step)
    y_max = ticks[-1]
    tick_labels = [number(v, lang, 0) for v in ticks]
    left = PAD + max(text_width(x, SMALL_SIZE) for x in tick_labels) + 6
    right = width - PAD - 4
    plot_top = top + legend_h + 10 + SMALL_SIZE
    plot_bottom = height - PAD - SMALL_SIZE - 8
    if plot_bottom - plot_top < 40 or right - left < 80:
        raise ValueError(f"a line chart of {width}×{height} is too small for its plot")
    first = days[0]
    last = max(days[-1], marker[0]) if marker is not None else days[-1]
    span = max((last - first).days, 1)

    def x_of(day: date) -> float:
        return left + (right - left) * (day - first).days / span

    def y_of(value: float) -> float:
        return plot_bottom - (plot_bottom - plot_top) * value / y_max

    for value, label in zip(ticks, tick_labels, strict=True):
        y = y_of(value)
        colour = OUTER_COLOUR if value == 0 else GRID_COLOUR
        body.append(_el("line", {"class": "grid", "x1": left, "y1": y, "x2": right, "y2": y,
                                 "stroke": colour, "stroke-width": 1}))  # fmt: skip
        body.append(_text(left - 4, y + SMALL_SIZE * 0.35, [label], label, size=SMALL_SIZE,
                          anchor="end", fill=MUTED_COLOUR, cls="axis"))  # fmt: skip
    under = (
        [(first, "start", _date_label(first, lang)), (last, "end", _date_label(last, lang))]
        if labels is None
        else [(d, "start" if i == 0 else "end" if i == len(days) - 1 else "middle", label)
              for i, (d, label) in enumerate(zip(days, labels, strict=True))]
    )  # fmt: skip
    for day_, anchor, text in under:
        body.append(_text(x_of(day_), height - PAD, [text], text, size=SMALL_SIZE,
                          anchor=anchor, fill=MUTED_COLOUR, cls="axis"))  # fmt: skip
    if marker is not None:
        x = x_of(marker[0])
        body.append(_el("line", {"class": "marker-line", "x1": x, "y1": plot_top - 4, "x2": x,
                                 "y2": plot_bottom, "stroke": MARKER_COLOUR, "stroke-width": 1.5,
                                 "stroke-dasharray": DOT_PATTERN}))  # fmt: skip
        text = _date_label(marker[0], lang)
        anchor = "end" if x > (left + right) / 2 else "start"
        shift = -4 if anchor == "end" else 4
        body.append(_text(x + shift, plot_top - 2, [text], text, size=SMALL_SIZE, anchor=anchor,
                          fill=TEXT_COLOUR, cls="marker-label"))  # fmt: skip
    for s in series:
        points = [(x_of(d), y_of(_clamp(v, y_max))) for d, v in zip(days, s.values, strict=True)]
        if len(points) == 1:
            body.append(_marker("circle", *points[0], s.colour, hollow=False))
            continue
        body.append(_el("polyline", {
            "class": "series", "points": _points(points), "fill": "none", "stroke": s.colour,
            "stroke-width": 2.5, "stroke-dasharray": DASH_PATTERN if s.dashed else None,
            "stroke-linejoin": "round",
        }))  # fmt: skip
    desc_labels = list(labels) if labels is not None else [_date_label(d, lang) for d in days]
    unrated = t("charts.unrated", lang)
    desc = "\n".join(
        f"{_capped(s.name)}: "
        + "; ".join(
            f"{label} = {unrated if v is None else number(v, lang, decimals)}"
            for label, v in zip(desc_labels, s.values, strict=True)
        )
        for s in series
    )
    if marker is not None:
        desc += f"\n{_capped(marker[1])}: {_date_label(marker[0], lang)}"
    return _svg(width, height, title, desc, body, label_id)


MARKER_COLOUR = "#a4262c"
DOT_PATTERN = "2 3"


def _date_label(day_: date, lang: Lang) -> str:
    return day(day_, lang)


def _plain_line_symbol(s: Series) -> LegendSymbol:
    def draw(x: float, y: float) -> str:
        return _el("line", {"x1": x, "y1": y, "x2": x + 22, "y2": y, "stroke": s.colour,
                            "stroke-width": 2.5,
                            "stroke-dasharray": DASH_PATTERN if s.dashed else None})  # fmt: skip

    return draw


def _marker_symbol(x: float, y: float) -> str:
    return _el("line", {"x1": x + 11, "y1": y - 7, "x2": x + 11, "y2": y + 7,
                        "stroke": MARKER_COLOUR, "stroke-width": 1.5,
                        "stroke-dasharray": DOT_PATTERN})  # fmt: skip


def svg_uri(svg: str) -> str:
    """A chart as a ``data:`` URI for an ``<img>`` of a PDF template."""
    # Charts go in as data: images, which the fetcher serves without touching any file.
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _rgb(colour: str) -> tuple[float, float, float]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def shade(value: float, max_value: float) -> str:
    """The fill for ``value`` on ``0..max_value``: interpolated between :data:`SHADES`."""
    position = _clamp(value, max_value) / max_value * (len(SHADES) - 1)
    low = min(int(position), len(SHADES) - 2)
    part = position - low
    a, b = _rgb(SHADES[low]), _rgb(SHADES[low + 1])
    return "#" + "".join(f"{round(x + (y - x) * part):02x}" for x, y in zip(a, b, strict=True))


def ink(fill: str) -> str:
    """Text colour readable on ``fill`` (WCAG contrast ≥ 4.5 : 1 on every shade)."""

    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(fill))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    # Contrast with black is (L + 0.05) / 0.05, with white 1.05 / (L + 0.05): the larger,
    # which is at least 4.58 for any fill (black, not the charts' dark grey, for the middle
    # shades, where grey would fall short).
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def _swatch(fill: str) -> LegendSymbol:
    def draw(x: float, y: float) -> str:
        return _el(
            "rect",
            {
                "x": x + 2,
                "y": y - 6,
                "width": 18,
                "height": 12,
                "fill": fill,
                "stroke": OUTER_COLOUR,
                "stroke-width": 0.75,
            },
        )

    return draw


def distribution_chart(
    labels: list[str],
    counts: list[list[int]],
    degree_names: list[str],
    *,
    width: int = 640,
    title: str | None = None,
    lang: Lang = "lv",
    label_id: str | None = None,
) -> str:
    """How many institutions stand at each degree, one stacked bar per label (component).

    Each bar is 100 % of the institutions scored on that row; its segments are the
    degrees from the lowest (left, light) to the highest (right, dark), each printing its
    count when it is wide enough; the row's total is printed on the right. The legend
    names each degree next to its shade. With ``label_id`` (inline in a web page) the
    chart is an image named by its title and described by its text. Raises ValueError
    for no labels or a row whose counts do not match ``degree_names``.
    """
    if not labels:
        raise ValueError("a distribution chart needs at least one label")
    if len(counts) != len(labels):
        raise ValueError(f"{len(counts)} rows of counts for {len(labels)} labels")
    for row in counts:
        if len(row) != len(degree_names) or any(
            isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in row
        ):
            raise ValueError(f"counts {row!r} are not {len(degree_names)} whole numbers ≥ 0")
    top_value = len(degree_names) - 1
    fills = [shade(d, top_value) for d in range(len(degree_names))]
    body, top = _title_block(title, width)
    legend, legend_h = _legend(
        [(_swatch(f), name) for f, name in zip(fills, degree_names, strict=True)], top, width
    )
    row_h, bar_h = 3 * LABEL_SIZE * LINE_FACTOR + 4, 18.0
    rows_top = top + legend_h + 6
    label_w = round(width * 0.32)
    total_w = 36.0
    x0 = PAD + label_w + 8
    x1 = width - PAD - total_w
    line_h = LABEL_SIZE * LINE_FACTOR
    for r, (label, row) in enumerate(zip(labels, counts, strict=True)):
        centre = rows_top + (r + 0.5) * row_h
        lines = wrap_text(label, label_w, LABEL_SIZE, max_lines=3)
        first = centre - (len(lines) - 1) * line_h / 2 + LABEL_SIZE * 0.35
        parts = [_text(PAD, first, lines, label, cls="row-label")]
        total = sum(row)
        x = x0
        for d, count in enumerate(row):
            if not total or not count:
                continue
            w = (x1 - x0) * count / total
            parts.append(
                _el(
                    "rect",
                    {
                        "class": "segment",
                        "x": x,
                        "y": centre - bar_h / 2,
                        "width": w,
                        "height": bar_h,
                        "fill": fills[d],
                        "stroke": "#ffffff",
                        "stroke-width": 0.75,
                    },
                )
            )
            shown = str(count)
            if text_width(shown, LABEL_SIZE) + 4 <= w:
                parts.append(
                    _el(
                        "text",
                        {
                            "class": "count",
                            "x": x + w / 2,
                            "y": centre + LABEL_SIZE * 0.35,
                            "font-size": LABEL_SIZE,
                            "text-anchor": "middle",
                            "fill": ink(fills[d]),
                        },
                        escape(shown),
                    )
                )
            x += w
        if not total:
            parts.append(
                _el(
                    "rect",
                    {
                        "x": x0,
                        "y": centre - bar_h / 2,
                        "width": x1 - x0,
                        "height": bar_h,
                        "fill": "none",
                        "stroke": GRID_COLOUR,
                    },
                )
            )
        parts.append(
            _el(
                "text",
                {
                    "class": "total",
                    "x": width - PAD,
                    "y": centre + LABEL_SIZE * 0.35,
                    "font-size": LABEL_SIZE,
                    "text-anchor": "end",
                    "fill": TEXT_COLOUR,
                },
                escape(number(total, lang, 0)),
            )
        )
        body.append(f'<g class="row">{"".join(parts)}</g>')
    body.append(f'<g class="legend">{"".join(legend)}</g>')
    height = rows_top + len(labels) * row_h + PAD
    desc = "\n".join(
        f"{_capped(label)}: "
        + "; ".join(f"{name} = {c}" for name, c in zip(degree_names, row, strict=True))
        for label, row in zip(labels, counts, strict=True)
    )
    return _svg(width, height, title, desc, body, label_id)


def heat_map(
    row_labels: list[str],
    column_labels: list[str],
    values: list[list[float | None]],
    *,
    withheld: list[list[bool]] | None = None,
    max_value: float = 4,
    width: int = 640,
    title: str | None = None,
    scale_names: list[str] | None = None,
    lang: Lang = "lv",
) -> str:
    """A grid of values, one row per label, each cell shaded by its value and printing it.

    The shade runs continuously from light (0) to dark (``max_value``), so a darker cell
    is a higher degree; the value is printed in the cell with one decimal, in a colour that
    keeps its contrast. A withheld cell is white with :data:`WITHHELD_MARK`; a cell with no
    value is white with a dash. The legend shows the scale at each whole degree (named by
    ``scale_names`` when given) and what the mark and the dash mean is for the caller's note.
    """
    if not row_labels or not column_labels:
        raise ValueError("a heat map needs at least one row and one column")
    if len(values) != len(row_labels) or any(len(v) != len(column_labels) for v in values):
        raise ValueError("values must have one row per row label and one value per column")
    hidden = withheld or [[False] * len(column_labels) for _ in row_labels]
    for row in values:
        for v in row:
            if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real)
                                  or not 0 <= v <= max_value + _TOLERANCE):  # fmt: skip
                raise ValueError(f"value {v!r} is not a number in 0..{max_value:g}")
    degrees = _degrees(max_value)
    names = scale_names or [_degree_label(d, lang) for d in degrees]
    body, top = _title_block(title, width)
    legend, legend_h = _legend(
        [(_swatch(shade(d, max_value)), name) for d, name in zip(degrees, names, strict=False)],
        top,
        width,
    )
    label_w = round(width * 0.3)
    x0 = PAD + label_w + 6
    cell_w = (width - PAD - x0) / len(column_labels)
    header_h = 16.0
    line_h = LABEL_SIZE * LINE_FACTOR
    row_h = 2 * line_h + 6
    rows_top = top + legend_h + 6 + header_h
    headers = [
        _el(
            "text",
            {
                "class": "column",
                "x": x0 + (c + 0.5) * cell_w,
                "y": rows_top - 5,
                "font-size": LABEL_SIZE,
                "text-anchor": "middle",
                "font-weight": "bold",
                "fill": TEXT_COLOUR,
            },
            escape(wrap_text(label, cell_w - 2, LABEL_SIZE)[0]),
        )
        for c, label in enumerate(column_labels)
    ]
    body.append(f'<g class="column-headers">{"".join(headers)}</g>')
    for r, label in enumerate(row_labels):
        y = rows_top + r * row_h
        centre = y + row_h / 2
        lines = wrap_text(label, label_w, LABEL_SIZE, max_lines=2)
        first = centre - (len(lines) - 1) * line_h / 2 + LABEL_SIZE * 0.35
        parts = [_text(PAD, first, lines, label, size=LABEL_SIZE, cls="row-label")]
        for c in range(len(column_labels)):
            value = values[r][c]
            if hidden[r][c]:
                fill, text = WITHHELD_FILL, WITHHELD_MARK
            elif value is None:
                fill, text = WITHHELD_FILL, "—"
            else:
                fill, text = shade(value, max_value), format_value(value, lang)
            parts.append(
                _el(
                    "rect",
                    {
                        "class": "cell",
                        "x": x0 + c * cell_w,
                        "y": y,
                        "width": cell_w,
                        "height": row_h,
                        "fill": fill,
                        "stroke": "#ffffff" if fill != WITHHELD_FILL else GRID_COLOUR,
                        "stroke-width": 1,
                    },
                )
            )
            parts.append(
                _el(
                    "text",
                    {
                        "class": "value",
                        "x": x0 + (c + 0.5) * cell_w,
                        "y": centre + LABEL_SIZE * 0.35,
                        "font-size": LABEL_SIZE,
                        "text-anchor": "middle",
                        "fill": ink(fill),
                    },
                    escape(text),
                )
            )
        body.append(f'<g class="row">{"".join(parts)}</g>')
    body.append(f'<g class="legend">{"".join(legend)}</g>')
    height = rows_top + len(row_labels) * row_h + PAD
    desc = "\n".join(
        f"{_capped(label)}: "
        + "; ".join(
            f"{col} = " + (WITHHELD_MARK if hidden[r][c] else format_value(values[r][c], lang))
            for c, col in enumerate(column_labels)
        )
        for r, label in enumerate(row_labels)
    )
    return _svg(width, height, title, desc, body)
