"""The inline SVG plan: every space drawn once with its hover text, names escaped, a route on its levels."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from facility import BED, Facility, dumps, loads, route
from facility.sample import SampleOptions, sample
from scenarios.ui.plan_svg import plan_svg

SVG = "{http://www.w3.org/2000/svg}"


def _svg(html: str) -> ET.Element:
    """The plan's SVG element, parsed: fails if the block is not well-formed markup."""
    return ET.fromstring(re.search(r"<svg .*</svg>", html, re.S).group(0))  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def small() -> Facility:
    return sample(SampleOptions(ward_levels=1))


def test_every_space_of_the_level_is_drawn_with_its_hover_text(small: Facility) -> None:
    for level in (lv.id for lv in small.levels):
        svg = _svg(plan_svg(small, level))
        drawn = {p.get("data-space"): p.findtext(f"{SVG}title") for p in svg.iter(f"{SVG}path")
                 if p.get("class") == "space"}
        on_level = small.spaces_on(level)
        assert set(drawn) == {s.id for s in on_level}
        bay = next((s for s in on_level if s.beds), None)
        if bay is not None:
            assert f"beds: {bay.beds}" in (drawn[bay.id] or "")


def test_names_with_markup_are_shown_as_text_never_as_markup(small: Facility) -> None:
    data = json.loads(dumps(small))
    first = next(s for s in data["spaces"] if s["level"] == "L0" and s.get("name"))
    first["name"] = 'Bay <script>alert("x")</script> & co'
    html = plan_svg(loads(json.dumps(data)), "L0")
    assert "<script>" not in html
    svg = _svg(html)
    tips = [t.text or "" for t in svg.iter(f"{SVG}title")]
    assert any('Bay <script>alert("x")</script> & co' in t for t in tips)  # read back as plain text


def test_a_route_is_drawn_only_on_the_levels_it_uses_with_start_and_end() -> None:
    fac = sample()
    r = route(fac, "L3-W3-BAY1", "L1-ICU-BAY1", mobility=BED)
    on = {lv: _svg(plan_svg(fac, lv, route=r)) for lv in ("L0", "L1", "L3")}
    routes = {lv: [p for p in svg.iter(f"{SVG}path") if p.get("class") == "route"] for lv, svg in on.items()}
    assert not routes["L0"] and len(routes["L1"]) == len(routes["L3"]) == 1
    labels = {lv: {t.text for t in svg.iter(f"{SVG}text")} for lv, svg in on.items()}
    assert "start" in labels["L3"] and "end" not in labels["L3"]
    assert "end" in labels["L1"] and "start" not in labels["L1"]
