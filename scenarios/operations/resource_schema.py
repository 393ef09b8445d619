"""Resource pools as scenario data: staff, rooms, beds and devices, and when their units are on duty.

A :class:`Resource` is a pool of interchangeable units with what takes its
units offline: a roster of :class:`Shift` s with breaks, :class:`Failures`,
:class:`Maintenance`, a device :class:`Battery`, :class:`Closure` s of rooms
and beds (a bay closed in an outbreak), a finite queue (``queue_limit``)
and staff cohorting (``cohort_units``).  Part of the operations scenario
(:mod:`scenarios.operations.schema` re-exports every name here).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import Field, field_validator, model_validator

from scenarios.base import StrictModel
from scenarios.operations.distributions import Distribution

__all__ = ["Battery", "Closure", "Failures", "Maintenance", "Resource", "Shift"]


class Shift(StrictModel):
    """Staff on duty from ``start`` to ``end`` (clock hours; end < start crosses midnight)."""

    start: float = Field(ge=0, lt=24)
    end: float = Field(ge=0, le=24)
    count: int = Field(ge=0)
    days: list[int] = Field(default_factory=lambda: list(range(7)))
    break_min: float = Field(default=0.0, ge=0)

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if not v or any(not 0 <= d <= 6 for d in v):
            raise ValueError(f"days must be a non-empty list of 0 (Monday) .. 6 (Sunday), got {v}")
        return v

    @model_validator(mode="after")
    def _length(self) -> Shift:
        if self.start == self.end:
            raise ValueError("a shift must have start != end")
        hours = (self.end - self.start) % 24
        if self.break_min >= hours * 60:
            raise ValueError(f"break of {self.break_min} min does not fit a {hours} h shift")
        return self

    def minutes(self) -> float:
        return ((self.end - self.start) % 24) * 60


class Failures(StrictModel):
    """Breakdowns of a device: time between failures and time to repair."""

    mtbf: Distribution
    mttr: Distribution


class Maintenance(StrictModel):
    """A planned maintenance window every ``every_days`` starting at clock hour ``start``."""

    every_days: float = Field(gt=0)
    start: float = Field(default=7.0, ge=0, lt=24)
    duration_h: float = Field(gt=0)
    first_day: int = Field(default=0, ge=0)


class Battery(StrictModel):
    """A mobile device's battery: minutes of use when full, and a recharge.

    ``on_mains`` devices (a ventilator at the bedside) do not drain while in
    use; their battery matters when the patient has to be moved, which is why
    snapshots report it.
    """

    capacity_min: float = Field(gt=0)
    recharge_min: float = Field(gt=0)
    threshold: float = Field(default=0.2, ge=0, lt=1)
    on_mains: bool = False


class Closure(StrictModel):
    """Places taken out of a room or bed pool for a time window (closing a bay).

    Units in use at ``start_h`` close when their patient leaves; no new
    patient is given a closed unit.  At ``end_h`` the units are deep-cleaned
    for ``deep_clean_h`` before they take patients again.

    Attributes:
        start_h: Start of the closure, hours from the run start.
        end_h: End of the closure, hours from the run start.
        space: Facility space id whose units close (a ward bay), or
        count: the number of units to close, when no space is named.
        deep_clean_h: Terminal cleaning after the closure, hours.
    """

    start_h: float = Field(ge=0, allow_inf_nan=False)
    end_h: float = Field(gt=0, allow_inf_nan=False)
    space: str | None = Field(default=None, min_length=1)
    count: int | None = Field(default=None, ge=1)
    deep_clean_h: float = Field(default=0.0, ge=0, le=720, allow_inf_nan=False)

    @model_validator(mode="after")
    def _window(self) -> Closure:
        if self.end_h <= self.start_h:
            raise ValueError(f"'end_h' ({self.end_h}) must be after 'start_h' ({self.start_h})")
        if (self.space is None) == (self.count is None):
            raise ValueError("give exactly one of 'space' (a facility space id) or 'count' (units)")
        return self


class Resource(StrictModel):
    """A pool of interchangeable units: staff of one role, rooms, beds or devices.

    Attributes:
        kind: ``staff``, ``room``, ``bed`` or ``device``.
        count: Units; for rooms and beds the default is the facility's spaces
            with ``space_use`` (beds: their bed counts); for staff with a
            roster the most on duty at once.
        roster: Shifts; without one, ``count`` units are always on duty.
        space_use: Where the units are: the rooms themselves, the ward for
            beds, the base of staff, the home of mobile devices; a fixed
            device (not ``mobile``) is one unit per space of this use (a CT
            scanner in each CT room).
        preemptive: ESI 1 patients interrupt the least urgent user.
        turnaround: Cleaning or reset time after each use (bed turnaround).
        mobile: A device fetched from where it was last used (walking time).
        failures: Breakdowns (devices).
        maintenance: Planned maintenance windows (devices).
        battery: Battery of a mobile device.
        queue_limit: Most patients that may queue; one more finds the pool
            full and follows its step's ``on_full`` (``0``: no queue, a loss
            system such as beds with diversion; ``None``: unlimited).
        closures: Time windows in which units are closed (rooms and beds).
        cohort_units: Staff: units dedicated to isolated patients (staff
            cohorting); isolated patients are served only by them and other
            patients only by the rest.  With a roster each shift gives
            ``min(cohort_units, count)`` of its staff to the cohort.
    """

    kind: Literal["staff", "room", "bed", "device"]
    count: int | None = Field(default=None, ge=0)
    roster: list[Shift] = Field(default_factory=list)
    space_use: str | None = None
    preemptive: bool = False
    turnaround: Distribution | None = None
    mobile: bool = False
    failures: Failures | None = None
    maintenance: Maintenance | None = None
    battery: Battery | None = None
    queue_limit: int | None = Field(default=None, ge=0, le=1_000_000)
    closures: list[Closure] = Field(default_factory=list)
    cohort_units: int = Field(default=0, ge=0, le=10_000)

    @model_validator(mode="after")
    def _consistent(self) -> Resource:
        if self.roster and self.kind != "staff":
            raise ValueError(f"only staff have rosters; this resource is a {self.kind}")
        if (self.mobile or self.battery) and self.kind != "device":
            raise ValueError("'mobile' and 'battery' apply to devices only")
        if self.battery is not None and not self.mobile:
            raise ValueError("a device with a battery must be 'mobile: true'")
        if self.count is None and not self.roster and (self.kind == "staff" or (
                self.kind == "device" and (self.mobile or self.space_use is None))):
            raise ValueError(f"a {self.kind} resource needs 'count' (or a 'roster' for staff, "
                             "or a 'space_use' to count for a fixed device)")
        if self.count is None and self.kind in ("room", "bed") and self.space_use is None:
            raise ValueError(f"a {self.kind} resource needs 'count' or a 'space_use' to count")
        if self.closures and self.kind not in ("room", "bed"):
            raise ValueError(f"only rooms and beds can be closed; this resource is a {self.kind}")
        spans = sorted((c.start_h, c.end_h + c.deep_clean_h) for c in self.closures)
        for (_, a1), (b0, _) in pairwise(spans):
            if b0 < a1:
                raise ValueError(f"closures overlap: one runs with its deep clean to hour {a1:g}, the next "
                                 f"starts at hour {b0:g}; merge them or close a bay once")
        if self.cohort_units:
            if self.kind != "staff":
                raise ValueError(f"'cohort_units' applies to staff; this resource is a {self.kind}")
            most = max((s.count for s in self.roster), default=self.count or 0)
            if self.cohort_units >= most:
                raise ValueError(f"'cohort_units' ({self.cohort_units}) must leave staff for other patients: "
                                 f"at most {most - 1} of the {most} on duty")
        return self
