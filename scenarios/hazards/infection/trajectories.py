"""Who was where during an evacuation: presence from the evacuation model's result tables.

An evacuation crowds people together (stair lobbies, refuges, the next
compartment in a progressive horizontal evacuation), sometimes for a long
time.  :func:`from_evacuation` turns one evacuation replication into the
same :class:`~scenarios.hazards.infection.presence.Presence` rows the
operations log gives:

- the ``trajectories`` table samples everyone on a floor (``time``, ``id``,
  ``level``, ``x``, ``y``) every ``record_every`` seconds; each sample is
  placed in the space whose polygon contains it, and a person is in that
  space until their next sample (runs of samples in one space become one row);
- people who reached a refuge (``agents``: ``reached_how == "refuge"``) stay
  in its space, the last of their ``route``, from ``reached`` for
  ``refuge_stay_min`` (the drill ends there; the people do not).

Evacuation times are seconds after the start of the drill; presence rows are
minutes, like the operations model's.  There are no contacts (nobody's hands
are followed during an evacuation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import shapely

from scenarios.hazards.infection.presence import STAFF, Contacts, People, Presence, PresenceKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    from facility.model import Facility

__all__ = ["from_evacuation", "locate"]

_S_PER_MIN = 60.0
_REFUGE = "refuge"


def locate(facility: Facility, level: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index (facility order) of the space containing each point, -1 where none does."""
    out = np.full(level.size, -1, np.int64)
    for lv in np.unique(level).tolist():
        sel = np.flatnonzero(level == lv)
        idx = [i for i, s in enumerate(facility.spaces) if s.level == lv]
        if not idx:
            continue
        tree = shapely.STRtree([facility.spaces[i].polygon for i in idx])
        pts, polys = tree.query(shapely.points(x[sel], y[sel]), predicate="intersects")
        # a point on a shared wall belongs to one space: keep the first match
        first = np.unique(pts, return_index=True)[1]
        out[sel[pts[first]]] = np.asarray(idx)[polys[first]]
    return out


def from_evacuation(trajectories: pa.Table, agents: pa.Table, facility: Facility, *,
                    sample_s: float, refuge_stay_min: float) -> tuple[People, Presence, Contacts]:
    """People and presence rows of one evacuation replication.

    Args:
        trajectories: The evacuation ``trajectories`` table.
        agents: The evacuation ``agents`` table (roles, refuges reached).
        facility: The building the drill ran in.
        sample_s: Seconds between trajectory samples (the scenario's ``record_every``).
        refuge_stay_min: How long people stay in the refuge they reached.
    """
    ids = agents["id"].to_pylist()
    person_of: Mapping[str, int] = {p: i for i, p in enumerate(ids)}
    roles = np.asarray(agents["role"].to_pylist(), dtype=object)
    profile = np.asarray(agents["profile"].to_pylist(), dtype=object)
    staff = roles == "staff"
    people = People(label=list(ids), role=roles, pathway=profile,
                    patient=np.where(staff, STAFF, np.arange(len(ids))).astype(np.int64))

    t = trajectories["time"].to_numpy().astype(float)
    who = np.fromiter((person_of[p] for p in trajectories["id"].to_pylist()), np.int64, t.size)
    level = np.asarray(trajectories["level"].to_pylist(), dtype=object)
    space = locate(facility, level, trajectories["x"].to_numpy().astype(float),
                   trajectories["y"].to_numpy().astype(float))
    order = np.lexsort((t, who))
    t, who, space = t[order], who[order], space[order]
    nxt = np.empty_like(t)
    nxt[:-1] = t[1:]
    last = np.ones(t.size, bool)
    last[:-1] = who[1:] != who[:-1]
    # a person's next sample closes the interval; a missing one (left the floor) closes it one step on
    end = np.where(last | (nxt - t > 1.5 * sample_s), t + sample_s, nxt)
    start_run = np.ones(t.size, bool)
    start_run[1:] = (who[1:] != who[:-1]) | (space[1:] != space[:-1]) | (t[1:] > end[:-1] + 1e-9)
    run_id = np.cumsum(start_run) - 1
    first = np.flatnonzero(start_run)
    t1 = np.zeros(first.size)
    np.maximum.at(t1, run_id, end)
    rows = Presence(person=who[first], space=space[first], t0=t[first] / _S_PER_MIN, t1=t1 / _S_PER_MIN,
                    kind=np.full(first.size, PresenceKind.STEP, np.int8))

    how = np.asarray(agents["reached_how"].to_pylist(), dtype=object)
    reached = agents["reached"].to_numpy(zero_copy_only=False).astype(float)
    routes = agents["route"].to_pylist()
    sidx = {s.id: i for i, s in enumerate(facility.spaces)}
    ref = [i for i in np.flatnonzero((how == _REFUGE) & np.isfinite(reached)).tolist()
           if routes[i] and routes[i].split(">")[-1] in sidx]
    r = np.asarray(ref, np.int64)
    r_t0 = reached[r] / _S_PER_MIN
    refuge = Presence(person=r, space=np.asarray([sidx[routes[i].split(">")[-1]] for i in ref], np.int64),
                      t0=r_t0, t1=r_t0 + refuge_stay_min, kind=np.full(r.size, PresenceKind.WAITING, np.int8))
    pres = Presence.concat([rows, refuge])
    pres = pres.take((pres.space >= 0) & (pres.t1 > pres.t0))
    none = np.empty(0, np.int64)
    contacts = Contacts(carrier=none, kind=np.empty(0, np.int8), person=none, time=np.empty(0),
                        space=none, carrier_label=[])
    return people, pres, contacts
