"""The hazard a drill runs in: fire smoke and/or a gas release, behind the movers' contract.

:class:`HazardEnvironment` is an :class:`~scenarios.hazards.conditions.Environment`: the
evacuation model calls :meth:`~HazardEnvironment.advance` with seconds since the alarm and
reads per space a walking-speed factor, dose rates and an untenable flag.  It steps the smoke
model (:mod:`scenarios.hazards.smoke`) and the gas model (:mod:`scenarios.hazards.gas`) on
one network of the facility, records maps for playback every ``record_every`` seconds, and,
after the drill, :meth:`~HazardEnvironment.finish` carries the hazard on to its horizon so
that every ASET that falls within it is known.  :meth:`~HazardEnvironment.tables` returns
the hazard's result tables (see ``docs/hazards.md``).
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from facility.model import Facility
from scenarios.hazards import tenability as ten
from scenarios.hazards.conditions import DOSES, Conditions
from scenarios.hazards.gas import (
    LEAKAGE_ACH,
    GasState,
    displacement_flows,
    exchange_rates,
    gas_step,
    new_gas,
    ppm,
    pure_density,
    source_rate,
)
from scenarios.hazards.network import Network, build_network, door_states
from scenarios.hazards.schema import HazardSpec
from scenarios.hazards.smoke import CRITERIA, Smoke
from scenarios.hazards.species import Species
from scenarios.hazards.zone import PressureSolver

__all__ = ["AEGL_LEVELS", "HazardEnvironment", "origin_of"]

#: Fraction of the outside air's O2, % by volume.
O2_AMBIENT = 20.9
#: The AEGL levels (NRC/EPA): 1 discomfort, 2 irreversible or escape-impairing effects, 3 death.
AEGL_LEVELS = (1, 2, 3)


def origin_of(spec: HazardSpec, facility: Facility) -> int:
    """Index of the fire's space: its ``origin``, or the space containing its ``point``."""
    assert spec.fire is not None
    ids = [s.id for s in facility.spaces]
    if spec.fire.origin is not None:
        return ids.index(spec.fire.origin)
    from shapely.geometry import Point

    p = Point(spec.fire.point)
    return next(k for k, s in enumerate(facility.spaces)
                if s.level == spec.fire.level and s.polygon.covers(p))


class HazardEnvironment:
    """Fire smoke and/or gas over a facility (see the module docstring).

    Args:
        facility: The building.
        spec: The hazard (validated against the facility by
            :func:`scenarios.hazards.schema.check_hazard`).
        horizon: Seconds after the alarm the hazard is carried to by :meth:`finish`
            (default: the spec's ``horizon``).
    """

    def __init__(self, facility: Facility, spec: HazardSpec, *, horizon: float | None = None) -> None:
        self.spec = spec
        vents = spec.fire.vents if spec.fire is not None else ()
        self.net: Network = build_network(facility, vents)
        self.space_ids = self.net.space_ids
        self.horizon = spec.horizon if horizon is None else horizon
        self.dt = spec.dt
        n = self.net.n
        self.smoke: Smoke | None = None
        if spec.fire is not None:
            self.smoke = Smoke(self.net, spec.fire, spec.tenability, origin=origin_of(spec, facility),
                               dt=spec.dt)
        self.gas: GasState | None = None
        self.species: Species | None = None
        self.gas_node = -1
        if spec.gas is not None:
            self.species = spec.gas.resolved()
            self.gas_node = self.net.index(spec.gas.space)
            self.gas = new_gas(self.net, self.species, min(0.0, spec.gas.source.start))
            before, after = door_states(self.net, spec.gas.doors)
            self.gas_exchange_before = exchange_rates(self.net, before)
            self.gas_exchange = exchange_rates(self.net, after)
            solver = PressureSolver(self.net)
            self.gas_displaced_before = displacement_flows(solver, before, self.gas_node)
            self.gas_displaced = displacement_flows(solver, after, self.gas_node)
            ach = self.net.ach if spec.gas.hvac == "running" else np.full(n, LEAKAGE_ACH)
            self.gas_ach = ach
            self.gas_untenable = self.species.untenable_ppm(spec.gas.aegl_duration_min)
            self.gas_aset = np.full(n, np.nan)
            dur = spec.gas.aegl_duration_min
            #: AEGL-1/2/3 in ppm for the scenario's duration; inf where the level is not published.
            self.aegl_ppm = np.array([_or_inf(self.species.aegl(k, dur)) for k in AEGL_LEVELS])
            #: Seconds each space has spent at or above each AEGL, [3, n], to the hazard step.
            self.gas_above = np.zeros((len(AEGL_LEVELS), n))
            #: First time (s after the alarm) each space was at or above each AEGL (NaN: never).
            self.gas_first_above = np.full((len(AEGL_LEVELS), n), np.nan)
        self.cues: dict[str, float] = {}
        if self.smoke is not None:
            self.cues[self.space_ids[origin_of(spec, facility)]] = -self.smoke.alarm  # ignition
        if spec.gas is not None:
            start = spec.gas.source.start
            self.cues[spec.gas.space] = min(start, self.cues.get(spec.gas.space, start))
        self.time = -math.inf
        self._records: list[dict[str, np.ndarray]] = []
        self._next_record = -math.inf
        self.conditions = self._conditions(0.0)

    # -- the contract ------------------------------------------------------------------------
    def advance(self, time: float) -> Conditions:
        """Step the hazard to ``time`` s after the alarm and return the conditions there."""
        if self.smoke is not None:
            self.smoke.advance_to(time + self.smoke.alarm)
        if self.gas is not None:
            while self.gas.time + 0.5 * self.dt <= time:
                self._gas_step()
        self.time = time
        self.conditions = self._conditions(time)
        if time >= self._next_record - 1e-9:
            self._record(time)
            every = self.spec.record_every
            self._next_record = (math.floor(time / every + 1e-9) + 1) * every
        return self.conditions

    def finish(self, until: float | None = None) -> None:
        """Carry the hazard on, recording, to ``until`` (default: the horizon) s after the alarm."""
        end = self.horizon if until is None else until
        t = max(self.time, 0.0)
        while t < end - 1e-9:
            t = min(end, max(self._next_record, t + self.dt))
            self.advance(t)

    # -- internals ---------------------------------------------------------------------------
    def _gas_step(self) -> None:
        assert self.gas is not None and self.spec.gas is not None and self.species is not None
        g = self.gas
        # the movers hold the concentration they read at g.time until the next read: count the
        # step that starts now with it, so a space's time above a level is what a person who
        # stood in it all along accumulates
        above = self._above_aegl()
        self.gas_above += self.dt * above
        self.gas_first_above[above & np.isnan(self.gas_first_above)] = g.time
        mass = source_rate(self.spec.gas.source, g.time, g.time + self.dt, g.released)
        alarmed = g.time >= 0
        exchange = self.gas_exchange if alarmed else self.gas_exchange_before
        displaced = self.gas_displaced if alarmed else self.gas_displaced_before
        gas_step(g, self.net, node=self.gas_node, mass=mass, ach=self.gas_ach, exchange=exchange,
                 displaced=displaced, dt=self.dt, gas_density=pure_density(self.species))
        bad = self._gas_breach()
        self.gas_aset[bad & np.isnan(self.gas_aset)] = g.time

    def _gas_levels(self) -> tuple[np.ndarray, np.ndarray]:
        assert self.gas is not None and self.species is not None
        c = ppm(self.gas.density, self.species)
        return c, O2_AMBIENT * (1 - c / 1e6)

    def _above_aegl(self) -> np.ndarray:
        """bool [3, n]: the concentration in each space is at or above AEGL-1/2/3 now."""
        c, _ = self._gas_levels()
        return np.asarray(c[None, :] >= self.aegl_ppm[:, None])

    def _gas_breach(self) -> np.ndarray:
        c, o2 = self._gas_levels()
        bad = o2 < self.spec.tenability.oxygen_percent
        if self.gas_untenable is not None:
            bad |= c >= self.gas_untenable
        return np.asarray(bad)

    def _conditions(self, time: float) -> Conditions:
        n = self.net.n
        factor = np.ones(n)
        rate = np.zeros((len(DOSES), n))
        untenable = np.zeros(n, bool)
        sm = self.smoke
        if sm is not None and sm.state.time > 0:
            factor = ten.speed_factor(sm.head.soot)
            rate[0] += sm.rates[0]
            rate[1] += sm.rates[1]
            untenable |= sm.breach
        if self.gas is not None and self.species is not None:
            c, o2 = self._gas_levels()
            zero = np.zeros(n)
            co = c if self.spec.gas is not None and self.spec.gas.species == "carbon_monoxide" else zero
            rate[0] += ten.fed_asphyxiant_rate(co, zero, o2, np.full(n, 0.04))
            rate[DOSES.index("toxic_load")] += c ** self.species.exponent
            rate[[DOSES.index(f"above_aegl{k}") for k in AEGL_LEVELS]] = self._above_aegl()
            untenable |= self._gas_breach()
        return Conditions(time=time, speed_factor=factor, dose_rate=rate, untenable=untenable)

    def _record(self, time: float) -> None:
        n = self.net.n
        nan = np.full(n, np.nan)
        row: dict[str, np.ndarray] = {"time": np.full(n, time), "space": np.arange(n)}
        sm = self.smoke
        if sm is not None:
            h = sm.head
            row.update(layer_height_m=h.layer_height, upper_temp_c=h.upper_temp_c, head_temp_c=h.temp_c,
                       visibility_m=ten.visibility(h.soot), co_ppm=h.co_ppm, o2_percent=h.o2_percent,
                       fed=sm.fed.copy())
        else:
            row.update(layer_height_m=nan, upper_temp_c=nan, head_temp_c=nan, visibility_m=nan, co_ppm=nan,
                       o2_percent=nan, fed=nan)
        if self.gas is not None:
            c, o2 = self._gas_levels()
            row.update(gas_ppm=c, o2_percent=o2 if sm is None else np.minimum(row["o2_percent"], o2))
        else:
            row["gas_ppm"] = nan
        row["speed_factor"] = self.conditions.speed_factor.copy()
        row["untenable"] = self.conditions.untenable.copy()
        self._records.append(row)

    # -- results -----------------------------------------------------------------------------
    def tables(self) -> dict[str, pa.Table]:
        """The hazard's result tables: ``hazard_maps``, ``aset``, ``aset_compartments`` and, as
        they apply, ``fire_devices``, ``hrr`` and ``gas_spaces``.

        A compartment's ASET is the first breach in any of its spaces other than the room of
        origin (the fire's or the gas source's), which ``aset`` lists with the rest.
        """
        ids = np.array(self.space_ids, dtype=object)
        out: dict[str, pa.Table] = {}
        if self._records:
            cols = {k: np.concatenate([r[k] for r in self._records]) for k in self._records[0]}
            cols["space"] = ids[cols["space"]]
            out["hazard_maps"] = pa.table({k: pa.array(v) for k, v in cols.items()})
        aset, aset_p, why, why_p = self._aset()
        comp = np.array(self.net.compartment, dtype=object)
        out["aset"] = pa.table({"space": pa.array(list(ids), pa.string()),
                                "compartment": pa.array(list(comp), pa.string()),
                                "aset_s": aset, "aset_patient_s": aset_p,
                                "criterion": pa.array(why, pa.string()),
                                "criterion_patient": pa.array(why_p, pa.string())})
        names = sorted({c for c in comp if c})
        # the room of origin is untenable almost at once: a compartment's ASET is its first breach elsewhere
        others = np.ones(len(ids), bool)
        if self.smoke is not None:
            others[self.smoke.origin] = False
        if self.gas is not None:
            others[self.gas_node] = False
        first = [_earliest(aset[(comp == c) & others]) for c in names]
        first_p = [_earliest(aset_p[(comp == c) & others]) for c in names]
        out["aset_compartments"] = pa.table({"compartment": pa.array(names, pa.string()),
                                             "aset_s": pa.array(first, pa.float64()),
                                             "aset_patient_s": pa.array(first_p, pa.float64())})
        sm = self.smoke
        if sm is not None:
            act = sm.devices.activated - sm.alarm
            out["fire_devices"] = pa.table({"kind": pa.array(list(sm.devices.kind), pa.string()),
                                            "space": pa.array([self.space_ids[k] for k in sm.devices.node],
                                                              pa.string()),
                                            "activated_s": act})
            t, q = (np.array(v) for v in zip(*sm.hrr_log, strict=True)) if sm.hrr_log else (np.zeros(0),) * 2
            out["hrr"] = pa.table({"time": t - sm.alarm, "hrr_kw": q})
        if self.gas is not None:
            out["gas_spaces"] = self._gas_table()
        return out

    def _aset(self) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
        n = self.net.n
        aset = np.full(n, np.nan)
        aset_p = np.full(n, np.nan)
        why = [""] * n
        why_p = [""] * n
        sm = self.smoke
        if sm is not None:
            aset, aset_p = sm.aset.copy(), sm.aset_patient.copy()
            why = [CRITERIA[k] if k >= 0 else "" for k in sm.first]
            why_p = [CRITERIA[k] if k >= 0 else "" for k in sm.first_patient]
        if self.gas is not None:
            g = self.gas_aset
            for arr, label in ((aset, why), (aset_p, why_p)):
                take = np.isfinite(g) & ~(g >= arr)
                arr[take] = g[take]
                for k in np.flatnonzero(take):
                    label[k] = "gas"
        return aset, aset_p, why, why_p

    def _gas_table(self) -> pa.Table:
        assert self.species is not None and self.spec.gas is not None
        sp, dur = self.species, self.spec.gas.aegl_duration_min
        times = np.array([r["time"][0] for r in self._records])
        conc = np.stack([r["gas_ppm"] for r in self._records]) if self._records else np.zeros((0, self.net.n))
        o2 = O2_AMBIENT * (1 - conc / 1e6)
        cols: dict[str, object] = {"space": list(self.space_ids), "peak_ppm": conc.max(axis=0, initial=0.0),
                                   "min_o2_percent": o2.min(axis=0, initial=O2_AMBIENT)}
        for row, level in enumerate(AEGL_LEVELS):
            cols[f"first_above_aegl{level}_s"] = self.gas_first_above[row]
            cols[f"time_above_aegl{level}_s"] = self.gas_above[row]
        safe = _safe_level(sp, dur)
        unsafe = (o2 < self.spec.tenability.oxygen_percent) | (conc >= safe if safe is not None else False)
        cols["ever_unsafe"] = unsafe.any(axis=0)
        cols["unsafe_at_end"] = unsafe[-1] if len(times) else np.zeros(self.net.n, bool)
        cols["safe_again_s"] = _safe_again(times, unsafe)
        return pa.table(cols)


def _or_inf(limit: float | None) -> float:
    """A threshold, or infinity for a level that is not published (nothing is ever above it)."""
    return math.inf if limit is None else limit


def _earliest(times: np.ndarray) -> float:
    """The earliest finite time, or NaN."""
    ok = times[np.isfinite(times)]
    return float(ok.min()) if ok.size else math.nan


def _safe_level(sp: Species, duration: int) -> float | None:
    """Concentration below which a space is safe again: AEGL-1, else a published limit, else AEGL-2/IDLH."""
    a1 = sp.aegl(1, duration)
    if a1 is not None:
        return a1
    return sp.exposure_limit if sp.exposure_limit is not None else sp.untenable_ppm(duration)


def _safe_again(times: np.ndarray, unsafe: np.ndarray) -> np.ndarray:
    """Per column: the first record after the last unsafe one (NaN if never unsafe or unsafe at the end)."""
    if not len(times):
        return np.zeros(0)
    ever = unsafe.any(axis=0)
    last = len(times) - 1 - np.argmax(unsafe[::-1], axis=0)
    still = unsafe[-1]
    after = np.minimum(last + 1, len(times) - 1)
    return np.where(ever & ~still, times[after], np.nan)
