"""How much a layer's carbon dioxide and water vapour absorb: the gas bands of its radiation.

A layer of a clean fuel's smoke holds little soot but a good deal of CO2 and water vapour,
whose infrared bands make it absorb and emit.  Leaving them out (soot alone, CFAST's floor of
0.01 /m in clear gas) made the layer of FM/NBS test 19's propene burner radiate too little
to its walls and run some 30 % hotter than CFAST's.  As CFAST does (Technical Reference Guide,
NIST SP 1889v1, "Radiation"; its ``absorb``), after the SFPE Handbook (1988, pp. 1-99 to 1-101):

* each gas's total emissivity ``e(T, pL)`` is read from Hottel's charts at the layer's
  temperature and its partial pressure-path length product ``pL`` (atm m, ``p`` the gas's mole
  fraction at 1 atm, ``L`` the layer's mean beam length), interpolated linearly in
  ``log10 T`` and ``log10 pL`` and held at the charts' edges, except below their least ``pL``
  (0.001 atm m), where a gas is optically thin and its emissivity falls in proportion to
  ``pL`` (CFAST holds it there, which would give a layer a few millimetres deep the
  emissivity of one a metre deep);
* the two overlap: ``a_g = e_H2O + 0.5 e_CO2`` (the handbook's ``c_H2O e_H2O + c_CO2 e_CO2 -
  de`` at the concentrations of fire gases);
* the layer's absorption coefficient adds the soot's, ``a = 1195.5 f_v T - ln(1 - a_g) / L``
  per metre (see :mod:`scenarios.hazards.walls`), so that over the beam length the layer's
  emissivity is ``1 - (1 - a_g) exp(-1195.5 f_v T L)``.

The charts below are Hottel's, tabulated as ``log10`` of the emissivity at the same nodes as
CFAST's digitisation of the handbook's figures (temperatures 200-3000 K, ``pL`` 0.001-4 atm m).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["CO2_LOG_E", "H2O_LOG_E", "LOG_PL", "band_absorbance", "chart_emissivity"]

#: log10 of the charts' path-length products, atm m (both gases).
LOG_PL = np.array([-3.0, -2.699, -2.3979, -2.0, -1.699, -1.3979, -1.0, -0.699, -0.3979, 0.0, 0.301, 0.6021])
#: log10 of the charts' temperatures, K: CO2 (200-3000 K) and H2O (209-3000 K).
LOG_T_CO2 = np.array([2.301, 2.4771, 2.6021, 2.699, 2.7782, 2.8451, 2.9031, 2.9542, 3.0, 3.301, 3.4771])
LOG_T_H2O = np.array([2.3201, 2.4771, 2.6021, 2.699, 2.7782, 2.8451, 2.9031, 2.9542, 3.0, 3.301, 3.4771])
#: log10 of CO2's total emissivity, one row per ``LOG_PL``, one column per ``LOG_T_CO2``.
CO2_LOG_E = np.array([
    [-1.8508, -1.8416, -1.8508, -1.7799, -1.6990, -1.6799, -1.6904, -1.6990, -1.7399, -2.3706, -2.8996],
    [-1.6990, -1.6799, -1.6904, -1.6308, -1.5498, -1.5302, -1.5302, -1.5498, -1.5800, -2.1002, -2.6108],
    [-1.5406, -1.5200, -1.5498, -1.4895, -1.4401, -1.3904, -1.3904, -1.4101, -1.4202, -1.8894, -2.3002],
    [-1.3799, -1.3298, -1.3497, -1.3298, -1.2700, -1.2403, -1.2403, -1.2503, -1.2700, -1.6596, -2.0400],
    [-1.2403, -1.2000, -1.2403, -1.2104, -1.1599, -1.1403, -1.1302, -1.1403, -1.1500, -1.5200, -1.8894],
    [-1.1403, -1.1002, -1.1403, -1.1203, -1.0799, -1.0400, -1.0301, -1.0301, -1.0600, -1.3799, -1.7305],
    [-1.0400, -0.9914, -1.0200, -1.0200, -0.9706, -0.9547, -0.9431, -0.9355, -0.9431, -1.1599, -1.4802],
    [-0.9914, -0.9431, -0.9547, -0.9508, -0.9136, -0.8827, -0.8666, -0.8539, -0.8601, -1.1002, -1.3706],
    [-0.9355, -0.8697, -0.8928, -0.8827, -0.8477, -0.8097, -0.7932, -0.7852, -0.7932, -1.0000, -1.2700],
    [-0.8762, -0.8013, -0.8097, -0.8013, -0.7645, -0.7352, -0.7100, -0.6990, -0.6990, -0.8962, -1.1331],
    [-0.8297, -0.7496, -0.7645, -0.7472, -0.7055, -0.6696, -0.6421, -0.6326, -0.6402, -0.8097, -1.0301],
    [-0.8013, -0.7144, -0.7144, -0.6840, -0.6478, -0.6108, -0.5884, -0.5817, -0.5817, -0.7352, -0.9431],
])
#: log10 of H2O's total emissivity, one row per ``LOG_PL``, one column per ``LOG_T_H2O``.
H2O_LOG_E = np.array([
    [-1.1500, -1.5200, -1.7496, -1.8996, -2.0000, -2.1002, -2.1898, -2.2798, -2.3706, -3.0555, -3.4437],
    [-1.0200, -1.3298, -1.5302, -1.6596, -1.7595, -1.8416, -1.9208, -2.0000, -2.0799, -2.7496, -3.1871],
    [-0.8962, -1.1701, -1.3242, -1.4597, -1.5406, -1.6003, -1.6596, -1.7305, -1.7905, -2.4202, -2.8794],
    [-0.7696, -1.0000, -1.1302, -1.2204, -1.3002, -1.3497, -1.4001, -1.4401, -1.4802, -1.9914, -2.5200],
    [-0.6402, -0.8729, -0.9957, -1.0799, -1.1302, -1.1701, -1.2104, -1.2503, -1.2899, -1.6904, -2.1500],
    [-0.5884, -0.7645, -0.8729, -0.9355, -0.9788, -1.0200, -1.0400, -1.0701, -1.1002, -1.4101, -1.8210],
    [-0.5003, -0.6556, -0.7258, -0.7545, -0.7932, -0.8153, -0.8447, -0.8665, -0.8894, -1.0799, -1.4401],
    [-0.4437, -0.5670, -0.6271, -0.6402, -0.6517, -0.6696, -0.6861, -0.6990, -0.7190, -0.8729, -1.1403],
    [-0.3936, -0.5086, -0.5302, -0.5376, -0.5482, -0.5528, -0.5670, -0.5719, -0.5817, -0.7122, -0.9431],
    [-0.3458, -0.4295, -0.4401, -0.4365, -0.4401, -0.4413, -0.4510, -0.4535, -0.4584, -0.5376, -0.7144],
    [-0.2958, -0.3686, -0.3686, -0.3645, -0.3645, -0.3686, -0.3706, -0.3757, -0.3757, -0.4510, -0.5952],
    [-0.2620, -0.3307, -0.3233, -0.3045, -0.3010, -0.3045, -0.3045, -0.3054, -0.3080, -0.3605, -0.5086],
])
#: Weight of CO2's emissivity where the two gases' bands overlap (SFPE Handbook, via CFAST).
CO2_WEIGHT = 0.5


@numba.njit(cache=True)
def _bracket(nodes: np.ndarray, x: float) -> tuple[int, float]:  # pragma: no cover - compiled
    """Index ``i`` of the chart interval holding ``x``, and node ``i + 1``'s weight (held at the edges)."""
    last = nodes.size - 1
    if x <= nodes[0]:
        return 0, 0.0
    if x >= nodes[last]:
        return last - 1, 1.0
    i = 0
    while nodes[i + 1] < x:
        i += 1
    return i, (x - nodes[i]) / (nodes[i + 1] - nodes[i])


@numba.njit(cache=True)
def _log_emissivity(log_e: np.ndarray, log_t: np.ndarray, t: float, pl: float) -> float:  # pragma: no cover
    i, wt = _bracket(log_t, math.log10(t))
    log_pl = math.log10(pl)
    j, wp = _bracket(LOG_PL, log_pl)
    lo = log_e[j, i] * (1.0 - wt) + log_e[j, i + 1] * wt
    hi = log_e[j + 1, i] * (1.0 - wt) + log_e[j + 1, i + 1] * wt
    thin = min(log_pl - LOG_PL[0], 0.0)  # optically thin below the charts: e in proportion to pL
    return lo * (1.0 - wp) + hi * wp + thin


@numba.njit(cache=True)
def band_absorbance(t: float, pl_co2: float, pl_h2o: float) -> float:  # pragma: no cover - compiled
    """The two gases' absorbance ``a_g = e_H2O + 0.5 e_CO2`` at ``t`` K (module docstring).

    Args:
        t: Layer temperature, K.
        pl_co2: CO2's partial pressure times the beam length, atm m (0: none).
        pl_h2o: Water vapour's, atm m.
    """
    a = 0.0
    if pl_co2 > 0.0:
        a += CO2_WEIGHT * 10.0 ** _log_emissivity(CO2_LOG_E, LOG_T_CO2, t, pl_co2)
    if pl_h2o > 0.0:
        a += 10.0 ** _log_emissivity(H2O_LOG_E, LOG_T_H2O, t, pl_h2o)
    return min(a, 0.99)


def chart_emissivity(gas: str, t: float, pl: float) -> float:
    """One gas's total emissivity from its chart (``gas`` ``"co2"`` or ``"h2o"``).

    >>> round(chart_emissivity("co2", 1000.0, 1.0), 3), round(chart_emissivity("h2o", 1000.0, 1.0), 3)
    (0.2, 0.348)
    """
    table, temps = (CO2_LOG_E, LOG_T_CO2) if gas == "co2" else (H2O_LOG_E, LOG_T_H2O)
    return float(10.0 ** _log_emissivity(table, temps, t, pl))
