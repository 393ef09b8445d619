"""What a hazard tells the people moving through the facility, space by space.

The evacuation model never looks inside a fire, smoke or gas model. At fixed moments it asks
an :class:`Environment` to advance to the current time and gets back one :class:`Conditions`:
per space (in the facility's space order) how fast people can still walk there, how fast they
accumulate each dose, and whether the space is untenable (routes avoid it, staff do not enter
it to fetch patients unless the scenario allows it).

Doses are rates per second of exposure for a person standing in the space, by name:

- ``fed_asphyxiant``: ISO 13571 / Purser fractional effective dose from CO, HCN, low O2 and
  CO2 hyperventilation (per second).
- ``fed_heat``: ISO 13571 convective heat dose (per second).
- ``toxic_load``: ten Berge toxic load of a released gas, C**n per second (units of the
  gas preset's thresholds), compared against AEGL/IDLH limits by the hazard's own report.
- ``above_aegl1``, ``above_aegl2``, ``above_aegl3``: indicators, 1 per second in a space whose
  concentration of the released gas is at or above AEGL-1/2/3 (for the scenario's
  ``aegl_duration_min``), else 0.  Accumulated like any dose they give the seconds each person
  actually spent in air above each level, which a toxic load cannot: the same load comes from a
  short high peak or a long low exposure.

A hazard fills the doses it models and leaves the others at zero.  Names are only ever
appended, so a row's index keeps its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["DOSES", "Conditions", "Environment", "calm"]

#: The dose names a hazard may report, in a fixed order.
DOSES = ("fed_asphyxiant", "fed_heat", "toxic_load", "above_aegl1", "above_aegl2", "above_aegl3")


@dataclass(frozen=True, slots=True)
class Conditions:
    """Conditions in every space at one moment.

    Attributes:
        time: Seconds since the evacuation alarm (negative before it).
        speed_factor: float64 [n_spaces], in (0, 1]: multiplies free walking speed
            (and the speed of staff pushing beds and wheelchairs) in that space.
        dose_rate: float64 [len(DOSES), n_spaces], each row a dose of :data:`DOSES`, per second.
        untenable: bool [n_spaces]: the space breaches the scenario's tenability criteria now.
    """

    time: float
    speed_factor: np.ndarray
    dose_rate: np.ndarray
    untenable: np.ndarray


class Environment(Protocol):
    """A hazard that the evacuation model can advance and read."""

    #: Space ids in the facility's order; the arrays of :class:`Conditions` follow it.
    space_ids: tuple[str, ...]
    #: Spaces whose occupants perceive the hazard itself, not only the alarm, with the time they
    #: do (s since the alarm; negative: before it): a fire's room of origin at ignition, a gas
    #: release's space at its start.  Their pre-movement runs from then if that is earlier.
    cues: dict[str, float]

    def advance(self, time: float) -> Conditions:
        """Step the hazard forward to ``time`` (seconds since the alarm) and return conditions there.

        Called with non-decreasing times.
        """
        ...


def calm(space_ids: tuple[str, ...], time: float = 0.0) -> Conditions:
    """Conditions with no hazard anywhere: full speed, no dose, nothing untenable.

    >>> c = calm(("a", "b"))
    >>> c.speed_factor.tolist(), c.untenable.tolist()
    ([1.0, 1.0], [False, False])
    """
    n = len(space_ids)
    return Conditions(time=time, speed_factor=np.ones(n), dose_rate=np.zeros((len(DOSES), n)),
                      untenable=np.zeros(n, bool))
