"""The hazard part of a scenario: a design fire and its devices, a gas release, tenability limits.

Every object is a frozen :class:`~scenarios.base.StrictModel`: unknown keys, non-finite
numbers and values outside plausible ranges are errors that name the dotted field
(``hazard.fire.growth``).  What can only be checked against a facility (the origin is a
space, a door id exists) is checked by :func:`check_hazard`, which raises
:class:`~scenarios.errors.ScenarioFileError` naming the file and the field.

Defaults come from ``../shared/reference/hazards_and_devices.md`` (cited in ``docs/hazards.md``).
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from facility.ids import no_space, suggest
from facility.model import Facility, Space
from scenarios.base import StrictModel
from scenarios.errors import ScenarioFileError
from scenarios.hazards.species import PRESETS, Species

__all__ = [
    "GROWTH_ALPHA",
    "HRR_PER_AREA",
    "MAX_HAZARD_STEPS",
    "MAX_HRR",
    "MIN_PEAK_HRR",
    "Detector",
    "DoorPolicy",
    "FireSpec",
    "GasSource",
    "GasSpec",
    "HazardSpec",
    "Tenability",
    "Vent",
    "check_hazard",
    "water_yield",
]

#: Heat release per unit burning area of a hospital room's design fire, kW/m^2 (EN 1991-1-2
#: Annex E, Table E.5, via ``../shared/reference/hazards_and_devices.md``; [verify]).
HRR_PER_AREA = 250.0
#: Smallest peak heat release rate of a t-squared design fire, kW. No reference sets a floor, so
#: this is ours [assumption]: the smallest burning item a hospital's fire strategy considers, a
#: small waste-paper basket, peaks at some kW to tens of kW (Babrauskas, "Heat release rates",
#: SFPE Handbook) [verify], while every design fire of ``../shared/reference/`` is 1 MW or more
#: (a hospital mattress ~1 MW, a raised-frame one 1.7 MW).  ``peak_hrr`` is in kW: a 1.7 MW
#: mattress written ``peak_hrr: 1.7`` ran as a 1.7 kW flame, and the drill reported every smoke
#: compartment tenable for the whole horizon.
MIN_PEAK_HRR = 10.0
#: Largest heat release a design fire may have, kW: 50 MW, beyond any fire a hospital room holds
#: (the reference's ventilation limit through one door is ~4 MW).  It bounds ``hrr_table`` rows as
#: well: a 1e12 kW row ran, the oxygen-limited burning gave the fire room 20.00003 deg C, and every
#: space was reported tenable.
MAX_HRR = 50_000.0
#: Latest time a heat release table may give, s after ignition: ten times the longest hazard
#: horizon, so a row that holds the fire steady past the horizon fits, and a ramp to a row at
#: 1e300 s (nothing ever burnt) does not.
MAX_TABLE_S = 864_000.0
#: Most hazard steps (``horizon / dt``) one run may ask for: a day's horizon at 0.5 s.  A step of
#: the smoke model over the sample hospital's 167 spaces takes ~0.3 ms, so this is about a minute;
#: ``dt: 0.01`` with a day's horizon asked for 8.6 million steps (~40 min there) and sat at "0 s
#: simulated" without a word.
MAX_HAZARD_STEPS = 200_000
#: t-squared growth coefficients, kW/s^2 (NFPA 72 Annex B, NFPA 92: 1055 kW at 600/300/150/75 s).
GROWTH_ALPHA = {"slow": 0.00293, "medium": 0.01172, "fast": 0.0469, "ultrafast": 0.1876}
#: Atoms per molecule of the default fuel, flexible polyurethane foam C6.3 H7.1 O2.1 N1.0 (the
#: mattress the CFAST comparison burns in both tools; FDS's polyurethane).
POLYURETHANE = {"C": 6.3, "H": 7.1, "O": 2.1, "N": 1.0, "Cl": 0.0}
#: Molar masses of the elements as CFAST's chemistry uses them, g/mol.
_ATOM_M = {"C": 12.01, "H": 1.008, "O": 16.0, "N": 14.01, "Cl": 35.45}


def water_yield(formula: dict[str, float], *, hcn: float) -> float:
    """Water vapour made per kg of fuel burnt, kg/kg, from the fuel's formula, as CFAST derives it.

    CFAST's ``chemistry`` (fire.f90) burns the hydrogen not bound in HCN or HCl to water:
    ``nu_H2O = (H - nu_HCN - nu_HCl) / 2`` moles per mole of fuel, ``nu_HCN`` from the HCN yield.

    Args:
        formula: Atoms per molecule, keys ``C``, ``H``, ``O``, ``N``, ``Cl``.
        hcn: HCN yield, kg/kg.

    >>> round(water_yield(POLYURETHANE, hcn=0.004), 3)
    0.489
    """
    molar = sum(_ATOM_M[k] * formula.get(k, 0.0) for k in _ATOM_M)
    nu_hcn = min(formula.get("N", 0.0), molar / 27.028 * hcn)
    nu_h2o = (formula.get("H", 0.0) - nu_hcn - formula.get("Cl", 0.0)) / 2.0
    return max(nu_h2o, 0.0) * 18.016 / molar


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


class Yields(StrictModel):
    """Species yields, kg per kg of fuel burnt (Tewarson, SFPE Handbook; polyurethane-like defaults)."""

    soot: float = Field(default=0.1, ge=0, le=0.5)
    co: float = Field(default=0.02, ge=0, le=0.5)
    co2: float = Field(default=1.5, ge=0, le=4)
    hcn: float = Field(default=0.004, ge=0, le=0.1)
    #: Water vapour, which with CO2 makes a clean layer radiate: the default fuel's hydrogen not
    #: bound in HCN burnt to water, as CFAST derives it (:func:`water_yield`: 0.489).
    h2o: float = Field(default=round(water_yield(POLYURETHANE, hcn=0.004), 3), ge=0, le=3)


class Detector(StrictModel):
    """A detector or sprinkler that can raise the alarm (and, for sprinklers, hold the fire).

    Attributes:
        kind: ``heat`` and ``sprinkler`` heat a link through the Alpert ceiling jet;
            ``smoke`` alarms at an obscuration.
        space: Where it is (default: the fire's origin).
        rti: Response time index, (m s)^0.5 (CFAST default 50).
        activation_temperature: Link activation, deg C (CFAST default 57.2).
        radial_distance: From the plume axis, m (only in the fire's own space).
        obscuration: Smoke detector threshold, %/m (CFAST default 23.93).
    """

    kind: Literal["heat", "smoke", "sprinkler"]
    space: str | None = None
    rti: float = Field(default=50.0, gt=0, le=1000)
    activation_temperature: float = Field(default=57.2, gt=20, le=400)
    radial_distance: float = Field(default=2.0, ge=0, le=30)
    obscuration: float = Field(default=23.93, gt=0, lt=100)


class Vent(StrictModel):
    """An opening the facility does not draw: a window, a hatch, a leak.

    Attributes:
        space: Space it opens from.
        to: Space it opens into, or ``outside``.
        width: m.
        sill: Bottom above the floor, m.
        soffit: Top above the floor, m.
    """

    space: str
    to: str = "outside"
    width: float = Field(gt=0, le=100)
    sill: float = Field(default=0.0, ge=0, le=20)
    soffit: float = Field(gt=0, le=20)

    @model_validator(mode="after")
    def _order(self) -> Vent:
        if self.soffit <= self.sill:
            raise ValueError(f"'soffit' ({self.soffit}) must be above 'sill' ({self.sill})")
        if self.to == self.space:
            # an opening from a room into itself carries nothing: the run went on without it
            raise ValueError(f"'to' is the vent's own space {self.space!r}; expected another space or "
                             "'outside'")
        return self


class DoorPolicy(StrictModel):
    """What doors do during the fire.

    Attributes:
        close_on_alarm: Fire and smoke doors (facility flags) close when the alarm sounds.
        wedged_open: Door ids held open from the start, whatever ``room_doors`` says, and not
            closed by the alarm although flagged (a wedge, a failed closer).
        closed: Door ids closed from the start (e.g. patient room doors at night).
        room_doors: Default state of ordinary doors.
        exits_open: Final exits stand open (people leaving), venting to outside.
    """

    close_on_alarm: bool = True
    wedged_open: list[str] = Field(default_factory=list)
    closed: list[str] = Field(default_factory=list)
    room_doors: Literal["open", "closed"] = "open"
    exits_open: bool = True

    @model_validator(mode="after")
    def _one_state(self) -> DoorPolicy:
        both = sorted(set(self.wedged_open) & set(self.closed))
        if both:
            # one of the two lists was silently ignored (the door stayed shut)
            raise ValueError(f"door(s) {', '.join(map(repr, both))} are both 'wedged_open' and 'closed'; "
                             "expected each door in one of them")
        return self


class FireSpec(StrictModel):
    """A design fire in one space.

    Attributes:
        origin: Space id of the fire (or give ``point`` + ``level``).
        point: A plan point; the space containing it on ``level`` is the origin.
        level: Level of ``point``.
        growth: t-squared class, or ``table`` for ``hrr_table``.
        peak_hrr: Peak heat release rate, kW (at least :data:`MIN_PEAK_HRR`; not with ``table``).
        hrr_table: ``[[time_s, kW], ...]`` from ignition (with ``growth: table``).
        fuel_load: MJ per m^2 of the origin's floor (EN 1991-1-2 Annex E: 230 mean, hospital rooms);
            the fire decays when the fuel is spent. ``None``: no burn-out.
        heat_of_combustion: MJ/kg (polyurethane 17-19; Tewarson).
        radiative_fraction: Share of HRR radiated to the boundaries, not heating the gas.
        base_height: Height of the burning item's top above the floor, m.
        area: Burning area, m^2: its diameter places the plume's virtual origin (Heskestad).
            ``None``: the fire spreads over its fuel at 250 kW/m^2 (EN 1991-1-2 Annex E,
            hospital rooms), so the area grows with the heat release (4 m^2 at 1 MW); give a
            fixed area for a burning item of known size (a burner, a mattress).
        corner: The burning item stands in a corner of its room (within half its width of two
            walls): the walls reflect its plume, which then entrains a quarter of what a fire four
            times larger would (SFPE Handbook; CFAST), so the room fills more slowly with a
            hotter layer.  A fire against one wall is treated as free-standing (CFAST found no
            measurable effect of a single wall in its validation).
        yields: Species yields.
        start: Ignition time relative to the evacuation alarm, s (negative: before it).
            With detectors and ``alarm: detection`` the alarm is derived instead.
        alarm: ``fixed`` (the alarm is at time 0, the fire at ``start``) or ``detection``
            (the alarm sounds ``alarm_delay`` s after the first detector activates).
        alarm_delay: Delay between activation and the evacuation alarm, s.
        detectors: Detectors and sprinklers.
        doors: Door behaviour.
        vents: Open windows and other openings the facility does not draw.
        hvac: ``off`` (leakage only), ``running`` (each space's air changes, balanced) or
            ``smoke_control`` (extract from the fire compartment at ``extract_ach``).
        extract_ach: Smoke extract rate in the fire compartment, air changes per hour.
    """

    origin: str | None = None
    point: tuple[float, float] | None = None
    level: str | None = None
    growth: Literal["slow", "medium", "fast", "ultrafast", "table"] = "medium"
    peak_hrr: float = Field(default=1000.0, gt=0, le=MAX_HRR)
    hrr_table: list[tuple[float, float]] = Field(default_factory=list)
    fuel_load: float | None = Field(default=None, gt=0, le=5000)
    heat_of_combustion: float = Field(default=18.0, gt=1, le=60)
    radiative_fraction: float = Field(default=0.35, ge=0, lt=0.8)
    base_height: float = Field(default=0.5, ge=0, le=5)
    area: float | None = Field(default=None, gt=0, le=100)
    corner: bool = False
    yields: Yields = Field(default_factory=Yields)
    start: float = Field(default=0.0, ge=-3600, le=3600)
    alarm: Literal["fixed", "detection"] = "fixed"
    alarm_delay: float = Field(default=0.0, ge=0, le=3600)
    detectors: list[Detector] = Field(default_factory=list)
    doors: DoorPolicy = Field(default_factory=DoorPolicy)
    vents: list[Vent] = Field(default_factory=list)
    hvac: Literal["off", "running", "smoke_control"] = "off"
    extract_ach: float = Field(default=6.0, ge=0, le=60)

    _f = field_validator("peak_hrr", "heat_of_combustion", "start", "alarm_delay")(_finite)

    @field_validator("peak_hrr")
    @classmethod
    def _a_fire(cls, v: float) -> float:
        if v < MIN_PEAK_HRR:
            raise ValueError(f"smaller than any design fire: expected at least {MIN_PEAK_HRR:g} kW "
                             "(peak_hrr is in kW: a 1.7 MW fire is written 1700)")
        return v

    def burning_area(self, hrr_kw: float) -> float:
        """Burning area while the fire releases ``hrr_kw``, m^2.

        ``area`` when given; else the fire spreads over its fuel at :data:`HRR_PER_AREA`, so the
        area grows with the heat release (0.17 m^2 at 42 kW, 4 m^2 at 1 MW).
        """
        if self.area is not None:
            return self.area
        return max(hrr_kw, 0.0) / HRR_PER_AREA

    @field_validator("hrr_table")
    @classmethod
    def _table(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for k, (t, q) in enumerate(v):
            if not (math.isfinite(t) and math.isfinite(q)):
                raise ValueError(f"row {k} must hold finite numbers")
            if not 0 <= q <= MAX_HRR:
                raise ValueError(f"row {k}: heat release rate must be >= 0 and <= {MAX_HRR:,.0f} kW, "
                                 f"got {q:g}")
            if t < 0 or (k and t <= v[k - 1][0]):
                raise ValueError(f"row {k}: times must be >= 0 and increasing, got {t}")
            if t > MAX_TABLE_S:
                raise ValueError(f"row {k}: time must be at most {MAX_TABLE_S:,.0f} s after ignition (ten "
                                 f"times the longest horizon), got {t:g}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> FireSpec:
        if (self.origin is None) == (self.point is None):
            raise ValueError("give exactly one of 'origin' (a space id) or 'point' (with 'level')")
        if self.point is not None and self.level is None:
            raise ValueError("'point' needs 'level'")
        if self.growth == "table" and len(self.hrr_table) < 2:
            raise ValueError("'growth: table' needs 'hrr_table' with at least two [time, kW] rows")
        if self.growth != "table" and self.hrr_table:
            # a table the run would ignore: the fire would follow the t-squared curve instead
            raise ValueError(f"'hrr_table' is given but 'growth' is {self.growth!r}: set 'growth: table' "
                             "to follow the table, or remove it")
        if self.growth == "table" and "peak_hrr" in self.model_fields_set:
            # the table's rows are the heat release: a peak given beside them would be ignored
            raise ValueError("'peak_hrr' is given but 'growth' is 'table', whose rows set the heat release "
                             "(peak_hrr would be ignored): remove 'peak_hrr', or cap the table's rows")
        if self.alarm == "detection" and not self.detectors:
            raise ValueError("'alarm: detection' needs at least one entry in 'detectors'")
        return self


class GasSource(StrictModel):
    """How the gas enters its space.

    Attributes:
        kind: ``rate`` (``rate_table`` of [time_s, kg/s], linear between rows),
            ``instantaneous`` (``mass`` kg at ``start``) or ``leak`` (a pipeline or cylinder:
            ``rate`` kg/s from ``start`` until ``mass`` kg is spent or ``isolate_at``).
    """

    kind: Literal["rate", "instantaneous", "leak"]
    rate_table: list[tuple[float, float]] = Field(default_factory=list)
    mass: float | None = Field(default=None, gt=0, le=1e5)
    rate: float | None = Field(default=None, gt=0, le=1e3)
    start: float = Field(default=0.0, ge=-3600, le=86_400)
    isolate_at: float | None = Field(default=None, ge=-3600, le=86_400)

    @model_validator(mode="after")
    def _consistent(self) -> GasSource:
        if self.kind == "rate":
            if len(self.rate_table) < 2:
                raise ValueError("'kind: rate' needs 'rate_table' with >= 2 [time_s, kg/s] rows")
            for k, (t, g) in enumerate(self.rate_table):
                if not (math.isfinite(t) and math.isfinite(g)) or g < 0:
                    raise ValueError(f"rate_table row {k} must be finite with a rate >= 0 kg/s")
                if k and t <= self.rate_table[k - 1][0]:
                    raise ValueError(f"rate_table row {k}: times must increase")
            if not any(g > 0 for _, g in self.rate_table):
                # a release of nothing: the drill would report every space tenable
                raise ValueError("'rate_table' releases no gas (every rate is 0 kg/s); expected a rate > 0 "
                                 "in at least one row")
        if self.kind == "leak" and self.isolate_at is not None and self.isolate_at <= self.start:
            raise ValueError(f"'isolate_at' ({self.isolate_at:g} s) is not after 'start' ({self.start:g} s), "
                             "so the leak is shut before it begins and releases nothing; expected "
                             "'isolate_at' later than 'start' (or none)")
        if self.kind == "instantaneous" and self.mass is None:
            raise ValueError("'kind: instantaneous' needs 'mass' (kg)")
        if self.kind == "leak" and (self.rate is None or self.mass is None):
            raise ValueError("'kind: leak' needs 'rate' (kg/s) and 'mass' (kg inventory)")
        return self


class GasSpec(StrictModel):
    """A gas release in one space.

    Attributes:
        space: Space id of the source.
        species: A preset name (see :data:`scenarios.hazards.species.PRESETS`) or ``custom``.
        custom: The species' data when ``species: custom`` (needs at least one threshold).
        source: The release.
        hvac: ``running`` (each space's air changes) or ``off`` (leakage only, 0.1 ACH).
        aegl_duration_min: AEGL duration used for the thresholds (10, 30, 60, 240, 480 min).
        doors: Door behaviour (fire and smoke doors close at the alarm, time 0, unless wedged;
            ``room_doors: closed`` or ``closed: [...]`` shut doors; closed doors carry no exchange).
    """

    space: str
    species: str
    custom: Species | None = None
    source: GasSource
    hvac: Literal["off", "running"] = "running"
    aegl_duration_min: Literal[10, 30, 60, 240, 480] = 10
    doors: DoorPolicy = Field(default_factory=DoorPolicy)

    @model_validator(mode="after")
    def _consistent(self) -> GasSpec:
        if self.species == "custom":
            if self.custom is None:
                raise ValueError("'species: custom' needs 'custom' with the species' data")
        elif self.species not in PRESETS:
            raise ValueError(f"unknown species {self.species!r}; expected one of "
                             f"{sorted(PRESETS)} or 'custom'")
        return self

    def first_release(self) -> float:
        """When the source first gives off gas, s since the alarm."""
        src = self.source
        if src.kind != "rate":
            return src.start
        rows = src.rate_table
        k = next(k for k, (_, g) in enumerate(rows) if g > 0)
        return rows[max(k - 1, 0)][0]  # linear between rows: the rate rises from the row before

    def resolved(self) -> Species:
        """The species' data: the preset, or the custom entry."""
        return self.custom if self.custom is not None else PRESETS[self.species]


class Tenability(StrictModel):
    """Tenability criteria: a space is untenable once any is breached.

    Defaults: FED 0.3 (0.1 for patients, a susceptible population), visibility 10 m in large
    spaces and 5 m in small ones, 60 deg C, smoke layer >= 1.8 m (ISO 13571; PD 7974-6).
    """

    fed: float = Field(default=0.3, gt=0, le=1)
    fed_patient: float = Field(default=0.1, gt=0, le=1)
    visibility_large: float = Field(default=10.0, gt=0, le=100)
    visibility_small: float = Field(default=5.0, gt=0, le=100)
    large_space_area: float = Field(default=100.0, gt=0)
    temperature: float = Field(default=60.0, gt=20, le=300)
    layer_height: float = Field(default=1.8, ge=0, le=10)
    layer_min_rise: float = Field(default=2.0, ge=0, le=100)
    # below the ambient 20.9 %: at 20.9 the first trace of any gas made a space untenable
    oxygen_percent: float = Field(default=19.5, gt=5, lt=20.9)

    @model_validator(mode="after")
    def _ordered(self) -> Tenability:
        # swapped values judged patients by a looser limit than staff, or small rooms by a longer
        # view than large halls, without a word
        if self.fed_patient > self.fed:
            raise ValueError(f"'fed_patient' ({self.fed_patient:g}) is above 'fed' ({self.fed:g}); expected "
                             "the limit of patients, a susceptible population, at most the general one")
        if self.visibility_small > self.visibility_large:
            raise ValueError(f"'visibility_small' ({self.visibility_small:g} m) is above 'visibility_large' "
                             f"({self.visibility_large:g} m); expected small spaces to need no longer a view")
        return self


class HazardSpec(StrictModel):
    """A fire, a gas release, or both, with the tenability criteria.

    Attributes:
        dt: Hazard step, s.
        record_every: Interval of the maps kept for playback, s.
        horizon: The hazard is carried on to this many seconds after the alarm (or the end of
            the drill, if later) so that each ASET within it is known.
    """

    fire: FireSpec | None = None
    gas: GasSpec | None = None
    tenability: Tenability = Field(default_factory=Tenability)
    dt: float = Field(default=1.0, gt=0, le=5)
    record_every: float = Field(default=10.0, gt=0, le=600)
    horizon: float = Field(default=1800.0, gt=0, le=86_400)

    @model_validator(mode="after")
    def _something(self) -> HazardSpec:
        if self.fire is None and self.gas is None:
            raise ValueError("give 'fire', 'gas' or both")
        return self


def check_hazard(spec: HazardSpec, facility: Facility, source: str, prefix: str = "hazard") -> None:
    """Check the ids a hazard names against the facility.

    Raises:
        ScenarioFileError: naming ``source`` and the dotted field, e.g. ``hazard.fire.origin``.
    """
    doors = {d.id for d in facility.doors}

    def missing_space(sid: str) -> str:
        if sid in doors:
            return (f"no space {sid!r} in facility {facility.name!r} (that is a door: give a space it "
                    "opens onto)")
        return no_space(facility, sid)

    if spec.fire is not None:
        f, where = spec.fire, f"{prefix}.fire"
        if f.origin is not None and not facility.has_space(f.origin):
            raise ScenarioFileError(source, f"{where}.origin", missing_space(f.origin))
        origin = f.origin
        if f.point is not None:
            if f.level not in {lv.id for lv in facility.levels}:
                raise ScenarioFileError(source, f"{where}.level", f"no level {f.level!r}")
            from shapely.geometry import Point

            holders = [s.id for s in facility.spaces_on(str(f.level)) if s.polygon.covers(Point(f.point))]
            if not holders:
                raise ScenarioFileError(source, f"{where}.point",
                                        f"{f.point!r} is inside no space of level {f.level!r}")
            if len(holders) > 1:
                # on a shared wall: the fire was put in whichever space came first in the file
                raise ScenarioFileError(source, f"{where}.point",
                                        f"{f.point!r} lies on the wall between {' and '.join(holders)}; "
                                        "expected a point inside one space (or give 'origin')")
            origin = holders[0]
        assert origin is not None  # the schema asks for exactly one of origin and point
        _check_fire_fits(f, facility.space(origin), facility, source, where)
        for k, d in enumerate(f.detectors):
            if d.space is not None and not facility.has_space(d.space):
                raise ScenarioFileError(source, f"{where}.detectors[{k}].space", missing_space(d.space))
        levels = {lv.id: lv for lv in facility.levels}
        for k, v in enumerate(f.vents):
            for key in ("space", "to"):
                sid = getattr(v, key)
                if not (sid == "outside" and key == "to") and not facility.has_space(sid):
                    raise ScenarioFileError(source, f"{where}.vents[{k}].{key}", missing_space(sid))
            room = facility.space(v.space)
            ceiling = room.ceiling_height or levels[room.level].ceiling_height
            if v.soffit > ceiling:
                # the smoke network took the opening as given: up to 20 m of window in a 2.7 m room
                raise ScenarioFileError(source, f"{where}.vents[{k}].soffit",
                                        f"{v.soffit:g} m is above the ceiling of {v.space!r} "
                                        f"({ceiling:g} m); expected the top of the opening at most at the "
                                        "ceiling")
        _check_doors(f.doors, doors, source, f"{where}.doors", facility.name)
        if f.alarm == "detection":
            _check_detectors_reached(f, facility, source, where)
    _check_timing(spec, source, prefix)
    _check_size(spec, len(facility.spaces), source, prefix)
    if spec.gas is not None:
        if not facility.has_space(spec.gas.space):
            raise ScenarioFileError(source, f"{prefix}.gas.space", missing_space(spec.gas.space))
        _check_doors(spec.gas.doors, doors, source, f"{prefix}.gas.doors", facility.name)
        _check_release_fits(spec, facility, source, prefix)


def _check_fire_fits(f: FireSpec, room: Space, facility: Facility, source: str, where: str) -> None:
    """Refuse a burning item that does not fit in the fire's room.

    With its top at or above the ceiling the plume had no height to entrain air, and the fire
    made no smoke layer: every space was reported tenable (ASET unknown) and the hottest air
    was the ambient 20 deg C.
    """
    ceiling = room.ceiling_height or next(lv.ceiling_height for lv in facility.levels if lv.id == room.level)
    if f.base_height >= ceiling:
        raise ScenarioFileError(source, f"{where}.base_height",
                                f"{f.base_height:g} m is at or above the ceiling of the fire's room "
                                f"{room.id!r} ({ceiling:g} m); expected the top of the burning item below "
                                "the ceiling")
    if f.area is not None and f.area > room.area:
        raise ScenarioFileError(source, f"{where}.area",
                                f"{f.area:g} m^2 is more than the floor of the fire's room {room.id!r} "
                                f"({room.area:.3g} m^2); expected a burning area within the room")


def _check_release_fits(spec: HazardSpec, facility: Facility, source: str, prefix: str) -> None:
    """Refuse a release that puts more gas in its space in one step than the space holds.

    The gas model mixes each step's release into the source space's mixing volume and hands
    what is displaced on to the next spaces once per step; a release larger than that volume
    overfilled them: 100,000 kg of helium at once gave 3.5e9 ppm (350,000 % of the air) and an
    oxygen share of -73,065 %, and a chlorine leak of 1,000 kg/s 312 % of the air.
    """
    from scenarios.hazards.gas import DENSE_MIXING_HEIGHT, pure_density

    g = spec.gas
    assert g is not None
    room = facility.space(g.space)
    species = g.resolved()
    ceiling = room.ceiling_height or next(lv.ceiling_height for lv in facility.levels if lv.id == room.level)
    volume = room.area * (min(ceiling, DENSE_MIXING_HEIGHT) if species.dense else ceiling)
    rho = pure_density(species)
    src = g.source
    if src.kind == "instantaneous":
        field, what = "mass", f"{src.mass:g} kg at once"
        gas_m3 = float(src.mass or 0.0) / rho
    else:
        rate = float(src.rate or 0.0) if src.kind == "leak" else max(q for _, q in src.rate_table)
        field = "rate" if src.kind == "leak" else "rate_table"
        what, gas_m3 = f"{rate:g} kg/s over a hazard step of {spec.dt:g} s", rate * spec.dt / rho
    if gas_m3 > volume:
        mixing = " (its lowest 1.8 m, where a dense gas mixes)" if species.dense else ""
        raise ScenarioFileError(source, f"{prefix}.gas.source.{field}",
                                f"{what} is {gas_m3:.3g} m^3 of {species.name}, more than the "
                                f"{volume:.3g} m^3 of {g.space!r}{mixing} holds; expected a release that "
                                "fits its space in one step (a slower 'leak' with its 'rate', or a smaller "
                                "'hazard.dt')")


def _check_size(spec: HazardSpec, n_spaces: int, source: str, prefix: str) -> None:
    """Refuse a hazard whose steps or recorded maps would take far longer, or far more memory,
    than any drill needs (:data:`MAX_HAZARD_STEPS`; map rows within the budget's ``MEDTWIN_MAX_ROWS``).
    """
    from scenarios.budget import Budget

    steps = spec.horizon / spec.dt
    if steps > MAX_HAZARD_STEPS:
        raise ScenarioFileError(source, f"{prefix}.dt",
                                f"{spec.dt:g} s over the horizon of {spec.horizon:g} s is {steps:.3g} hazard "
                                f"steps, more than {MAX_HAZARD_STEPS:,}; expected a 'dt' of at least "
                                f"{spec.horizon / MAX_HAZARD_STEPS:.3g} s (or a shorter '{prefix}.horizon')")
    every = max(spec.record_every, spec.dt)  # a map is kept at most once a step
    rows = spec.horizon / every * n_spaces
    limit = Budget.from_env().max_rows
    if rows > limit:
        least = spec.horizon * n_spaces / limit
        raise ScenarioFileError(source, f"{prefix}.record_every",
                                f"maps of the {n_spaces} spaces every {every:g} s over the horizon of "
                                f"{spec.horizon:g} s are ~{rows:.3g} rows, over the budget of {limit:.3g} "
                                f"(set MEDTWIN_MAX_ROWS to raise it); expected a 'record_every' of at least "
                                f"{least:.3g} s")


def _check_timing(spec: HazardSpec, source: str, prefix: str) -> None:
    """Refuse a fire that ignites, or a gas that is released, only after the hazard's horizon.

    The hazard is computed to ``horizon`` s after the alarm; a fire lit later never burns in the
    run, and every compartment would be reported tenable "beyond the horizon".
    """
    f = spec.fire
    end, longer = f"{spec.horizon:g} s", f"(or a longer '{prefix}.horizon')"
    if f is not None and f.alarm == "fixed" and f.start >= spec.horizon:
        raise ScenarioFileError(source, f"{prefix}.fire.start",
                                f"the fire is lit {f.start:g} s after the alarm, not before the hazard's "
                                f"horizon ({end}), so it would never burn in the run; expected a start "
                                f"before {end} {longer}")
    g = spec.gas
    if g is not None and g.first_release() >= spec.horizon:
        field = "rate_table" if g.source.kind == "rate" else "start"
        raise ScenarioFileError(source, f"{prefix}.gas.source.{field}",
                                f"no gas is released before {g.first_release():g} s after the alarm, not "
                                f"before the hazard's horizon ({end}), so none would spread in the run; "
                                f"expected a release before {end} {longer}")


def _check_detectors_reached(f: FireSpec, facility: Facility, source: str, where: str) -> None:
    """Refuse ``alarm: detection`` when no detector shares air with the fire's space.

    Smoke and heat travel only through openings: doors (a shut one leaks), vents, stair
    and lift shafts.  Outside is a reservoir at ambient, so nothing comes back in by an
    exit.  A detector in a space no chain of openings joins to the fire's never
    activates, and the drill would have no alarm to start from.
    """
    from shapely.geometry import Point

    if f.origin is not None:
        origin = f.origin
    else:
        origin = next(s.id for s in facility.spaces_on(str(f.level)) if s.polygon.covers(Point(f.point)))
    links: dict[str, set[str]] = {s.id: set() for s in facility.spaces}
    pairs = [d.spaces for d in facility.doors]
    pairs += [(v.space, v.to) for v in f.vents if v.to != "outside"]
    for stack in [st.spaces for st in facility.stairs] + [lf.spaces for lf in facility.lifts]:
        pairs += itertools.pairwise(stack)
    for a, b in pairs:
        links[a].add(b)
        links[b].add(a)
    reached, todo = {origin}, [origin]
    while todo:
        for nxt in links[todo.pop()] - reached:
            reached.add(nxt)
            todo.append(nxt)
    if any(d.space is None or d.space in reached for d in f.detectors):
        return
    names = ", ".join(sorted({str(d.space) for d in f.detectors}))
    raise ScenarioFileError(source, f"{where}.detectors",
                            f"no detector can sense the fire in {origin!r}: {names} share(s) no door, vent, "
                            "stair or lift with it, so smoke and heat never reach them and the alarm would "
                            "never sound; expected a detector in the fire's space or one joined to it "
                            "(or 'alarm: fixed')")


def _check_doors(policy: DoorPolicy, doors: set[str], source: str, where: str, name: str) -> None:
    for key in ("wedged_open", "closed"):
        for k, door in enumerate(getattr(policy, key)):
            if door not in doors:
                raise ScenarioFileError(source, f"{where}.{key}[{k}]",
                                        f"no door {door!r} in facility {name!r}{suggest(door, doors)}")
