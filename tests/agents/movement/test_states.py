"""States as ints and the lookup tables the step asks of them."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from agents.movement import states
from agents.movement.states import State


@given(st.sets(st.sampled_from(list(State))), st.lists(st.sampled_from(list(State)), max_size=50))
def test_a_table_answers_as_isin_does(members: set[State], seen: list[State]) -> None:
    state = np.array([int(s) for s in seen], np.int64)
    expected = np.isin(state, [int(m) for m in members])
    assert np.array_equal(states.table(*members)[state], expected)


def test_the_shared_tables_hold_their_states_only() -> None:
    assert set(np.flatnonzero(states.ON_PLANE_TABLE).tolist()) == {int(s) for s in states.ON_PLANE}
    assert set(np.flatnonzero(states.SAFE_TABLE).tolist()) == {states.OUT, states.REFUGE}
