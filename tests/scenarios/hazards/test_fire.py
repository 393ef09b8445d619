"""The design fire: growth, burn-out on the fuel load, sprinklers, the ceiling jet."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from scenarios.hazards.fire import BURNOUT_SHARE, FireProgress, alpert, design_hrr, heat_release
from scenarios.hazards.schema import GROWTH_ALPHA, FireSpec


@pytest.mark.parametrize(("growth", "t_1055"),
                         [("slow", 600), ("medium", 300), ("fast", 150), ("ultrafast", 75)])
def test_t_squared_classes_reach_1055_kw_at_their_published_times(growth: str, t_1055: float) -> None:
    spec = FireSpec(origin="R", growth=growth, peak_hrr=5000)  # type: ignore[arg-type]
    assert math.isclose(design_hrr(spec, t_1055), 1055.0, rel_tol=0.01)
    assert design_hrr(spec, 1e5) == 5000 and design_hrr(spec, -1.0) == 0.0
    assert GROWTH_ALPHA[growth] > 0


def test_a_fuel_load_burns_out_releasing_exactly_its_energy() -> None:
    spec = FireSpec(origin="R", growth="fast", peak_hrr=2000, fuel_load=100)
    fuel = 100e6 * 20.0  # 100 MJ/m2 over 20 m2
    prog = FireProgress(fuel=fuel)
    released, dt = 0.0, 0.5
    for k in range(20000):
        q = heat_release(spec, prog, (k + 0.5) * dt)
        prog.spent += q * 1e3 * dt
        released += q * 1e3 * dt
    assert prog.decay_from is not None and prog.decay_from[1] == pytest.approx(2000, rel=1e-6)
    assert released == pytest.approx(fuel, rel=0.01)
    assert heat_release(spec, prog, 20000 * dt) == 0.0
    assert BURNOUT_SHARE == 0.7


def test_a_sprinkler_holds_the_fire_at_its_activation_value() -> None:
    spec = FireSpec(origin="R", growth="medium", peak_hrr=3000)
    prog = FireProgress(fuel=math.inf, held=400.0)
    assert heat_release(spec, prog, 100.0) == pytest.approx(0.01172 * 1e4)
    assert heat_release(spec, prog, 1000.0) == 400.0


def test_alpert_ceiling_jet_switches_regimes_at_its_published_radii() -> None:
    q, h = 1000.0, 3.0
    near_t, near_u = alpert(q, h, 0.17 * h)
    far_t, far_u = alpert(q, h, 0.19 * h)
    assert near_t == pytest.approx(16.9 * q ** (2 / 3) / h ** (5 / 3))
    assert far_t == pytest.approx(5.38 * (q / (0.19 * h)) ** (2 / 3) / h)
    assert near_u > far_u > 0
    rises = [alpert(q, h, r)[0] for r in np.linspace(0.6, 6.0, 10)]
    assert all(a > b for a, b in itertools.pairwise(rises))
