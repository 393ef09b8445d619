"""Outbreak response levers in the operations model: isolation, cohorting, bay closures, diversion.

Each lever is checked by what it must do to the event log (where patients
waited and were seen, which staff saw them, which beds were given out when)
and by its cost in the KPIs, comparing runs with the same seed (the same
patients arrive in both).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

import scenarios
from scenarios.operations.runs import run_replication
from scenarios.operations.schema import OperationsScenario
from tests.conftest import make_tiny_facility
from tests.scenarios.operations.conftest import BASE

FACILITY = make_tiny_facility()
ISO_ROOM, COHORT_SPACE, WAITING = "L0-R2", "L1-R2", "L0-R3"


def _respiratory(**isolation: Any) -> dict[str, Any]:
    """Patients triaged in the waiting room, then treated for an hour; some flagged at triage."""
    d: dict[str, Any] = copy.deepcopy(BASE)
    d["run"] = {"length": 2880, "warmup": 0}
    d["resources"] = {
        "nurse": {"kind": "staff", "count": 3, "space_use": "office"},
        "iso_room": {"kind": "room", "count": 1, "space_use": "store"},
        "cohort_bay": {"kind": "room", "count": 4, "space_use": "office"},
    }
    d["arrivals"] = [{"name": "walk_in", "mix": {"resp": 1.0}, "rates": [2.0]}]
    d["pathways"] = {"resp": {
        "arrive_use": "waiting",
        "isolation": {"share": 0.5, "after": "triage", "room": "iso_room", **isolation},
        "steps": [
            {"name": "triage", "needs": ["nurse"], "wait_use": "waiting",
             "duration": {"dist": "exponential", "mean": 5}},
            {"name": "treat", "needs": ["nurse"], "wait_use": "waiting",
             "duration": {"dist": "exponential", "mean": 60}},
        ]}}
    return d


def _run(d: dict[str, Any], seed: int = 5) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame]:
    sc = scenarios.from_dict(d)
    assert isinstance(sc, OperationsScenario)
    rep = run_replication(sc, FACILITY, np.random.default_rng(seed), 0)
    return dict(rep.kpis), rep.tables["events"].to_pandas(), rep.tables["patients"].to_pandas()


def test_isolated_patients_wait_and_are_seen_in_their_room() -> None:
    k, ev, pat = _run(_respiratory())
    iso_ids = set(pat.loc[pat["isolated"], "patient"])
    assert 0.35 < k["isolation.flagged.resp"] < 0.65
    rows = ev[ev["step"] == "isolation"]
    assert set(rows["patient"]) <= iso_ids and len(rows) > 10
    assert (rows["space"] == ISO_ROOM).all()
    # one room: its holds never overlap
    done = rows[rows["outcome"] == "done"].sort_values("start")
    assert (done["start"].to_numpy()[1:] >= done["end"].to_numpy()[:-1]).all()
    # after flagging, an isolated patient waits in and is treated in the room, staff come to them
    treat = ev[(ev["step"] == "treat") & (ev["outcome"] == "done")]
    housed = treat[treat["patient"].isin(set(done["patient"]))]
    assert len(housed) > 5
    assert (housed["wait_space"] == ISO_ROOM).all() and (housed["space"] == ISO_ROOM).all()
    others = treat[~treat["patient"].isin(iso_ids)]
    assert (others["wait_space"] == WAITING).all()
    # one room for half of two patients an hour: the queue for it is the cost
    assert k["isolation.wait_min.resp"] > 10.0
    assert k["isolation.cohorted.resp"] == 0.0


def test_cohorting_when_the_room_is_taken_cuts_the_wait_for_a_place() -> None:
    k_wait, _, _ = _run(_respiratory())
    k, ev, pat = _run(_respiratory(if_full="cohort", cohort="cohort_bay"))
    assert k["isolation.cohorted.resp"] > 0.2
    places = ev[ev["step"] == "isolation"]
    assert set(places["space"]) == {ISO_ROOM, COHORT_SPACE}
    cohorted = set(pat.loc[pat["cohorted"], "patient"])
    assert (places[places["patient"].isin(cohorted)]["space"] == COHORT_SPACE).all()
    assert k["isolation.wait_min.resp"] < 0.5 * k_wait["isolation.wait_min.resp"]


def test_cohorted_staff_serve_only_isolated_patients() -> None:
    d = _respiratory(if_full="cohort", cohort="cohort_bay")
    d["resources"]["nurse"]["cohort_units"] = 1
    k, ev, pat = _run(d)
    iso_ids = set(pat.loc[pat["isolated"], "patient"])
    treat = ev[(ev["step"] == "treat") & (ev["outcome"] == "done")]
    by_iso = treat[treat["patient"].isin(iso_ids)]
    assert len(by_iso) > 5 and (by_iso["staff"] == "nurse.cohort#0").all()
    assert not treat[~treat["patient"].isin(iso_ids)]["staff"].str.contains("cohort").any()
    # triage happens before flagging, so it is the other nurses' work
    assert not ev[ev["step"] == "triage"]["staff"].str.contains("cohort").any()
    assert 0 < k["util.nurse.cohort"] <= 1


def _beds(closures: list[dict[str, Any]] | None = None, **bed: Any) -> dict[str, Any]:
    d: dict[str, Any] = copy.deepcopy(BASE)
    d["run"] = {"length": 4320, "warmup": 0}
    d["arrivals"][0]["mix"] = {"clinic_visit": 0.5, "urgent": 0.5}
    d["resources"]["bed"].update(bed)
    if closures:
        d["resources"]["bed"]["closures"] = closures
    return d


def test_a_closed_bay_gives_out_no_bed_until_deep_cleaned_and_costs_waits() -> None:
    closure = {"start_h": 10, "end_h": 40, "space": "L1-R1", "deep_clean_h": 4}
    k0, _, _ = _run(_beds())
    k, ev, _ = _run(_beds([closure]))
    admits = ev[ev["step"] == "admit"].dropna(subset=["start"])
    in_bay = admits[admits["space"] == "L1-R1"]
    assert len(in_bay) > 0
    blocked = (in_bay["start"] >= 600) & (in_bay["start"] < (40 + 4) * 60)
    assert not blocked.any()
    assert ((admits["start"] >= 600) & (admits["start"] < 2400)).any()  # the other bay still admits
    # bed-hours lost: four beds for at least the 30 h window less the stays under way
    assert k["closed.unit_h.bed"] > 4 * 30 * 0.5
    assert k["wait.urgent.admit"] > k0["wait.urgent.admit"]
    assert "closed.unit_h.bed" not in k0


def test_full_beds_divert_patients_to_a_transfer_step() -> None:
    d = _beds(queue_limit=0, count=2)
    steps = d["pathways"]["urgent"]["steps"]
    steps[1]["on_full"] = "transfer_out"
    steps[1]["next"] = [{"to": "exit", "p": 1.0}]
    steps.append({"name": "transfer_out", "needs": ["nurse"], "duration": {"dist": "fixed", "value": 20}})
    k, ev, pat = _run(d)
    diverted = pat[pat["diverted_at"] == "admit"]
    assert len(diverted) > 3
    assert (diverted["outcome"] != "diverted").all()  # they went on to the transfer, then left
    assert 0 < k["diverted.urgent"] < 1
    assert 0 < k["blocked.bed"] < 1
    rows = ev[(ev["step"] == "admit") & (ev["outcome"] == "diverted")]
    assert set(rows["patient"]) == set(diverted["patient"])
    assert rows["start"].isna().all() and (rows["end"] == rows["queue_enter"]).all()
    moved = ev[(ev["step"] == "transfer_out") & (ev["outcome"] == "done")]
    assert set(moved["patient"]) <= set(diverted["patient"]) and len(moved) > 0
    # without a transfer step the diverted patients leave the hospital
    steps[1]["on_full"] = "exit"
    k2, _, pat2 = _run(d)
    assert (pat2.loc[pat2["diverted_at"] == "admit", "outcome"] == "diverted").all()
    assert k2["patients.diverted"] > 0


def test_isolation_until_a_step_gives_the_room_back_when_it_starts() -> None:
    k, ev, _ = _run(_respiratory(until="treat"))
    rows = ev[(ev["step"] == "isolation") & (ev["outcome"] == "done")]
    treat = ev[(ev["step"] == "treat") & (ev["outcome"] == "done")].set_index("patient")
    assert len(rows) > 5
    for _, r in rows.iterrows():
        t = treat.loc[r["patient"]]
        assert r["end"] == t["start"]  # released as the treatment starts
        assert t["wait_space"] == ISO_ROOM and t["space"] == WAITING  # waited in the room, treated outside it
    # the room turns over faster than when held to discharge
    k_held, _, _ = _run(_respiratory())
    assert k["isolation.wait_min.resp"] < k_held["isolation.wait_min.resp"]
