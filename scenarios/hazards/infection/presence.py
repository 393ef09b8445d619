"""Who was where, when, and who touched whom: presence and contacts from the operations event log.

The operations model's ``events`` table has one row per patient step: the
patient waited in ``wait_space`` from ``queue_enter`` until ``start``, walked
for ``walk_min``, then was in ``space`` with the units in ``resources`` until
``end`` (see :mod:`scenarios.operations.recorder`).  From it
:func:`from_events` builds

- :class:`People`: every patient and every staff unit seen in the log;
- :class:`Presence`: rows "person *i* was in space *s* from *t0* to *t1*"
  (patients while waiting and during their steps, staff during the steps
  they served), the input of the airborne route;
- :class:`Contacts`: one per staff unit (hands) or device unit serving a
  patient's step, at the step's start, the input of the contact route.

Time while walking between spaces is not counted in any space (corridor
exposure is short and its air is the most diluted).  Staff are counted
where they serve; their time at base is not in the log and not counted.

:func:`add_companions` adds the people who came with each patient (the
pathway's ``companions``, Poisson): they wait where the patient waits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from scenarios.hazards.infection.contact import CarrierKind

__all__ = ["COMPANION", "PLACED", "STAFF", "Contacts", "People", "Presence", "PresenceKind", "add_companions",
           "from_events"]

#: Role of every patient (staff carry the name of their resource pool as role).
PATIENT_ROLE = "patient"
#: Role of the people who came with a patient.
VISITOR_ROLE = "visitor"
#: Codes of :attr:`People.patient` for people who are not patients.
STAFF, PLACED, COMPANION = -1, -2, -3


class PresenceKind:
    """Codes of :attr:`Presence.kind`."""

    WAITING = 0
    STEP = 1
    STAY = 2  # an index case placed in a space by the scenario


@dataclass(frozen=True, slots=True)
class People:
    """Everyone in the log, by person index.

    Attributes:
        label: ``patient 12`` or the staff unit ``ed_nurse#2``.
        role: ``patient`` or the staff pool name.
        pathway: The patient's pathway (``""`` for staff).
        patient: Operations patient id, or :data:`STAFF`, :data:`PLACED` (an
            index case placed in a space) or :data:`COMPANION`.
    """

    label: list[str]
    role: np.ndarray
    pathway: np.ndarray
    patient: np.ndarray

    @property
    def n(self) -> int:
        return len(self.label)

    @property
    def is_staff(self) -> np.ndarray:
        return self.patient == STAFF

    @property
    def is_patient(self) -> np.ndarray:
        return self.patient >= 0


@dataclass(frozen=True, slots=True)
class Presence:
    """Rows of "person was in space from t0 to t1" (minutes from the run start)."""

    person: np.ndarray
    space: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    kind: np.ndarray

    @property
    def n(self) -> int:
        return int(self.person.size)

    def take(self, sel: np.ndarray) -> Presence:
        return Presence(self.person[sel], self.space[sel], self.t0[sel], self.t1[sel], self.kind[sel])

    @staticmethod
    def concat(parts: list[Presence]) -> Presence:
        return Presence(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                          ("person", "space", "t0", "t1", "kind")))


@dataclass(frozen=True, slots=True)
class Contacts:
    """One row per carrier serving a patient's step.

    Attributes:
        carrier: Carrier id (index into ``carrier_label``).
        kind: :class:`~scenarios.hazards.infection.contact.CarrierKind` code.
        person: The patient's person index.
        time: When the contact starts (minutes).
        space: Where (space index).
        carrier_label: ``ed_nurse#2``, ``infusion_pump#5``, ...
    """

    carrier: np.ndarray
    kind: np.ndarray
    person: np.ndarray
    time: np.ndarray
    space: np.ndarray
    carrier_label: list[str]

    @property
    def n(self) -> int:
        return int(self.carrier.size)


def from_events(events: pa.Table, resource_kinds: Mapping[str, str], space_index: dict[str, int],
                horizon_min: float) -> tuple[People, Presence, Contacts]:
    """People, presence rows and contacts of one operations replication.

    Args:
        events: The operations ``events`` table.
        resource_kinds: Kind (``staff``, ``room``, ``bed``, ``device``) of every resource pool.
        space_index: Space id -> index in the facility's space order.
        horizon_min: End of the run; steps still in progress end there.
    """
    pid = events["patient"].to_numpy()
    pathway = np.asarray(events["pathway"].to_pylist(), dtype=object)
    q0 = events["queue_enter"].to_numpy(zero_copy_only=False).astype(float)
    start = events["start"].to_numpy(zero_copy_only=False).astype(float)
    end = events["end"].to_numpy(zero_copy_only=False).astype(float)
    end = np.where(np.isnan(end), horizon_min, end)
    walk = events["walk_min"].to_numpy(zero_copy_only=False).astype(float)
    spaces = events["space"].to_pylist()
    waits = events["wait_space"].to_pylist() if "wait_space" in events.column_names else [""] * len(spaces)
    resources = events["resources"].to_pylist()

    # patients: person index = order of first appearance
    uniq, first = np.unique(pid, return_index=True)
    order = np.argsort(first, kind="stable")
    patients = uniq[order]
    p_person = {int(p): i for i, p in enumerate(patients.tolist())}
    label = [f"patient {p}" for p in patients.tolist()]
    role: list[str] = [PATIENT_ROLE] * len(label)
    pw_of: list[str] = [str(pathway[first[o]]) for o in order]
    pat_id: list[int] = patients.tolist()
    person = np.fromiter((p_person[int(p)] for p in pid.tolist()), np.int64, pid.size)

    def sp(name: str | None) -> int:
        return space_index.get(name or "", -1)

    s_step = np.fromiter((sp(s) for s in spaces), np.int64, len(spaces))
    s_wait = np.fromiter((sp(s) for s in waits), np.int64, len(waits))
    started = ~np.isnan(start)
    wait_end = np.where(started, start, end)
    step_t0 = np.where(started, start + walk, end)
    rows = [
        Presence(person, s_wait, q0, wait_end, np.full(pid.size, PresenceKind.WAITING, np.int8)),
        Presence(person, s_step, step_t0, end, np.full(pid.size, PresenceKind.STEP, np.int8)),
    ]
    # staff and devices serving each step
    staff_person: dict[str, int] = {}
    carriers: dict[str, int] = {}
    c_carrier: list[int] = []
    c_kind: list[int] = []
    c_row: list[int] = []
    st_person: list[int] = []
    st_row: list[int] = []
    for r, res in enumerate(resources):
        if not res or not started[r]:
            continue
        for unit in res.split(","):
            pool = unit.partition("#")[0]
            k = resource_kinds.get(pool)
            if k == "staff":
                j = staff_person.get(unit)
                if j is None:
                    j = staff_person[unit] = len(label)
                    label.append(unit)
                    role.append(pool)
                    pw_of.append("")
                    pat_id.append(STAFF)
                st_person.append(j)
                st_row.append(r)
                kind = CarrierKind.HANDS
            elif k == "device":
                kind = CarrierKind.DEVICE
            else:
                continue
            c = carriers.get(unit)
            if c is None:
                c = carriers[unit] = len(carriers)
            c_carrier.append(c)
            c_kind.append(kind)
            c_row.append(r)
    sr = np.asarray(st_row, np.int64)
    rows.append(Presence(np.asarray(st_person, np.int64), s_step[sr], step_t0[sr], end[sr],
                         np.full(sr.size, PresenceKind.STEP, np.int8)))
    pres = Presence.concat(rows)
    pres = pres.take((pres.space >= 0) & (pres.t1 > pres.t0))
    cr = np.asarray(c_row, np.int64)
    contacts = Contacts(carrier=np.asarray(c_carrier, np.int64), kind=np.asarray(c_kind, np.int8),
                        person=person[cr], time=step_t0[cr], space=s_step[cr], carrier_label=list(carriers))
    people = People(label=label, role=np.asarray(role, dtype=object), pathway=np.asarray(pw_of, dtype=object),
                    patient=np.asarray(pat_id, np.int64))
    return people, pres, contacts


def add_companions(people: People, pres: Presence, companions: Mapping[str, float],
                   rng: np.random.Generator) -> tuple[People, Presence]:
    """People and presence with each patient's companions added, waiting where the patient waits.

    Args:
        people: From :func:`from_events`.
        pres: Its presence rows.
        companions: Mean number of companions per patient, by pathway (Poisson).
        rng: Draws the number of companions of each patient (same draws for
            every intervention when seeded the same).
    """
    mean = np.array([companions.get(str(p), 0.0) if pid >= 0 else 0.0
                     for p, pid in zip(people.pathway.tolist(), people.patient.tolist(), strict=True)])
    count = rng.poisson(mean) if mean.any() else np.zeros(people.n, np.int64)
    if not count.any():
        return people, pres
    owner = np.repeat(np.arange(people.n), count)
    new_ids = people.n + np.arange(owner.size)
    label = people.label + [f"companion {k} of {people.label[o]}" for k, o in
                            enumerate(owner.tolist())]
    grown = People(label=label, role=np.concatenate([people.role, np.full(owner.size, VISITOR_ROLE, object)]),
                   pathway=np.concatenate([people.pathway, people.pathway[owner]]),
                   patient=np.concatenate([people.patient, np.full(owner.size, COMPANION, np.int64)]))
    waiting = pres.take(pres.kind == PresenceKind.WAITING)
    # every companion of a patient copies that patient's waiting rows
    first = np.zeros(people.n + 1, np.int64)
    first[1:] = np.cumsum(count)
    per_row = count[waiting.person]
    rows = np.repeat(np.arange(waiting.n), per_row)
    k = np.arange(rows.size) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    who = new_ids[first[waiting.person[rows]] + k]
    extra = Presence(who, waiting.space[rows], waiting.t0[rows], waiting.t1[rows], waiting.kind[rows])
    return grown, Presence.concat([pres, extra])
