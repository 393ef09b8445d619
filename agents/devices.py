"""Medical devices as Mesa agents: one handle per unit of a device pool.

Fixed devices (CT, MRI, X-ray rooms) stay in their room; mobile ones
(portable X-ray, pumps, ventilators, monitors) move with the step that uses
them and carry a battery.  State is read from the pool: ``idle``, ``in_use``,
or the reason it is offline (``failed``, ``maintenance``, ``charging``,
``cleaning``), the states of ``shared/reference/hazards_and_devices.md``.
"""

from __future__ import annotations

from typing import Any

from agents.pool_unit import PoolUnit

__all__ = ["Device"]


class Device(PoolUnit):
    """One device.

    Args:
        model: The operations model.
        type: Name of the device pool (``ct``, ``infusion_pump``, ...).
        unit: Unit index within the pool.
    """

    def __init__(self, model: Any, type: str, unit: int) -> None:
        super().__init__(model, type, unit)

    @property
    def type(self) -> str:
        return self.pool

    @property
    def state(self) -> str:
        s = self._pool.state[self.unit]
        if s == 0:
            return "idle"
        if s == 1:
            return "in_use"
        r = str(self._pool.reason[self.unit])
        return "maintenance" if r == "off_shift" else r

    @property
    def battery_min(self) -> float | None:
        """Minutes of battery left now (``None`` for mains-only devices)."""
        hook = self._pool.on_release
        charge = getattr(hook, "charge", None)
        if charge is None:
            return None
        left = float(charge[self.unit])
        if self._pool.state[self.unit] == 1 and not getattr(hook, "on_mains", False):
            left -= self.model.env.now - self._pool.since[self.unit]
        return max(0.0, left)
