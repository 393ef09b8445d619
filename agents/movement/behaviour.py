"""Every constant of the evacuation's behaviour rules, as one frozen, validated object.

The crowd model's own parameters (time gap, repulsion, time step, and its rules for queues,
sidesteps and giving way) are :class:`agents.movement.pedestrians.SpeedModel`; everything else people
do in the model (how they
choose a door, queue, give way, take turns at doorways, back off, fetch patients, use a
refuge or a lift) is a field here, documented with its source or marked an assumption. A
scenario overrides any of them under ``movement.behaviour`` (``docs/evacuation.md``); the
model, its step functions and the compiled kernels receive the object (or the numbers it
holds) explicitly and read no module constant of their own.

Every field has a plausible range (:data:`RANGES`): a value outside it is refused with the
field, the range and why, so that a typo (``patience: 800`` for 8) cannot silently turn a
drill into something no building has seen.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

__all__ = ["RANGES", "Behaviour"]

#: Per field of :class:`Behaviour`, the lowest and highest plausible value and why.  Where no
#: source bounds a rule, the range is stated as an assumption: wide enough for any calibration
#: seen, narrow enough to catch a unit slip (minutes for seconds, centimetres for metres).
RANGES: dict[str, tuple[float, float, str]] = {
    "congestion_weight": (0.0, 1.0, "a share of a queue's true delay"),
    "crowd_radius": (0.5, 30.0, "metres of a queue visible in a room or a corridor section"),
    "crowd_width_factor": (0.5, 2.0, "P/(s m): door flows stay below 2 (SFPE peak 1.316; laboratory "
                                      "bottlenecks 1.6-2.0, shared/reference/evacuation.md)"),
    "crowd_min_width": (0.3, 2.0, "metres: no narrower than one person, no wider than a corridor"),
    "hysteresis": (0.0, 60.0, "seconds: a minute of walking decides any change of mind"),
    "detour_penalty": (0.0, 1.0e6, "seconds: only ever compared with walking times"),
    "lift_wait": (0.0, 900.0, "seconds: a quarter of an hour is longer than any lift round trip"),
    "untenable_penalty": (0.0, 1.0e5, "seconds: only ever compared with walking times"),
    "link_reach": (0.5, 10.0, "metres into a stair or lift space"),
    "patience": (1.0, 120.0, "seconds without progress"),
    "door_keep_clear": (0.0, 5.0, "metres in front of a door"),
    "park_gap": (0.0, 3.0, "metres round a parked bed or wheelchair"),
    "aside_clear": (0.0, 10.0, "metres from a refuge's doors"),
    "along_wall": (0.0, 3.0, "metres from a wall"),
    "team_reach": (0.5, 5.0, "metres: arm's length across one or two beds"),
    "lift_call_ahead": (1.0, 20.0, "units per lift"),
    "refuge_area_patient": (0.5, 10.0, "m2 per patient: NFPA 101 asks 2.8 (30 ft2), a bed with its "
                                       "equipment and staff round it takes less than 10"),
    "refuge_area_other": (0.18, 3.0, "m2 per person: 0.185 is the jam density of 5.4 P/m2 (Weidmann "
                                     "1993), NFPA 101 asks 0.56 (6 ft2)"),
    "approach": (0.5, 20.0, "metres from a door"),
    "wait_gap": (0.0, 3.0, "metres"),
    "door_boundary": (0.0, 0.5, "metres at each jamb: SFPE gives 0.15 at doors, 0.20 at corridor "
                                "walls"),
    "two_way": (1.0, 5.0, "times the widest person of each side"),
    "turn_after": (0.5, 120.0, "seconds a side waits at a door"),
    "merge_reach": (0.0, 5.0, "metres from a side door"),
    "back_out_speed": (0.05, 1.5, "m/s: stepping backwards is no faster than a free walk (Weidmann: "
                                  "1.34 mean)"),
    "stall_after": (1.0, 300.0, "seconds without progress"),
    "back_off_time": (0.0, 60.0, "seconds"),
    "contact": (0.0, 2.0, "metres between two people's reaches"),
    "wall_tolerance": (0.0, 0.99, "a share of a raster cell, less than one"),
    "squeeze_after": (0.0, 60.0, "seconds without progress, under the 60 s of a stall flag"),
    "squeeze_every": (0.1, 60.0, "seconds between two changes of places"),
    "squeeze_reach": (0.0, 1.0, "metres beyond touching"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Behaviour:
    """The behaviour rules' constants (see the module docstring).

    Attributes:
        congestion_weight: People weigh a visible queue at this share of its true delay (they
            keep to the route they know), so the nearer exit stays preferred (RiMEA test 11)
            while a jam still spreads them out. Calibrated on RiMEA tests 11 and 12.
        crowd_radius: Metres from a portal within which people heading for it count as its
            queue in route choice.
        crowd_width_factor: A portal's queue drains at about this many people per second and
            metre of width (the door capacity of CIBSE Guide E, 1.33 P/(s m), rounded), over
            at least :attr:`crowd_min_width` m.
        crowd_min_width: Narrowest width (m) a queue is assumed to drain through.
        hysteresis: Seconds by which another portal must be quicker before someone changes
            their mind (no flip-flopping between two equal doors).
        detour_penalty: Seconds added to a detour door (one whose way on leads back through the
            current space): it is taken only when nothing else is reachable.
        lift_wait: Assumed mean wait for a lift car (s) when ranking routes; queues are
            modelled.
        untenable_penalty: Seconds added to every leg of a route inside a space the hazard has
            made untenable. Any tenable way out shorter than this detour wins; a person whose
            every way out crosses untenable space still takes the one with the fewest such legs
            instead of standing still. 15 minutes exceeds any walk in a hospital.
        link_reach: People take a stair flight or a lift from within this distance (m) of the
            middle of its space; they walk there first, so a queue forms on the landing and
            not in the doorway.
        patience: Seconds without progress after which someone going round an obstacle tries
            the other side (and back again after as long again).
        door_keep_clear: Metres beyond an occupant's reach kept free in front of every door and
            exit when placing people at random: rooms keep their door clear.
        park_gap: Metres kept free round a bed or wheelchair parked in a refuge, beyond its
            length: a walker's passage, so parked units never close a corridor.
        aside_clear: Metres beyond :attr:`door_keep_clear` that staff released at a refuge keep
            from its doors (a bed's length): staff standing just clear of the day drill's L2
            smoke door still blocked the beds coming through it.  Staff held up in a patient's
            room count as at the bedside where they stand only this far and more from its door.
        along_wall: Metres from the wall (beyond their clearance) within which released staff
            stand, along the wall.
        team_reach: Metres from a teammate already at the bedside within which a staff member
            has joined the team (arm's length across a bed, or across the next bed of a bay).
        lift_call_ahead: Beds and wheelchairs per lift serving a level that may be on their way
            to it or queued for it at once; the others stay prepared at the bedside until
            called (the lift marshal).
        refuge_area_patient: Floor area (m2) a patient needs in the compartment receiving them
            (NFPA 101, 18/19.3.7.5: 30 net ft2 per hospital patient; 2.8 m2 per bed patient in
            ``shared/reference/evacuation.md``).
        refuge_area_other: Floor area (m2) any other occupant needs there (NFPA 101,
            18/19.3.7.5: 6 net ft2 per occupant).
        approach: Field distance (m) to a door within which a person takes part in the door's
            turns (at least the distance a waiting bed keeps from the door).
        wait_gap: Metres kept free between a waiting person's reach and the reach of the widest
            unit coming through the door the other way.
        door_boundary: Boundary layer (m) at each jamb of a door that people keep clear of
            (SFPE: 15 cm at doors, ``shared/reference/evacuation.md``).
        two_way: Counter-flow through a door goes on without turns only where the door's width
            less its boundary layers holds this many times the widths of the widest person of
            each side (an assumption: one lane each way is not enough for crowds).
        turn_after: Seconds a side waits at a door while the other side passes before it gets
            the turn (an assumption).
        merge_reach: Metres (field distance) from their door within which someone leaving a room
            for safety, held up for over :attr:`patience` s by a queue passing the door, claims
            the spot in front of it in every other :attr:`patience` s, and the queue lets them
            in (a zipper; an assumption: a door's band and a body's width). Without it the rooms
            beside the day drill's L2 smoke door waited minutes for the fire compartment's queue
            to pass. 0 turns it off.
        back_out_speed: Speed (m/s) at most of someone backing out of a doorway or backing off
            (stepping backwards, or pulling a bed back: an assumption, half a walking speed).
        stall_after: Seconds without progress after which a stalled person takes part in a
            standoff, or a staff member held up in a patient's room by colleagues squeezes past
            (an assumption: twice :attr:`patience`, well under the 60 s of a stall flag).
        back_off_time: Seconds the one who gives way in a standoff backs off.
        contact: Metres between two people's reaches within which they are in each other's way.
        wall_tolerance: Share of a raster cell added to the room (the distance to the nearest
            wall, exact since the raster stores it with its gradient) when the crowd rules ask
            how far the nearest wall is: the wall push (range 0.05 m) starts that much nearer
            the wall.  0.35 is set by the tests and drills, not measured: at 0 the jamb push
            outweighs walking in a door of exactly a unit's width (a wheelchair zigzags in front
            of a 0.8 m exit); 0.7, set when the raster stored a lower bound, stalls a walker at a
            wall in the ward drill.
        squeeze_after: Seconds a staff member on the way to a patient is held up in a corridor
            before changing places with the evacuee just ahead coming the other way
            (:mod:`agents.movement.squeezing`; an assumption).
        squeeze_every: Seconds at least between two changes of places of one person (an
            assumption: a step past someone in a standing queue, 0.3-0.5 m/s).
        squeeze_reach: Metres beyond touching (the sum of the two radii) within which the
            evacuee is in the staff member's way.
    """

    congestion_weight: float = 0.15
    crowd_radius: float = 4.0
    crowd_width_factor: float = 1.3
    crowd_min_width: float = 0.3
    hysteresis: float = 2.0
    detour_penalty: float = 1.0e4
    lift_wait: float = 60.0
    untenable_penalty: float = 900.0
    link_reach: float = 2.0
    patience: float = 8.0
    door_keep_clear: float = 1.0
    park_gap: float = 0.5
    aside_clear: float = 2.2
    along_wall: float = 0.25
    team_reach: float = 2.0
    lift_call_ahead: float = 2
    refuge_area_patient: float = 2.8
    refuge_area_other: float = 0.56
    approach: float = 3.0
    wait_gap: float = 0.5
    door_boundary: float = 0.15
    two_way: float = 2.0
    turn_after: float = 5.0
    merge_reach: float = 1.0
    back_out_speed: float = 0.5
    stall_after: float = 15.0
    back_off_time: float = 4.0
    contact: float = 0.5
    wall_tolerance: float = 0.35
    squeeze_after: float = 2.0
    squeeze_every: float = 1.5
    squeeze_reach: float = 0.15

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"behaviour.{name} must be a finite number, got {value!r}")
            # (A new field without a stated range is held to >= 0 until it gets one: a test asks for it.)
            low, high, why = RANGES.get(name, (0.0, math.inf, "no range stated yet"))
            if not low <= value <= high:
                raise ValueError(f"behaviour.{name} must be between {low:g} and {high:g} ({why}), "
                                 f"got {value:g}")
        if self.lift_call_ahead < 1 or int(self.lift_call_ahead) != self.lift_call_ahead:
            raise ValueError("behaviour.lift_call_ahead must be a whole number >= 1, "
                             f"got {self.lift_call_ahead}")
        for name in ("link_reach", "patience", "team_reach", "refuge_area_patient", "refuge_area_other",
                     "approach", "turn_after", "back_out_speed", "stall_after", "crowd_min_width",
                     "crowd_width_factor"):
            if getattr(self, name) <= 0:
                raise ValueError(f"behaviour.{name} must be > 0, got {getattr(self, name)}")
        if self.wall_tolerance >= 1:
            raise ValueError("behaviour.wall_tolerance must be < 1 (a share of a cell), "
                             f"got {self.wall_tolerance}")
