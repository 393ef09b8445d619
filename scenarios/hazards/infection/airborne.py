"""The airborne route: quanta concentration in every space over time, and the dose people inhale.

Each space is well mixed (Gammaitoni & Nucci, Emerg. Infect. Dis. 3:335, 1997;
the non-steady form of Wells-Riley)::

    dC_j/dt = E_j / V_j + sum_s transfer[j, s] C_s - λ_j C_j

with ``E`` the quanta emitted into the space per hour (after source masks),
``λ`` the removal rate of :mod:`~scenarios.hazards.infection.ventilation` and
``transfer`` the air leaking in from neighbouring spaces.  Emission is
piecewise constant over time bins of ``dt`` minutes and the system is linear,
so each bin is stepped exactly with a matrix exponential (no time-step error):
for ``dC/dt = s - M C`` over a bin of length Δ,
``C(Δ) = Φ C(0) + Γ s`` and ``∫ C = Γ C(0) + Ψ s`` where ``Φ = e^{-MΔ}``,
``Γ = ∫_0^Δ e^{-Mu} du`` and ``Ψ = ∫_0^Δ ∫_0^τ e^{-Mu} du dτ``, all read from one
exponential of a block matrix.  A person in space *j* from *a* to *b* breathing
*p* m³/h behind a mask of inward efficiency η inhales
``p (1 - η) ∫_a^b C_j dt`` quanta; the probability of infection is
``1 - exp(-dose)``.  Only spaces the emission can reach are stepped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import expm
from scipy.signal import lfilter

from scenarios.hazards.infection.ventilation import SpaceAir

__all__ = ["AirField", "concentration", "emission_grid", "gammaitoni_nucci_risk", "integral_between"]

_MIN_PER_H = 60.0
# Propagators depend only on the air and the step: interventions and generations reuse them.
_CACHE: dict[tuple[bytes, int, float], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
_CACHE_SIZE = 32


@dataclass(frozen=True, slots=True)
class AirField:
    """Quanta concentration on a time grid, kept as its running integral.

    Only the integral is kept (doses need nothing else, and the mean
    concentration over any interval is its difference over the interval's
    length), which halves the memory of long runs.

    Attributes:
        dt_min: Grid step (minutes); grid point *k* is at ``k * dt_min``.
        cum: [K+1, n_spaces] integral of the concentration from 0 to each grid
            point, quanta·h/m³.
    """

    dt_min: float
    cum: np.ndarray

    @property
    def n_bins(self) -> int:
        return self.cum.shape[0] - 1


def emission_grid(space: np.ndarray, t0: np.ndarray, t1: np.ndarray, rate: np.ndarray, *,
                  n_spaces: int, dt_min: float, n_bins: int) -> np.ndarray:
    """Mean emission (quanta/h) into each space over each bin, from presence rows.

    Row *r* emits ``rate[r]`` quanta/h into ``space[r]`` from ``t0[r]`` to
    ``t1[r]`` (minutes); the parts of bins covered count pro rata.

    >>> g = emission_grid(np.array([0]), np.array([0.5]), np.array([2.0]), np.array([6.0]),
    ...                   n_spaces=1, dt_min=1.0, n_bins=3)
    >>> g.tolist()
    [[3.0, 6.0, 0.0]]
    """
    horizon = n_bins * dt_min
    a = np.clip(np.asarray(t0, float), 0.0, horizon)
    b = np.clip(np.asarray(t1, float), 0.0, horizon)
    keep = (b > a) & (np.asarray(rate) != 0)
    s, a, b, q = np.asarray(space)[keep], a[keep], b[keep], np.asarray(rate, float)[keep]
    out = np.zeros((n_spaces, n_bins + 1))
    if s.size == 0:
        return out[:, :n_bins]
    k0 = np.minimum((a // dt_min).astype(np.int64), n_bins - 1)
    k1 = np.minimum((b // dt_min).astype(np.int64), n_bins - 1)
    same = k0 == k1
    flat = out.reshape(-1)
    w = n_bins + 1
    # rows inside one bin
    np.add.at(flat, s[same] * w + k0[same], q[same] * (b[same] - a[same]) / dt_min)
    m = ~same
    sm, k0m, k1m, qm = s[m], k0[m], k1[m], q[m]
    np.add.at(flat, sm * w + k0m, qm * ((k0m + 1) * dt_min - a[m]) / dt_min)
    np.add.at(flat, sm * w + k1m, qm * (b[m] - k1m * dt_min) / dt_min)
    # whole bins strictly between: a difference array, summed below
    diff = np.zeros((n_spaces, n_bins + 1))
    dflat = diff.reshape(-1)
    np.add.at(dflat, sm * w + k0m + 1, qm)
    np.add.at(dflat, sm * w + k1m, -qm)
    out += np.cumsum(diff, axis=1)
    return out[:, :n_bins]


def _reach(air: SpaceAir, sources: np.ndarray) -> np.ndarray:
    """Spaces the air of ``sources`` can reach through the transfer network (sorted)."""
    seen = np.zeros(len(air.space_ids), bool)
    seen[sources] = True
    frontier = np.flatnonzero(seen)
    t = air.transfer
    while frontier.size:
        nxt = np.flatnonzero((t[:, frontier] > 0).any(axis=1) & ~seen)
        seen[nxt] = True
        frontier = nxt
    return np.flatnonzero(seen)


def _propagators(m: np.ndarray, dt_h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Φ, Γ, Ψ of one bin for ``dC/dt = s - M C`` (see the module docstring).

    With every removal rate positive ``M`` is invertible (it is diagonally
    dominant in volume-weighted form: a space cannot send out more air than
    it extracts) and ``Γ = M⁻¹(I - Φ)``, ``Ψ = M⁻¹(IΔ - Γ)``; otherwise all
    three come from one exponential of a block matrix.
    """
    key = (m.tobytes(), m.shape[0], dt_h)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    n = m.shape[0]
    if np.all(np.diag(m) > 0):
        phi = expm(-m * dt_h)
        eye = np.eye(n)
        gam = np.linalg.solve(m, eye - phi)
        psi = np.linalg.solve(m, eye * dt_h - gam)
    else:
        big = np.zeros((3 * n, 3 * n))
        big[:n, :n] = -m * dt_h
        big[:n, n:2 * n] = np.eye(n) * dt_h
        big[n:2 * n, 2 * n:] = np.eye(n) * dt_h
        e = expm(big)
        phi, gam, psi = e[:n, :n], e[:n, n:2 * n], e[:n, 2 * n:]
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = (phi, gam, psi)
    return phi, gam, psi


def concentration(air: SpaceAir, emission: np.ndarray, dt_min: float) -> AirField:
    """Step the concentration of every space through the bins of ``emission``.

    Args:
        air: The building's air (:func:`~scenarios.hazards.infection.ventilation.space_air`).
        emission: [n_spaces, K] quanta per hour emitted into each space in each bin.
        dt_min: Bin length, minutes.

    Returns:
        The concentration field; spaces the emission never reaches stay zero.
    """
    n, k_bins = emission.shape
    cum = np.zeros((k_bins + 1, n))
    sources = np.flatnonzero(np.abs(emission).sum(axis=1) > 0)
    if sources.size == 0:
        return AirField(dt_min, cum)
    act = _reach(air, sources)
    dt_h = dt_min / _MIN_PER_H
    s = (emission[act] / air.volume[act, None])  # [a, K] quanta/(m³ h)
    tr = air.transfer[np.ix_(act, act)]
    lam = air.removal[act]
    if not tr.any():
        # no air moves between these spaces: each is its own first-order filter
        for i, j in enumerate(act):
            p1, g1, s1 = (float(x[0, 0]) for x in _propagators(np.array([[lam[i]]]), dt_h))
            c1 = lfilter([0.0, g1], [1.0, -p1], np.concatenate([s[i], [0.0]]))
            integ = g1 * c1[:-1] + s1 * s[i]
            cum[1:, j] = np.cumsum(integ)
        return AirField(dt_min, cum)
    phi, gam, psi = _propagators(np.diag(lam) - tr, dt_h)
    c = np.zeros(act.size)
    ca = np.empty((k_bins + 1, act.size))
    ca[0] = c
    gs = s.T @ gam.T  # Γ s_k for every bin at once
    for k in range(k_bins):
        c = phi @ c + gs[k]
        ca[k + 1] = c
    integ = ca[:-1] @ gam.T + s.T @ psi.T
    cum[1:, act] = np.cumsum(integ, axis=0)
    return AirField(dt_min, cum)


def integral_between(field: AirField, space: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """∫ C dt (quanta·h/m³) in ``space[r]`` from ``t0[r]`` to ``t1[r]`` minutes, for every row."""
    k_bins = field.n_bins
    horizon = k_bins * field.dt_min

    def at(t: np.ndarray) -> np.ndarray:
        x = np.clip(np.asarray(t, float), 0.0, horizon) / field.dt_min
        k = np.minimum(x.astype(np.int64), k_bins - 1)
        f = x - k
        lo = field.cum[k, space]
        hi = field.cum[k + 1, space]
        return lo + f * (hi - lo)

    space = np.asarray(space, np.int64)
    return np.maximum(at(t1) - at(t0), 0.0)


def gammaitoni_nucci_risk(quanta_h: float, inhalation_m3h: float, volume_m3: float, removal_h: float,
                          hours: float, *, infectors: int = 1) -> float:
    """Closed-form risk for a susceptible present from the moment infectors arrive in a clean room.

    ``P = 1 - exp(-(I q p / (V λ²)) (λ t + e^{-λ t} - 1))``.

    >>> round(gammaitoni_nucci_risk(100, 0.48, 132, 4.0, 0.5), 4)
    0.0255
    """
    lt = removal_h * hours
    dose = infectors * quanta_h * inhalation_m3h / (volume_m3 * removal_h**2) * (lt + np.exp(-lt) - 1.0)
    return float(1.0 - np.exp(-dose))
