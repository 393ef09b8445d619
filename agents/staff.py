"""Staff as Mesa agents: one handle per unit of a staff pool.

A :class:`StaffMember` is a unit of a pool (``nurse#3``); its position, duty
state and the patient it serves are read from the pool's per-unit lists.
"""

from __future__ import annotations

from typing import Any

from agents.pool_unit import PoolUnit

__all__ = ["StaffMember"]

_STATES = ("free", "busy", "off")


class StaffMember(PoolUnit):
    """One member of staff.

    Args:
        model: The operations model.
        role: Name of the staff pool (the role).
        unit: Unit index within the pool.
    """

    def __init__(self, model: Any, role: str, unit: int) -> None:
        super().__init__(model, role, unit)

    @property
    def role(self) -> str:
        return self.pool

    @property
    def state(self) -> str:
        """``free``, ``busy`` or ``off`` (off shift, on a break)."""
        return _STATES[self._pool.state[self.unit]]

    @property
    def off_reason(self) -> str:
        return str(self._pool.reason[self.unit])

    @property
    def walked_m(self) -> float:
        return float(self._pool.walked_m[self.unit])
