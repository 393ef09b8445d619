"""The compiled opening flows against their numpy twin, on random layers and door states."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.evacuation.testbeds import stair_tower
from scenarios.hazards.cases import fm_nbs, ward
from scenarios.hazards.flow_kernel import flow_constants, opening_transfers
from scenarios.hazards.network import build_network
from scenarios.hazards.openings import opening_transfers_reference
from scenarios.hazards.schema import Vent
from scenarios.hazards.zone import (
    CD,
    COOPER,
    CP,
    DEPOSIT_DT,
    GRAVITY,
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
