"""Patients, staff and devices are Mesa agents a user can select, group and collect from.

The handles read live state, so what ``model.agents`` says at a moment agrees
with the model's own records at that moment.
"""

from __future__ import annotations

import copy
import gc
import weakref
from collections import Counter

import mesa
import numpy as np

import scenarios
from agents.devices import Device
from agents.patients import Patient
from agents.staff import StaffMember
from scenarios.operations.model import OpsModel
from scenarios.operations.runs import run_replication
from scenarios.operations.schema import OperationsScenario
from tests.conftest import make_tiny_facility
from tests.scenarios.operations.conftest import BASE

FACILITY = make_tiny_facility()


def _scenario() -> OperationsScenario:
    d = copy.deepcopy(BASE)
    d["run"] = {"length": 1440.0, "warmup": 0}
    sc = scenarios.from_dict(d)
    assert isinstance(sc, OperationsScenario)
    return sc


def _model(seed: int = 3) -> OpsModel:
    return OpsModel(_scenario(), FACILITY, np.random.default_rng(seed))


# Reporters are named functions, not lambdas, so a collector can cross process boundaries.
def patients_inside(model: OpsModel) -> int:
    return len(model.agents_by_type.get(Patient, []))


def where(agent: mesa.Agent) -> str:
    return str(agent.space)


def doing(agent: Patient) -> str:
    return agent.activity


def duty(agent: StaffMember) -> str:
    return agent.state


def test_agent_sets_hold_the_live_population() -> None:
    m = _model()
    assert m.rng is not None and len(m.agents_by_type[StaffMember]) == len(m.staff_agents)
    assert len(m.agents_by_type[Device]) == 2
    seen_waiting = False
    for t in range(30, 1440, 45):
        m.run_until(float(t))
        patients = m.agents_by_type.get(Patient)
        inside = sorted(m.inside)
        assert sorted(p.pid for p in patients or []) == inside
        if not inside:
            continue
        assert patients is not None
        waiting = patients.select(lambda p: p.waiting)
        assert {p.pid for p in waiting} == {pid for pid in inside if m.patients.waiting(pid)}
        seen_waiting = seen_waiting or len(waiting) > 0
        by_space = patients.groupby("space").count()
        assert by_space == dict(Counter(m.patients.space(pid) for pid in inside))
        assert patients.agg("acuity", min) == min(m.patients.acuity[pid] for pid in inside)
        busy = m.agents.select(lambda a: isinstance(a, StaffMember) and a.state == "busy")
        assert len(busy) == sum(p.n_busy for p in m.pools.values() if p.kind == "staff")
    assert seen_waiting
    m.finish()
    assert len(m.agents_by_type[Patient]) == m.in_system


def test_a_user_attached_datacollector_gets_rows_per_agent_and_step() -> None:
    m = _model()
    m.step_min = 120.0
    dc = mesa.DataCollector(model_reporters={"inside": patients_inside},
                            agenttype_reporters={Patient: {"space": where, "activity": doing},
                                                 StaffMember: {"duty": duty}})
    while m.running:
        m.step()
        dc.collect(m)
    assert m.steps == 12 and m.env.now == 1440.0
    inside = dc.get_model_vars_dataframe()["inside"]
    assert len(inside) == 12 and inside.max() > 0
    pat = dc.get_agenttype_vars_dataframe(Patient)
    assert set(pat.index.get_level_values("Step")) <= set(range(1, 13)) and len(pat) == inside.sum()
    assert pat["activity"].str.startswith(("waiting:", "consult", "infusion", "assess", "admit")).all()
    staff = dc.get_agenttype_vars_dataframe(StaffMember)
    assert set(staff["duty"]) <= {"free", "busy", "off"} and len(staff) == 12 * len(m.staff_agents)


def test_a_finished_replication_is_not_kept_alive_by_mesa() -> None:
    # Mesa 3.3 keeps every model that made an agent (mesa#3179); a sweep of many
    # replications in one process must not keep them all, event rows included.
    before = len(mesa.Agent._ids)
    m = _model()
    m.finish()
    m.release()
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None
    run_replication(_scenario(), FACILITY, np.random.default_rng(1), 0)
    gc.collect()
    assert len(mesa.Agent._ids) == before
