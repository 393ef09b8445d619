"""Plan figures: one panel per level, every space, door kind and exit drawn where it is."""

from __future__ import annotations

import io
import warnings
from dataclasses import replace

import matplotlib
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.patches import PathPatch
from shapely.geometry import Point, Polygon, box

from facility import BED, Facility, route
from facility.model import Level, Space, SpaceKind
from facility.plot import (
    DOOR_COLOURS,
    MAX_SHEET_HEIGHT_IN,
    category_of,
    plan_figure_matplotlib,
    plan_figure_plotly,
)
from facility.sample import sample

matplotlib.use("Agg")


def _segments_of_colour(ax: matplotlib.axes.Axes, colour: str) -> int:
    n = 0
    for coll in ax.collections:
        if not isinstance(coll, LineCollection):
            continue
        rgb = np.asarray(coll.get_colors())[:, :3]
        if len(rgb) and np.allclose(rgb, to_rgba(colour)[:3]):
            n += len(coll.get_segments())
    return n


def test_matplotlib_one_axis_per_level_top_first() -> None:
    f = sample()
    fig = plan_figure_matplotlib(f)
    assert len(fig.axes) == len(f.levels) == 4
    titles = [ax.get_title(loc="left").split()[0] for ax in fig.axes]
    assert titles == ["L3", "L2", "L1", "L0"]
    for ax, lid in zip(fig.axes, titles, strict=True):
        spaces = f.spaces_on(lid)
        patches = [p for p in ax.patches if isinstance(p, PathPatch) and p.get_fill()]
        assert len(patches) == len(spaces)
        hatched = [p for p in patches if p.get_hatch()]
        assert len(hatched) == sum(s.kind.value in ("stair", "lift") for s in spaces)
        outlines = [p for p in ax.patches if not p.get_fill()]
        assert len(outlines) == len({s.compartment for s in spaces if s.compartment})
        on_level = [d for d in f.doors if f.space(d.spaces[0]).level == lid]
        assert _segments_of_colour(ax, DOOR_COLOURS["smoke door"]) == sum(d.smoke_door for d in on_level)
        assert _segments_of_colour(ax, DOOR_COLOURS["door"]) == sum(
            not d.smoke_door and not d.fire_door for d in on_level)
        exits = [e for e in f.exits if f.space(e.space).level == lid]
        assert _segments_of_colour(ax, DOOR_COLOURS["exit"]) == len(exits)
    assert fig.legends and any(t.get_text() == "smoke door" for t in fig.legends[0].get_texts())


def test_matplotlib_single_level_and_graph_overlay(tiny_facility: Facility) -> None:
    fig = plan_figure_matplotlib(tiny_facility, "L1")
    assert len(fig.axes) == 1
    g = tiny_facility.graph
    walk_edges = sum(1 for u, v, d in g.edges(data=True) if d["kind"] == "walk"
                     and g.nodes[u]["level"] == g.nodes[v]["level"] == "L1")
    assert _segments_of_colour(fig.axes[0], "#555555") == walk_edges > 0
    plain = plan_figure_matplotlib(tiny_facility, "L1", graph=False)
    assert _segments_of_colour(plain.axes[0], "#555555") == 0


def test_unknown_level_is_named() -> None:
    with pytest.raises(KeyError, match="L9"):
        plan_figure_matplotlib(sample(), "L9")
    with pytest.raises(KeyError, match="L9"):
        plan_figure_plotly(sample(), "L9")


def test_plotly_hover_names_each_space() -> None:
    f = sample()
    fig = plan_figure_plotly(f, "L2")
    space_traces = [t for t in fig.data if t.fill == "toself"]
    assert len(space_traces) == len(f.spaces_on("L2"))
    for t, s in zip(space_traces, f.spaces_on("L2"), strict=True):
        assert s.id in t.text and f"use: {s.use}" in t.text and f"beds: {s.beds}" in t.text
        assert f"compartment: {s.compartment or '-'}" in t.text
    names = {t.name for t in fig.data}
    assert {"smoke door", "door", "fire door", "smoke compartment", "navigation graph"} <= names
    assert fig.layout.yaxis.scaleanchor == "x"
    # Exits are drawn only on the ground floor.
    assert "exit" not in names and "exit" in {t.name for t in plan_figure_plotly(f, "L0").data}


def test_plotly_draws_the_part_of_a_route_on_the_level() -> None:
    f = sample()
    r = route(f, "L3-W3-BAY1", "L1-ICU-BAY1", mobility=BED)
    for level, expected in (("L3", True), ("L1", True), ("L2", False), ("L0", False)):
        traces = [t for t in plan_figure_plotly(f, level, route=r).data if t.name == "route (bed)"]
        assert bool(traces) == expected, level
    (trace,) = [t for t in plan_figure_plotly(f, "L3", route=r).data if t.name == "route (bed)"]
    g = f.graph
    on_level = [n for n in r.nodes if g.nodes[n].get("level") == "L3"]
    assert [x for x in trace.x if x is not None] == [g.nodes[n]["pos"][0] for n in on_level]


def test_every_sample_use_has_a_category() -> None:
    f = sample()
    assert all(category_of(s.use, s.kind) != "other" for s in f.spaces)


def test_holes_are_drawn_empty(tiny_facility: Facility) -> None:
    # The hole turns the same way as its outline, which the file format allows.
    holed = Polygon([(6, 2), (12, 2), (12, 7), (6, 7)], [[(8, 3), (10, 3), (10, 5), (8, 5)]])
    spaces = tuple(replace(s, polygon=holed) if s.id == "L0-R2" else s for s in tiny_facility.spaces)
    f = replace(tiny_facility, spaces=spaces)
    in_hole, on_floor = (9.0, 4.0), (7.0, 6.0)
    fig = plan_figure_matplotlib(f, "L0")
    [patch] = [p for p in fig.axes[0].patches if isinstance(p, PathPatch) and p.get_fill()
               and p.get_path().contains_point(on_floor)]
    # Matplotlib fills by nonzero winding: the hole stays empty only if it turns against its outline.
    outline, hole = (Polygon(r) for r in patch.get_path().to_polygons())
    assert hole.exterior.is_ccw != outline.exterior.is_ccw
    # Plotly fills every ring of a trace on its own, so a holed space is drawn as hole-free pieces.
    trace = next(t for t in plan_figure_plotly(f, "L0").data if t.text and "L0-R2" in t.text)
    xs, ys = list(trace.x), list(trace.y)
    cuts = [i for i, v in enumerate(xs) if v is None]
    starts = [-1, *cuts]
    rings = [list(zip(xs[a + 1:b], ys[a + 1:b], strict=True)) for a, b in zip(starts, cuts, strict=False)]
    pieces = [Polygon(r) for r in rings if r]
    assert not any(p.contains(Point(in_hole)) for p in pieces)
    assert sum(p.area for p in pieces) == pytest.approx(holed.area)


def test_a_tall_building_shares_a_sheet_of_bounded_height() -> None:
    # regression: 200 storeys made a 2,400 x 360,000 px PNG (3.4 GB to draw)
    levels = tuple(Level(id=f"L{i}", elevation=3.0 * i) for i in range(200))
    spaces = tuple(Space(id=f"R{i}", level=f"L{i}", kind=SpaceKind.ROOM, polygon=box(0, 0, 5, 5),
                         occupied=False) for i in range(200))
    tower = Facility(name="tower", levels=levels, spaces=spaces, doors=(), exits=(), stairs=(), lifts=(),
                     assembly_points=(), metadata={})
    fig = plan_figure_matplotlib(tower)
    assert len(fig.axes) == 200 and fig.get_figheight() <= MAX_SHEET_HEIGHT_IN
    # laid out by fixed margins: constrained layout spent 80 s on 200 panels, then gave up with a warning
    assert fig.get_layout_engine() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(io.BytesIO(), format="png", dpi=10)
    small = plan_figure_matplotlib(replace(tower, levels=levels[:2], spaces=spaces[:2]))
    assert small.get_figheight() == pytest.approx(2 * 12.0 + 1.2)  # a few storeys keep their full size


def test_plotly_labels_show_angle_brackets_as_written() -> None:
    # regression: plotly reads hover text as HTML, so a room named "Store <B>" lost "<B>" and bolded the rest
    f = sample()
    lid = f.levels[0].id
    target = next(s for s in f.spaces_on(lid) if s.kind is SpaceKind.ROOM)
    f = replace(f, spaces=tuple(replace(s, name="Store <B> & co") if s.id == target.id else s
                                for s in f.spaces))
    fig = plan_figure_plotly(f, lid)
    texts = [t.text for t in fig.data if isinstance(t.text, str) and t.text.startswith(f"<b>{target.id}</b>")]
    assert texts and "Store &lt;B&gt; &amp; co<br>" in texts[0]
