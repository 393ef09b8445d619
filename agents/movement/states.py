"""An evacuee's states: small ints in the model's ``state`` array and in the compiled kernels,
names in results tables."""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = ["ATTACHED", "FETCH", "HOLD", "INCAPACITATED", "LINK", "MOVE", "NEED", "ON_PLANE", "ON_PLANE_TABLE",
           "OUT", "PRE", "PREP", "REFUGE", "SAFE_TABLE", "STATE_LABELS", "State", "table"]


class State(IntEnum):
    """Occupant states: small ints in the ``state`` array and the compiled kernels, names in tables
    (:attr:`label`)."""

    PRE = 0
    MOVE = 1
    NEED = 2
    PREP = 3
    ATTACHED = 4
    LINK = 5
    REFUGE = 6
    OUT = 7
    HOLD = 8
    FETCH = 9
    INCAPACITATED = 10  # by a hazard's dose (scenarios.evacuation.exposure): stays where it fell

    @property
    def label(self) -> str:
        """The name results tables use (``need_staff``, ``escorting``, ...)."""
        return _LABELS.get(self, self.name.lower())


_LABELS = {State.NEED: "need_staff", State.ATTACHED: "escorting"}
#: ``STATE_LABELS[state]``: the table name of each state, for vectorised lookup.
STATE_LABELS = np.array([s.label for s in State])


#: States whose occupant stands on a level plane.
ON_PLANE = (State.PRE, State.MOVE, State.NEED, State.PREP, State.HOLD, State.FETCH, State.INCAPACITATED)

# The states as plain ints, for the step functions' array comparisons (``state == MOVE``).
# numpy asks an IntEnum's class for its special methods on every comparison, and Python 3.11
# answers each miss through ``EnumType.__getattr__``: ``state == State.MOVE`` took 10 us on the
# day drill's 1,508 people against 2.5 us with an int (80x on a single element), about 7 % of
# the drill.  Tables and messages use :class:`State`.
PRE, MOVE, NEED, PREP = int(State.PRE), int(State.MOVE), int(State.NEED), int(State.PREP)
ATTACHED, LINK, REFUGE, OUT = int(State.ATTACHED), int(State.LINK), int(State.REFUGE), int(State.OUT)
HOLD, FETCH, INCAPACITATED = int(State.HOLD), int(State.FETCH), int(State.INCAPACITATED)


def table(*members: int) -> np.ndarray:
    """``table(A, B)[state]``: whether each entry of a ``state`` array is one of ``members``.

    A lookup by index: ``np.isin`` sorts or loops on every call, and the step asks such questions
    of all 1,508 people of the day drill a dozen times a step (with the fire compartments' look-ups,
    assistance and phase switching took 9.7 s of day seed 0's 44.7 s before, 6.9 s after).
    """
    out = np.zeros(len(State), bool)
    out[[int(m) for m in members]] = True
    return out


#: ``ON_PLANE_TABLE[state]``: on a level plane (:data:`ON_PLANE`).
ON_PLANE_TABLE = table(*ON_PLANE)
#: ``SAFE_TABLE[state]``: out of the building or in a refuge.
SAFE_TABLE = table(OUT, REFUGE)
