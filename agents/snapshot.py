"""Who is where, doing what, with which device: a population at one instant.

The operations model produces a :class:`Snapshot` at any simulated time; the
evacuation model takes one as its starting state ("fire at 14:00 on a busy
Tuesday" starts from who is where at 14:00).  It is plain, frozen data so it
can be saved, compared, pickled to a worker, or written by hand in a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

from agents.occupants import ALIASES, PROFILES

__all__ = ["PATIENT_PROFILES", "DeviceState", "Occupant", "Snapshot"]

Role = Literal["patient", "staff", "visitor"]

#: Profiles a patient can have: the patient profiles of :data:`agents.occupants.PROFILES` and
#: the other names they are known by (the operations model's ``reduced`` for ``walking_aid``).
PATIENT_PROFILES = tuple(name for name, p in PROFILES.items() if p.role == "patient") + tuple(
    alias for alias, name in ALIASES.items() if PROFILES[name].role == "patient")


@dataclass(frozen=True, slots=True, kw_only=True)
class Occupant:
    """One person in the building.

    Attributes:
        id: Unique id within the snapshot.
        role: ``"patient"``, ``"staff"`` or ``"visitor"``.
        profile: For patients a mobility profile (:data:`PATIENT_PROFILES`);
            for staff their role (``"nurse"``, ``"doctor"``, ``"porter"``, ...);
            for visitors ``"visitor"``.
        space: Id of the space they are in.
        position: Plan position (m) if known; otherwise the evacuation model
            places them at random in ``space``.
        activity: What they were doing (``"waiting:triage"``, ``"in_bed"``, ...).
        device: Id of a device attached to them (e.g. a ventilator), if any.
        acuity: Triage level 1-5 for patients, if known.
    """

    id: str
    role: Role
    profile: str
    space: str
    position: tuple[float, float] | None = None
    activity: str = ""
    device: str | None = None
    acuity: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceState:
    """One medical device at the instant of the snapshot.

    Attributes:
        id: Unique id.
        type: ``"ventilator"``, ``"infusion_pump"``, ``"ct"``, ...
        space: Where it is.
        state: ``idle``, ``in_use``, ``charging``, ``cleaning``, ``maintenance``
            or ``failed``.
        battery_min: Minutes of battery left at current draw (``None`` if mains only).
        patient: Id of the patient it serves, if any.
    """

    id: str
    type: str
    space: str
    state: str
    battery_min: float | None = None
    patient: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everyone and every device at ``time_s`` seconds into a run."""

    time_s: float
    occupants: tuple[Occupant, ...] = ()
    devices: tuple[DeviceState, ...] = field(default_factory=tuple)

    def count(self, role: Role | None = None) -> int:
        """Number of occupants, optionally of one role."""
        return sum(1 for o in self.occupants if role is None or o.role == role)

    def occupants_table(self) -> pa.Table:
        """The occupants as an Arrow table (one row each)."""
        cols = ("id", "role", "profile", "space", "activity", "device", "acuity")
        data = {c: [getattr(o, c) for o in self.occupants] for c in cols}
        data["x"] = [o.position[0] if o.position else None for o in self.occupants]
        data["y"] = [o.position[1] if o.position else None for o in self.occupants]
        return pa.table(data)
