"""Where refuge occupants wait when the corridor they entered is full."""

from __future__ import annotations

import numpy as np

from facility.sample import sample
from scenarios.evacuation import EvacParams, EvacuationModel, PersonSpec
from scenarios.evacuation.placement import refuge_spaces


def test_refuge_overflow_fills_wide_door_rooms_before_stores() -> None:
    fac = sample()
    m = EvacuationModel(fac, [PersonSpec(id="v", profile="visitor", space="L2-B-CORRIDOR")],
                        EvacParams(trajectories=False), np.random.default_rng(0))
    order = [m.space_ids[k] for k in refuge_spaces(m, m.space_ix["L2-B-CORRIDOR"])]
    assert order[0] == "L2-B-CORRIDOR"

    def widest(sid: str) -> float:
        return max(d.width for d in fac.doors_of[sid])

    wide = [widest(s) >= 1.2 for s in order[1:]]
    assert any(wide) and not all(wide)
    # every room with a wide door comes before every room with only narrow ones
    assert wide == sorted(wide, reverse=True), list(zip(order[1:], wide, strict=True))
    assert all(fac.space(s).compartment == "L2-B" for s in order)
