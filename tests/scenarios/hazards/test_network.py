"""The facility as a smoke network: nodes from spaces, openings from doors, exits, vents and leaks."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from scenarios.hazards.cases import ward, ward_block
from scenarios.hazards.network import DOOR_HEIGHT, OUTSIDE, OpeningKind, build_network, door_states
from scenarios.hazards.schema import DoorPolicy, Vent


def test_nodes_and_openings_of_a_ward() -> None:
    fac = ward(6)
    net = build_network(fac, [Vent(space="R1", width=1.0, sill=1.0, soffit=2.0)])
    assert net.space_ids == tuple(s.id for s in fac.spaces)
    np.testing.assert_allclose(net.volume, [s.area * 2.7 for s in fac.spaces])
    doors = net.kind == OpeningKind.DOOR
    assert doors.sum() == 7 and net.smoke_door[doors].sum() == 1
    assert (net.soffit[doors] == DOOR_HEIGHT).all()
    exits = np.flatnonzero(net.kind == OpeningKind.EXIT)
    assert len(exits) == 1 and net.b[exits[0]] == OUTSIDE
    vent = np.flatnonzero(net.kind == OpeningKind.VENT)
    assert net.sill[vent[0]] == 1.0 and net.leak_area[vent[0]] == 1.0
    # every space leaks to ambient; only spaces on the outline have exterior-wall leaks
    assert (net.kind == OpeningKind.FABRIC_LEAK).sum() == net.n
    walls = net.a[net.kind == OpeningKind.WALL_LEAK]
    assert set(walls.tolist()) <= set(range(net.n)) and len(walls) >= 6
    assert len(build_network(fac, wall_leaks=False).a) == len(net.a) - len(walls) - 1


def test_a_generated_block_has_over_a_thousand_spaces() -> None:
    net = build_network(ward_block())
    assert net.n == 1008 and (net.kind == OpeningKind.EXIT).sum() == 12


def test_a_wedged_door_is_open_from_the_start_whatever_the_other_doors_do() -> None:
    # regression: with 'room_doors: closed' a door listed in 'wedged_open' stayed shut all along,
    # so the wedge a safety officer modelled had no effect on the smoke
    net = build_network(ward(6))
    sb, d1 = net.opening_index("SB"), net.opening_index("D1")
    before, after = door_states(net, DoorPolicy(room_doors="closed", wedged_open=["SB"]))
    assert before[sb] and after[sb] and not before[d1] and not after[d1]
    before, after = door_states(net, DoorPolicy(room_doors="open"))
    assert before[sb] and not after[sb]  # the smoke door closes at the alarm
    with pytest.raises(ValidationError, match=r"door\(s\) 'SB' are both 'wedged_open' and 'closed'"):
        DoorPolicy(wedged_open=["SB"], closed=["SB", "D1"])
