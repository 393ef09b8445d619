"""The compiled tenability assessment of one smoke step, over every space in one pass.

After each zone-model step :class:`scenarios.hazards.smoke.Smoke` reads, per space, the
conditions at head height (:func:`scenarios.hazards.smoke.head_conditions`), the dose rates
(:mod:`scenarios.hazards.tenability`), the dose a person standing there since ignition has
taken, and the first breach of each criterion (ASET, general and patient limits).  In numpy
that was some sixty array operations a step, a third of a small network's step; here it is one
loop, pinned to the numpy functions it mirrors by the tests (the formulas are the scalar twins
in :mod:`scenarios.hazards.tenability`).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from scenarios.hazards.tenability import fed_asphyxiant_scalar, fed_heat_scalar, visibility_scalar

__all__ = ["ASSESS_CONSTS", "HEAD_ROWS", "assess_step"]

LOWER, UPPER = 0, 1
SOOT, CO, CO2, HCN, O2 = range(5)
#: Rows of the head-conditions array, in the order of ``HeadConditions``' fields.
HEAD_ROWS = ("temp_c", "soot", "co_ppm", "hcn_ppm", "o2_percent", "co2_percent", "layer_height",
             "upper_temp_c")
#: Layout of the constants array.
ASSESS_CONSTS = ("head", "dt", "time", "fed", "fed_patient", "temperature", "layer_height", "layer_min_rise",
                 "t_amb", "cp", "rho_t", "air_m", "co_m", "hcn_m", "o2_m", "co2_m")


@numba.njit(cache=True)
def assess_step(state: tuple[np.ndarray, np.ndarray, np.ndarray],
                geometry: tuple[np.ndarray, np.ndarray, np.ndarray],
                doses: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                out: tuple[np.ndarray, np.ndarray, np.ndarray],
                c: np.ndarray) -> None:  # pragma: no cover - compiled
    """Assess every space after a step, in place.

    Args:
        state: ``(m, e, y)`` of the zone state: float [2, n] layer masses, kg, and enthalpies, J;
            float [k, 2, n] species masses, kg.
        geometry: float [n] ceiling heights, m, floor areas, m^2, and visibility limits, m.
        doses: float [n] the dose taken since ignition (added to), float [n] ASET (general,
            patient; NaN until the first breach, then set once), int [n] the criterion that
            tripped first (general, patient).
        out: float [8, n] the head conditions (rows :data:`HEAD_ROWS`), float [2, n] the dose
            rates (asphyxiant, heat) per second, bool [n] the breach of the general criteria now.
        c: float constants in the order of :data:`ASSESS_CONSTS`.
    """
    m, e, y = state
    height, area, vis_limit = geometry
    fed, aset, aset_patient, first, first_patient = doses
    head_out, rates, breach = out
    head, dt, now, fed_limit, fed_patient = c[0], c[1], c[2], c[3], c[4]
    t_limit, z_limit, min_rise, t_amb, cp, rho_t = c[5], c[6], c[7], c[8], c[9], c[10]
    air_m, co_m, hcn_m, o2_m, co2_m = c[11], c[12], c[13], c[14], c[15]
    codes = np.empty(4, np.bool_)
    for i in range(height.size):
        z = min(max(height[i] - e[UPPER, i] / (cp * rho_t) / area[i], 0.0), height[i])
        layer = UPPER if z < min(head, height[i]) else LOWER
        mass = m[layer, i]
        temp = e[layer, i] / (cp * mass)
        t_upper = e[UPPER, i] / (cp * m[UPPER, i])
        soot = y[SOOT, layer, i] / mass * rho_t / temp
        co = y[CO, layer, i] / mass * air_m / co_m * 1e6
        hcn = y[HCN, layer, i] / mass * air_m / hcn_m * 1e6
        o2 = y[O2, layer, i] / mass * air_m / o2_m * 100
        co2 = y[CO2, layer, i] / mass * air_m / co2_m * 100
        temp_c = temp - 273.15
        head_out[0, i], head_out[1, i], head_out[2, i], head_out[3, i] = temp_c, soot, co, hcn
        head_out[4, i], head_out[5, i], head_out[6, i], head_out[7, i] = o2, co2, z, t_upper - 273.15
        # clean air (no CO or HCN, oxygen above 20 %) carries exactly no asphyxiant dose
        clean = co <= 0.0 and hcn <= 0.0 and o2 >= 20.0
        rates[0, i] = 0.0 if clean else fed_asphyxiant_scalar(co, hcn, o2, co2)
        rates[1, i] = fed_heat_scalar(temp_c)
        fed[i] += (rates[0, i] + rates[1, i]) * dt
        rise = t_upper - t_amb
        codes[1] = visibility_scalar(soot) < vis_limit[i]
        codes[2] = temp_c >= t_limit
        codes[3] = z < z_limit and rise >= min_rise
        for limit, times, which in ((fed_limit, aset, first), (fed_patient, aset_patient, first_patient)):
            codes[0] = fed[i] >= limit
            if math.isnan(times[i]):
                for k in range(4):
                    if codes[k]:
                        times[i] = now
                        which[i] = k
                        break
        codes[0] = fed[i] >= fed_limit
        breach[i] = codes[0] or codes[1] or codes[2] or codes[3]
