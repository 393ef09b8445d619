"""Duration distributions as scenario data, and fast buffered samplers.

A scenario names a distribution by its family and the parameters people know
(a lognormal by the mean and standard deviation of the durations themselves,
not of their logarithm), in minutes, hours or days.  The model never calls the
generator once per patient: a :class:`Sampler` draws a block of values with
one vectorised numpy call and hands them out one at a time, which is both
faster and, because blocks are drawn in a fixed order from the one generator
of the replication, fully reproducible.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from scenarios.base import StrictModel

__all__ = ["UNIT_MINUTES", "Distribution", "Sampler", "lognormal_params"]

#: Minutes per unit a scenario may give durations in.
UNIT_MINUTES = {"min": 1.0, "h": 60.0, "d": 1440.0}

_REQUIRED: dict[str, tuple[str, ...]] = {
    "exponential": ("mean",),
    "lognormal": ("mean", "sd"),
    "normal": ("mean", "sd"),
    "gamma": ("mean", "sd"),
    "triangular": ("min", "mode", "max"),
    "uniform": ("min", "max"),
    "empirical": ("values",),
    "fixed": ("value",),
}


class Distribution(StrictModel):
    """A non-negative duration distribution.

    Attributes:
        dist: Family: ``exponential`` (mean), ``lognormal`` (mean, sd of the
            durations), ``normal`` (mean, sd; truncated to [min, max] by
            rejection, min defaults to 0), ``gamma`` (mean, sd), ``triangular``
            (min, mode, max), ``uniform`` (min, max), ``empirical`` (values,
            optional weights) or ``fixed`` (value).
        unit: ``min`` (default), ``h`` or ``d``.

    >>> Distribution(dist="exponential", mean=2, unit="h").mean_minutes()
    120.0
    """

    dist: Literal["exponential", "lognormal", "normal", "gamma", "triangular", "uniform",
                  "empirical", "fixed"]
    mean: float | None = Field(default=None, gt=0)
    sd: float | None = Field(default=None, ge=0)
    min: float | None = Field(default=None, ge=0)
    mode: float | None = Field(default=None, ge=0)
    max: float | None = Field(default=None, gt=0)
    value: float | None = Field(default=None, ge=0)
    values: list[float] | None = Field(default=None, min_length=1)
    weights: list[float] | None = None
    unit: Literal["min", "h", "d"] = "min"

    @model_validator(mode="after")
    def _check(self) -> Distribution:
        need = _REQUIRED[self.dist]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(need)}; "
                             f"missing {', '.join(missing)}")
        extra = [k for k in ("mean", "sd", "mode", "value", "values", "weights")
                 if getattr(self, k) is not None and k not in need
                 and not (k == "weights" and self.dist == "empirical")]
        if extra:
            raise ValueError(f"a {self.dist} distribution takes {', '.join(need)}; "
                             f"{', '.join(extra)} does not apply")
        if self.values is not None and any(v < 0 or not math.isfinite(v) for v in self.values):
            raise ValueError("empirical durations must be finite and >= 0")
        if self.weights is not None:
            if self.values is None or len(self.weights) != len(self.values):
                raise ValueError("'weights' must have one entry per value")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("'weights' must be >= 0 with a positive sum")
        lo = self.min if self.min is not None else 0.0
        if self.max is not None and self.max < lo:
            raise ValueError(f"'max' ({self.max}) must be >= 'min' ({lo})")
        if self.dist == "triangular" and not (lo <= (self.mode or 0.0) <= (self.max or 0.0)):
            raise ValueError("triangular needs min <= mode <= max")
        if self.dist == "normal" and self.max is not None and self.sd == 0 and not (
                lo <= (self.mean or 0.0) <= self.max):
            raise ValueError("a zero-sd normal must have its mean inside [min, max]")
        return self

    def mean_minutes(self) -> float:
        """The mean duration in minutes (before truncation for ``normal``)."""
        k = UNIT_MINUTES[self.unit]
        if self.dist in ("exponential", "lognormal", "normal", "gamma"):
            return float(self.mean or 0.0) * k
        if self.dist == "triangular":
            return (float(self.min or 0.0) + float(self.mode or 0.0) + float(self.max or 0.0)) / 3 * k
        if self.dist == "uniform":
            return (float(self.min or 0.0) + float(self.max or 0.0)) / 2 * k
        if self.dist == "fixed":
            return float(self.value or 0.0) * k
        v = np.asarray(self.values, float)
        w = None if self.weights is None else np.asarray(self.weights, float)
        return float(np.average(v, weights=w)) * k


def lognormal_params(mean: float, sd: float) -> tuple[float, float]:
    """Mu and sigma of the underlying normal for a lognormal of given mean and sd.

    >>> mu, sigma = lognormal_params(5.0, math.sqrt(2.0))
    >>> round(math.exp(mu + sigma**2 / 2), 9)
    5.0
    """
    var = sd * sd
    sigma2 = math.log1p(var / (mean * mean))
    return math.log(mean) - sigma2 / 2, math.sqrt(sigma2)


class Sampler:
    """Draws durations (minutes) from one :class:`Distribution`, a block at a time.

    Args:
        dist: The distribution.
        rng: The replication's generator.
        block: Values drawn per numpy call.
    """

    __slots__ = ("_buf", "_dist", "_i", "_k", "_rng", "block")

    def __init__(self, dist: Distribution, rng: np.random.Generator, block: int = 512) -> None:
        if block < 1:
            raise ValueError(f"'block' must be >= 1, got {block}")
        self._dist = dist
        self._rng = rng
        self._k = UNIT_MINUTES[dist.unit]
        self.block = block
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = (self.draw(self.block) * self._k).tolist()
            self._i = 0
        v = self._buf[self._i]
        self._i += 1
        return v

    def draw(self, n: int) -> np.ndarray:
        """``n`` values in the distribution's own unit."""
        d, rng = self._dist, self._rng
        f = d.dist
        if f == "exponential":
            return rng.exponential(float(d.mean or 0.0), n)
        if f == "lognormal":
            assert d.mean is not None and d.sd is not None
            if d.sd == 0:
                return np.full(n, d.mean)
            mu, sigma = lognormal_params(d.mean, d.sd)
            return rng.lognormal(mu, sigma, n)
        if f == "gamma":
            assert d.mean is not None and d.sd is not None
            if d.sd == 0:
                return np.full(n, d.mean)
            shape = (d.mean / d.sd) ** 2
            return rng.gamma(shape, d.mean / shape, n)
        if f == "normal":
            return self._truncated_normal(n)
        if f == "triangular":
            if d.min == d.max:
                return np.full(n, d.min)
            return rng.triangular(float(d.min or 0.0), float(d.mode or 0.0), float(d.max or 0.0), n)
        if f == "uniform":
            return rng.uniform(float(d.min or 0.0), float(d.max or 0.0), n)
        if f == "fixed":
            return np.full(n, d.value)
        v = np.asarray(d.values, float)
        p = None if d.weights is None else np.asarray(d.weights, float) / sum(d.weights)
        return rng.choice(v, size=n, p=p)

    def residual(self, n: int) -> np.ndarray:
        """``n`` remaining durations (minutes) of steps already under way at a random moment.

        In a steady state a step in progress is picked with probability
        proportional to its length (length-biased sampling) and is a uniform
        fraction of the way through, so the remaining time has the stationary
        excess density (1 - F(x)) / E[X], not the density of a fresh duration
        (for a long-tailed length of stay it is much longer).
        """
        pool = self.draw(max(20 * n, 1000)) * self._k
        total = float(pool.sum())
        if n == 0:
            return np.empty(0)
        if total <= 0:
            return np.zeros(n)
        picked = self._rng.choice(pool, size=n, p=pool / total)
        return picked * self._rng.random(n)

    def _truncated_normal(self, n: int) -> np.ndarray:
        # Rejection keeps the shape of the normal inside [min, max]; when the
        # acceptance rate is tiny (a window far in the tail) fall back to the
        # nearest bound rather than loop for ever.
        d, rng = self._dist, self._rng
        assert d.mean is not None and d.sd is not None
        lo = d.min if d.min is not None else 0.0
        hi = d.max if d.max is not None else math.inf
        out = rng.normal(d.mean, d.sd, n)
        for _ in range(50):
            bad = (out < lo) | (out > hi)
            k = int(bad.sum())
            if k == 0:
                return out
            out[bad] = rng.normal(d.mean, d.sd, k)
        return np.clip(out, lo, hi)
