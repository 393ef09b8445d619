"""Assisted evacuation: which patient a free staff member goes to next.

Three policies, named in scenario files:

* ``nearest``: the closest patient still short of staff (straight-line
  distance, plus a large penalty per level of difference);
* ``most_dependent``: the highest dependency first (ventilated > bed >
  assisted wheelchair > ...), nearest among equals;
* ``by_ward``: patients of the staff member's own ward (smoke compartment)
  first, most dependent first within it, then any other patient.

Under every policy staff clear their own level before going to another, the
nearest level first: each floor is swept by the staff on it, as fire plans
organise it.  Ranking by dependency across the whole building sent staff from
every floor up the stairs, against the descending flow, into one ward corridor
(the sample night drill jammed its L2-B corridor that way).

A patient needing ``k`` staff (2 for a bed, per ``shared/reference``) keeps
being offered until ``k`` are assigned, so teams form from whoever is free.
The functions are pure and vectorised over candidates.
"""

from __future__ import annotations

import numpy as np

__all__ = ["POLICIES", "choose_patient"]

POLICIES = ("nearest", "most_dependent", "by_ward")

#: Metres added per level of difference when ranking by distance.
LEVEL_PENALTY = 1000.0


def choose_patient(policy: str, staff_xy: np.ndarray, staff_level: int, staff_ward: int, *,
                   cand_xy: np.ndarray, cand_level: np.ndarray, cand_ward: np.ndarray,
                   cand_dependency: np.ndarray) -> int:
    """Index (into the candidates) of the patient a staff member should fetch, or -1.

    Args:
        policy: One of :data:`POLICIES`.
        staff_xy: The staff member's position (2,).
        staff_level: Their level index.
        staff_ward: Their ward (compartment index, -1 if none).
        cand_xy: Candidate patients' positions (m, 2).
        cand_level: Their level indices (m,).
        cand_ward: Their ward indices (m,).
        cand_dependency: Their dependency ranks (m,), higher first.

    >>> import numpy as np
    >>> xy = np.array([[0.0, 0.0], [10.0, 0.0]])
    >>> kw = dict(cand_xy=xy, cand_level=np.zeros(2, int), cand_ward=np.zeros(2, int),
    ...           cand_dependency=np.array([5, 1]))
    >>> choose_patient("nearest", np.array([9.0, 0.0]), 0, 0, **kw)
    1
    >>> choose_patient("most_dependent", np.array([9.0, 0.0]), 0, 0, **kw)
    0
    >>> kw["cand_level"] = np.array([1, 0])
    >>> choose_patient("most_dependent", np.array([9.0, 0.0]), 0, 0, **kw)
    1
    """
    if policy not in POLICIES:
        raise ValueError(f"'policy' must be one of {POLICIES}, got {policy!r}")
    if cand_xy.shape[0] == 0:
        return -1
    dist = np.hypot(cand_xy[:, 0] - staff_xy[0], cand_xy[:, 1] - staff_xy[1])
    dist = dist + LEVEL_PENALTY * np.abs(cand_level - staff_level)
    if policy == "nearest":
        return int(np.argmin(dist))
    keys: list[np.ndarray] = [dist, -cand_dependency.astype(float)]
    if policy == "by_ward":
        keys.append((cand_ward != staff_ward).astype(float))
    keys.append(np.abs(cand_level - staff_level).astype(float))
    # np.lexsort sorts by the last key first.
    return int(np.lexsort(keys)[0])
