"""The mass a zone-model step moves between layers, spaces and the outside, collected run by run.

Each part of a step (the fire's plume, the openings' flows, mechanical ventilation) adds runs of
transfers: from (node, layer) to (node, layer) at a rate (kg/s). :meth:`Transfers.arrays` gives
them as the flat arrays the step applies (:func:`scenarios.hazards.vent_kernel.apply_transfers`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Transfers"]


class Transfers:
    """Runs of mass transfers of one step (see the module docstring)."""

    def __init__(self) -> None:
        self._parts: tuple[list[np.ndarray], ...] = ([], [], [], [], [])

    def move(self, a: np.ndarray, la: np.ndarray, b: np.ndarray, lb: np.ndarray, r: np.ndarray) -> None:
        """From nodes ``a``, layers ``la`` to nodes ``b``, layers ``lb``, at rates ``r`` (kg/s)."""
        for col, x in zip(self._parts, (a, la, b, lb), strict=False):
            col.append(np.asarray(x))
        self._parts[4].append(np.asarray(r, float))

    def add(self, runs: tuple[np.ndarray, ...]) -> None:
        """Runs already as the five arrays (source node, source layer, target node, target layer,
        rate), e.g. the compiled openings' pass."""
        for col, x in zip(self._parts, runs, strict=True):
            col.append(x)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Source node, source layer, target node, target layer (int64) and rate (kg/s) of every
        transfer, in the order they were added."""
        if not self._parts[4]:
            none = np.zeros(0, np.int64)
            return none, none, none, none, np.zeros(0)
        idx = [np.concatenate(col, dtype=np.int64) for col in self._parts[:4]]
        return idx[0], idx[1], idx[2], idx[3], np.concatenate(self._parts[4], dtype=float)
