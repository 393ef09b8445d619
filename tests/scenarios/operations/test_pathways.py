"""The patient process: walking from the layout, holds, boarding, reneging, pre-emption, skills, devices."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import scenarios
from facility.routing import BED
from facility.routing import route as plan_route
from scenarios.operations.schema import OperationsScenario
from tests.scenarios.operations.conftest import BASE


def build(**changes: Any) -> OperationsScenario:
    d: dict[str, Any] = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = d
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        node[keys[-1]] = value
    sc = scenarios.from_dict(d)
    assert isinstance(sc, OperationsScenario)
    return sc


def test_walking_time_comes_from_the_layout(tiny_facility: Any) -> None:
    res = scenarios.run(build(), facility=tiny_facility)
    ev = res.table("events")
    admit = ev[(ev["step"] == "admit") & (ev["outcome"] == "done")]
    assert len(admit) > 0
    # only the patient moves for 'admit' (a bed pool): clinic downstairs -> ward bay upstairs by lift
    for _, row in admit.iterrows():
        expect = plan_route(tiny_facility, "L0-R1", row["space"], mobility=BED, by="time").time / 60
        assert row["walk_min"] == pytest.approx(expect, rel=1e-9)
    assert (admit["walk_min"] > 0).all()
    km = res.kpis["staff.walk_km_per_shift.nurse"]["mean"]
    assert km > 0
    off = scenarios.run(build(walking={"enabled": False}), facility=tiny_facility)
    assert (off.table("events")["walk_min"] == 0).all()
    assert off.kpis["staff.walk_km_per_shift.nurse"]["mean"] == 0


def test_slower_walkers_take_longer(tiny_facility: Any) -> None:
    fast = scenarios.run(build(walking={"enabled": True, "staff_speed": 2.0}), facility=tiny_facility)
    slow = scenarios.run(build(walking={"enabled": True, "staff_speed": 0.5}), facility=tiny_facility)
    f, s = fast.table("events"), slow.table("events")
    inf_f = f[(f["step"] == "infusion") & (f["staff_walk_m"] > 0)]
    inf_s = s[(s["step"] == "infusion") & (s["staff_walk_m"] > 0)]
    assert inf_s["walk_min"].mean() > inf_f["walk_min"].mean()


def test_boarding_when_beds_are_scarce(tiny_facility: Any) -> None:
    res = scenarios.run(build(resources__bed__count=1), facility=tiny_facility)
    pat = res.table("patients")
    urgent = pat[(pat["pathway"] == "urgent") & (pat["outcome"] == "discharged")]
    assert (urgent["boarding_min"] > 0).any()
    assert res.kpis["boarding.mean_min"]["mean"] > 0
    ev = res.table("events")
    # the clinic room stays taken from 'assess' until the bed is granted
    for (_rep, pid), rows in ev[ev["pathway"] == "urgent"].groupby(["replication", "patient"]):
        g = rows.set_index("step")
        if {"assess", "admit"} <= set(g.index) and g.loc["admit", "outcome"] == "done":
            room = g.loc["assess", "resources"].split(",")[0]
            others = ev[(ev["replication"] == _rep) & (ev["patient"] != pid)
                        & ev["resources"].str.contains(room, regex=False)]
            busy_from, busy_to = g.loc["assess", "end"], g.loc["admit", "start"]
            assert not ((others["start"] < busy_to - 1e-9) & (others["end"] > busy_from + 1e-9)).any()


def test_patients_leave_without_being_seen(tiny_facility: Any) -> None:
    res = scenarios.run(build(pathways__clinic_visit__patience={"dist": "fixed", "value": 1.0},
                              resources__clinic__count=1), facility=tiny_facility)
    assert res.kpis["lwbs.clinic_visit"]["mean"] > 0
    ev = res.table("events")
    reneged = ev[ev["outcome"] == "reneged"]
    assert len(reneged) > 0
    assert np.allclose(reneged["end"] - reneged["queue_enter"], 1.0)


def test_esi1_preempts_on_a_preemptive_pool(tiny_facility: Any) -> None:
    sc = build(resources__nurse__preemptive=True, resources__clinic__preemptive=True,
               arrivals__0__rates=[12.0],
               pathways__urgent__acuity={1: 1.0}, pathways__clinic_visit__patience=None,
               pathways__clinic_visit__steps__0__renege=False)
    ev = scenarios.run(sc, facility=tiny_facility).table("events")
    pre = ev[ev["outcome"] == "preempted"]
    assert len(pre) > 0
    assert (pre["acuity"] > 1).all()


def test_alternative_roles_share_the_work(tiny_facility: Any) -> None:
    d: dict[str, Any] = copy.deepcopy(BASE)
    d["resources"]["doctor"] = {"kind": "staff", "count": 1, "space_use": "office"}
    d["pathways"]["clinic_visit"]["steps"][0]["needs"] = ["clinic", ["nurse", "doctor"]]
    d["resources"]["clinic"] = {"kind": "room", "count": 3, "space_use": "clinic"}
    d["arrivals"][0]["rates"] = [10.0]
    res = scenarios.run(scenarios.from_dict(d), facility=tiny_facility)
    used = res.table("events").query("step == 'consult'")["resources"]
    assert used.str.contains("doctor#").any() and used.str.contains("nurse#").any()


def test_breaks_and_shift_changes_do_not_deadlock(tiny_facility: Any) -> None:
    # one nurse with long breaks; arrivals stop after 12 h; everyone is served by the end
    sc = build(resources__nurse__roster=[{"start": 0, "end": 12, "count": 1, "break_min": 120},
                                         {"start": 12, "end": 0, "count": 1, "break_min": 120}],
               arrivals__0__rates=[4.0] * 12 + [0.0] * 36,
               pathways__clinic_visit__patience=None, pathways__clinic_visit__steps__0__renege=False,
               run={"length": 2880, "warmup": 0})
    res = scenarios.run(sc, facility=tiny_facility)
    for r in res.replications:
        pat = r.tables["patients"].to_pandas()
        # only admitted patients (long ward stays) can still be inside
        assert (pat[pat["outcome"] == "in_system"]["pathway"] == "urgent").all()
        assert (pat[pat["pathway"] == "clinic_visit"]["outcome"] == "discharged").all()


def test_device_failures_and_battery(tiny_facility: Any) -> None:
    sc = build(resources__pump={"kind": "device", "mobile": True, "count": 2, "space_use": "office",
                                "battery": {"capacity_min": 60, "recharge_min": 90},
                                "failures": {"mtbf": {"dist": "exponential", "mean": 6, "unit": "h"},
                                             "mttr": {"dist": "fixed", "value": 2, "unit": "h"}}},
               arrivals__0__rates=[8.0])
    res = scenarios.run(sc, facility=tiny_facility, replications=3)
    k = res.kpis
    assert k["device.failures.pump"]["mean"] > 0
    assert 0 < k["device.availability.pump"]["mean"] < 1
    units = res.table("resources")
    pump = units[units["resource"] == "pump"]
    assert (pump["charging_min"] > 0).any() and (pump["failed_min"] > 0).any()


def test_utilisation_table_by_hour(tiny_facility: Any) -> None:
    res = scenarios.run(build(), facility=tiny_facility)
    util = res.table("utilisation")
    assert set(util["resource"]) == {"nurse", "clinic", "bed", "pump"}
    assert (util["busy"] <= util["on_duty"] + 1e-9).all()
    nurse = util[(util["resource"] == "nurse") & (util["replication"] == 0)]
    assert len(nurse) == 48
    # roster: 2 nurses 00-12, 1 nurse 12-24 (breaks take a little off)
    assert nurse["on_duty"].iloc[:12].mean() > nurse["on_duty"].iloc[12:24].mean()
    assert np.all(nurse["on_duty"] <= 2 + 1e-9)


def test_patients_present_at_the_start(tiny_facility: Any) -> None:
    sc = build(pathways__urgent__start_in=[{"step": "admit", "count": 5}], arrivals__0__rates=[0.5])
    res = scenarios.run(sc, facility=tiny_facility, replications=1)
    pat = res.table("patients")
    first = pat[pat["initial"]]
    assert len(first) == 5 and (first["arrival"] == 0).all()
    util = res.table("utilisation")
    assert util[(util["resource"] == "bed") & (util["hour"] == 0)]["busy"].iloc[0] == pytest.approx(5.0)
    # they occupy beds but are not counted in the patient KPIs
    assert res.kpis["patients.arrived_after_warmup"]["mean"] == (~pat["initial"]).sum()
