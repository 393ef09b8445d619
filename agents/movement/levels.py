"""Changing level: stairs and lifts as queued links between level planes.

A stair flight between two stair spaces is a FIFO link (SFPE hydraulic model,
``shared/reference/evacuation.md``): people enter from the stair space when the
flight has room (density below 3.8 P/m^2) and the entry headway allows (the
SFPE peak specific flow ``0.94 k`` P/(s m) of effective width, width minus
0.15 m per side); each walks the flight at ``min(0.85 k f, k (1 - 0.266 D))``
along the slope, ``f`` their profile's stair factor and ``D`` the flight
density at entry, and cannot overtake the person ahead.  They reappear in the
stair space of the next level when it has room.

A lift is a car that serves calls first come, first served: it travels to the
caller's level (``rise / speed``), opens and closes its doors (``door_time``),
takes as many waiting units as fit (one bed, or ``capacity_persons`` people,
a wheelchair counting as 3) going to the same level, and delivers them.  Callers
wait on the floor of the lift's landing until the car has come and opened
(:attr:`Trip.board`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from facility.model import Facility, Lift, Stair
from facility.routing import sfpe_stair_speed

__all__ = ["LiftLink", "StairLink", "Trip", "sfpe_k"]

#: Persons-equivalent of a unit in a lift car.
CAR_SLOTS = {"bed": 99, "ventilated": 99, "wheelchair": 3, "wheelchair_self": 3}


def sfpe_k(stair: Stair) -> float:
    """SFPE speed constant k of a stair (0.85 k is its unimpeded speed).

    >>> from facility.model import Stair
    >>> round(sfpe_k(Stair(id="S", spaces=("a", "b"), width=1.2)), 2)
    1.08
    """
    return sfpe_stair_speed(stair.riser_mm, stair.tread_mm) / 0.85


@dataclass
class StairLink:
    """One stair flight (between two consecutive stair spaces), both directions."""

    stair: Stair
    lower: str
    upper: str
    on_flight: deque[tuple[float, int, str]] = field(default_factory=deque)  # (t_out, agent, to_space)
    last_entry: float = -1e9
    last_out: float = -1e9
    entered: int = 0

    @property
    def eff_width(self) -> float:
        return max(self.stair.width - 0.3, 0.3)

    def can_enter(self, t: float) -> bool:
        k = sfpe_k(self.stair)
        headway = 1.0 / (0.94 * k * self.eff_width)
        dens = len(self.on_flight) / (self.eff_width * self.stair.flight_length)
        return t - self.last_entry >= headway and dens < 3.8

    def enter(self, t: float, agent: int, to_space: str, factor: float) -> None:
        k = sfpe_k(self.stair)
        dens = len(self.on_flight) / (self.eff_width * self.stair.flight_length)
        free = 0.85 * k * factor
        v = min(free, k * (1 - 0.266 * dens)) if dens >= 0.54 else free
        t_out = t + self.stair.flight_length / max(v, 0.1)
        if self.on_flight:
            t_out = max(t_out, self.on_flight[-1][0])  # no overtaking
        self.on_flight.append((t_out, agent, to_space))
        self.last_entry = t
        self.entered += 1


class Trip(NamedTuple):
    """One trip of a lift car: when it has come to the callers' level with its doors open
    (``board``), when it has delivered them with its doors open (``arrive``), and who goes
    where (agent, landing space id)."""

    board: float
    arrive: float
    batch: list[tuple[int, str]]


@dataclass
class LiftLink:
    """A lift car and its calls."""

    lift: Lift
    elevations: dict[str, float]  # lift space id -> elevation
    at: str = ""
    busy_until: float = 0.0
    # (time, agent, from space, to space, car slots)
    queue: deque[tuple[float, int, str, str, int]] = field(default_factory=deque)
    cargo: list[tuple[int, str]] = field(default_factory=list)
    trips: int = 0

    def call(self, t: float, agent: int, frm: str, to: str, profile: str) -> None:
        slots = CAR_SLOTS.get(profile, 1)
        self.queue.append((t, agent, frm, to, min(slots, self.lift.capacity_persons)))

    def dispatch(self, t: float) -> Trip | None:
        """If idle with calls waiting, send the car for the first caller and the others going
        from their landing to the same one, as many as fit."""
        if t < self.busy_until or not self.queue:
            return None
        if not self.at:
            self.at = next(iter(self.elevations))
        _, _, frm, to, _ = self.queue[0]
        batch: list[tuple[int, str]] = []
        used = 0
        keep: deque[tuple[float, int, str, str, int]] = deque()
        while self.queue:
            item = self.queue.popleft()
            if item[2] == frm and item[3] == to and used + item[4] <= self.lift.capacity_persons:
                batch.append((item[1], to))
                used += item[4]
            else:
                keep.append(item)
        self.queue = keep
        z = self.elevations
        doors = self.lift.door_time * (2 if self.at != frm else 1)  # closing where it stood, opening here
        board = t + abs(z[self.at] - z[frm]) / self.lift.speed + doors
        self.busy_until = board + abs(z[frm] - z[to]) / self.lift.speed + self.lift.door_time
        self.at = to
        self.trips += 1
        return Trip(board, self.busy_until, batch)


def build_links(facility: Facility) -> tuple[list[StairLink], list[LiftLink]]:
    """Stair flights and lift cars of a facility."""
    stairs = [StairLink(stair=st, lower=a, upper=b)
              for st in facility.stairs for a, b in zip(st.spaces[:-1], st.spaces[1:], strict=True)]
    elev = {lv.id: lv.elevation for lv in facility.levels}
    lifts = [LiftLink(lift=lf, elevations={s: elev[facility.space(s).level] for s in lf.spaces})
             for lf in facility.lifts]
    return stairs, lifts
