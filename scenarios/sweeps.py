"""Sweeps: one scenario run over a set of variants, with common random numbers.

Every variant x replication draws from its own ``SeedSequence`` stream, fixed
by the root seed, the replication and (without common random numbers) the
variant, so results do not depend on the backend, the worker count or the
order in which replications finish.  With common random numbers (the
default) replication *i* of every variant uses the same stream: the patients
arrive alike and the differences between variants come from the levers,
which makes paired differences much tighter than independent runs give.

A stored sweep is a folder::

    OUT/
      sweep.json      the plan: base scenario hash, seed, replications, levers, variants
      scenario.yaml   the base scenario
      v000/ v001/ ... one run folder per variant (each with its own manifest)

claimed, written and finished like a run folder (:mod:`scenarios.store`):
each variant's folder appears as soon as its last replication is in, and
``resume`` continues a killed sweep from the replications already stored.

A sweep file (YAML) names the base scenario and the variants::

    scenario: nelson_treatment_centre.yaml   # relative to this file
    replications: 30                         # optional overrides
    seed: 42
    common_random_numbers: true
    grid:                                    # every combination
      resources.exam_room.count: [2, 3, 4]
      resources.triage_cubicle.count: {from: 1, to: 2, step: 1}
    sample:                                  # Latin hypercube points, crossed with the grid
      n: 8
      seed: 1
      levers:
        resources.nontrauma_cubicle.count: {from: 1, to: 3, integer: true}
    variants:                                # explicit variants, crossed too
      - {facility: wider_corridor.json}
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from facility.errors import FileAccessError
from facility.files import read_input_text, write_atomic
from facility.model import Facility
from scenarios.base import Kind, ScenarioBase, StrictModel
from scenarios.errors import ResultsStoreError, ScenarioError, ScenarioFileError
from scenarios.levers import (
    MAX_VARIANTS,
    apply_levers,
    check_lever,
    grid,
    latin_hypercube,
    parse_vary,
    range_values,
)
from scenarios.loader import MAX_FILE_BYTES, dump, load, parse
from scenarios.progress import OnTick, Tick
from scenarios.replicate import check_seed, spawn_key
from scenarios.runner import (
    Progress,
    Results,
    RunSink,
    ShouldStop,
    check_backend,
    check_finished_partial,
    facility_hash,
    prepare,
    run_header,
    run_sinks,
    same_plan,
    stored_results,
)
from scenarios.store import RunWriter, claimed, finalise, is_finished, open_run, read_json
from scenarios.store.layout import (
    MANIFEST,
    SCENARIO,
    SWEEP,
    SWEEP_FORMAT,
    dumps,
    medtwin_version,
    scenario_hash,
)

__all__ = ["Plan", "SweepResults", "load_sweep", "plan_from_vary", "sweep"]

#: Fields of ``sweep.json`` that must match for an interrupted sweep to be resumed.
RESUME_FIELDS = ("scenario_hash", "seed", "replications", "common_random_numbers", "variants")


class _Sample(StrictModel):
    method: str = Field(default="latin_hypercube", pattern="^latin_hypercube$")
    n: int = Field(ge=1, le=10_000)
    seed: int = Field(default=0, ge=0)
    levers: dict[str, dict[str, Any]] = Field(min_length=1)


class _SweepFile(StrictModel):
    scenario: str
    replications: int | None = Field(default=None, ge=1, le=100_000)
    seed: int | None = Field(default=None, ge=0)
    common_random_numbers: bool = True
    grid: dict[str, list[Any] | dict[str, Any]] = Field(default_factory=dict)
    sample: _Sample | None = None
    variants: list[dict[str, Any]] = Field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    """What a sweep runs: a base scenario and the lever values of each variant.

    Attributes:
        scenario: The base scenario (with any seed/replication override applied).
        variants: Lever values of each variant, by dotted path.
        common_random_numbers: Replication *i* of every variant shares one stream.
        source: The sweep file or ``--vary`` (named in errors).
    """

    scenario: ScenarioBase
    variants: tuple[dict[str, Any], ...]
    common_random_numbers: bool = True
    source: str = "--vary"


@dataclass(frozen=True)
class SweepResults:
    """Every variant's results, in variant order.

    Attributes:
        plan: The plan as run.
        runs: One :class:`~scenarios.runner.Results` per variant.
        path: The sweep folder, when stored.
    """

    plan: Plan
    runs: tuple[Results, ...]
    path: Path | None = None


def _cross(*blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{}]
    for block in blocks:
        if block:
            out = [{**a, **b} for a in out for b in block]
    return out


def plan_from_vary(scenario: ScenarioBase, vary: Sequence[str], *, base_dir: Path | None = None,
                   common_random_numbers: bool = True) -> Plan:
    """A plan from ``--vary LEVER=VALUES`` options: the full grid of their values.

    Raises:
        ScenarioFileError: No option, a lever given twice, an unknown lever or
            a value the scenario refuses (named with ``--vary``).
    """
    if not vary:
        raise ScenarioFileError("--vary", "", "a sweep needs at least one --vary LEVER=VALUES")
    levers: dict[str, list[Any]] = {}
    for text in vary:
        path, values = parse_vary(text, base_dir)
        if path in levers:
            raise ScenarioFileError("--vary", path, "given twice; list all its values in one --vary")
        check_lever(scenario, path)
        levers[path] = values
    return _checked(Plan(scenario=scenario, variants=tuple(grid(levers, "--vary")),
                         common_random_numbers=common_random_numbers, source="--vary"))


def load_sweep(path: str | Path) -> Plan:
    """Read a sweep file: its base scenario and the variants of its grid, sample and list.

    Raises:
        ScenarioFileError: The file, its base scenario or a lever is invalid;
            the message names the file and the field.
    """
    p = Path(path)
    try:
        text = read_input_text(p, what="sweep file", max_bytes=MAX_FILE_BYTES)
    except FileAccessError as exc:
        raise ScenarioFileError(str(p), "", exc.problem) from None
    # By the scenario files' rules: no octal 010, no base-60 14:00, no decimal comma, no alias bomb.
    data = parse(text, str(p))
    try:
        spec = _SweepFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"])
        raise ScenarioFileError(str(p), field, str(err["msg"])) from None
    base_path = Path(spec.scenario)
    base = load(base_path if base_path.is_absolute() else p.parent / base_path)
    update = {k: v for k, v in (("seed", spec.seed), ("replications", spec.replications)) if v is not None}
    if update:
        base = base.model_copy(update=update)
    where = str(p)
    grid_levers: dict[str, list[Any]] = {}
    for lever, values in spec.grid.items():
        check_lever(base, lever, where)
        vals = range_values(values, where, f"grid.{lever}") if isinstance(values, dict) else list(values)
        if lever == "facility":
            vals = [v if v == "sample" or Path(v).is_absolute() else str((p.parent / v).absolute())
                    for v in vals]
        grid_levers[lever] = vals
    sampled: list[dict[str, Any]] = []
    if spec.sample is not None:
        for lever in spec.sample.levers:
            check_lever(base, lever, where)
        sampled = latin_hypercube(spec.sample.levers, spec.sample.n, spec.sample.seed, where)
    for k, v in enumerate(spec.variants):
        for lever in v:
            check_lever(base, lever, f"{where}: variants[{k}]")
    variants = _cross(grid(grid_levers, where) if grid_levers else [], sampled, list(spec.variants))
    if len(variants) > MAX_VARIANTS:
        raise ScenarioFileError(where, "", f"grid, sample and variants make {len(variants):,} variants; "
                                f"at most {MAX_VARIANTS:,}")
    if variants == [{}]:
        raise ScenarioFileError(where, "", "a sweep needs levers under 'grid', 'sample' or 'variants'")
    return _checked(Plan(scenario=base, variants=tuple(variants),
                         common_random_numbers=spec.common_random_numbers, source=where))


def _checked(plan: Plan) -> Plan:
    """``plan`` once every variant is known to be a valid scenario (errors name the lever)."""
    for v in plan.variants:
        apply_levers(plan.scenario, v, plan.source)
    return plan


def _variant_folder(index: int) -> str:
    return f"v{index:03d}"


def _by_variant(sim_progress: OnTick | None, todo: list[int]) -> OnTick | None:
    """Ticks tagged by variant number rather than by position among the variants still to run."""
    if sim_progress is None:
        return None
    on_tick = sim_progress

    def relabel(tick: Tick) -> None:
        tag: Any = tick.tag
        on_tick(replace(tick, tag=todo[tag]))

    return relabel


def sweep(
    plan: Plan,
    *,
    out: str | Path | None = None,
    overwrite: bool = False,
    resume: bool = False,
    backend: str = "local",
    n_jobs: int | None = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    sim_progress: OnTick | None = None,
) -> SweepResults:
    """Run every variant of a plan; all replications of all variants share the workers.

    Args:
        plan: From :func:`load_sweep` or :func:`plan_from_vary`.
        out: Sweep folder to create (see the module docstring); None keeps
            the results in memory.
        overwrite: Replace a finished sweep folder at ``out`` (nothing else).
        resume: Continue an interrupted sweep at ``out``.
        backend, n_jobs, scheduler: As for :func:`scenarios.run`.
        progress: Called with (done, total) over all replications.
        should_stop: Polled between batches; true cancels (``resume`` continues).
        sim_progress: Called with each :class:`~scenarios.progress.Tick` of a
            running replication; its ``tag`` is the variant's number.

    Raises:
        ScenarioFileError: A variant is not a valid scenario (checked before
            anything runs).
        ResultsStoreError: ``out`` cannot be written safely.
    """
    base = plan.scenario
    check_seed(base.seed)
    backend, n_jobs, probe = check_backend(backend, n_jobs, scheduler)
    scenarios = [apply_levers(base, v, plan.source) for v in plan.variants]
    prepared = [_prepared(sc, v, plan.variants[v]) for v, sc in enumerate(scenarios)]
    keys = [[spawn_key(i, None if plan.common_random_numbers else v) for i in range(base.replications)]
            for v in range(len(scenarios))]
    if out is None:
        sinks = [RunSink(sc, kind, k, None)
                 for sc, (kind, _), k in zip(scenarios, prepared, keys, strict=True)]
        run_sinks([(s, fac) for s, (_, fac) in zip(sinks, prepared, strict=True)], backend=backend,
                 n_jobs=n_jobs, scheduler=scheduler, progress=progress, should_stop=should_stop, probe=probe,
                 sim_progress=sim_progress)
        return SweepResults(plan=plan, runs=tuple(s.finish_in_memory() for s in sinks))
    base_text = dump(base)
    header = {"format": SWEEP_FORMAT, "name": base.name, "kind": base.kind,
              "scenario_hash": scenario_hash(base, base_text), "seed": base.seed,
              "replications": base.replications,
              "common_random_numbers": plan.common_random_numbers, "levers": _lever_names(plan.variants),
              "variants": [{"index": v, "folder": _variant_folder(v), "levers": lv}
                           for v, lv in enumerate(plan.variants)]}
    with claimed(out, overwrite=overwrite, resume=resume, sweep=True) as claim:
        if resume and claim.existing and not claim.resumed:
            _check_same_sweep(claim.out, read_json(claim.out / SWEEP, format=SWEEP_FORMAT), header)
            if not _start_retry(claim.out, claim.partial, len(scenarios)):
                return _stored(plan, claim.out, scenarios)
        root = claim.partial
        if claim.resumed and (root / SWEEP).is_file():
            _check_same_sweep(root, read_json(root / SWEEP), header)
        else:
            root.mkdir(exist_ok=True)
            write_atomic(root / SCENARIO, base_text)
            write_atomic(root / SWEEP, dumps({**header, "status": "running"}))
        sinks, facs, todo = [], [], []
        buildings: dict[int, str] = {}
        for v, (sc, (kind, fac)) in enumerate(zip(scenarios, prepared, strict=True)):
            if (root / _variant_folder(v) / MANIFEST).is_file():
                continue  # finished before the interruption
            partial = root / f".{_variant_folder(v)}.partial"
            variant = {"sweep": base.name, "index": v, "levers": plan.variants[v]}
            if id(fac) not in buildings:  # hashing a building costs more than a short replication
                buildings[id(fac)] = facility_hash(fac)
            building = buildings[id(fac)]
            text = dump(sc)
            run_head = run_header(sc, keys[v], variant, building=building, text=text)
            if is_finished(partial):  # killed after finishing the variant, before its rename
                check_finished_partial(partial, run_head)
                partial.rename(root / _variant_folder(v))
                continue
            writer = RunWriter(partial, run_head, text, resume=partial.is_dir())
            earlier = claim.out / _variant_folder(v)
            if resume and claim.existing and (earlier / MANIFEST).is_file():  # retrying its failures
                stored = open_run(earlier)
                if same_plan(stored, run_head) and stored.manifest.get("version") == run_head["version"]:
                    writer.carry_over(stored)
            sinks.append(RunSink(sc, kind, keys[v], writer))
            facs.append(fac)
            todo.append(v)

        def finish_variant(tag: int) -> None:
            sink = sinks[tag]
            assert sink.writer is not None
            sink.writer.finalise(sink.summarize, sink.timings())
            sink.writer.folder.rename(root / _variant_folder(todo[tag]))

        try:
            run_sinks(list(zip(sinks, facs, strict=True)), backend=backend, n_jobs=n_jobs,
                      scheduler=scheduler, progress=progress, should_stop=should_stop, probe=probe,
                      on_complete=finish_variant, sim_progress=_by_variant(sim_progress, todo))
        except ScenarioError:
            for s in sinks:
                if s.writer is not None:
                    s.writer.flush()
            if not any(s.writer is not None and s.writer.records for s in sinks) and \
                    not any((root / _variant_folder(v)).is_dir() for v in range(len(scenarios))):
                shutil.rmtree(root, ignore_errors=True)
            raise
        except BaseException:
            for s in sinks:
                if s.writer is not None:
                    s.writer.flush()  # keep what finished, for --resume
            raise
        for tag, sink in enumerate(sinks):  # variants with nothing left to run after a resume
            if sink.writer is not None and sink.writer.folder.is_dir():
                finish_variant(tag)
        write_atomic(root / SWEEP, dumps({**header, "status": "complete"}))
        finalise(claim)
    return _stored(plan, claim.out, scenarios)


def _prepared(scenario: ScenarioBase, index: int, levers: Mapping[str, Any]) -> tuple[Kind, Facility]:
    """:func:`~scenarios.runner.prepare` for variant ``index``; a scenario that does not fit its
    building names the variant as well (the fields are the base scenario's)."""
    try:
        return prepare(scenario)
    except ScenarioFileError as exc:
        which = ", ".join(f"{k}={v}" for k, v in levers.items())
        raise ScenarioFileError(exc.path, exc.field,
                                f"in variant {_variant_folder(index)} ({which}): {exc.problem}") from None


def _start_retry(out: Path, root: Path, variants: int) -> bool:
    """Begin retrying the failed replications of the finished sweep ``out``; false if it has none.

    The variants without failures are linked into the partial sweep ``root``
    (hard links, or copies where the file system has none: stored files are
    only ever replaced, never changed, so a link is as safe as a copy); the
    others are re-opened by :func:`sweep`, which copies their done
    replications and runs the failed ones.  ``out`` stays as it is until the
    finished partial sweep replaces it whole.

    Raises:
        ResultsStoreError: A variant with failures was run by another medtwin version.
    """
    runs = [open_run(out / _variant_folder(v)) for v in range(variants)]
    failing = [r for r in runs if r.manifest.get("failed")]
    if not failing:
        return False
    version = medtwin_version()
    for r in failing:
        if r.manifest.get("version") != version:
            raise ResultsStoreError(f"{r.path}: its failed replications cannot be run again by medtwin "
                                    f"{version}: the others were run by {r.manifest.get('version')} and one "
                                    "run never mixes versions; use --overwrite to run the sweep again")
    root.mkdir()
    for r in runs:
        if not r.manifest.get("failed"):
            shutil.copytree(r.path, root / r.path.name, copy_function=_link_or_copy)
    return True


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _lever_names(variants: Sequence[Mapping[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for v in variants:
        names.update(dict.fromkeys(v))
    return list(names)


def _check_same_sweep(folder: Path, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    differ = [f for f in RESUME_FIELDS if dumps(old.get(f)) != dumps(new.get(f))]
    if differ:
        raise ResultsStoreError(f"{folder}: the sweep there has a different {', '.join(differ)}; --resume "
                                "only continues the same sweep (use --overwrite to replace it)")


def _stored(plan: Plan, folder: Path, scenarios: Sequence[ScenarioBase]) -> SweepResults:
    runs = tuple(stored_results(open_run(folder / _variant_folder(v)), sc) for v, sc in enumerate(scenarios))
    return SweepResults(plan=plan, runs=runs, path=folder)
