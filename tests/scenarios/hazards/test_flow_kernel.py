"""The compiled opening flows against their numpy twin, on random layers and door states."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.evacuation.testbeds import stair_tower
from scenarios.hazards.cases import fm_nbs, patient_room, ward
from scenarios.hazards.flow_kernel import flow_constants, opening_transfers
from scenarios.hazards.network import OpeningKind, build_network
from scenarios.hazards.openings import opening_transfers_reference
from scenarios.hazards.schema import Vent
from scenarios.hazards.zone import (
    CD,
    COOPER,
    CP,
    DEPOSIT_DT,
    GRAVITY,
    LOWER,
    QUIET_FLOW,
    RHO_T,
    SKIM,
    SLABS,
)

NETWORKS = {
    "ward": build_network(ward(6)),
    "fm_nbs": build_network(fm_nbs(), [Vent(space="C1", width=0.85, sill=1.26, soffit=2.11)]),
    "tower": build_network(stair_tower(3)),
}
#: A patient room onto a corridor with an exit (``cases.patient_room``).
PATIENT_ROOM = build_network(patient_room())


def _dense(n: int, route: tuple[np.ndarray, ...]) -> np.ndarray:
    """Transfers summed per (source node, layer, destination node, layer): order does not matter."""
    out = np.zeros((n + 1, 2, n + 1, 2))
    sn, sl, dn, dl, rate = route
    np.add.at(out, (sn, sl, dn, dl), rate)
    return out


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(sorted(NETWORKS)), seed=st.integers(0, 2**31), quiet=st.booleans())
def test_the_compiled_opening_flows_match_their_numpy_twin(name: str, seed: int, quiet: bool) -> None:
    net = NETWORKS[name]
    rng = np.random.default_rng(seed)
    n, m = net.n, len(net.a)
    temp = 293.15 + np.concatenate([np.stack([rng.uniform(0, 150, n), rng.uniform(0, 600, n)]),
                                    np.zeros((2, 1))], axis=1)
    if quiet:  # some spaces at ambient throughout, as most of a building is
        temp[:, rng.uniform(size=n + 1) < 0.5] = 293.15
    rho = RHO_T / temp
    z = np.append(net.height * rng.uniform(0, 1, n), np.inf)
    open_ = rng.uniform(size=m) < 0.6
    flow = rng.normal(0, 0.3, m) * (rng.uniform(size=m) < 0.8)
    far = np.where(net.b >= 0, net.b, n)
    consts = flow_constants(slabs=SLABS, cd=CD, gravity=GRAVITY, quiet=QUIET_FLOW, skim=SKIM, cooper=COOPER,
                            deposit_dt=DEPOSIT_DT, cp=CP, rho_t=RHO_T)
    got = opening_transfers((net.a, far, net.kind, open_), (net.width, net.sill, net.soffit, net.leak_area,
                                                            net.height), (temp, rho, z), flow, consts)
    want = opening_transfers_reference(net, open_, flow, temp=temp, rho=rho, z=z)
    dense_got, dense_want = _dense(n, got), _dense(n, want)
    np.testing.assert_allclose(dense_got, dense_want, rtol=1e-9, atol=1e-12)
    assert (got[4] >= 0).all()
    assert dense_got.sum() > 0


def _door_flows(z_room: float, z_corridor: float, slabs: int) -> np.ndarray:
    """Dense transfers through the patient room's door alone, zero net flow, with ``slabs`` equal slabs."""
    net = PATIENT_ROOM
    n = net.n
    room, corridor = net.index("R"), net.index("K")
    # a smoke-filled room off a corridor in a fire's die-down (the CFAST comparison's ward at 740 s):
    # its cool floor layer is denser than anything in the corridor and leaves along the floor
    temp = np.full((2, n + 1), 293.15)
    temp[:, room], temp[:, corridor] = (313.0, 353.0), (341.0, 387.0)
    z = np.append(net.height.copy(), np.inf)
    z[room], z[corridor] = z_room, z_corridor
    door = np.flatnonzero(net.kind == OpeningKind.DOOR)
    keep = np.zeros(len(net.a), bool)
    keep[door] = True
    consts = flow_constants(slabs=slabs, cd=CD, gravity=GRAVITY, quiet=QUIET_FLOW, skim=SKIM, cooper=COOPER,
                            deposit_dt=DEPOSIT_DT, cp=CP, rho_t=RHO_T)
    kind = np.where(keep, net.kind, -1)  # every other opening out of the way
    got = opening_transfers((net.a, np.where(net.b >= 0, net.b, n), kind, keep),
                            (net.width, net.sill, net.soffit, net.leak_area, net.height),
                            (temp, RHO_T / temp, z), np.zeros(len(net.a)), consts)
    return _dense(n, got)


@settings(max_examples=25, deadline=None)
@given(z_room=st.floats(0.03, 0.6))
def test_a_layer_sends_gas_only_through_the_part_of_the_door_it_spans(z_room: float) -> None:
    """A smoke-filled room's thin floor layer leaves through the door's bottom ``z_room`` metres only:
    the equal slabs, cut again at the interfaces, give its outflow as four hundred slabs do, within
    5 %.  With ten equal slabs alone a slab took all its gas from the layer at its mid-height: a
    0.16 m floor layer sent a whole 0.21 m slab out (1.24x), a 0.10 m one none at all."""
    room, corridor = PATIENT_ROOM.index("R"), PATIENT_ROOM.index("K")
    coarse = _door_flows(z_room, 0.8, SLABS)[room, LOWER, corridor].sum()
    fine = _door_flows(z_room, 0.8, 400)[room, LOWER, corridor].sum()
    assert fine > 0.01
    assert abs(coarse - fine) <= 0.05 * fine
