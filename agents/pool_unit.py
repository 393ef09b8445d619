"""A Mesa agent that is a light handle onto one unit of a resource pool.

Staff members and devices are both units of pools kept by the operations
model (``nurse#3``, ``ventilator#1``); their state lives in the pool's
per-unit arrays, so the agent only holds the pool name and the unit index
and reads everything else on demand (STYLE.md habit 4).
"""

from __future__ import annotations

from typing import Any

import mesa

__all__ = ["PoolUnit"]


class PoolUnit(mesa.Agent):
    """One unit of a pool of the operations model.

    Args:
        model: The operations model (``scenarios.operations.model.OpsModel``).
        pool: Name of the pool (a staff role or a device type).
        unit: Unit index within the pool.
    """

    def __init__(self, model: Any, pool: str, unit: int) -> None:
        super().__init__(model)
        self.pool = pool
        self.unit = unit

    @property
    def _pool(self) -> Any:
        return self.model.pools[self.pool]

    @property
    def id(self) -> str:
        return f"{self.pool}#{self.unit}"

    @property
    def space(self) -> str:
        """Id of the space the unit is in now."""
        return str(self.model.space_name(self._pool.loc[self.unit]))

    @property
    def patient(self) -> int | None:
        """Index of the patient the unit serves, if any."""
        h = self._pool.holder[self.unit]
        return None if h < 0 else int(h)
