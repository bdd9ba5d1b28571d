"""The plan's charts: well-formed standalone SVG, right geometry, escaped text, stable output."""

from __future__ import annotations

import math
import re
import time
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring

from pvpp.app import App
from pvpp.documents.charts import (
    FONT_FAMILY,
    LABEL_SIZE,
    Series,
    bar_chart,
    format_value,
    radar_chart,
    text_width,
    wrap_text,
)

NS = "{http://www.w3.org/2000/svg}"
AXES = [
    "1. Pamatnosacījumi",
    "2. Uzdevumi",
    "3. Izveides, sniegšanas un pilnveides nosacījumi",
    "4. Spējas un resursi",
]
GROUPS = [
    "K1 Pārvaldāmība",
    "K2 Atbilstība vajadzībām",
    "K3 Piekļūstamība",
    "K4 Iesaiste, līdzdalība un sadarbība",
    "K5 Digitālā transformācija",
    "K6 Lietojamība",
    "K7 Automatizācija",
    "K8 Koplietošana",
    "K9 Unifikācija",
    "K10 Drošība",
]
HOSTILE = [
    '<script>alert("x")</script>',
    "]]> <![CDATA[ x",
    "Ēnas & “pēdiņas” 'vienpēdiņas' āčēģīķļņšūž",
    '" onload="alert(1)',
]


def three(values: list[float | None], target: float = 4, median: float = 2) -> list[Series]:
    n = len(values)
    return [
        Series("Pašreizējais", values, "#1F4E79"),
        Series("Mērķis", [target] * n, "#C55A11", True),
        Series("Valsts mediāna", [median] * n, "#7F7F7F", True),
    ]


def parse(svg: str) -> Element:
    root = fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("version") == "1.1"
    return root


def by_class(root: Element, tag: str, cls: str) -> list[Element]:
    return [e for e in root.iter(f"{NS}{tag}") if cls in (e.get("class") or "").split()]


def points(polygon: Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in polygon.get("points", "").split()]  # type: ignore[misc]


def texts(root: Element) -> list[str]:
    """Every text the chart shows or carries: <text> contents and <title>s."""
    found = ["".join(e.itertext()) for e in root.iter(f"{NS}text")]
    return found + [e.text or "" for e in root.iter(f"{NS}title")]


def outer_ring(root: Element) -> tuple[float, float, float]:
    (ring,) = by_class(root, "circle", "outer")
    return float(ring.get("cx", "")), float(ring.get("cy", "")), float(ring.get("r", ""))


# --- both charts ------------------------------------------------------------------------------


def both(labels: list[str], series: list[Series], **kw: object) -> list[str]:
    radar_labels = labels if len(labels) >= 3 else [*labels, "x", "y"][:3]
    radar_series = [
        Series(s.name, [*s.values, 1, 1][: len(radar_labels)], s.colour, s.dashed) for s in series
    ]
    return [radar_chart(radar_labels, radar_series, **kw), bar_chart(labels, series, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["radar", "bar"])
def test_standalone_svg_without_external_references(kind: str, root: App) -> None:
    svg = (
        radar_chart(AXES, three([1, 2, 3, 4]), title="Komponentes")
        if kind == "radar"
        else bar_chart(GROUPS, three([i * 0.4 for i in range(10)]), title="Grupas")
    )
    root = parse(svg)
    assert root.get("font-family") == FONT_FAMILY == "DejaVu Sans, sans-serif"
    tags = {e.tag.removeprefix(NS) for e in root.iter()}
    assert not tags & {"script", "image", "style", "foreignObject", "a", "use", "font-face"}
    for element in root.iter():
        assert not any("href" in name for name in element.attrib), element.tag
        assert not any(name.startswith("on") for name in element.attrib), element.tag
    assert (
        "url(" not in svg
        and "@import" not in svg
        and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    )


def test_coordinates_have_at_most_two_decimals() -> None:
    for svg in both(AXES, three([1 / 3, 2 / 3, math.pi / 2, 3.999])):
        numbers = re.findall(r'="(-?\d+(?:\.\d+)?)"', svg)
        numbers += re.findall(r"-?\d+\.\d+", " ".join(re.findall(r'points="([^"]*)"', svg)))
        assert numbers
        assert all(len(n.partition(".")[2]) <= 2 for n in numbers), numbers


def test_equal_inputs_give_identical_output() -> None:
    first = both(GROUPS[:4], three([0.5, None, 2.25, 4]), title="T")
    second = both(list(GROUPS[:4]), three([0.5, None, 2.25, 4.0]), title="T")
    assert first == second


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_text_is_escaped(label: str, root: App) -> None:
    series = [
        Series(label, [1, 2, 3, 4], "#1F4E79"),
        Series("Mērķis", [4, 4, 4, 4], "#C55A11", True),
    ]
    for svg in both([label, *AXES[1:]], series, title=label):
        root = parse(svg)
        assert not [e for e in root.iter() if e.tag.removeprefix(NS).lower() == "script"]
        assert "<script" not in svg and "]]>" not in svg
        assert not [e for e in root.iter() if any(a.startswith("on") for a in e.attrib)]
        shown = texts(root)
        assert shown.count(label) >= 3  # axis/row label, legend, title


def test_characters_xml_forbids_are_replaced(root: App) -> None:
    label = "K1 nul\x00le\x0b un \x1b[31m"
    for svg in both([label, *GROUPS[1:4]], three([1, 2, 3, None])):
        root = parse(svg)
        assert "K1 nul\ufffdle\ufffd un \ufffd[31m" in texts(root)


def test_long_labels_wrap_and_end_with_an_ellipsis(root: App) -> None:
    long = "K4 " + " ".join(["līdzdalība"] * 40)
    root = parse(bar_chart([long, *GROUPS[1:]], three([1.0] * 10)))
    row_labels = by_class(root, "text", "row-label")
    lines = [t.text or "" for t in row_labels[0].iter(f"{NS}tspan")]
    assert 1 < len(lines) <= 2
    assert lines[-1].endswith("…")
    assert long in texts(root)  # the whole label is kept in a <title>
    x0 = min(float(line.get("x1", "")) for line in by_class(root, "line", "gridline"))
    for element in row_labels:
        for line in [t.text or "" for t in element.iter(f"{NS}tspan")] or [element.text or ""]:
            assert float(element.get("x", "")) + text_width(line, LABEL_SIZE) < x0


def test_a_huge_label_is_cheap_and_small() -> None:
    huge = "Ā" * 200_000 + " " + "x " * 50_000
    start = time.perf_counter()
    svgs = both([huge, *GROUPS[1:4]], three([1, 2, 3, 4]), title=huge)
    assert time.perf_counter() - start < 1
    for svg in svgs:
        parse(svg)
        assert len(svg) < 30_000


def test_wrap_text_breaks_words_and_keeps_short_text() -> None:
    assert wrap_text("Drošība", 200, 10) == ["Drošība"]
    assert wrap_text("", 200, 10) == [""]
    assert wrap_text("a b c", 1000, 10, max_lines=3) == ["a b c"]
    pieces = wrap_text("Ž" * 100, 60, 10, max_lines=10)
    assert len(pieces) > 1 and all(text_width(p, 10) <= 60 for p in pieces)
    cut = wrap_text("Pakalpojumu pārvaldības pamatnosacījumi " * 5, 80, 10, max_lines=2)
    assert len(cut) == 2 and cut[-1].endswith("…")
    assert all(text_width(p, 10) <= 80 for p in cut)


def test_latvian_decimal_comma_and_english_point(root: App) -> None:
    assert format_value(2.5) == "2,5"
    assert format_value(2.25, "en") == "2.2" == f"{round(2.25, 1)}"  # as the tables round
    assert format_value(4) == "4,0"
    assert format_value(None) == "—"
    root = parse(bar_chart(GROUPS, three([2.5] * 10, target=3.75, median=1.04)))
    values = {e.text for e in by_class(root, "text", "value")}
    assert {"2,5", "3,8", "1,0"} <= values
    assert not any("." in (v or "") for v in values)
    english = parse(bar_chart(GROUPS, three([2.5] * 10), lang="en"))
    assert "2.5" in {e.text for e in by_class(english, "text", "value")}
    assert "2,5" in (parse(radar_chart(AXES, three([2.5] * 4))).findtext(f"{NS}desc") or "")


@pytest.mark.parametrize("bad", [[1, 2, 3], [1, 2, 3, 4.5], [1, 2, 3, -0.1]])
def test_values_that_do_not_fit_are_refused(bad: list[float]) -> None:
    with pytest.raises(ValueError):
        radar_chart(AXES, [Series("x", bad, "#000")])
    with pytest.raises(ValueError):
        bar_chart(AXES, [Series("x", bad, "#000")])


def test_series_checks_its_values_and_colour() -> None:
    s = Series("x", [1, None, 2.5], "#abc")
    assert s.values == (1.0, None, 2.5) and hash(s) == hash(Series("x", (1.0, None, 2.5), "#abc"))
    for colour in ['red" onload="x', "url(#a)", "#12345", ""]:
        with pytest.raises(ValueError):
            Series("x", [1], colour)
    with pytest.raises(ValueError):
        Series("x", [math.nan], "#000")
    with pytest.raises(TypeError):
        Series("x", ["2"], "#000")  # type: ignore[list-item]
    with pytest.raises(ValueError):
        radar_chart(AXES[:2], [Series("x", [1, 2], "#000")])
    with pytest.raises(ValueError):
        radar_chart(AXES, [])


# --- radar chart ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 4, 6, 10])
def test_radar_polygons_have_one_vertex_per_axis(n: int, root: App) -> None:
    axes = [f"{i + 1}. Ass" for i in range(n)]
    root = parse(radar_chart(axes, three([2.0] * n)))
    polygons = by_class(root, "polygon", "series")
    assert len(polygons) == 3
    assert all(len(points(p)) == n for p in polygons)
    assert len(by_class(root, "text", "axis-label")) == n


def test_radar_max_lands_on_the_outer_ring_and_0_mid_scale(root: App) -> None:
    root = parse(radar_chart(AXES, [Series("Pašreizējais", [4, 0, 2, 3], "#1F4E79")]))
    cx, cy, r = outer_ring(root)
    (polygon,) = by_class(root, "polygon", "series")
    distances = [math.hypot(x - cx, y - cy) for x, y in points(polygon)]
    assert distances == pytest.approx([r, 0, r / 2, r * 3 / 4], abs=0.02)
    # the first axis points up
    assert points(polygon)[0] == pytest.approx((cx, cy - r), abs=0.01)


def test_radar_rings_at_each_degree_with_labels(root: App) -> None:
    root = parse(radar_chart(AXES, three([1, 2, 3, 4])))
    _, _, r = outer_ring(root)
    rings = sorted(float(c.get("r", "")) for c in by_class(root, "circle", "ring"))
    assert rings == pytest.approx([r / 4, r / 2, 3 * r / 4, r], abs=0.01)
    assert [e.text for e in by_class(root, "text", "degree")] == ["0", "1", "2", "3", "4"]
    other = parse(radar_chart(AXES, three([1, 2, 3, 4.5], target=4.5), max_value=4.5))
    assert [e.text for e in by_class(other, "text", "degree")][-2:] == ["4", "4,5"]


def test_radar_unrated_values_sit_at_the_centre_with_hollow_markers(root: App) -> None:
    root = parse(radar_chart(AXES, three([2, None, 3, None])))
    cx, cy, _ = outer_ring(root)
    current = by_class(root, "polygon", "series")[-1]  # the first series is drawn last
    vertices = points(current)
    assert len(vertices) == 4
    assert vertices[1] == pytest.approx((cx, cy), abs=0.01)
    assert vertices[3] == pytest.approx((cx, cy), abs=0.01)
    assert len(by_class(root, "circle", "unrated")) == 2
    assert "nav novērtēts" in texts(root)
    assert "nav novērtēts" in (root.findtext(f"{NS}desc") or "")
    rated = parse(radar_chart(AXES, three([2, 1, 3, 4])))
    assert not by_class(rated, "circle", "unrated")
    assert "nav novērtēts" not in texts(rated)
    english = parse(radar_chart(AXES, three([None] * 4), lang="en"))
    assert "not rated" in texts(english)


def test_radar_series_styles_and_legend(root: App) -> None:
    root = parse(radar_chart(AXES, three([1, 2, 3, 4]), title="Stāvoklis"))
    polygons = {p.get("stroke"): p for p in by_class(root, "polygon", "series")}
    assert polygons["#1F4E79"].get("stroke-dasharray") is None
    assert polygons["#C55A11"].get("stroke-dasharray") and polygons["#7F7F7F"].get("fill") == "none"
    legend = ["".join(t.itertext()) for t in by_class(root, "text", "legend")]
    assert legend == ["Pašreizējais", "Mērķis", "Valsts mediāna"]
    assert root.findtext(f"{NS}title") == "Stāvoklis"


def test_radar_labels_stay_inside_the_picture(root: App) -> None:
    axes = [
        "1. Pakalpojumu pārvaldības pamatnosacījumi",
        "2. Pakalpojumu pārvaldības uzdevumi",
        "3. Pakalpojumu izveides, sniegšanas un pilnveides nosacījumi",
        "4. Pakalpojumiem un pakalpojumu pārvaldībai nepieciešamās spējas un resursi",
    ]
    size = 360
    root = parse(radar_chart(axes, three([1, 2, 3, 4]), size=size))
    height = float(root.get("height", ""))
    for label in by_class(root, "text", "axis-label"):
        x, anchor = float(label.get("x", "")), label.get("text-anchor", "start")
        lines = [t for t in label.iter(f"{NS}tspan")] or [label]
        for line in lines:
            w = text_width(line.text or "", LABEL_SIZE)
            left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
            assert left >= 0 and left + w <= size
            assert LABEL_SIZE <= float(line.get("y", "")) <= height


# --- bar chart --------------------------------------------------------------------------------


def test_bar_lengths_are_proportional_to_values(root: App) -> None:
    values = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 3.9, 4]
    root = parse(bar_chart(GROUPS, three(values)))
    bars = by_class(root, "rect", "bar")
    assert len(bars) == 10
    widths = [float(b.get("width", "")) for b in bars]
    grid = sorted(float(g.get("x1", "")) for g in by_class(root, "line", "gridline"))
    assert len(grid) == 5  # a gridline at each degree 0..4
    full = grid[-1] - grid[0]
    assert widths == pytest.approx([v / 4 * full for v in values], abs=0.01)
    assert all(float(b.get("x", "")) == grid[0] for b in bars)
    # target (4) and median (2) ticks: at the last and the middle gridline
    ticks = by_class(root, "line", "tick")
    assert len(ticks) == 20
    xs = sorted({float(t.get("x1", "")) for t in ticks})
    assert xs == pytest.approx([grid[2], grid[4]], abs=0.01)


def test_bar_values_and_legend(root: App) -> None:
    root = parse(bar_chart(GROUPS, three([i * 4 / 9 for i in range(10)]), title="K1–K10"))
    values = [e.text for e in by_class(root, "text", "value")]
    assert values[:3] == ["0,0", "4,0", "2,0"]  # row K1: current, target, median
    assert values[-3] == "4,0"
    assert [t.text for t in by_class(root, "text", "row-label")] == GROUPS
    legend = ["".join(t.itertext()) for t in by_class(root, "text", "legend")]
    assert legend == ["Pašreizējais", "Mērķis", "Valsts mediāna"]


def test_bar_unrated_values(root: App) -> None:
    values: list[float | None] = [None, 1, 2, 3, 4, None, 1, 2, 3, 4]
    series = three(values)
    series[2] = Series("Valsts mediāna", [None] + [2.0] * 9, "#7F7F7F", True)
    root = parse(bar_chart(GROUPS, series))
    assert len(by_class(root, "rect", "bar")) == 8
    assert len(by_class(root, "line", "tick")) == 19
    assert len(by_class(root, "circle", "unrated")) == 3
    values_shown = [e.text for e in by_class(root, "text", "value")]
    assert values_shown[:3] == ["—", "4,0", "—"]
    assert "nav novērtēts" in texts(root)


def test_bar_height_is_computed_or_respected() -> None:
    computed = parse(bar_chart(GROUPS, three([1.0] * 10)))
    assert float(computed.get("height", "")) > 10 * 20
    assert parse(bar_chart(GROUPS, three([1.0] * 10), height=500)).get("height") == "500"
    with pytest.raises(ValueError):
        bar_chart(GROUPS, three([1.0] * 10), height=120)
    with pytest.raises(ValueError):
        bar_chart(GROUPS, three([1.0] * 10), width=150)
    with pytest.raises(ValueError):
        bar_chart([], [Series("x", [], "#000")])


def test_bar_chart_with_one_series_and_one_row(root: App) -> None:
    root = parse(bar_chart(["K1 Pārvaldāmība"], [Series("Pašreizējais", [4], "#1F4E79")]))
    (bar,) = by_class(root, "rect", "bar")
    grid = sorted(float(g.get("x1", "")) for g in by_class(root, "line", "gridline"))
    assert float(bar.get("width", "")) == pytest.approx(grid[-1] - grid[0], abs=0.01)
    assert [e.text for e in by_class(root, "text", "value")] == ["4,0"]


# --- the national report's charts ---------------------------------------------------------


def test_shades_darken_with_the_degree_and_keep_their_text_readable() -> None:
    from pvpp.documents.charts import ink, shade

    def luminance(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    values = [v / 10 for v in range(41)]
    shades = [luminance(shade(v, 4)) for v in values]
    assert shades == sorted(shades, reverse=True)  # a higher degree is never lighter
    for v in values:
        fill = shade(v, 4)
        text = luminance(ink(fill))
        light, dark = max(text, luminance(fill)), min(text, luminance(fill))
        assert (light + 0.05) / (dark + 0.05) >= 4.5, (v, fill)


def test_heat_map_prints_every_value_and_marks_withheld_cells() -> None:
    from pvpp.documents.charts import heat_map

    svg = heat_map(
        ["IG1 Tiešās pārvaldes iestādes (8)", "IG2 Pašvaldības (1)"],
        ["K1", "K2", "K3"],
        [[2.25, 0.0, 4.0], [None, None, None]],
        withheld=[[False, False, False], [True, True, False]],
        lang="lv",
    )
    root = fromstring(svg)
    values = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "value"]
    assert values == ["2,2", "0,0", "4,0", "*", "*", "—"]
    fills = [r.get("fill") for r in root.iter(f"{NS}rect") if r.get("class") == "cell"]
    assert len(set(fills[:3])) == 3 and fills[3:] == ["#ffffff"] * 3
    with pytest.raises(ValueError, match=r"not a number in 0\.\.4"):
        heat_map(["a"], ["K1"], [[5.0]])
    with pytest.raises(ValueError, match="one row per row label"):
        heat_map(["a", "b"], ["K1"], [[1.0]])


def test_distribution_chart_prints_counts_and_totals() -> None:
    from pvpp.documents.charts import distribution_chart

    names = ["0 nav", "1 sākotnējā", "2 daļējā", "3 pilnvērtīgā", "4 valstī kopējā"]
    svg = distribution_chart(["1. Pamatnosacījumi", "2. Uzdevumi"], [[0, 4, 3, 5, 0], [0] * 5],
                             names, lang="lv")  # fmt: skip
    root = fromstring(svg)
    counts = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "count"]
    totals = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "total"]
    assert counts == ["4", "3", "5"] and totals == ["12", "0"]
    legend = " ".join(t.text or "" for t in root.iter(f"{NS}text") if t.get("class") == "legend")
    assert all(name in legend for name in names)
    with pytest.raises(ValueError, match="whole numbers"):
        distribution_chart(["a"], [[1, 2]], names)


def test_a_line_chart_over_time_with_its_due_date() -> None:
    from datetime import date, timedelta

    from pvpp.documents.charts import line_chart

    days = [date(2026, 1, 15) + timedelta(days=d) for d in range(10)]
    series = [
        Series("Iesniegušas", [d // 2 for d in range(10)], "#1d4f91"),
        Series("Pabeigušas", [max(0, d // 2 - 1) for d in range(10)], "#2e6b30", dashed=True),
    ]
    svg = line_chart(days, series, max_value=37, marker=(date(2026, 3, 31), "Termiņš"),
                     title="Izpildes gaita", label_id="line")  # fmt: skip
    assert svg == line_chart(days, series, max_value=37, marker=(date(2026, 3, 31), "Termiņš"),
                             title="Izpildes gaita", label_id="line")  # fmt: skip
    root = fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "line-title"
    desc = root.find(f"{NS}desc")
    assert desc is not None and desc.get("id") == "line-desc"
    assert "Iesniegušas: 15.01.2026 = 0; 16.01.2026 = 0; 17.01.2026 = 1" in (desc.text or "")
    assert "Termiņš: 31.03.2026" in (desc.text or "")
    assert len(root.findall(f".//{NS}polyline")) == 2
    # The axis reaches the due date; the two lines differ by pattern as well as colour.
    assert "31.03.2026" in svg and 'stroke-dasharray="6 3"' in svg
    # A small count has a gridline per whole number, never fractions.
    small = line_chart(days[:2], [Series("x", [0, 1], "#000")], max_value=1)
    assert [t.text for t in fromstring(small).iter(f"{NS}text") if t.get("class") == "axis"][
        :2] == ["0", "1"]  # fmt: skip
    with pytest.raises(ValueError, match="in order"):
        line_chart(list(reversed(days)), series, max_value=37)
    with pytest.raises(ValueError, match="outside"):
        line_chart(days, [Series("x", [50] * 10, "#000")], max_value=37)


def test_a_line_chart_over_rounds_names_each_point() -> None:
    from datetime import date

    from pvpp.documents.charts import line_chart

    days = [date(2026, 1, 15), date(2027, 1, 15), date(2028, 1, 15)]
    svg = line_chart(days, [Series("Mediāna", [1.25, 2.5, None], "#1d4f91")], max_value=5,
                     labels=["2026-K1", "2027-K1", "2028-K1"], decimals=2, lang="lv")  # fmt: skip
    root = fromstring(svg)
    axis = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "axis"]
    assert axis[-3:] == ["2026-K1", "2027-K1", "2028-K1"] and "15.01.2026" not in svg
    desc = root.find(f"{NS}desc")
    assert desc is not None
    assert "Mediāna: 2026-K1 = 1,25; 2027-K1 = 2,50; 2028-K1 = nav novērtēts" in (desc.text or "")
    with pytest.raises(ValueError, match="2 labels for 3 days"):
        line_chart(days, [Series("x", [1, 2, 3], "#000")], max_value=5, labels=["a", "b"])
