"""The boundaries of every space: heat the layers give to ceilings, walls and floors, and take back.

Each space has CFAST's four surfaces (CFAST Technical Reference Guide, NIST SP 1889v1, "Heat
Transfer"): the ceiling and the walls around the upper layer exchange heat with the upper
layer, the walls around the lower layer and the floor with the lower one.  Each surface is a
slab of lining (:data:`GYPSUM` for ceilings and walls, :data:`CONCRETE` for floors, as in
CFAST's FM/NBS input) whose temperature profile is stepped by one-dimensional conduction
(explicit finite volumes, :data:`CELLS` cells per slab, sub-stepped when a step is longer than
the slab's stable step); its back face loses heat to ambient air (:data:`BACK_FILM`).

At the exposed face:

* convection ``h (T_gas - T_s)``, ``h = 1.52 |dT|^(1/3)`` on ceilings and floors and
  ``1.31 |dT|^(1/3)`` on walls, W/(m^2 K) (CFAST's ``convective_flux``); over the ceiling of
  the fire's space the convection is at least the ceiling jet's mean flux
  ``0.27 Qc / (A^0.68 H^0.64)`` (W/m^2, ``Qc`` in W: CFAST's ``convection``), which in the first
  minutes of a room fire takes a third or more of the plume's heat into the ceiling;
* radiation ``eps_s eps_g sigma (T_gas^4 - T_s^4)`` with the layer's emissivity
  ``eps_g = 1 - exp(-a L)`` over its mean beam length ``L = 3.6 V / A`` (``A`` the whole surface
  bounding the layer: ceiling or floor, interface and walls), ``a = 1195.5 f_v T - ln(1 - a_g) / L``
  (``f_v`` the soot's volume fraction, ``a_g`` the absorbance of its CO2 and water vapour from
  Hottel's charts, :mod:`scenarios.hazards.gas_bands`; CFAST's ``absorb``, at least 0.01 /m): a
  mattress fire's room radiates like a grey body of emissivity 0.5-0.8, a clean propene layer
  through its gas bands, 0.1-0.2; the upper layer radiates to
  its own surfaces and, through what the lower layer lets pass, to the floor and lower walls
  (what leaves its interface, shared by their areas), which then warm the lower layer;
* the fire's radiation ``chi_r Q``: each surface is aimed at by its share of the room's area;
  the layer in front of it absorbs its emissivity's part and the rest heats the surface;
* between the layers, ``eps_l eps_u sigma (T_u^4 - T_l^4) A`` through the interface (a sooty
  lower layer in a fire room is heated by the hot layer above it, as in CFAST).

Because each surface keeps its own temperature, walls heated by the fire give heat back to
the gas once it is cooler than they are: a room whose fire has gone out cools as its linings
do, not at once.  Simplifications: a surface keeps its profile when the interface moves (as in
CFAST); no radiation between surfaces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios.hazards.gas_bands import band_absorbance
from scenarios.hazards.wall_kernel import wall_step

__all__ = [
    "CEILING",
    "CONCRETE",
    "FLOOR",
    "GYPSUM",
    "LOWER_WALL",
    "UPPER_WALL",
    "Walls",
    "conduct",
    "exchange",
    "exchange_reference",
    "new_walls",
    "surface_temperature",
]

#: Surfaces, in CFAST's order: ceiling, floor, upper walls, lower walls.
CEILING, FLOOR, UPPER_WALL, LOWER_WALL = range(4)
#: Lining of ceilings and walls: gypsum board 1/2 in (CFAST's FM/NBS input): W/(m K), kg/m^3,
#: J/(kg K), m, emissivity.
GYPSUM = (0.16, 790.0, 900.0, 0.013, 0.9)
#: Floor slab: normal-weight concrete 6 in (CFAST's FM/NBS input), same columns.
CONCRETE = (1.75, 2200.0, 1000.0, 0.15, 0.94)
#: Finite-volume cells through each slab.
CELLS = 6
#: Thickness of the exposed cell, m: thick slabs get cells growing geometrically from it.
FIRST_CELL = 0.003
#: Heat transfer coefficient of a slab's back face to ambient air, W/(m^2 K). [assumption]
BACK_FILM = 10.0
#: CFAST's natural-convection coefficients, W/(m^2 K^(4/3)): horizontal surfaces, walls.
CONVECTION = (1.52, 1.52, 1.31, 1.31)
#: Ceiling-jet mean flux coefficient, and exponents of the ceiling area and height (CFAST).
JET = (0.27, 0.68, 0.64)
#: Soot's absorption coefficient per volume fraction and kelvin, 1/(m K) ("for typical fuels",
#: CFAST Technical Reference Guide after the SFPE Handbook), and soot's density, kg/m^3 (CFAST).
SOOT_ABSORPTION = 1195.5
SOOT_DENSITY = 1800.0
#: Least absorption coefficient of a layer, 1/m (CFAST's floor).
MIN_ABSORPTION = 0.01
#: Mean beam length factor of a gas volume: L = 3.6 V / A.
BEAM = 3.6
SIGMA = 5.670e-8
#: Largest share of its stable step a conduction sub-step may take.
SAFETY = 0.8


@dataclass(slots=True)
class Walls:
    """Temperature profiles of every surface of every space.

    Attributes:
        temp: float [4, n, CELLS] cell temperatures, K; cell 0 is at the exposed face.
        dx: float [4, CELLS] cell thicknesses, m.
        k: float [4] conductivity, W/(m K).
        rho_c: float [4] volumetric heat capacity, J/(m^3 K).
        emissivity: float [4].
        flux: float [4, n] heat flux into each exposed face over the last step, W/m^2: the face's
            temperature lies ``flux dx0 / (2 k)`` above its cell's (half a cell's conduction).
        substeps_dt: Longest stable conduction sub-step, s.
        t_amb: Ambient temperature behind the slabs, K.
        props: float [4, 3] conductivity, volumetric heat capacity and emissivity of each
            surface, as the compiled wall step takes them.
        half_cell: float [4] half the exposed cell's thermal resistance ``dx0 / (2 k)``, m^2 K/W.
    """

    temp: np.ndarray
    dx: np.ndarray
    k: np.ndarray
    rho_c: np.ndarray
    emissivity: np.ndarray
    flux: np.ndarray
    substeps_dt: float
    t_amb: float
    props: np.ndarray
    half_cell: np.ndarray


def _cells(thick: float) -> np.ndarray:
    """Cell thicknesses through a slab: uniform if thin, else growing from :data:`FIRST_CELL`."""
    if thick <= CELLS * FIRST_CELL * 1.5:
        return np.full(CELLS, thick / CELLS)
    lo, hi = 1.0, 4.0
    for _ in range(60):  # ratio r with FIRST_CELL (r^N - 1) / (r - 1) = thick
        r = 0.5 * (lo + hi)
        lo, hi = (r, hi) if FIRST_CELL * (r ** CELLS - 1) / (r - 1) < thick else (lo, r)
    return FIRST_CELL * r ** np.arange(CELLS)


def new_walls(n: int, t_amb: float) -> Walls:
    """Every surface of ``n`` spaces at ambient temperature."""
    mats = (GYPSUM, CONCRETE, GYPSUM, GYPSUM)
    dx = np.stack([_cells(m[3]) for m in mats])
    k = np.array([m[0] for m in mats])
    rho_c = np.array([m[1] * m[2] for m in mats])
    eps = np.array([m[4] for m in mats])
    # explicit stability of the exposed cell with a strong surface coefficient (200 W/m^2K)
    stable = rho_c[:, None] * dx / (2 * k[:, None] / dx + 200.0)
    return Walls(temp=np.full((4, n, CELLS), t_amb), dx=dx, k=k, rho_c=rho_c, emissivity=eps,
                 flux=np.zeros((4, n)), substeps_dt=SAFETY * float(stable.min()), t_amb=t_amb,
                 props=np.ascontiguousarray(np.stack([k, rho_c, eps], axis=1)), half_cell=0.5 * dx[:, 0] / k)


def exchange(w: Walls, *, area: np.ndarray, perimeter: np.ndarray, height: np.ndarray, z: np.ndarray,
             t_gas: np.ndarray, soot: np.ndarray, cap: np.ndarray, dt: float,
             fire: tuple[int, float, float] | None = None,
             bands: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Heat the two layers of every space give to their surfaces over ``dt``, and step the slabs.

    The compiled kernel (:func:`scenarios.hazards.wall_kernel.wall_step`); arguments and
    results as :func:`exchange_reference`, its plain-numpy twin.
    """
    geometry = np.array((area, perimeter, height, z))
    f = np.array([-1.0, 0.0, 0.0] if fire is None else [float(fire[0]), fire[1], fire[2]])
    consts = np.array([dt, w.substeps_dt, w.t_amb, BACK_FILM, CONVECTION[0], CONVECTION[2], *JET,
                       SOOT_ABSORPTION / SOOT_DENSITY, BEAM, SIGMA, MIN_ABSORPTION])
    x = np.zeros((2, *np.shape(t_gas))) if bands is None else np.ascontiguousarray(bands, float)
    gas = (geometry, np.ascontiguousarray(t_gas, float), np.ascontiguousarray(soot, float),
           np.ascontiguousarray(cap, float), x)
    return wall_step((w.temp, w.flux), (w.props, w.dx), gas, f, consts)


def exchange_reference(w: Walls, *, area: np.ndarray, perimeter: np.ndarray, height: np.ndarray,
                       z: np.ndarray, t_gas: np.ndarray, soot: np.ndarray, cap: np.ndarray, dt: float,
                       fire: tuple[int, float, float] | None = None,
                       bands: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Heat the two layers of every space give to their surfaces over ``dt``, and step the slabs.

    Args:
        w: The surfaces; their profiles are advanced in place.
        area: float [n] floor (and ceiling) area, m^2.
        perimeter: float [n] wall length, m.
        height: float [n] ceiling height, m.
        z: float [n] interface height, m.
        t_gas: float [2, n] layer temperatures (lower, upper), K.
        soot: float [2, n] soot density of each layer, kg/m^3.
        cap: float [2, n] largest heat a layer may give or take in this step, W (explicit-step
            stability: the exchange is scaled down, on both sides, where it would exceed it).
        dt: Step, s.
        fire: (space, convective W, radiated W) of the fire, or None.
        bands: float [2, 2, n] mole fractions of CO2 (row 0) and water vapour (row 1) in each
            layer; None: the layers hold neither (soot alone radiates).

    Returns:
        ``(to_walls, absorbed)``: float [2, n] heat each layer loses, W (negative: it gains):
        to its surfaces, and (the upper layer) by radiation to the lower one, which gains as
        much, so the sum over a space's layers is what its surfaces receive; and float [2, n]
        the fire's radiation each layer absorbs, W.
    """
    n = area.size
    depth = np.stack([z, height - z])  # lower, upper layer depth
    surf = np.stack([area, area, perimeter * depth[1], perimeter * depth[0]])  # [4, n] m^2
    layer_of = np.array([1, 0, 1, 0])  # ceiling, upper walls -> upper layer; floor, lower walls -> lower
    tg = t_gas[layer_of]  # [4, n]
    ts = surface_temperature(w)
    # the layer's emissivity over its mean beam length
    exposed = np.stack([2 * area + perimeter * depth[0], 2 * area + perimeter * depth[1]])
    beam = BEAM * area * depth / np.maximum(exposed, 1e-9)
    x = np.zeros((2, *t_gas.shape)) if bands is None else bands
    a_g = np.vectorize(band_absorbance)(t_gas, x[0] * beam, x[1] * beam)
    gas_part = np.where(beam > 1e-9, -np.log(1.0 - a_g) / np.maximum(beam, 1e-9), 0.0)
    kappa = np.maximum(SOOT_ABSORPTION * soot / SOOT_DENSITY * t_gas + gas_part, MIN_ABSORPTION)
    eps_g = 1.0 - np.exp(-kappa * beam)
    d_t = tg - ts
    flux = CONVECTION[0] * np.abs(d_t) ** (1 / 3) * d_t
    flux[2:] *= CONVECTION[2] / CONVECTION[0]
    if fire is not None:
        # over the fire the ceiling jet's mean flux is a floor on the ceiling's convection only
        f, qc, _ = fire
        jet = JET[0] * qc / (area[f] ** JET[1] * height[f] ** JET[2])
        flux[CEILING, f] = max(flux[CEILING, f], jet)
    flux += w.emissivity[:, None] * eps_g[layer_of] * SIGMA * (tg ** 4 - ts ** 4)
    # the upper layer also radiates down through its interface (area A): the lower layer absorbs
    # its emissivity's share, the rest falls on the floor and the lower walls, shared by area
    view = area / np.maximum(area + perimeter * depth[0], 1e-9)
    down = np.zeros((4, n))
    for j in (FLOOR, LOWER_WALL):
        down[j] = (w.emissivity[j] * eps_g[1] * (1.0 - eps_g[0]) * SIGMA * (t_gas[1] ** 4 - ts[j] ** 4)
                   * view)
    between = eps_g[0] * eps_g[1] * SIGMA * (t_gas[1] ** 4 - t_gas[0] ** 4) * area  # W, upper -> lower
    radiant = np.zeros((4, n))
    absorbed = np.zeros((2, n))
    if fire is not None:
        f, _, qr = fire
        total = float(surf[:, f].sum())
        if total > 0 and qr > 0:
            # each surface is aimed at by its share of the fire's radiation; the layer in front
            # of it absorbs its emissivity's part
            aim = qr * surf[:, f] / total
            eps_in_front = eps_g[layer_of, f]
            np.add.at(absorbed[:, f], layer_of, aim * eps_in_front)
            radiant[:, f] = aim * (1.0 - eps_in_front) / np.maximum(surf[:, f], 1e-9)
    to_layers = np.stack([flux[FLOOR] * surf[FLOOR] + flux[LOWER_WALL] * surf[LOWER_WALL],
                          (flux[CEILING] * surf[CEILING] + flux[UPPER_WALL] * surf[UPPER_WALL]
                           + (down * surf).sum(axis=0))])
    with np.errstate(over="ignore", divide="ignore"):
        scale = 1.0 / np.maximum(np.abs(to_layers) / np.maximum(cap, 1e-300), 1.0)
    to_layers *= scale
    flux *= scale[layer_of]
    w.flux = flux + down * scale[1] + radiant
    # the exchange between the layers: gas to gas, within what both layers' caps have left
    room = np.maximum(np.minimum(cap[0] - np.abs(to_layers[0]), cap[1] - np.abs(to_layers[1])), 0.0)
    between = np.clip(between, -room, room)
    to_layers[1] += between
    to_layers[0] -= between
    conduct(w, w.flux, dt)
    return to_layers, absorbed


def surface_temperature(w: Walls) -> np.ndarray:
    """float [4, n] temperature of every exposed face, K."""
    return np.asarray(w.temp[:, :, 0] + w.flux * (0.5 * w.dx[:, :1] / w.k[:, None]))


def conduct(w: Walls, q_in: np.ndarray, dt: float) -> None:
    """Step every slab by ``dt`` with ``q_in`` [4, n] W/m^2 into its exposed face.

    Explicit finite volumes, sub-stepped to the slabs' stable step; the back face loses heat to
    ambient air through :data:`BACK_FILM` in series with half its cell.
    """
    steps = max(1, int(np.ceil(dt / w.substeps_dt)))
    h = dt / steps
    dx = w.dx[:, None, :]
    k = w.k[:, None, None]
    cap = w.rho_c[:, None, None] * dx  # J/(m^2 K) per cell
    # conductance between neighbouring cells, W/(m^2 K)
    link = k[..., 0] / (0.5 * (w.dx[:, :-1] + w.dx[:, 1:]))  # [4, CELLS-1]
    back = 1.0 / (1.0 / BACK_FILM + 0.5 * w.dx[:, -1] / w.k)  # [4]
    t = w.temp
    for _ in range(steps):
        between = link[:, None, :] * (t[:, :, 1:] - t[:, :, :-1])  # heat flowing inwards -> positive out
        net = np.zeros_like(t)
        net[:, :, :-1] += between
        net[:, :, 1:] -= between
        net[:, :, 0] += q_in
        net[:, :, -1] -= back[:, None] * (t[:, :, -1] - w.t_amb)
        t += h * net / cap
