"""Replication KPIs held compactly: floats in an array under names shared by the run.

A run folder's writer keeps every committed replication's KPIs until the run
is finished (for its summary and ``kpis.json``), and a finished run's results
hold them for the caller.  As dicts, the 85 KPIs of a Nelson replication took
about 7 KB, which made a run's memory grow with its replication count; packed
they take 0.7 KB, and read like the dict they came from.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["KpiPacker"]


_NULL = type(None)
_FLOAT_OR_NULL = {float, _NULL}


class _Names:
    """KPI names in order and each one's position, shared by every replication that has them."""

    __slots__ = ("names", "position")

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.position = {n: i for i, n in enumerate(names)}


class _PackedKpis(Mapping[str, float]):
    """One replication's KPIs, read-only (a float array; ``array`` indexes faster than numpy)."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: _Names, values: array[float]) -> None:
        self._names, self._values = names, values

    def __getitem__(self, name: str) -> float:
        return self._values[self._names.position[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.names)

    def __len__(self) -> int:
        return len(self._names.names)

    def get(self, name: str, default: Any = None) -> Any:
        # A summary asks every replication for every KPI: Mapping's get (a __getitem__ inside
        # a try) was a third of an operations summary's time.
        position = self._names.position.get(name)
        return default if position is None else self._values[position]

    def __repr__(self) -> str:
        return repr(dict(self))


class KpiPacker:
    """Packs KPI mappings whose values are all floats; JSON nulls become NaN, as the run produced them.

    Anything else (an integer KPI, which must be written back as an
    integer) stays a dict.

    >>> p = KpiPacker()
    >>> a, b = p.pack({"wait": 1.5, "idle": None}), p.pack({"wait": 2.0, "idle": 0.25})
    >>> a["wait"], a["idle"], dict(b), b == {"wait": 2.0, "idle": 0.25}
    (1.5, nan, {'wait': 2.0, 'idle': 0.25}, True)
    >>> type(p.pack({"count": 3})).__name__
    'dict'
    """

    def __init__(self) -> None:
        self._names: dict[tuple[str, ...], _Names] = {}

    def pack(self, kpis: Mapping[str, Any]) -> Mapping[str, Any]:
        """``kpis`` packed, or as a dict if a value is not a float (or null)."""
        kinds = set(map(type, kpis.values()))  # in C: a Python walk of 85 values cost more than the packing
        if not kpis or not kinds <= _FLOAT_OR_NULL:
            return dict(kpis)
        key = tuple(kpis)
        names = self._names.get(key)
        if names is None:
            names = self._names[key] = _Names(key)
        values = kpis.values()
        return _PackedKpis(names, array("d", values if _NULL not in kinds else
                                        [math.nan if v is None else v for v in values]))
