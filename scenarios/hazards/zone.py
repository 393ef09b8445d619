"""A two-zone smoke model stepped over every space of a network at once.

Each space holds a hot upper layer and a cool lower layer, each with a mass, an enthalpy and
the masses of soot, CO, CO2, HCN and O2 (:data:`SPECIES`).  Pressure stays at ambient to
first order, so a layer's volume is its enthalpy over ``cp * rho T`` (:data:`RHO_T`): volume
is carried with enthalpy, which lets one linear solve keep every space full.

One step (:func:`step`) of ``dt`` seconds:

1. the fire adds its convective heat (its radiation goes to step 2), its fuel vapour (burnt
   or not: an oxygen-starved item still pyrolyses, as in CFAST) and products to its space's
   upper layer and its plume lifts lower-layer gas into the
   upper layer (Heskestad's plume with its virtual origin, :mod:`scenarios.hazards.plume`);
   the heat release is capped by the oxygen the plume brings (13.1 MJ per kg O2, CFAST) and
   by the opening-factor ventilation limit;
2. each layer exchanges heat with its surfaces (ceiling and upper walls, lower walls and
   floor), whose linings conduct it inwards (:mod:`scenarios.hazards.walls`): hot walls give
   heat back to cooler gas; the fire's radiation heats the surfaces and the sooty upper layer;
3. the volume each space gains (heat, fuel, ventilation) leaves through the openings: one
   sparse solve of the network's linear pressure equations (factorised once per set of door
   states) gives the net flow through each opening; wall and fabric leaks draw it from the
   layer(s) the opening spans on the upwind side;
4. doors and exits (open, or through a closed leaf's gaps) and vents carry slab-integrated
   flows driven by the hydrostatic pressure
   difference of the two sides' layers, offset so that they add up to that net flow: hot gas
   leaves high, cool air enters low, and for one hot layer against cold air the sum is Emmons'
   door spill ``(2/3) Cd W rho_u sqrt(2 g dT / T) d^1.5``; each flow joins the receiving
   layer it matches in temperature, and a door flow that crosses the receiving space's
   interface mixes with the layer it crosses (spill-plume door-jet entrainment,
   :mod:`scenarios.hazards.door_jet`): one compiled pass
   (:mod:`scenarios.hazards.flow_kernel`), written out in numpy in
   :mod:`scenarios.hazards.openings`;
5. all transfers are applied at once, scaled so that no layer gives more than
   :data:`MAX_SHARE` of its mass in one step; mass, enthalpy and species move together, so
   they are conserved to round-off (the ledger in :class:`ZoneState` records what crossed
   the boundary).

This is a "two-zone-lite" network, not CFAST: no radiation between surfaces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from scenarios.hazards import plume
from scenarios.hazards.flow_kernel import flow_constants, opening_transfers
from scenarios.hazards.network import Network, OpeningKind
from scenarios.hazards.transfers import Transfers
from scenarios.hazards.vent_kernel import LEDGER_HEAD, apply_transfers, keep_layers, layer_props
from scenarios.hazards.wall_kernel import wall_inputs
from scenarios.hazards.walls import Walls, new_walls
from scenarios.hazards.walls import exchange as wall_exchange

__all__ = [
    "AMBIENT_Y",
    "CP",
    "H2O",
    "LOWER",
    "RHO_T",
    "SPECIES",
    "UPPER",
    "FireInput",
    "PressureSolver",
    "ZoneState",
    "layer_height",
    "layer_temperature",
    "new_state",
    "oxygen_available",
    "step",
]

#: Tracked species, in the order of :attr:`ZoneState.y` (water vapour for the layers' radiation).
SPECIES = ("soot", "co", "co2", "hcn", "o2", "h2o")
SOOT, CO, CO2, HCN, O2, H2O = range(6)
LOWER, UPPER = 0, 1
#: Molar masses of air, CO2 and water, g/mol (mass fractions to mole fractions).
AIR_M, CO2_M, H2O_M = 28.96, 44.01, 18.015
#: Specific heat of air, J/(kg K), as in CFAST.
CP = 1012.0
#: rho * T of air at 1 atm, kg K / m^3 (reference: rho_u = 353 / T_u).
RHO_T = 353.0
GRAVITY = 9.81
#: Flow coefficient of doors and vents (reference: Emmons spill uses 0.7).
CD = 0.7
#: Heat released per kg of O2 consumed, J/kg (CFAST).
O2_HEAT = 13.1e6
#: Water vapour in the ambient air: 50 % relative humidity at 20 C (1.17 kPa, 1.15 % by volume),
#: CFAST's default humidity, as a mass fraction. [assumption]
AMBIENT_H2O = 0.00721
#: Ambient mass fractions of the species: dry air (23.14 % O2 by mass, 400 ppm CO2) diluted by
#: that water vapour, so humid air holds 22.97 % O2 by mass (20.7 % by volume), as in CFAST,
#: whose fires meet the lower oxygen limit that much sooner.
AMBIENT_Y = np.array([0.0, 0.0, 6.1e-4, 0.0, 0.2314, 0.0]) * (1.0 - AMBIENT_H2O) + np.eye(6)[5] * AMBIENT_H2O
#: Lower oxygen limit: combustion stops where the O2 *mass fraction* of the gas a plume
#: entrains falls to 0.15 (13.6 % by volume).  CFAST's ``chemistry`` compares its input
#: LOWER_OXYGEN_LIMIT (0.15) with the layer's O2 mass fraction (0.23 in fresh air).
O2_LIMIT_Y = 0.15
#: Steepness and offset of CFAST's smooth cut-off ``(1 + tanh(800 (Y - 0.15) - 4)) / 2``:
#: half the oxygen is available at Y = 0.155, all of it (to 1 %) from 0.158, none below 0.152.
O2_STEEP, O2_OFFSET = 800.0, 4.0
#: Passes of the plume-chemistry loop: a fire short of oxygen entrains as much as the heat it
#: actually releases drives, not as much as its design fire would (CFAST ``do_fire``: 5).
PLUME_PASSES = 5
#: Ventilation limit, kW per m^(5/2) of A_o sqrt(H_o) (reference: 1500 A_o sqrt(H_o)).
VENT_LIMIT = 1500.0
#: Smallest volume share of a layer, kept so temperatures stay defined.
MIN_LAYER = 1e-3
#: Largest share of a layer's mass that may leave it in one step (explicit-step stability).
MAX_SHARE = 0.5
#: Pressure difference at which an orifice's flow is linearised, Pa.
DP_REF = 1.0
#: Volume flows below this are round-off, m^3/s (a millilitre per second).
QUIET_FLOW = 1e-6
#: Layer depth over which a shaft's flow shifts from one layer to the other, m.
SKIM = 0.1
#: Coefficient of Cooper's unstable exchange through a horizontal vent (Cooper 1989, NIST).
COOPER = 0.055
#: Equal horizontal slabs an opening is cut into for its buoyant exchange; each is cut again at
#: both sides' interfaces (:func:`scenarios.hazards.openings.opening_transfers_reference`).
SLABS = 10
#: Height of a ceiling extract grille, m (HVAC extract draws the upper layer once it reaches it).
GRILLE = 0.3
#: Margin beyond a receiving layer's temperature past which an inflow joins that layer whole, K
#: (CFAST's deltatemp_min in its current source: 1 K).
DEPOSIT_DT = 1.0


#: Mole per mass fraction of CO2 and water in air, and the rows of soot, CO2 and water
#: (:func:`scenarios.hazards.wall_kernel.wall_inputs`).
_BAND_INPUTS = (AIR_M / CO2_M, AIR_M / H2O_M, SOOT, CO2, H2O)

#: Constants of the compiled opening flows.
_FLOW = flow_constants(slabs=SLABS, cd=CD, gravity=GRAVITY, quiet=QUIET_FLOW, skim=SKIM, cooper=COOPER,
                       deposit_dt=DEPOSIT_DT, cp=CP, rho_t=RHO_T)

@dataclass(slots=True)
class ZoneState:
    """The layers of every space, and the ledger of what crossed the network's boundary.

    Attributes:
        m: float [2, n] layer mass, kg (``LOWER``, ``UPPER``).
        e: float [2, n] layer enthalpy ``m cp T``, J.
        y: float [len(SPECIES), 2, n] species masses, kg.
        time: Seconds since ignition.
        t_amb: Ambient temperature, K.
        walls: Temperature profiles of every space's ceiling, walls and floor.
        ledger: Cumulative boundary terms: ``mass_in``, ``mass_out``, ``fuel`` (vapour the burning
            item gave off), ``unburnt`` (the part of it that found no oxygen), ``energy_in``,
            ``energy_out``, ``heat`` (heat released into the gas: the fire's convective heat and
            the radiation the layers absorb), ``wall`` (given to the boundaries, net),
            and species arrays ``y_in``, ``y_out``, ``y_made`` (made minus consumed).
        hrr: Heat release rate of the last step, W.
    """

    m: np.ndarray
    e: np.ndarray
    y: np.ndarray
    time: float
    t_amb: float
    walls: Walls
    ledger: dict[str, float] = field(default_factory=dict)
    species_ledger: dict[str, np.ndarray] = field(default_factory=dict)
    hrr: float = 0.0


@dataclass(frozen=True, slots=True)
class FireInput:
    """The fire during one step.

    Attributes:
        node: Node index of the fire's space.
        hrr: Heat release rate the design fire asks for, W.
        radiative_fraction: Share of the heat radiated to the boundaries.
        heat_of_combustion: J/kg.
        yields: kg per kg fuel of soot, CO, CO2, HCN and water vapour.
        base: Height of the fire above the floor, m.
        diameter: Diameter of the burning area, m (places the plume's virtual origin;
            0: a point source).
        mirror: :data:`scenarios.hazards.plume.FREE`, or ``CORNER`` for a fire in a corner.
    """

    node: int
    hrr: float
    radiative_fraction: float
    heat_of_combustion: float
    yields: tuple[float, float, float, float, float]
    base: float
    diameter: float = 0.0
    mirror: float = plume.FREE


def new_state(net: Network, t_amb: float = 293.15) -> ZoneState:
    """Every space at ambient, with a vanishing upper layer."""
    vol = np.stack([net.volume * (1 - MIN_LAYER), net.volume * MIN_LAYER])
    m = vol * RHO_T / t_amb
    e = m * CP * t_amb
    y = AMBIENT_Y[:, None, None] * m[None]
    zero = {k: 0.0 for k in ("mass_in", "mass_out", "fuel", "unburnt", "energy_in", "energy_out", "heat",
                               "wall")}
    species = {k: np.zeros(len(SPECIES)) for k in ("y_in", "y_out", "y_made")}
    return ZoneState(m=m, e=e, y=y, time=0.0, t_amb=t_amb, walls=new_walls(net.n, t_amb), ledger=zero,
                     species_ledger=species)


def layer_temperature(s: ZoneState) -> np.ndarray:
    """float [2, n] layer temperatures, K."""
    return s.e / (CP * s.m)


def layer_height(s: ZoneState, net: Network) -> np.ndarray:
    """float [n] height of the layer interface above the floor, m."""
    vu = s.e[UPPER] / (CP * RHO_T)
    return np.clip(net.height - vu / net.area, 0.0, net.height)


class PressureSolver:
    """Net flows through the openings that keep every space at its volume.

    Openings are linearised orifices, conductance ``Cd A sqrt(2 / (rho dp_ref))``: the flow a
    space must shed is split between its openings by area, through the whole network.  The
    sparse matrix is factorised once per set of door states.
    """

    def __init__(self, net: Network) -> None:
        self.net = net
        self._cache: dict[bytes, tuple[object, np.ndarray]] = {}
        self._factor: dict[tuple[bytes, int], float] = {}
        #: int [m] the far node of each opening, the outside as node ``n`` (the kernels' layout).
        self.far = np.where(net.b >= 0, net.b, net.n)
        self._b_safe = np.maximum(net.b, 0)
        self._inner = net.b >= 0

    def conductance(self, open_: np.ndarray) -> np.ndarray:
        """float [m] conductance of each opening, m^3/(s Pa)."""
        net = self.net
        area = np.where(open_, net.width * (net.soffit - net.sill), net.leak_area)
        return CD * area * np.sqrt(2.0 / (1.2 * DP_REF))

    def flows(self, open_: np.ndarray, source: np.ndarray) -> np.ndarray:
        """float [m] net volume flow a -> b through each opening for a volume ``source`` [n], m^3/s."""
        key = open_.tobytes()
        if key not in self._cache:
            net, g = self.net, self.conductance(open_)
            inner = net.b >= 0
            rows = np.concatenate([net.a, net.b[inner], net.a[inner], net.b[inner]])
            cols = np.concatenate([net.a, net.b[inner], net.b[inner], net.a[inner]])
            vals = np.concatenate([g, g[inner], -g[inner], -g[inner]])
            lap = sp.csc_matrix((vals, (rows, cols)), shape=(net.n, net.n))
            self._cache[key] = (splu(lap), g)
        lu, g = self._cache[key]
        p = lu.solve(source)  # type: ignore[attr-defined]
        pb = np.where(self._inner, p[self._b_safe], 0.0)
        return np.asarray(g * (p[self.net.a] - pb))

    def opening_factor(self, open_: np.ndarray, node: int) -> float:
        """Sum of ``W h^1.5`` over the open doors, exits and vents of ``node``, m^2.5 (the
        ventilation limit's ``A_o sqrt(H_o)``), kept per set of door states."""
        key = (open_.tobytes(), node)
        if key not in self._factor:
            net = self.net
            big = ((net.a == node) | (net.b == node)) & (open_ | (net.kind == OpeningKind.VENT))
            h_o = net.soffit[big] - net.sill[big]
            self._factor[key] = float(np.sum(net.width[big] * h_o * np.sqrt(h_o)))
        return self._factor[key]


def oxygen_available(y_o2: float) -> float:
    """kg of O2 a fire can burn per kg of gas it entrains whose O2 mass fraction is ``y_o2``.

    All the oxygen the plume brings is available while the gas holds clearly more than the
    lower oxygen limit (:data:`O2_LIMIT_Y`, a mass fraction), none below it, with CFAST's
    smooth tanh cut-off between: the limit decides *whether* the entrained gas supports
    combustion, not how much of its oxygen is usable.  (Counting only the oxygen above the
    limit cut a closed ward's 1 MW fire to 0.8 MW as soon as its layer came down near the
    burning item; reading the limit as 15 % by volume, a mass fraction of 0.166, put the
    fire of the closed ward of the CFAST comparison out about 60 s before CFAST's.)

    >>> oxygen_available(0.2314) == 0.2314, round(oxygen_available(0.155) / 0.155, 3)
    (True, 0.5)
    >>> oxygen_available(0.15) < 1e-4
    True
    """
    return y_o2 * 0.5 * (1.0 + math.tanh(O2_STEEP * (y_o2 - O2_LIMIT_Y) - O2_OFFSET))


def step(s: ZoneState, net: Network, solver: PressureSolver, open_: np.ndarray, dt: float, *,
         fire: FireInput | None = None, supply: np.ndarray | None = None,
         extract: np.ndarray | None = None) -> None:
    """Advance ``s`` by ``dt`` seconds in place (see the module docstring).

    Args:
        s: The state; changed in place.
        net: The network.
        solver: Pressure solver of this network.
        open_: bool [m]: which openings are open (leaks are never "open").
        dt: Step, s.
        fire: The fire during this step, or None.
        supply: float [n] ambient air supplied to each space's lower layer, m^3/s.
        extract: float [n] air extracted from each space (upper layer first), m^3/s.
    """
    n, out = net.n, net.n  # node index ``n`` is the outside in the transfer arrays
    ta = s.t_amb
    temp, frac, rho, z = layer_props((s.m, s.e, s.y), (net.height, net.area), AMBIENT_Y,
                                     np.array([ta, CP, RHO_T]))
    tr = Transfers()
    move = tr.move

    heat = np.zeros(n)  # W into each space's gas (fire, walls)
    made = np.zeros(len(SPECIES))  # kg/s made in the fire space's upper layer
    fuel = 0.0  # kg/s of fuel burnt there
    pyrolysis = 0.0  # kg/s of fuel vapour the burning item gives off, burnt or not
    s.hrr = 0.0
    if fire is not None and fire.hrr > 0:
        f = fire.node
        hrr, m_e = _burn(fire, z=float(z[f]), height=float(net.height[f]), temp=temp[:, f],
                         y_o2=frac[O2, :, f], m_lower=float(s.m[LOWER, f]), t_amb=ta, dt=dt)
        factor = solver.opening_factor(open_, f)
        hrr = min(hrr, VENT_LIMIT * 1e3 * factor) if factor > 0 else hrr
        s.hrr = hrr
        if m_e > 0:
            move(np.array([f]), np.array([LOWER]), np.array([f]), np.array([UPPER]), np.array([m_e]))
        fuel = hrr / fire.heat_of_combustion
        pyrolysis = fire.hrr / fire.heat_of_combustion
        heat[f] += (1 - fire.radiative_fraction) * hrr + pyrolysis * CP * ta
        made[[SOOT, CO, CO2, HCN, H2O]] = np.array(fire.yields) * fuel
        made[O2] = -hrr / O2_HEAT
    # heat exchanged with ceilings, walls and floors (and the fire's radiation they receive)
    temp_n = temp[:, :n]
    walls = s.walls
    soot, cap, bands = wall_inputs((s.m, temp, frac, rho), (walls.temp, walls.flux, walls.half_cell),
                                   np.array([ta, MAX_SHARE, CP, dt, *_BAND_INPUTS]))
    radiated = None if fire is None or s.hrr <= 0 else (fire.node, (1 - fire.radiative_fraction) * s.hrr,
                                                         fire.radiative_fraction * s.hrr)
    to_walls, absorbed = wall_exchange(walls, area=net.area, perimeter=net.perimeter, height=net.height,
                                       z=z[:n], t_gas=temp_n, soot=soot, cap=cap, dt=dt, fire=radiated,
                                       bands=bands)
    heat += absorbed[UPPER] - to_walls[UPPER]
    heat_lower = absorbed[LOWER] - to_walls[LOWER]
    wall = to_walls.sum(axis=0)
    # ventilation
    vol_src = (heat + heat_lower) / (CP * RHO_T)
    if supply is not None and np.any(supply > 0):
        k = np.flatnonzero(supply > 0)
        move(np.full(k.size, out), np.zeros(k.size, int), k, np.full(k.size, LOWER), supply[k] * RHO_T / ta)
        vol_src = vol_src + supply
    if extract is not None and np.any(extract > 0):
        k = np.flatnonzero(extract > 0)
        fu = np.clip((net.height[k] - z[k]) / GRILLE, 0.0, 1.0)
        move(k, np.full(k.size, UPPER), np.full(k.size, out), np.zeros(k.size, int),
             extract[k] * fu * rho[UPPER, k])
        move(k, np.full(k.size, LOWER), np.full(k.size, out), np.zeros(k.size, int),
             extract[k] * (1 - fu) * rho[LOWER, k])
        vol_src = vol_src - extract
    # keep every space full: relax any volume drift in one step
    vol_src = vol_src + ((s.e[0] + s.e[1]) / (CP * RHO_T) - net.volume) / dt
    # round-off in quiet spaces would otherwise set every opening of the building flowing
    vol_src = np.where(np.abs(vol_src) > QUIET_FLOW, vol_src, 0.0)
    flow = solver.flows(open_, vol_src)
    shape = (net.width, net.sill, net.soffit, net.leak_area, net.height)
    openings = opening_transfers((net.a, solver.far, net.kind, open_), shape, (temp, rho, z), flow, _FLOW)
    tr.add(openings)
    *route, rate = tr.arrays()
    _apply(s, n, (route[0], route[1], route[2], route[3]), mass=rate * dt, temp=temp, frac=frac)
    # sources inside the network: the fire's fuel vapour and products in its space, heat everywhere
    if pyrolysis > 0 and fire is not None:
        s.m[UPPER, fire.node] += pyrolysis * dt
        s.y[:, UPPER, fire.node] += made * dt
    s.e[UPPER] += heat * dt
    s.e[LOWER] += heat_lower * dt
    s.ledger["fuel"] += pyrolysis * dt
    s.ledger["unburnt"] += (pyrolysis - fuel) * dt
    s.ledger["heat"] += float((heat + heat_lower + wall).sum() * dt)
    s.ledger["wall"] += float(wall.sum() * dt)
    s.species_ledger["y_made"] += made * dt
    _keep_layers(s, net)
    s.time += dt


def _burn(fire: FireInput, *, z: float, height: float, temp: np.ndarray, y_o2: np.ndarray, m_lower: float,
          t_amb: float, dt: float) -> tuple[float, float]:
    """Heat the fire releases in its space, W, and the lower-layer gas its plume lifts, kg/s.

    As CFAST's ``do_fire``: below the interface the plume entrains the lower layer
    (:mod:`scenarios.hazards.plume`, capped by the stratification limit and by
    :data:`MAX_SHARE` of the layer), and the fuel burns as far as the entrained oxygen allows
    (:func:`oxygen_available`); the entrainment is then recomputed for the heat actually
    released (:data:`PLUME_PASSES`), since a fire short of oxygen drives a weaker plume.  Fuel
    left unburnt rises into the upper layer and burns there with the oxygen a plume through
    that layer entrains (the plume's height the layer's depth, driven by all the heat released
    below and above).  The item gives off its design rate of fuel vapour whether it burns or not
    (CFAST's pyrolysis rate; :func:`step` adds the vapour that finds no oxygen to the upper layer
    unburnt, where it displaces and dilutes the room's gas; it does not burn later in a door jet,
    as it may in CFAST).

    Args:
        fire: The fire.
        z: Interface height of the fire's space, m.
        height: Ceiling height, m.
        temp: float [2] the space's layer temperatures, K.
        y_o2: float [2] the layers' O2 mass fractions.
        m_lower: Mass of the lower layer, kg.
        t_amb: Ambient temperature, K.
        dt: Step, s.
    """
    chi = fire.radiative_fraction
    reach = z - fire.base
    hrr_lower = m_e = 0.0
    if reach > 0:
        q = fire.hrr
        for _ in range(PLUME_PASSES):
            m_e = plume.entrainment(q / 1e3, (1 - chi) * q / 1e3, reach, fire.diameter, t_amb,
                                    mirror=fire.mirror)
            m_e = plume.stratified_entrainment(m_e, (1 - chi) * q, float(temp[UPPER]), float(temp[LOWER]), CP)
            m_e = min(m_e, MAX_SHARE * m_lower / dt)
            burnt = min(fire.hrr, O2_HEAT * m_e * oxygen_available(float(y_o2[LOWER])))
            if abs(burnt - q) <= 1e-9 * fire.hrr:
                break
            q = burnt
        hrr_lower = burnt
    left = fire.hrr - hrr_lower
    if left <= 0:
        return hrr_lower, m_e
    q_up = left + hrr_lower
    rise = max(0.0, min(height - z, height - fire.base))
    m_up = plume.entrainment(q_up / 1e3, (1 - chi) * q_up / 1e3, rise, fire.diameter, t_amb,
                             mirror=fire.mirror)
    return hrr_lower + min(left, O2_HEAT * m_up * oxygen_available(float(y_o2[UPPER]))), m_e


def _apply(s: ZoneState, n: int, route: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], *,
           mass: np.ndarray, temp: np.ndarray, frac: np.ndarray) -> None:
    """Move ``mass`` with its enthalpy and species, scaled so no layer gives more than MAX_SHARE.

    ``route`` is (source node, source layer, destination node, destination layer) per transfer.
    """
    sn, sl, dn, dl = (np.ascontiguousarray(r, np.int64) for r in route)
    ledger = apply_transfers((s.m, s.e, s.y), (sn, sl, dn, dl), np.ascontiguousarray(mass, float),
                             (np.ascontiguousarray(CP * temp), np.ascontiguousarray(frac)), MAX_SHARE)
    ns = len(SPECIES)
    s.ledger["mass_in"] += float(ledger[0])
    s.ledger["mass_out"] += float(ledger[1])
    s.ledger["energy_in"] += float(ledger[2])
    s.ledger["energy_out"] += float(ledger[3])
    s.species_ledger["y_in"] += ledger[LEDGER_HEAD:LEDGER_HEAD + ns]
    s.species_ledger["y_out"] += ledger[LEDGER_HEAD + ns:]


def _keep_layers(s: ZoneState, net: Network) -> None:
    """Keep each layer at least MIN_LAYER of the volume, and fold an upper layer colder than the lower.

    Both moves are internal: a share of one layer's mass, enthalpy and species goes to the other.
    """
    keep_layers((s.m, s.e, s.y), MIN_LAYER * net.volume, CP, RHO_T)
