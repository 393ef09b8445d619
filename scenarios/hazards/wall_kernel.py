"""The compiled wall step: the heat every space's layers exchange with their surfaces, and conduction.

One pass over the spaces does what :func:`scenarios.hazards.walls.exchange_reference` does with
some sixty array operations (its plain-numpy twin, which pins this kernel in the tests):
convection and radiation between each layer and its surfaces (each layer's emissivity from its
soot and its CO2 and water-vapour bands, :mod:`scenarios.hazards.gas_bands`), the upper layer's radiation down
to the lower layer, the floor and the lower walls, the ceiling jet and the fire's radiation in
the fire's space, the stability cap on both sides, then the slabs' conduction.  Spaces whose
gas and surfaces are all at ambient are skipped (nothing would change), so a quiet building
costs next to nothing.

:func:`wall_inputs` gathers what the step needs from the layers in one more pass (their soot
density, CO2 and water-vapour mole fractions, and the stability cap on the heat a layer may
give or take, which reads the hottest surface); twin :func:`wall_inputs_reference`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from scenarios.hazards.gas_bands import band_absorbance

__all__ = ["WALL_INPUT_CONSTS", "wall_inputs", "wall_inputs_reference", "wall_step"]

#: Layout of :func:`wall_inputs`' constants: ambient K, largest share a layer may give, cp,
#: step s, the molar-mass ratios turning CO2's and water's mass fractions into mole fractions,
#: and the rows of soot, CO2 and water in the species arrays.
WALL_INPUT_CONSTS = ("t_amb", "max_share", "cp", "dt", "co2_ratio", "h2o_ratio", "soot_row", "co2_row",
                     "h2o_row")


@numba.njit(cache=True)
def _absorption(t: float, soot: float, bands: tuple[float, float], beam: float,
                consts: tuple[float, float]) -> float:  # pragma: no cover - compiled
    """A layer's absorption coefficient, 1/m: soot's ``kext soot T`` and the gas bands' ``-ln(1 - a_g) / L``.

    ``bands`` are the mole fractions of CO2 and water vapour, ``consts`` (kext, least absorption).
    """
    kext, kmin = consts
    x_co2, x_h2o = bands
    a = kext * soot * t
    if beam > 1e-9:
        a -= math.log(1.0 - band_absorbance(t, x_co2 * beam, x_h2o * beam)) / beam
    return max(a, kmin)


@numba.njit(cache=True)
def wall_step(slabs: tuple[np.ndarray, np.ndarray], lining: tuple[np.ndarray, np.ndarray],
              gas: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], fire: np.ndarray,
              consts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Advance every surface by one step; return (heat each layer gives [2, n] W, absorbed [2, n] W).

    Args:
        slabs: ``(temp, flux)``, changed in place: float [4, n, c] cell temperatures, K, and
            float [4, n] the faces' flux over the last step, W/m^2 (set to this step's).
        lining: ``(props, dx)``: float [4, 3] conductivity, volumetric heat capacity and
            emissivity of each surface, and float [4, c] cell thicknesses, m.
        gas: ``(geometry, t_gas, soot, cap, bands)``: float [4, n] area, perimeter, height and
            interface height (m^2, m); float [2, n] layer temperatures, K; float [2, n] soot
            densities, kg/m^3; float [2, n] the largest heat a layer may give or take, W;
            float [2, 2, n] mole fractions of CO2 (row 0) and water vapour (row 1) per layer.
        fire: float [3]: space (-1: none), convective W, radiated W.
        consts: float [13]: dt, sub-step, ambient K, back-face coefficient, convection of
            horizontal surfaces and of walls, jet coefficient and exponents (3), soot
            absorption per kg/m^3 and kelvin, beam factor, Stefan-Boltzmann, least absorption.
    """
    temp, flux = slabs
    props, dx = lining
    geometry, t_gas, soot, cap, bands = gas
    dt, sub, t_amb, back_film = consts[0], consts[1], consts[2], consts[3]
    c_hor, c_wall, jet_c, jet_a, jet_h = consts[4], consts[5], consts[6], consts[7], consts[8]
    kext, beam_f, sigma, kmin = consts[9], consts[10], consts[11], consts[12]
    n = temp.shape[1]
    cells = temp.shape[2]
    to_layers = np.zeros((2, n))
    absorbed = np.zeros((2, n))
    fire_node = int(fire[0])
    layer_of = (1, 0, 1, 0)
    steps = max(1, math.ceil(dt / sub))
    h = dt / steps
    ts = np.empty(4)
    surf = np.empty(4)
    f = np.empty(4)
    down = np.zeros(4)
    radiant = np.zeros(4)
    net = np.empty(cells)
    for i in range(n):
        quiet = i != fire_node and abs(t_gas[0, i] - t_amb) < 1e-9 and abs(t_gas[1, i] - t_amb) < 1e-9
        if quiet:
            for j in range(4):
                if flux[j, i] != 0.0:
                    quiet = False
                for c in range(cells):
                    if temp[j, i, c] != t_amb:
                        quiet = False
        if quiet:
            continue
        area, per, height, z = geometry[0, i], geometry[1, i], geometry[2, i], geometry[3, i]
        depth_l, depth_u = z, height - z
        surf[0], surf[1], surf[2], surf[3] = area, area, per * depth_u, per * depth_l
        beam_l = beam_f * area * depth_l / max(2.0 * area + per * depth_l, 1e-9)
        beam_u = beam_f * area * depth_u / max(2.0 * area + per * depth_u, 1e-9)
        a_l = _absorption(t_gas[0, i], soot[0, i], (bands[0, 0, i], bands[1, 0, i]), beam_l, (kext, kmin))
        a_u = _absorption(t_gas[1, i], soot[1, i], (bands[0, 1, i], bands[1, 1, i]), beam_u, (kext, kmin))
        eps_g = (1.0 - math.exp(-a_l * beam_l), 1.0 - math.exp(-a_u * beam_u))
        view = area / max(area + per * depth_l, 1e-9)
        tu = t_gas[1, i]
        for j in range(4):
            k = props[j, 0]
            ts[j] = temp[j, i, 0] + flux[j, i] * 0.5 * dx[j, 0] / k
            tg = t_gas[layer_of[j], i]
            d = tg - ts[j]
            coef = c_hor if j < 2 else c_wall
            f[j] = coef * abs(d) ** (1.0 / 3.0) * d
            if j == 0 and i == fire_node:
                # over the fire the ceiling jet's mean flux is a floor on the convection only
                f[0] = max(f[0], jet_c * fire[1] / (area ** jet_a * height ** jet_h))
            f[j] += props[j, 2] * eps_g[layer_of[j]] * sigma * (tg ** 4 - ts[j] ** 4)
            down[j] = 0.0
            radiant[j] = 0.0
        for j in (1, 3):
            down[j] = props[j, 2] * eps_g[1] * (1.0 - eps_g[0]) * sigma * (tu ** 4 - ts[j] ** 4) * view
        between = eps_g[0] * eps_g[1] * sigma * (tu ** 4 - t_gas[0, i] ** 4) * area
        if i == fire_node:
            qr = fire[2]
            total = surf[0] + surf[1] + surf[2] + surf[3]
            if total > 0 and qr > 0:
                for j in range(4):
                    aim = qr * surf[j] / total
                    eps = eps_g[layer_of[j]]
                    absorbed[layer_of[j], i] += aim * eps
                    radiant[j] = aim * (1.0 - eps) / max(surf[j], 1e-9)
        low = f[1] * surf[1] + f[3] * surf[3]
        upp = f[0] * surf[0] + f[2] * surf[2] + down[1] * surf[1] + down[3] * surf[3]
        scale_l = 1.0 / max(abs(low) / max(cap[0, i], 1e-300), 1.0)
        scale_u = 1.0 / max(abs(upp) / max(cap[1, i], 1e-300), 1.0)
        low *= scale_l
        upp *= scale_u
        room = max(min(cap[0, i] - abs(low), cap[1, i] - abs(upp)), 0.0)
        between = min(max(between, -room), room)
        to_layers[0, i] = low - between
        to_layers[1, i] = upp + between
        for j in range(4):
            s = scale_u if layer_of[j] == 1 else scale_l
            flux[j, i] = f[j] * s + down[j] * scale_u + radiant[j]
            k, rho_c = props[j, 0], props[j, 1]
            back = 1.0 / (1.0 / back_film + 0.5 * dx[j, cells - 1] / k)
            for _ in range(steps):
                for c in range(cells):
                    net[c] = 0.0
                for c in range(cells - 1):
                    q = k / (0.5 * (dx[j, c] + dx[j, c + 1])) * (temp[j, i, c + 1] - temp[j, i, c])
                    net[c] += q
                    net[c + 1] -= q
                net[0] += flux[j, i]
                net[cells - 1] -= back * (temp[j, i, cells - 1] - t_amb)
                for c in range(cells):
                    temp[j, i, c] += h * net[c] / (rho_c * dx[j, c])
    return to_layers, absorbed


@numba.njit(cache=True)
def wall_inputs(layers: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                surfaces: tuple[np.ndarray, np.ndarray, np.ndarray],
                consts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """Soot density [2, n] kg/m^3, stability cap [2, n] W and band mole fractions [2, 2, n].

    Args:
        layers: ``(m, temp, frac, rho)``: float [2, n] layer masses, kg; float [2, n + 1]
            temperatures, K; float [k, 2, n + 1] species mass fractions; float [2, n + 1]
            densities, kg/m^3 (the outside's column is not read).
        surfaces: ``(temp, flux, half)``: float [4, n, c] cell temperatures, K; float [4, n] the
            faces' last flux, W/m^2; float [4] half the exposed cell's thermal resistance,
            ``dx0 / (2 k)``, m^2 K/W (a face lies ``flux * half`` above its cell).
        consts: float constants in the order of :data:`WALL_INPUT_CONSTS`.
    """
    m, temp, frac, rho = layers
    wall_temp, flux, half = surfaces
    t_amb, share, cp, dt = consts[0], consts[1], consts[2], consts[3]
    co2_ratio, h2o_ratio = consts[4], consts[5]
    soot_row, co2_row, h2o_row = int(consts[6]), int(consts[7]), int(consts[8])
    n = m.shape[1]
    soot = np.empty((2, n))
    cap = np.empty((2, n))
    bands = np.empty((2, 2, n))
    for i in range(n):
        hottest = t_amb
        for j in range(4):
            hottest = max(hottest, wall_temp[j, i, 0] + flux[j, i] * half[j])
        for layer in range(2):
            t = temp[layer, i]
            soot[layer, i] = frac[soot_row, layer, i] * rho[layer, i]
            cap[layer, i] = share * m[layer, i] * cp * max(abs(t - t_amb), abs(t - hottest)) / dt
            bands[0, layer, i] = frac[co2_row, layer, i] * co2_ratio
            bands[1, layer, i] = frac[h2o_row, layer, i] * h2o_ratio
    return soot, cap, bands


def wall_inputs_reference(layers: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                          surfaces: tuple[np.ndarray, np.ndarray, np.ndarray],
                          consts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`wall_inputs` in plain numpy."""
    m, temp, frac, rho = layers
    wall_temp, flux, half = surfaces
    t_amb, share, cp, dt, co2_ratio, h2o_ratio = (float(c) for c in consts[:6])
    soot_row, co2_row, h2o_row = (int(c) for c in consts[6:9])
    n = m.shape[1]
    t = temp[:, :n]
    hottest = np.maximum((wall_temp[:, :, 0] + flux * half[:, None]).max(axis=0), t_amb)
    cap = share * m * cp * np.maximum(np.abs(t - t_amb), np.abs(t - hottest)) / dt
    bands = np.stack([frac[co2_row, :, :n] * co2_ratio, frac[h2o_row, :, :n] * h2o_ratio])
    return frac[soot_row, :, :n] * rho[:, :n], cap, bands
