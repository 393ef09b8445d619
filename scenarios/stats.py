"""Summaries across replications: means with Student-t confidence intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["mean_ci"]


def mean_ci(values: Sequence[float] | np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Mean and Student-t confidence half-width of independent replications.

    NaNs (e.g. a wait with no patients in one replication) are dropped.

    >>> r = mean_ci([1.0, 2.0, 3.0])
    >>> r["mean"], round(r["half_width"], 3), r["n"]
    (2.0, 2.484, 3)
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return {"mean": math.nan, "half_width": math.nan, "low": math.nan, "high": math.nan, "n": 0}
    m = float(x.mean())
    if n == 1:
        return {"mean": m, "half_width": math.nan, "low": math.nan, "high": math.nan, "n": 1}
    hw = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return {"mean": m, "half_width": hw, "low": m - hw, "high": m + hw, "n": n}
