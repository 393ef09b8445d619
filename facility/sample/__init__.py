"""The built-in sample hospital: a believable general hospital that runs out of the box.

Every model, the app and the tests need a building before anyone has a scan or
a drawn plan, so :func:`sample` builds one from a handful of planning
parameters (:class:`SampleOptions`).  The default is a four-level linear
"hospital street" block about 100 m x 17.4 m:

* ``L0`` ground: emergency department (ambulance entrance, walk-in waiting
  room with its own entrance, triage, resus, majors cubicles, minors, an
  isolation cubicle), imaging (2 CT, 2 X-ray, 1 MRI, imaging waiting), the main
  entrance with reception, pharmacy, outpatient clinics and waiting.
* ``L1`` critical care: a 12-bed ICU (4-bed bays and single rooms, two of them
  isolation rooms), 4 theatres each with an anaesthetic room, recovery,
  sterile store.
* ``L2``, ``L3`` wards: two 28-bed wards per level (six-bed bays and single
  rooms, nurses' station, clean and dirty utility, day room, office, staff
  room), each ward its own smoke compartment.

Every level is a double-loaded corridor: rooms ``room_depth`` deep on the south
(y from 0) and north sides of a ``corridor_width`` corridor.  Smoke-barrier
doors across the corridor split each level into compartments (one per ward on
ward levels; a department too long for one compartment is split, and shorter
levels are padded with stores to the common length).  Two stair cores (west
and east ends, north side) and two bed lifts (west and east ends, south side;
the west one an evacuation lift) serve every level at the same plan position;
each lift shaft has a lift motor/riser room behind it.  Final exits: main
entrance, ED ambulance entrance, ED walk-in entrance and the discharge of both
stairs, each assigned to an assembly point.

Dimensions are checked against the NFPA 101 / HTM 05-02 limits quoted in
``shared/reference/evacuation.md``: every compartment <= 2,100 m^2, <= 61 m of
travel to a smoke-barrier door, >= 2 compartments per patient floor and >= 2.8
m^2 per bed patient in the neighbouring compartment (the tests measure all
four).  Patient-route doors are ``bed_door_width`` (1.4 m) wide, staff doors
0.9-1.0 m, stairs 1.5 m wide with a flight length of 2.4 x the storey height.

Air changes per hour follow ASHRAE 170-2017 Table 7.1 as quoted in
``shared/reference/hazards_and_devices.md``: patient room 4, ICU 6, isolation
12, operating room 20, trauma (resus) 15, ED and radiology waiting 12,
corridor 2.  Uses without a value there are left ``None`` (the infection model
applies its own default).

Space ``use`` vocabulary (what scenarios match on):

=====================  =======================================================
use                    spaces
=====================  =======================================================
entrance               main entrance hall (kind ``exit``, final exit)
reception              main reception
ed_ambulance_entrance  ED ambulance entrance (kind ``exit``, final exit)
ed_waiting             ED walk-in waiting room (final exit: walk-in entrance)
ed_triage              triage rooms
ed_resus               resuscitation rooms (``beds`` = trolley bays)
ed_majors              majors cubicles (1 trolley each)
ed_minors              minors treatment rooms
ed_isolation           ED isolation cubicle (1 trolley, 12 ACH)
ct, xray, mri          scanners (one space per scanner)
imaging_waiting        imaging waiting area
outpatient_clinic      clinic rooms
outpatient_waiting     outpatient waiting area
pharmacy               pharmacy
ward_bay               ward bays of 4-6 beds
ward_single            ward single rooms (1 bed; one per ward is an
                       isolation room with 12 ACH)
day_room               ward day room
nurse_station          nurses' station (ward, ED staff base, ICU)
utility                clean and dirty utility rooms
icu                    ICU bays and single rooms (``beds``)
theatre                operating theatres
anaesthetic            anaesthetic rooms (door to their theatre)
recovery               recovery (``beds`` = recovery bays, 2 per theatre)
sterile_store          sterile services store
staff_room             staff rest and change rooms
office                 offices, imaging reporting room
store                  general stores (also pad shorter levels to the
                       common building length; unoccupied)
plant                  lift motor room / riser behind each lift (unoccupied)
corridor               corridors, one per smoke compartment
stair                  stair enclosures (kind ``stair``)
lift                   lift shafts (kind ``lift``)
=====================  =======================================================

``beds`` counts patient beds and trolley spaces; ward beds are the beds of
``ward_bay`` and ``ward_single`` spaces, also recorded with the ICU, ED and
recovery counts in ``facility.metadata``.
"""

from __future__ import annotations

import functools

from facility.model import Facility
from facility.sample.options import ASHRAE_170_ACH, MAX_COMPARTMENT_AREA, SampleOptions
from facility.sample.placement import _build

__all__ = ["ASHRAE_170_ACH", "MAX_COMPARTMENT_AREA", "SampleOptions", "sample"]


@functools.lru_cache(maxsize=16)
def _cached(options: SampleOptions) -> Facility:
    return _build(options)


def sample(options: SampleOptions | None = None) -> Facility:
    """The built-in sample hospital (see the module docstring for its layout).

    Args:
        options: Planning parameters; the defaults give the four-level hospital.

    Returns:
        An immutable :class:`~facility.model.Facility`; the same options return
        the same (cached) object.

    Raises:
        ValueError: The options would give a smoke compartment above 2,100 m^2.

    >>> f = sample()
    >>> len(f.levels), f.metadata["ward_beds"], f.metadata["icu_beds"]
    (4, 112, 12)
    """
    return _cached(options if options is not None else SampleOptions())
