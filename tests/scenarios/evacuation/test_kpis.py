"""Evacuation KPIs: RSET per compartment by strategy, the peak exit flow, a report without NaN."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import box

import scenarios
from facility.model import Door, Exit, Facility, Level, Lift, Space, SpaceKind
from scenarios.base import Replication
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec, State, simulate
from scenarios.evacuation.kpis import compartment_rset, peak_flow, replication_kpis, summarize, why_not_safe
from scenarios.evacuation.schema import EvacuationScenario, Strategy
from scenarios.evacuation.testbeds import stair_tower, store_on_corridor, ward
from scenarios.store import jsonable
from tests.scenarios.evacuation.drills import ward_drill


def test_peak_flow_finds_the_busiest_minute() -> None:
    # 30 people in the first minute, then one every 10 minutes for an hour.
    t = np.sort(np.concatenate([np.linspace(0.0, 58.0, 30), np.arange(600.0, 4200.0, 600.0)]))
    assert peak_flow(t) == 30 / 60
    mean = (t.size - 1) / (t[-1] - t[0])
    assert mean < 0.01 < peak_flow(t)  # the whole-span mean hides the rush


@given(st.lists(st.floats(0.0, 1e4), min_size=1, max_size=200))
def test_peak_flow_bounds(times: list[float]) -> None:
    t = np.sort(np.array(times))
    p = peak_flow(t)
    span = t[-1] - t[0]
    mean = (t.size - 1) / span if t.size > 1 and span >= 1.0 else 0.0
    # at least one passage a minute and the exit's mean flow, at most all of them in a minute
    # or, for an exit used for under a minute, its mean flow
    assert p >= 1 / 60 and p >= mean - 1e-12
    assert p <= max(t.size / 60, mean if span < 60 else 0.0) + 1e-12
    # no window of 60 s holds more than the peak
    for start in t:
        assert ((t >= start) & (t < start + 60.0)).sum() <= round(p * 60)


def _two_compartments(strategy: str) -> tuple[dict[str, float], float, EvacuationModel]:
    """A bed and a walking patient in compartment A of a two-room ward, one nurse in A, a helper
    and a visitor in B (which has the exit); A is the fire compartment.

    Returns the KPIs, the time A became clear for good as seen step by step (nobody in it who
    is not out, escorts counted where their patient is), and the finished model.
    """
    fac = ward(rooms=2, beds_per_room=1)
    people = [PersonSpec(id="b0", profile="bed", space="W0", position=(2.0, 2.5)),
              PersonSpec(id="a1", profile="ambulant", space="W1", premove=5.0),
              PersonSpec(id="s0", profile="staff", space="KA", position=(2.0, 6.2), premove=0.0),
              PersonSpec(id="h0", profile="staff", space="KB", position=(12.0, 6.2), premove=0.0),
              PersonSpec(id="v0", profile="visitor", space="KB", position=(20.0, 6.2))]
    params = EvacParams(strategy=strategy, fire_compartments=("A",), trajectories=False, max_time=600.0)
    m = EvacuationModel(fac, people, params, np.random.default_rng(0))
    comp_a = m.plan.comp_ix["A"]
    clear = math.nan
    while m.t < params.max_time and not m.done():
        m.step()
        pe = m.people
        where = np.where(pe.state == State.ATTACHED, pe.space[np.maximum(pe.task, 0)], pe.space)
        if ((m.plan.space_comp[where] == comp_a) & (m.people.state != State.OUT)).any():
            clear = math.nan
        elif math.isnan(clear):
            clear = m.t
    m.recorder.sample(m.t)
    tab = m.recorder.tables()
    k = replication_kpis(tab["agents"], tab["door_flows"], params.alarm, m.t, len(m.deadlocks),
                         compartments=tab["compartments"], strategy=strategy, fire_compartments=("A",))
    return k, clear, m


def test_horizontal_rset_is_when_the_fire_compartment_is_clear() -> None:
    """Staff who stay in the refuge are never marked safe, yet A's RSET is when its last occupant
    (the helper from B among them) left it; B is not evacuated, so it has no RSET."""
    k, clear, m = _two_compartments("horizontal")
    assert "KA" in m.people.route[m.people.ids.index("h0")]  # the helper from B went into A and came back
    assert m.people.state[m.people.ids.index("h0")] == State.HOLD  # ... and is not marked safe
    assert k["rset_compartment.A"] == pytest.approx(clear, abs=1e-9)
    assert "rset_compartment.B" not in k
    # The helper and the visitor stay in B: the drill leaves them in place, not everyone is safe.
    assert k["remaining"] == k["in_place"] == 2 and k["in_refuge"] == 3
    assert math.isnan(k["rset_s"]) and math.isnan(k["rset_level.L0"])


def test_full_rset_per_compartment_counts_everyone_passing_through() -> None:
    """Under a full evacuation, A's occupants pass through B on their way out: B is clear only
    when the last of them is out, A as soon as they left it."""
    k, clear, _ = _two_compartments("full")
    assert k["rset_compartment.A"] == pytest.approx(clear, abs=1e-9)
    assert k["rset_compartment.A"] < k["rset_compartment.B"] == k["rset_s"]
    assert k["in_place"] == k["remaining"] == 0 and k["evacuated"] == k["total"] == 5


def _replication(index: int, *, left_behind: bool) -> Replication:
    """Three patients of compartment A evacuated horizontally into B; the bed patient is left behind
    in an untenable room and a wheelchair user stranded, or both reach the refuge."""
    nan = math.nan
    reached = [100.0, nan, nan] if left_behind else [100.0, 380.0, 412.0]
    agents = pa.table({
        "id": ["walker", "bed", "chair"], "role": ["patient"] * 3,
        "profile": ["ambulant", "bed", "wheelchair"], "start_space": ["W0", "W1", "W1"],
        "start_compartment": ["A"] * 3, "start_level": ["L0"] * 3, "alarm": [0.0] * 3,
        "start_move": [20.0, 60.0, 50.0], "reached": reached,
        "reached_how": ["refuge", "", ""] if left_behind else ["refuge"] * 3,
        "waiting": [0.0, 0.0, 0.0], "stranded": [False, False, left_behind],
        "deadlocked": [False] * 3, "battery_out": [False] * 3,
        "left_behind": [False, left_behind, False],
        "left_behind_reason": ["", "untenable" if left_behind else "", ""]})
    flows = pa.table({"time": pa.array([], pa.float64()), "portal": pa.array([], pa.string()),
                      "kind": pa.array([], pa.string())})
    comps = pa.table({"compartment": ["A", "B"], "rset_s": [nan if left_behind else 412.0, nan]})
    k = replication_kpis(agents, flows, 0.0, 900.0, 0, compartments=comps, strategy="horizontal",
                         fire_compartments=("A",))
    return Replication(index=index, kpis=k, tables={"agents": agents})


def _stored(summary: dict[str, object]) -> dict[str, object]:
    """The summary as a run folder gives it back: strict JSON, nulls read as NaN."""
    def nan_for_null(x: object) -> object:
        if x is None:
            return math.nan
        if isinstance(x, dict):
            return {k: nan_for_null(v) for k, v in x.items()}
        return [nan_for_null(v) for v in x] if isinstance(x, list) else x

    return nan_for_null(json.loads(json.dumps(jsonable(summary))))  # type: ignore[return-value]


def _text(kpis: dict[str, object]) -> str:
    """What ``medtwin run`` prints for an evacuation summary (the drill's report, then the hazard's)."""
    report = scenarios.KINDS["evacuation"].report
    assert report is not None
    return report(kpis)


def test_report_of_one_replication_has_no_nan_and_says_why_patients_were_not_safe() -> None:
    sc = EvacuationScenario(name="h", strategy=Strategy(mode="horizontal", fire_compartments=["A"]))
    summary = summarize(sc, [_replication(0, left_behind=True)])
    for kpis in (summary, _stored(summary)):
        text = _text(kpis)
        assert "nan" not in text.lower() and "inf" not in text.lower(), text
        assert re.search(r"bed .* left behind: untenable", text)
        assert re.search(r"chair .* stranded: no way out", text)
        assert re.search(r"walker .* 100 s \(refuge\)", text)
        assert re.search(r"RSET \(all\) +not everyone safe$", text, re.M)
        assert re.search(r"^  A +not clear at the end$", text, re.M)


def test_report_says_in_how_many_replications_not_everyone_was_safe() -> None:
    sc = EvacuationScenario(name="h", strategy=Strategy(mode="horizontal", fire_compartments=["A"]))
    summary = summarize(sc, [_replication(0, left_behind=True), _replication(1, left_behind=False)])
    text = _text(_stored(summary))
    assert "nan" not in text.lower(), text
    assert re.search(r"^  A +412\.0 s  \(not clear at the end in 1 of 2 replications; mean of the other 1\)$",
                     text, re.M), text
    assert re.search(r"RSET \(all\) +412\.0 s  \(not everyone safe in 1 of 2", text), text
    assert "Patients not safe at the end (2 over all replications)" in text
    only_safe = _text(summarize(sc, [_replication(1, left_behind=False)]))
    assert re.search(r"RSET \(all\) +412\.0 s$", only_safe, re.M) and "not safe" not in only_safe


def test_a_compartment_left_by_its_stair_is_clear_when_the_last_takes_the_stair() -> None:
    """Three people leave C1 (a room and the stair landing in it) down the stair: C1 is not clear
    from the start (as the compartments table said when departures were noted only at doors and
    exits), but when the last of them left."""
    fac = stair_tower(storeys=2)
    people = [PersonSpec(id=f"p{k}", profile="ambulant", space="R1", premove=0.0) for k in range(3)]
    m = EvacuationModel(fac, people, EvacParams(trajectories=False, max_time=300.0), np.random.default_rng(0))
    m.run()
    tab = m.recorder.tables()
    rset = compartment_rset(tab["compartments"])
    assert 0.0 < rset["C1"] < rset["C0"]


def test_someone_stranded_is_not_also_a_deadlock() -> None:
    # Found by a user: a person with no usable way out was counted as stranded and as a deadlock.
    spaces = [Space(id="R", level="L0", kind=SpaceKind.ROOM, polygon=box(0, 0, 4, 4), compartment="C"),
              Space(id="K", level="L0", kind=SpaceKind.CORRIDOR, polygon=box(4, 0, 14, 2), compartment="C")]
    doors = [Door(id="D", spaces=("R", "K"), at=(4.0, 1.0), width=0.4)]  # too narrow for anyone
    fac = Facility(name="narrow", levels=(Level(id="L0"),), spaces=tuple(spaces), doors=tuple(doors),
                   exits=(Exit(id="X", space="K", at=(14.0, 1.0), width=1.2),))
    people = [PersonSpec(id="shut-in", profile="visitor", space="R", position=(2.0, 2.0), premove=0.0),
              PersonSpec(id="late", profile="visitor", space="K", position=(5.0, 1.0), premove=90.0)]
    m = simulate(fac, people, EvacParams(trajectories=False, max_time=300.0), np.random.default_rng(0))
    tab = m.recorder.tables()
    a = tab["agents"].to_pandas().set_index("id")
    assert m.t > 90.0 and a.loc["shut-in", "stranded"] and not a.loc["shut-in", "deadlocked"]
    kpis = replication_kpis(tab["agents"], tab["door_flows"], 0.0, m.t, tab["deadlocks"].num_rows)
    assert kpis["stranded"] == 1 and kpis["deadlocks"] == 0 and tab["deadlocks"].num_rows == 0
    assert kpis["evacuated"] + kpis["in_refuge"] + kpis["incapacitated"] + kpis["remaining"] == kpis["total"]


def test_progress_counts_safe_people_monotonically_and_out_and_in_refuge_apart() -> None:
    # Found by a user: the people-safe figure dropped when the vertical phase moved people on from
    # the refuge.
    fac, people, params = ward_drill()
    seen: list[tuple[float, int, int, int, int]] = []

    def progress(t: float, end: float, safe: int, n: int, out: int, refuge: int) -> None:  # noqa: PLR0917
        seen.append((t, safe, n, out, refuge))

    m = EvacuationModel(fac, people, params, np.random.default_rng(0))
    m.run(progress, every=5.0)
    safe = np.array([s[1] for s in seen])
    refuge = np.array([s[4] for s in seen])
    assert refuge.max() > 0 and refuge[-1] < refuge.max()  # people in the refuge moved on
    assert (np.diff(safe) >= 0).all()
    assert all(out + ref <= s <= n for _, s, n, out, ref in seen)
    assert seen[-1][1] == seen[-1][3] == len(people)


def test_a_bed_in_a_room_no_bed_can_leave_is_stranded_though_it_never_set_off() -> None:
    # Found trying a small clinic: a bed in a store with a 0.9 m door waited for staff to the end
    # and was reported as "still inside when the drill ended".
    fac = store_on_corridor(0.9)
    people = [PersonSpec(id="bed", profile="bed", space="S", position=(1.5, 3.5)),
              PersonSpec(id="walker", profile="visitor", space="K", position=(2.0, 1.0), premove=0.0)]
    m = simulate(fac, people, EvacParams(trajectories=False, max_time=60.0), np.random.default_rng(0))
    a = m.recorder.tables()["agents"].to_pandas().set_index("id")
    assert a.loc["bed", "stranded"] and not a.loc["walker", "stranded"]
    assert a.loc["walker", "reached_how"] == "exit"
    assert why_not_safe(a.loc["bed"]) == "stranded: no way out usable with their mobility"
    assert not a.loc["bed", "stranded_by_lift_policy"]  # no lift would help: none is named
    # Through a door a bed passes, with no staff to move it: it says what it was waiting for.
    m = simulate(store_on_corridor(1.2), people[:1], EvacParams(trajectories=False, max_time=30.0),
                 np.random.default_rng(0))
    row = m.recorder.tables()["agents"].to_pandas().iloc[0]
    assert not row["stranded"] and row["state_at_end"] == "need_staff"
    assert why_not_safe(row) == "still waiting for staff when the drill ended"


def test_people_a_lift_policy_leaves_without_a_way_out_are_stranded_and_told_why() -> None:
    # Found trying a two-storey building whose only lift is not flagged for evacuation.
    spaces, doors = [], []
    for lv in ("G", "L1"):
        spaces += [Space(id=f"{lv}-K", level=lv, kind=SpaceKind.CORRIDOR, polygon=box(0, 0, 12, 2.4)),
                   Space(id=f"{lv}-LF", level=lv, kind=SpaceKind.LIFT, polygon=box(12, 0, 15, 2.4))]
        doors.append(Door(id=f"{lv}-D", spaces=(f"{lv}-K", f"{lv}-LF"), at=(12.0, 1.2), width=1.3))
    fac = Facility(name="lift", levels=(Level(id="G"), Level(id="L1", elevation=4.0)), spaces=tuple(spaces),
                   doors=tuple(doors), exits=(Exit(id="X", space="G-K", at=(0.0, 1.2), width=1.6),),
                   lifts=(Lift(id="LIFT", spaces=("G-LF", "L1-LF")),))
    people = [PersonSpec(id="bed", profile="bed", space="L1-K", position=(3.0, 1.2)),
              PersonSpec(id="walker", profile="ambulant", space="L1-K", position=(8.0, 1.2), premove=0.0)]
    m = simulate(fac, people, EvacParams(trajectories=False, max_time=60.0), np.random.default_rng(0))
    tab = m.recorder.tables()
    assert tab["agents"].to_pandas()[["stranded", "stranded_by_lift_policy"]].all().all()
    sc = EvacuationScenario(name="lift")
    kpis = replication_kpis(tab["agents"], tab["door_flows"], 0.0, m.t, tab["deadlocks"].num_rows)
    why = {u["id"]: u["why"] for u in summarize(sc, [Replication(index=0, kpis=kpis, tables=tab)])
           ["patients_not_safe"]}
    said = ("stranded: no way out usable with their mobility (strategy.lifts is 'evacuation': lifts not "
            "flagged evacuation_lift are not used)")
    assert why["bed"] == why["walker"] == said
