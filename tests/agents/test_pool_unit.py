"""Staff and device agents are handles: they read their pool's state, never copy it."""

from __future__ import annotations

import copy

import numpy as np

import scenarios
from agents.devices import Device
from agents.staff import StaffMember
from scenarios.operations.model import OpsModel
from scenarios.operations.resources import BUSY
from tests.conftest import make_tiny_facility
from tests.scenarios.operations.conftest import BASE


def _model() -> OpsModel:
    d = copy.deepcopy(BASE)
    d["run"] = {"length": 600.0, "warmup": 0}
    sc = scenarios.from_dict(d)
    return OpsModel(sc, make_tiny_facility(), np.random.default_rng(3))  # type: ignore[arg-type]


def test_handles_track_their_pool_as_time_passes() -> None:
    m = _model()
    staff = [a for a in m.staff_agents if isinstance(a, StaffMember)]
    devices = [a for a in m.device_agents if isinstance(a, Device)]
    assert staff and devices
    assert len({a.id for a in staff + devices}) == len(staff) + len(devices)
    seen_busy = False
    while m.env.peek() < m.horizon:
        m.env.step()
        for a in staff + devices:
            pool = m.pools[a.pool]
            busy = pool.state[a.unit] == BUSY
            assert (a.patient is not None) == busy
            assert a.space == m.space_name(pool.loc[a.unit])
            seen_busy = seen_busy or busy
        for s in staff:
            assert (s.state == "busy") == (m.pools[s.pool].state[s.unit] == BUSY)
            assert s.role == s.pool and s.id == f"{s.role}#{s.unit}"
        for dv in devices:
            assert dv.type == dv.pool
            assert dv.state in {"idle", "in_use", "failed", "maintenance", "charging", "cleaning"}
            assert (dv.state == "in_use") == (m.pools[dv.pool].state[dv.unit] == BUSY)
    assert seen_busy  # the run did use staff and devices
