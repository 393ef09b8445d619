"""A fire's smoke over the whole facility, as the evacuation model sees it.

:class:`Smoke` runs the zone model (:mod:`scenarios.hazards.zone`) on the facility's network
with the design fire, its detectors and sprinklers, the door policy and the HVAC mode, at a
fixed step.  Its clock is the evacuation's: seconds since the alarm.  The fire starts at the
scenario's ``start`` (negative: before the alarm), or, with ``alarm: detection``, the alarm
sounds ``alarm_delay`` seconds after the first device activates (found by running the fire
up to it).  Fire and smoke doors close when the alarm sounds unless wedged open.

At every step it evaluates, per space, the conditions at head height (the upper layer once
the interface is below the tenability layer height), the dose rates, the walking-speed
factor and the tenability criteria; it keeps the first breach per space (ASET, for the
general population and for patients) and records maps every ``record_every`` seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scenarios.errors import ScenarioFileError
from scenarios.hazards import plume
from scenarios.hazards import tenability as ten
from scenarios.hazards.assess_kernel import HEAD_ROWS, assess_step
from scenarios.hazards.fire import (
    Devices,
    FireProgress,
    heat_release,
    new_devices,
    update_devices,
)
from scenarios.hazards.network import Network, door_states
from scenarios.hazards.schema import FireSpec, Tenability
from scenarios.hazards.zone import (
    CO,
    CO2,
    CP,
    HCN,
    LOWER,
    O2,
    RHO_T,
    SOOT,
    UPPER,
    FireInput,
    PressureSolver,
    ZoneState,
    layer_height,
    layer_temperature,
    new_state,
    step,
)

__all__ = ["CRITERIA", "HeadConditions", "Smoke", "assess_reference", "head_conditions"]

#: Names of the tenability criteria, in the order of the breach codes.
CRITERIA = ("fed", "visibility", "temperature", "layer")
#: Molar masses, g/mol, for ppm and % by volume.
AIR_M, CO_M, HCN_M, O2_M, CO2_M = 28.96, 28.01, 27.03, 32.0, 44.01
#: Longest run of the fire before the alarm when detectors raise it, s.
MAX_DETECTION = 3600.0


@dataclass(frozen=True, slots=True)
class HeadConditions:
    """Conditions at head height in every space (arrays [n])."""

    temp_c: np.ndarray
    soot: np.ndarray
    co_ppm: np.ndarray
    hcn_ppm: np.ndarray
    o2_percent: np.ndarray
    co2_percent: np.ndarray
    layer_height: np.ndarray
    upper_temp_c: np.ndarray


def head_conditions(s: ZoneState, net: Network, head: float) -> HeadConditions:
    """Conditions a person breathes: the upper layer where the interface is below ``head`` m."""
    z = layer_height(s, net)
    temp = layer_temperature(s)
    layer = np.where(z < np.minimum(head, net.height), UPPER, LOWER)
    cols = np.arange(net.n)
    m = s.m[layer, cols]
    frac = s.y[:, layer, cols] / m
    rho = RHO_T / temp[layer, cols]
    return HeadConditions(
        temp_c=temp[layer, cols] - 273.15, soot=frac[SOOT] * rho,
        co_ppm=frac[CO] * AIR_M / CO_M * 1e6, hcn_ppm=frac[HCN] * AIR_M / HCN_M * 1e6,
        o2_percent=frac[O2] * AIR_M / O2_M * 100, co2_percent=frac[CO2] * AIR_M / CO2_M * 100,
        layer_height=z, upper_temp_c=temp[UPPER] - 273.15)


class Smoke:
    """The smoke of one design fire over a facility network (see the module docstring).

    Args:
        net: The facility's network.
        spec: The fire.
        criteria: Tenability criteria.
        dt: Zone-model step, s.
        t_amb: Ambient temperature, K.
    """

    def __init__(self, net: Network, spec: FireSpec, criteria: Tenability, *, origin: int, dt: float = 1.0,
                 t_amb: float = 293.15) -> None:
        self.net, self.spec, self.criteria, self.dt = net, spec, criteria, dt
        self.origin = origin
        self.state = new_state(net, t_amb)
        self.solver = PressureSolver(net)
        fuel = np.inf if spec.fuel_load is None else spec.fuel_load * 1e6 * float(net.area[origin])
        self.progress = FireProgress(fuel=fuel)
        index = {s: k for k, s in enumerate(net.space_ids)}
        self.devices: Devices = new_devices(spec, origin, index, t_amb)
        self.alarm_tau: float | None = -spec.start if spec.alarm == "fixed" else None
        self.doors_closed_at: float | None = None
        self.open_, self.after_alarm = door_states(net, spec.doors)
        large = net.area >= criteria.large_space_area
        self.vis_limit = np.where(large, criteria.visibility_large, criteria.visibility_small)
        self.fed = np.zeros(net.n)
        self.aset = np.full(net.n, np.nan)
        self.aset_patient = np.full(net.n, np.nan)
        self.first = np.full(net.n, -1, np.int64)
        self.first_patient = np.full(net.n, -1, np.int64)
        self.rates = np.zeros((2, net.n))
        self.breach = np.zeros(net.n, bool)
        self.head = head_conditions(self.state, net, criteria.layer_height)
        self.hrr_log: list[tuple[float, float]] = []
        y = spec.yields
        self._yields = (y.soot, y.co, y.co2, y.hcn, y.h2o)
        crit = criteria
        # the assessment's constants; slot 2 (time since the alarm) is set at each step
        self._consts = np.array([crit.layer_height, dt, 0.0, crit.fed, crit.fed_patient, crit.temperature,
                                 crit.layer_height, crit.layer_min_rise, t_amb, CP, RHO_T, AIR_M, CO_M, HCN_M,
                                 O2_M, CO2_M])
        if self.alarm_tau is None:
            self._run_to_detection()

    # -- doors and ventilation ------------------------------------------------------------
    def _close_on_alarm(self) -> None:
        self.open_ = self.open_ & self.after_alarm

    def _ventilation(self, tau: float) -> tuple[np.ndarray | None, np.ndarray | None]:
        net, mode = self.net, self.spec.hvac
        if mode == "off":
            return None, None
        flow = net.ach * net.volume / 3600.0
        alarmed = self.alarm_tau is not None and tau >= self.alarm_tau
        if mode == "running" or not alarmed:
            return flow, flow
        fire_comp = net.compartment[self.origin]
        in_comp = (np.array(net.compartment) == fire_comp) if fire_comp else (np.arange(net.n) == self.origin)
        return None, np.where(in_comp, self.spec.extract_ach * net.volume / 3600.0, 0.0)

    # -- stepping --------------------------------------------------------------------------
    def _step(self) -> None:
        s, spec = self.state, self.spec
        tau = s.time + self.dt
        q_kw = heat_release(spec, self.progress, tau - 0.5 * self.dt)
        fire = FireInput(node=self.origin, hrr=q_kw * 1e3, radiative_fraction=spec.radiative_fraction,
                         heat_of_combustion=spec.heat_of_combustion * 1e6, yields=self._yields,
                         base=spec.base_height, diameter=math.sqrt(4.0 * spec.burning_area(q_kw) / math.pi),
                         mirror=plume.CORNER if spec.corner else plume.FREE)
        supply, extract = self._ventilation(s.time)
        step(s, self.net, self.solver, self.open_, self.dt, fire=fire, supply=supply, extract=extract)
        # the item loses the fuel it gives off whether that burns here or leaves unburnt
        self.progress.spent += q_kw * 1e3 * self.dt
        self.hrr_log.append((tau, s.hrr / 1e3))
        fired: list[int] = []
        if spec.detectors:
            temp = layer_temperature(s)
            soot_upper = s.y[SOOT, UPPER] / s.m[UPPER] * RHO_T / temp[UPPER]
            fired = update_devices(self.devices, spec, tau=tau, dt=self.dt, origin=self.origin,
                                   hrr_kw=s.hrr / 1e3, ceiling=self.net.height, upper_temp=temp[UPPER],
                                   soot=soot_upper)
        for k in fired:
            if self.alarm_tau is None:
                self.alarm_tau = tau + spec.alarm_delay
            if self.devices.kind[k] == "sprinkler" and self.progress.held is None:
                self.progress.held = s.hrr / 1e3
        if self.alarm_tau is not None and self.doors_closed_at is None and tau >= self.alarm_tau:
            self._close_on_alarm()
            self.doors_closed_at = tau
        self._assess(tau)

    def _assess(self, tau: float) -> None:
        """Head conditions, dose rates, doses and first breaches after a step (compiled)."""
        net, s = self.net, self.state
        consts = self._consts
        consts[2] = tau - (self.alarm_tau if self.alarm_tau is not None else 0.0)
        head, rates, breach = np.empty((len(HEAD_ROWS), net.n)), np.empty((2, net.n)), np.empty(net.n, bool)
        doses = (self.fed, self.aset, self.aset_patient, self.first, self.first_patient)
        assess_step((s.m, s.e, s.y), (net.height, net.area, self.vis_limit), doses, (head, rates, breach),
                    consts)
        self.head = HeadConditions(*head)
        self.rates = rates
        self.breach = breach

    def _run_to_detection(self) -> None:
        while self.alarm_tau is None:
            if self.state.time >= MAX_DETECTION:
                # The scenario's fault, not the run's: named by field, and by file once the
                # command line knows it (the model is not told where its scenario came from).
                raise ScenarioFileError("<scenario>", "hazard.fire.detectors",
                                        f"no detector activated within {MAX_DETECTION:.0f} s of ignition, so "
                                        "the alarm never sounds; expected detectors the fire can set off "
                                        "(nearer it, more sensitive) or 'alarm: fixed'")
            self._step()

    def advance_to(self, tau: float) -> None:
        """Step until ``tau`` s after ignition (never backwards)."""
        while self.state.time + 0.5 * self.dt <= tau:
            self._step()

    @property
    def alarm(self) -> float:
        """Alarm time, s after ignition."""
        return float(self.alarm_tau if self.alarm_tau is not None else 0.0)


def assess_reference(s: ZoneState, net: Network, crit: Tenability, *, vis_limit: np.ndarray,
                     doses: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], dt: float,
                     t: float) -> tuple[HeadConditions, np.ndarray, np.ndarray]:
    """The assessment after a step in plain numpy: the twin of the compiled
    :func:`scenarios.hazards.assess_kernel.assess_step`, on the same arguments.

    Updates ``doses`` (dose since ignition, ASET general and patient, first criterion general
    and patient) as the kernel does, ``t`` being the time since the alarm, and returns (head
    conditions, dose rates [2, n], breach of the general criteria [n]).
    """
    fed, aset_general, aset_patient, first_general, first_patient = doses
    h = head_conditions(s, net, crit.layer_height)
    rates = np.stack([ten.fed_asphyxiant_rate(h.co_ppm, h.hcn_ppm, h.o2_percent, h.co2_percent),
                      ten.fed_heat_rate(h.temp_c)])
    fed += rates.sum(axis=0) * dt
    rise = h.upper_temp_c - (s.t_amb - 273.15)
    codes = np.stack([np.zeros(net.n, bool), ten.visibility(h.soot) < vis_limit,
                      h.temp_c >= crit.temperature,
                      (h.layer_height < crit.layer_height) & (rise >= crit.layer_min_rise)])
    for limit, aset, first in ((crit.fed, aset_general, first_general),
                               (crit.fed_patient, aset_patient, first_patient)):
        codes[0] = fed >= limit
        hit = codes.any(axis=0) & np.isnan(aset)
        aset[hit] = t
        first[hit] = np.argmax(codes[:, hit], axis=0)
    codes[0] = fed >= crit.fed
    return h, rates, np.asarray(codes.any(axis=0))
