"""The part of a scenario every kind shares, and the registry of kinds.

A scenario is a frozen, validated pydantic model: every parameter of a run and
its seed, nothing else.  Kinds (``operations``, ``evacuation``, later
``fire`` and ``infection``) subclass :class:`ScenarioBase` and register a
:class:`Kind` with :func:`register_kind`; the loader and :func:`scenarios.run`
dispatch on the ``kind`` field, so there is one file format and one entry point.
Variants for sweeps are made with ``scenario.model_copy(update=...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import pyarrow as pa

    from facility import Facility

__all__ = [
    "KINDS",
    "Kind",
    "Replication",
    "ScenarioBase",
    "StrictModel",
    "register_kind",
]


class StrictModel(BaseModel):
    """Base of every scenario sub-object: frozen, unknown keys and non-finite numbers are errors.

    ``allow_inf_nan=False`` here, at the root, means no field of any kind
    accepts ``.inf`` or ``.nan`` (a run of infinite length, an infinite
    speed), whether or not its own constraints would have caught it. Files
    are also validated in strict mode by :func:`scenarios.loader.from_dict`
    (``seed: "7"`` is an error, not 7).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False)


class ScenarioBase(StrictModel):
    """Fields shared by every kind of scenario.

    Attributes:
        kind: Which model runs it (``operations``, ``evacuation``, ...).
        name: Short name used in result folders and the run registry.
        description: Free text for people.
        facility: ``"sample"`` for the built-in sample hospital, or a facility
            file path (relative paths are relative to the scenario file).
        seed: Root seed; replication *i* uses child *i* of ``SeedSequence(seed)``.
        replications: Independent replications to run.
    """

    kind: str
    name: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.\- ]+$")
    description: str = ""
    facility: str = "sample"
    seed: int = Field(default=0, ge=0)
    replications: int = Field(default=1, ge=1, le=100_000)
    # Where the scenario came from; set by the loader, never read from the file.
    source: str | None = Field(default=None, exclude=True)

    def facility_path(self) -> Path | None:
        """The facility file, resolved against the scenario file, or None for the sample."""
        if self.facility == "sample":
            return None
        p = Path(self.facility)
        if not p.is_absolute() and self.source:
            p = Path(self.source).parent / p
        return p


@dataclass(frozen=True, slots=True)
class Replication:
    """What one replication of any model returns.

    Attributes:
        index: Replication number (0-based).
        kpis: Scalar results, by name.
        tables: Named Arrow tables (events, time series, trajectories, ...).
    """

    index: int
    kpis: Mapping[str, float]
    tables: Mapping[str, pa.Table] = field(default_factory=dict)


#: run_replication(scenario, facility, rng, index) -> Replication.  It may also take a keyword
#: ``progress``: a callable its model calls as the clock advances with (simulated seconds, end
#: seconds[, people safe, people]); the runner passes one only when the caller follows simulated
#: time (:mod:`scenarios.progress`), and reporting must not change the results.
RunReplication = Callable[[Any, "Facility", np.random.Generator, int], Replication]
#: summarize(scenario, replications) -> kpis (JSON-able, with confidence intervals)
Summarize = Callable[[Any, list[Replication]], dict[str, Any]]
#: check(scenario, facility) -> None; raises ScenarioFileError naming the field
Check = Callable[[Any, "Facility"], None]
#: report(kpis) -> text printed by ``medtwin run`` after the run
Report = Callable[[dict[str, Any]], str]


@dataclass(frozen=True, slots=True)
class Kind:
    """A model that runs one kind of scenario.

    Functions must be module-level (picklable) so replications can run in
    worker processes or on a Dask cluster.
    """

    name: str
    scenario_type: type[ScenarioBase]
    run_replication: RunReplication
    summarize: Summarize
    check: Check | None = None
    report: Report | None = None


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> None:
    """Make a kind of scenario loadable and runnable."""
    KINDS[kind.name] = kind
