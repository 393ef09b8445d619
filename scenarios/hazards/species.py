"""Released gases: molecular weight, exposure limits and the toxic-load exponent.

A :class:`Species` holds what the gas model and the exposure report need.  Thresholds are
volume fractions in ppm.  AEGL values are by exposure duration (10, 30, 60, 240, 480 min);
``None`` where the level is not recommended or not published.  The presets cite their
source in ``docs/hazards.md``; values tagged [verify] there are standard figures to be
confirmed against the source before a report relies on them.

Every gas also displaces air: oxygen falls to 20.9 % x (1 - x_gas), which is the main hazard
of helium (MRI quench) and nitrogen (liquid nitrogen spill).
"""

from __future__ import annotations

import math
from itertools import pairwise

from pydantic import Field, model_validator

from scenarios.base import StrictModel

__all__ = ["AEGL_DURATIONS", "PRESETS", "Species"]

#: Durations (minutes) at which AEGL values are published.
AEGL_DURATIONS = (10, 30, 60, 240, 480)
#: The whole volume, ppm: no concentration reaches a threshold above it, so a space would never be
#: untenable (a threshold typed in ppb, or ppm x 1000, was taken as given and never breached).
ALL_PPM = 1e6


class Species(StrictModel):
    """One gas.

    Attributes:
        name: Human name.
        molecular_weight: g/mol.
        aegl1, aegl2, aegl3: ppm at each of :data:`AEGL_DURATIONS` (``None`` entries: not recommended).
        idlh: NIOSH immediately-dangerous concentration, ppm.
        exposure_limit: Another published limit (ppm) when no AEGL exists (e.g. NIOSH REL).
        ten_berge_n: Toxic-load exponent n of C^n t (``None``: not published; 1 is used).
        asphyxiant: Oxygen displacement is its main hazard.
        dense: Heavier or colder than air: collects in the lower part of a space.
    """

    name: str
    molecular_weight: float = Field(gt=1, lt=500)
    aegl1: tuple[float | None, ...] | None = None
    aegl2: tuple[float | None, ...] | None = None
    aegl3: tuple[float | None, ...] | None = None
    idlh: float | None = Field(default=None, gt=0, le=ALL_PPM)
    exposure_limit: float | None = Field(default=None, gt=0, le=ALL_PPM)
    ten_berge_n: float | None = Field(default=None, gt=0.5, le=5)
    asphyxiant: bool = False
    dense: bool = False

    @model_validator(mode="after")
    def _thresholds(self) -> Species:
        for name in ("aegl1", "aegl2", "aegl3"):
            v = getattr(self, name)
            if v is not None:
                if len(v) != len(AEGL_DURATIONS):
                    raise ValueError(f"{name!r} needs {len(AEGL_DURATIONS)} values (10, 30, 60, 240, "
                                     "480 min; null where not recommended)")
                if any(x is not None and not (math.isfinite(x) and 0 < x <= ALL_PPM) for x in v):
                    raise ValueError(f"{name!r} values must be finite, > 0 and at most {ALL_PPM:,.0f} ppm "
                                     "(the whole volume)")
        # the levels are of increasing severity, so their thresholds cannot fall with the level:
        # the time a person spends above AEGL-3 is then part of their time above AEGL-2 and -1
        for k, minutes in enumerate(AEGL_DURATIONS):
            given = [(n, v[k]) for n in ("aegl1", "aegl2", "aegl3")
                     if (v := getattr(self, n)) is not None and v[k] is not None]
            for (lo, a), (hi, b) in pairwise(given):
                if b < a:
                    raise ValueError(f"{hi!r} ({b} ppm) is below {lo!r} ({a} ppm) at {minutes} min: "
                                     "AEGL thresholds must not fall from level 1 to 3")
        if not (self.asphyxiant or self.idlh or self.exposure_limit
                or any(getattr(self, n) for n in ("aegl1", "aegl2", "aegl3"))):
            raise ValueError("a gas needs at least one threshold: aegl1/aegl2/aegl3, idlh, "
                             "exposure_limit, or asphyxiant: true")
        return self

    def aegl(self, level: int, duration_min: int) -> float | None:
        """AEGL-``level`` (1-3) in ppm for ``duration_min``, or None.

        >>> PRESETS["chlorine"].aegl(3, 10)
        50.0
        """
        values = getattr(self, f"aegl{level}")
        return None if values is None else values[AEGL_DURATIONS.index(duration_min)]

    def untenable_ppm(self, duration_min: int) -> float | None:
        """The concentration at which a space is untenable: AEGL-2, else IDLH, else None (oxygen only)."""
        a2 = self.aegl(2, duration_min)
        return a2 if a2 is not None else self.idlh

    @property
    def exponent(self) -> float:
        """ten Berge n used for the toxic load (1 when not published: Haber's rule)."""
        return self.ten_berge_n if self.ten_berge_n is not None else 1.0


#: Built-in gases (sources in docs/hazards.md).
PRESETS: dict[str, Species] = {
    "nitrous_oxide": Species(name="nitrous oxide", molecular_weight=44.013, exposure_limit=25.0,
                             asphyxiant=True, dense=True),
    "chlorine": Species(name="chlorine (mixed cleaning agents)", molecular_weight=70.906,
                        aegl1=(0.5, 0.5, 0.5, 0.5, 0.5), aegl2=(2.8, 2.8, 2.0, 1.0, 0.71),
                        aegl3=(50.0, 28.0, 20.0, 10.0, 7.1), idlh=10.0, ten_berge_n=3.5, dense=True),
    "formaldehyde": Species(name="formaldehyde", molecular_weight=30.026,
                            aegl1=(0.9, 0.9, 0.9, 0.9, 0.9), aegl2=(14.0, 14.0, 14.0, 14.0, 14.0),
                            aegl3=(100.0, 70.0, 56.0, 35.0, 35.0), idlh=20.0),
    "carbon_monoxide": Species(name="carbon monoxide", molecular_weight=28.010,
                               aegl2=(420.0, 150.0, 83.0, 33.0, 27.0),
                               aegl3=(1700.0, 600.0, 330.0, 150.0, 130.0), idlh=1200.0, ten_berge_n=1.0),
    "helium": Species(name="helium (MRI quench)", molecular_weight=4.003, asphyxiant=True),
    "nitrogen": Species(name="nitrogen (liquid nitrogen spill)", molecular_weight=28.013,
                        asphyxiant=True, dense=True),
}
