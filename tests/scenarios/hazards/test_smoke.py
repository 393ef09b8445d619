"""Smoke over a facility: tenability, ASET and the responses a safety officer relies on."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from scenarios.errors import ScenarioFileError
from scenarios.hazards.cases import ward
from scenarios.hazards.conditions import DOSES
from scenarios.hazards.environment import HazardEnvironment
from scenarios.hazards.schema import HazardSpec


def _ward_fire(**fire: Any) -> HazardSpec:
    base: dict[str, Any] = {"origin": "R1", "growth": "fast", "peak_hrr": 1500.0, "start": -30.0}
    if fire.get("growth") == "table":
        del base["peak_hrr"]  # the table's rows are the heat release
    return HazardSpec.model_validate({"fire": {**base, **fire}, "horizon": 600.0, "record_every": 10.0})


def _aset(spec: HazardSpec, space: str) -> float:
    env = HazardEnvironment(ward(6), spec)
    env.finish()
    t = env.tables()["aset"].to_pandas().set_index("space")
    return float(t.loc[space, "aset_s"])


def _finite(x: float, horizon: float = 600.0) -> float:
    return horizon if math.isnan(x) else x


def test_a_closed_smoke_door_keeps_the_next_compartment_tenable_longer() -> None:
    closed = _finite(_aset(_ward_fire(), "KB"))
    wedged = _finite(_aset(_ward_fire(doors={"wedged_open": ["SB"]}), "KB"))
    assert wedged < 600.0  # with the door open the far corridor does become untenable
    assert closed > wedged


def test_sprinklers_lengthen_aset() -> None:
    plain = _finite(_aset(_ward_fire(), "KA"))
    sprinklered = _finite(_aset(_ward_fire(detectors=[{"kind": "sprinkler", "space": "R1"}]), "KA"))
    assert sprinklered > plain


def test_faster_growth_shortens_aset() -> None:
    asets = [_finite(_aset(_ward_fire(growth=g, peak_hrr=3000.0), "KA")) for g in ("slow", "medium", "fast")]
    assert asets[0] > asets[1] > asets[2]


def test_smoke_detection_raises_the_alarm_before_a_heat_detector() -> None:
    def alarm(kind: str) -> float:
        spec = _ward_fire(alarm="detection", start=0.0, detectors=[{"kind": kind, "space": "R1"}])
        return HazardEnvironment(ward(6), spec).smoke.alarm  # type: ignore[union-attr]

    smoke, heat = alarm("smoke"), alarm("heat")
    assert 0 < smoke < heat


def test_the_room_of_origin_sees_the_fire_at_ignition() -> None:
    """``cues``: the fire's space, at ignition in seconds since the alarm (the scenario's
    ``start``, or before a detector's alarm by the time it took to go off)."""
    assert HazardEnvironment(ward(6), _ward_fire()).cues == {"R1": -30.0}
    spec = _ward_fire(alarm="detection", start=0.0, detectors=[{"kind": "heat", "space": "KA"}])
    env = HazardEnvironment(ward(6), spec)
    assert env.smoke is not None and env.cues == {"R1": -env.smoke.alarm} and env.smoke.alarm > 0


def test_a_detector_that_never_sees_the_fire_is_a_clear_error() -> None:
    spec = _ward_fire(alarm="detection", start=0.0, growth="table", hrr_table=[[0, 0.0], [10, 0.0]],
                      detectors=[{"kind": "heat", "space": "KB"}])
    with pytest.raises(ScenarioFileError, match="no detector activated") as err:
        HazardEnvironment(ward(6), spec)
    assert err.value.field == "hazard.fire.detectors"


def test_conditions_follow_the_contract_and_maps_cover_every_space_over_time() -> None:
    env = HazardEnvironment(ward(6), _ward_fire())
    n = len(env.space_ids)
    for t in np.arange(0.0, 301.0, 1.0):
        c = env.advance(float(t))
        assert c.speed_factor.shape == (n,) and c.untenable.shape == (n,)
        assert c.dose_rate.shape == (len(DOSES), n)
        assert ((c.speed_factor > 0) & (c.speed_factor <= 1)).all()
        assert (c.dose_rate >= 0).all()
        # a fire releases no gas of its own: the toxic load and the time above AEGL stay at zero
        assert (c.dose_rate[DOSES.index("toxic_load"):] == 0).all()
    assert c.untenable[env.space_ids.index("R1")]
    maps = env.tables()["hazard_maps"].to_pandas()
    assert sorted(maps["time"].unique()) == list(np.arange(0.0, 301.0, 10.0))
    assert (maps.groupby("time").size() == n).all()
    hot = maps[maps["space"] == "R1"].iloc[-1]
    assert hot["visibility_m"] < 5 and hot["fed"] > 0 and hot["layer_height_m"] < 1.8


def test_no_fire_means_calm_conditions_everywhere() -> None:
    spec = _ward_fire(growth="table", hrr_table=[[0, 0.0], [10, 0.0]])
    env = HazardEnvironment(ward(6), spec)
    for t in (0.0, 60.0, 300.0):
        c = env.advance(t)
        assert (c.speed_factor == 1).all() and (c.dose_rate == 0).all() and not c.untenable.any()
