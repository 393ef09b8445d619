"""An evacuee's states: small ints in the model's ``state`` array and in the compiled kernels,
names in results tables."""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = ["ON_PLANE", "STATE_LABELS", "State"]


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
