"""The compiled inner loop of the door flows: the pressure offset that balances an opening's slabs.

:func:`slab_flows` is the hot spot of the smoke step (a bisection per open door with a density
difference across it).  Its plain-numpy twin, :func:`slab_flows_reference`, states the same
computation and pins the kernel in the tests.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["BISECTIONS", "slab_flows", "slab_flows_reference"]

#: Bisection steps for the pressure offset (the offset's bracket shrinks 2^-40: far below 1e-6 Pa).
BISECTIONS = 40


@numba.njit(cache=True)
def slab_flows(dp0: np.ndarray, rho: np.ndarray, coef: np.ndarray,
               target: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Volume flow a -> b of every slab, m^3/s, once the opening's offset balances ``target``.

    Args:
        dp0: float [k, s] hydrostatic pressure difference a - b at each slab, Pa.
        rho: float [2, k, s] gas density of side a and side b at each slab, kg/m^3.
        coef: float [k] ``Cd w h`` of a slab of each opening, m^2.
        target: float [k] net volume flow a -> b the slabs must add up to, m^3/s.
    """
    rho_a, rho_b = rho[0], rho[1]
    k, s = dp0.shape
    out = np.empty((k, s))
    for i in range(k):
        big = 0.0
        for j in range(s):
            big = max(big, abs(dp0[i, j]))
        span = coef[i] * s
        push = 0.5 * max(rho_a[i, 0], rho_a[i, s - 1]) * (target[i] / span) ** 2
        lo = -big - push - 1e-9
        hi = -lo
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            total = 0.0
            for j in range(s):
                d = dp0[i, j] + mid
                if d >= 0:
                    total += coef[i] * math.sqrt(2 * d / rho_a[i, j])
                else:
                    total -= coef[i] * math.sqrt(-2 * d / rho_b[i, j])
            if total > target[i]:
                hi = mid
            else:
                lo = mid
        mid = 0.5 * (lo + hi)
        for j in range(s):
            d = dp0[i, j] + mid
            if d >= 0:
                out[i, j] = coef[i] * math.sqrt(2 * d / rho_a[i, j])
            else:
                out[i, j] = -coef[i] * math.sqrt(-2 * d / rho_b[i, j])
    return out


def slab_flows_reference(dp0: np.ndarray, rho: np.ndarray, coef: np.ndarray,
                         target: np.ndarray) -> np.ndarray:
    """:func:`slab_flows` in plain numpy (vectorised over openings)."""
    rho_a, rho_b = rho[0], rho[1]
    c = coef[:, None]

    def volume(dp: np.ndarray) -> np.ndarray:
        src = np.where(dp >= 0, rho_a, rho_b)
        return np.sign(dp) * c * np.sqrt(2 * np.abs(dp) / src)

    s = dp0.shape[1]
    push = 0.5 * np.maximum(rho_a[:, 0], rho_a[:, -1]) * (target / (coef * s)) ** 2
    lo = -np.abs(dp0).max(axis=1) - push - 1e-9
    hi = -lo
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        pos = volume(dp0 + mid[:, None]).sum(axis=1) > target
        hi = np.where(pos, mid, hi)
        lo = np.where(pos, lo, mid)
    return volume(dp0 + (0.5 * (lo + hi))[:, None])
