"""Comparing stored runs: KPI differences with confidence intervals, and a ranking of variants.

A what-if answer is a difference with its uncertainty.  When two runs share
their random streams (same root seed and the same spawn key for each
replication: common random numbers, as a sweep gives by default) the
difference is taken replication by replication and its interval is the
paired Student-t one; otherwise the runs are independent samples and Welch's
interval is used.  Each :class:`Difference` says which it is.

The ranking orders variants by a KPI's mean and marks every variant whose
difference from the best one has an interval containing zero: those cannot
be told apart from the best with the replications run.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scenarios.errors import ArgumentError, ResultsStoreError
from scenarios.stats import mean_ci, paired_difference_ci, welch_difference_ci
from scenarios.store import StoredRun, scan

__all__ = ["Difference", "Ranked", "compare", "difference", "expand", "kpi_names", "label", "rank"]


@dataclass(frozen=True, slots=True)
class Difference:
    """``variant`` minus ``baseline`` on one KPI.

    Attributes:
        kpi: The KPI name.
        baseline, variant: Labels of the two runs.
        baseline_mean, variant_mean: Their means over replications.
        mean, low, high: The difference and its confidence interval.
        n: Replications (pairs when paired) behind it.
        paired: Whether the runs shared random streams (paired interval).
    """

    kpi: str
    baseline: str
    variant: str
    baseline_mean: float
    variant_mean: float
    mean: float
    low: float
    high: float
    n: int
    paired: bool

    @property
    def significant(self) -> bool:
        """The interval excludes zero."""
        return not (math.isnan(self.low) or self.low <= 0.0 <= self.high)


@dataclass(frozen=True, slots=True)
class Ranked:
    """One variant's place on a KPI.

    Attributes:
        rank: 1 is best.
        label: The variant.
        mean, low, high: The KPI's mean and confidence interval.
        n: Replications.
        tied_with_best: Its difference from the best has an interval holding zero.
    """

    rank: int
    label: str
    mean: float
    low: float
    high: float
    n: int
    tied_with_best: bool


def label(run: StoredRun) -> str:
    """A short name of a run: its levers in a sweep, else its folder name."""
    if run.variant and run.variant.get("levers"):
        return ", ".join(f"{k}={v}" for k, v in run.variant["levers"].items())
    return run.path.name


def expand(paths: Sequence[str | Path]) -> list[StoredRun]:
    """The runs named: a run folder itself, a sweep folder's variants, a results root's runs.

    Raises:
        ResultsStoreError: A path holds no readable run, or one is damaged.
    """
    runs: list[StoredRun] = []
    for p in paths:
        s = scan(p)
        if s.problems:
            raise ResultsStoreError(s.problems[0].message)
        if not s.runs:
            raise ResultsStoreError(f"{p}: holds no medtwin run")
        runs.extend(s.runs)
    return runs


def kpi_names(runs: Sequence[StoredRun]) -> list[str]:
    """KPIs every run has, in the first run's order."""
    names: list[str] = []
    for i, run in enumerate(runs):
        have = [k for k, v in run.summary.items() if isinstance(v, dict) and "mean" in v]
        names = have if i == 0 else [k for k in names if k in set(have)]
    return names


def _values(run: StoredRun, kpi: str) -> dict[int, float]:
    out = {}
    for i, k in run.replication_kpis().items():
        v = k.get(kpi)
        out[i] = float(v) if isinstance(v, int | float) else math.nan
    return out


def _check_kpi(runs: Sequence[StoredRun], kpi: str) -> None:
    names = kpi_names(runs)
    if kpi in names:
        return
    lacking = [r for r in runs if not isinstance(r.summary.get(kpi), dict)]
    kinds = sorted({str(r.manifest.get("kind")) for r in runs})
    mixed = f" (the runs are of kinds {', '.join(kinds)}: compare runs of one kind)" if len(kinds) > 1 else ""
    if len(lacking) < len(runs):
        # runs of different kinds, or a KPI only some variants produced: say which runs lack it
        shown = ", ".join(repr(label(r)) for r in lacking[:4])
        more = f" and {len(lacking) - 4} more" if len(lacking) > 4 else ""
        raise ArgumentError(f"--kpi: {kpi!r} is not a KPI of every run: {shown}{more} lack(s) it; expected a "
                            f"KPI that every run compared has{mixed}")
    if not names:
        # the old hint listed the KPIs the runs share, here none: "the runs have 0 KPIs, e.g."
        raise ArgumentError(f"--kpi: {kpi!r} is not a KPI of any run, and the runs share no KPI{mixed}")
    near = difflib.get_close_matches(kpi, names, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(near)}?" if near else f"; the runs have {len(names)} KPIs, e.g. " \
        f"{', '.join(names[:6])}"
    raise ArgumentError(f"--kpi: {kpi!r} is not a KPI of every run{hint}")


def shares_streams(a: StoredRun, b: StoredRun) -> bool:
    """Same root seed and the same spawn key for every replication both have done."""
    ka, kb = a.keys, b.keys
    common = set(ka) & set(kb)
    return bool(common) and a.manifest.get("seed") == b.manifest.get("seed") and \
        all(ka[i] == kb[i] for i in common)


def difference(base: StoredRun, other: StoredRun, kpi: str, level: float = 0.95) -> Difference:
    """``other`` minus ``base`` on ``kpi``: paired when they share streams, else Welch."""
    va, vb = _values(base, kpi), _values(other, kpi)
    paired = shares_streams(base, other)
    if paired:
        common = sorted(set(va) & set(vb) & set(base.keys) & set(other.keys))
        ci = paired_difference_ci([va[i] for i in common], [vb[i] for i in common], level)
    else:
        ci = welch_difference_ci(list(va.values()), list(vb.values()), level)
    return Difference(kpi=kpi, baseline=label(base), variant=label(other),
                      baseline_mean=float(np.nanmean(list(va.values()))) if va else math.nan,
                      variant_mean=float(np.nanmean(list(vb.values()))) if vb else math.nan,
                      mean=ci["mean"], low=ci["low"], high=ci["high"], n=int(ci["n"]), paired=paired)


def compare(runs: Sequence[StoredRun], kpi: str, *, baseline: int = 0,
            level: float = 0.95) -> list[Difference]:
    """Every run against ``runs[baseline]`` on ``kpi``.

    Raises:
        ArgumentError: ``kpi`` is not a KPI of every run (close names are
            suggested), or ``baseline`` is out of range.
    """
    if not 0 <= baseline < len(runs):
        raise ArgumentError(f"--baseline: must name one of the {len(runs)} runs compared")
    _check_kpi(runs, kpi)
    base = runs[baseline]
    return [difference(base, r, kpi, level) for k, r in enumerate(runs) if k != baseline]


def rank(runs: Sequence[StoredRun], kpi: str, *, higher_is_better: bool = False,
         level: float = 0.95) -> list[Ranked]:
    """Runs ordered best first on ``kpi``, each marked if it cannot be told from the best."""
    _check_kpi(runs, kpi)
    cis = [mean_ci(list(_values(r, kpi).values()), level) for r in runs]
    sign = -1.0 if higher_is_better else 1.0
    order = sorted(range(len(runs)), key=lambda k: (math.isnan(cis[k]["mean"]), sign * cis[k]["mean"]))
    best = runs[order[0]]
    out = []
    for place, k in enumerate(order, 1):
        # A run with no value (n = 0) cannot be told from anything: it is not tied with the best.
        tied = cis[k]["n"] > 0 and (k == order[0] or not difference(best, runs[k], kpi, level).significant)
        out.append(Ranked(rank=place, label=label(runs[k]), mean=cis[k]["mean"], low=cis[k]["low"],
                          high=cis[k]["high"], n=int(cis[k]["n"]), tied_with_best=tied))
    return out
