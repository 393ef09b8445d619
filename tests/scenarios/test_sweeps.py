"""Sweeps: variants from --vary and sweep files, common random numbers, stored sweeps, resume."""

from __future__ import annotations

import json
import multiprocessing
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from scenarios.base import Kind
from scenarios.errors import RunCancelled, ScenarioFileError
from scenarios.progress import Tick
from scenarios.store import registry
from scenarios.store.claim import partial_of
from scenarios.sweeps import Plan, load_sweep, plan_from_vary, sweep
from tests.scenarios.kinds import TOY_YAML, toy


def _plan(**update: object) -> Plan:
    return plan_from_vary(toy(**update), ["lever.count=1,2,4"])


def test_common_random_numbers_make_variants_differ_only_by_their_lever(toy_kind: Kind) -> None:
    res = sweep(_plan(replications=4))
    means = np.array([[r.kpis["mean"] for r in run.replications] for run in res.runs])
    # x = exponential draws / count: with shared streams every replication scales exactly
    assert np.allclose(means[1], means[0] / 2) and np.allclose(means[2], means[0] / 4)
    indep = sweep(plan_from_vary(toy(replications=4), ["lever.count=1,2"], common_random_numbers=False))
    m2 = np.array([[r.kpis["mean"] for r in run.replications] for run in indep.runs])
    assert not np.allclose(m2[1], m2[0] / 2)
    assert [r.kpis["mean"] for r in indep.runs[0].replications] != list(means[0])


def test_stored_sweep_layout_and_registry(toy_kind: Kind, tmp_path: Path) -> None:
    res = sweep(_plan(replications=3), out=tmp_path / "s")
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["scenario.yaml", "sweep.json", "v000",
                                                                   "v001", "v002"]
    plan = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert plan["status"] == "complete" and plan["levers"] == ["lever.count"]
    assert [v["levers"] for v in plan["variants"]] == [{"lever.count": c} for c in (1, 2, 4)]
    rows = sorted(registry(tmp_path), key=lambda r: r["variant"])
    assert [(r["sweep"], r["variant"], json.loads(r["levers"])) for r in rows] == [
        ("toy", v, {"lever.count": c}) for v, c in enumerate((1, 2, 4))]
    assert res.path == (tmp_path / "s").absolute() and res.runs[2].path == res.path / "v002"
    mem = sweep(_plan(replications=3))
    for a, b in zip(res.runs, mem.runs, strict=True):
        assert a.arrow("draws").equals(b.arrow("draws"))


def test_ticks_name_the_variant_even_when_finished_variants_are_skipped(toy_kind: Kind,
                                                                        tmp_path: Path) -> None:
    ticks: list[Tick] = []
    sweep(_plan(replications=2), sim_progress=ticks.append)
    assert [(t.tag, t.index) for t in ticks] == [(v, i) for v in range(3) for i in range(2)]
    # a stored sweep whose first two variants finished: only v002 runs, and says so
    sweep(_plan(replications=2), out=tmp_path / "s")
    shutil.rmtree(tmp_path / "s" / "v002")
    sweep_json = tmp_path / "s" / "sweep.json"
    sweep_json.write_text(sweep_json.read_text().replace('"complete"', '"running"'))
    (tmp_path / "s").rename(partial_of(tmp_path / "s"))
    ticks.clear()
    sweep(_plan(replications=2), out=tmp_path / "s", resume=True, sim_progress=ticks.append)
    assert [(t.tag, t.index) for t in ticks] == [(2, 0), (2, 1)]


def test_resume_of_a_finished_sweep_retries_the_failed_replications_only(toy_kind: Kind,
                                                                         tmp_path: Path) -> None:
    out, calls, fixed = tmp_path / "s", tmp_path / "calls", tmp_path / "fixed"
    calls.mkdir()
    base = toy(replications=3, fail_until=str(fixed), calls=str(calls))
    plan = Plan(scenario=base, variants=({"fail_on": [1]}, {"fail_on": []}))
    first = sweep(plan, out=out)
    assert [sorted(r.failed) for r in first.runs] == [[1], []]
    kept = (out / "v001" / "draws.parquet").stat().st_ino
    fixed.touch()
    res = sweep(plan, out=out, resume=True)
    runs = sorted(p.name.split("-")[0] for p in calls.iterdir())
    assert runs == ["0", "0", "1", "1", "1", "2", "2"]  # replication 1 of variant 0 ran once more
    assert [sorted(r.failed) for r in res.runs] == [[], []]
    assert (out / "v001" / "draws.parquet").stat().st_ino == kept  # the variant without failures: linked
    clean = sweep(Plan(scenario=base.model_copy(update={"calls": None}), variants=plan.variants))
    for a, b in zip(res.runs, clean.runs, strict=True):
        assert a.arrow("draws").equals(b.arrow("draws"))
    assert json.loads((out / "sweep.json").read_text())["status"] == "complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls", "fixed", "s"]


def test_sweep_is_identical_on_a_local_pool(toy_kind: Kind, tmp_path: Path) -> None:
    one = sweep(_plan(replications=5))
    two = sweep(_plan(replications=5), n_jobs=2, out=tmp_path / "s")
    assert [[dict(r.kpis) for r in run.replications] for run in one.runs] == \
           [[dict(r.kpis) for r in run.replications] for run in two.runs]


def test_a_cancelled_sweep_resumes_without_running_anything_twice(
    toy_kind: Kind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("scenarios.store.writer.FLUSH_SECONDS", 0.0)
    calls = tmp_path / "calls"
    calls.mkdir()
    plan = _plan(replications=4, calls=str(calls))
    seen: list[int] = []
    with pytest.raises(RunCancelled):
        sweep(plan, out=tmp_path / "s", progress=lambda d, t: seen.append(d),
              should_stop=lambda: len(seen) >= 6)
    assert (tmp_path / ".s.partial" / "v000" / "manifest.json").is_file()  # variant 0 finished already
    res = sweep(plan, out=tmp_path / "s", resume=True)
    assert len(list(calls.iterdir())) == 12  # 3 variants x 4 replications, each run once
    assert [len(r.replications) for r in res.runs] == [4, 4, 4]
    assert res.runs[1].arrow("draws").equals(sweep(_plan(replications=4)).runs[1].arrow("draws"))


def test_a_variant_killed_after_finishing_before_its_rename_is_not_run_again(toy_kind: Kind,
                                                                             tmp_path: Path) -> None:
    # A variant's folder is finished, then renamed to vNNN: a kill between the two left a complete
    # variant that --resume ran all over again.
    calls = tmp_path / "calls"
    calls.mkdir()
    plan = _plan(replications=2, calls=str(calls))
    first = sweep(plan, out=tmp_path / "s")
    sweep_json = tmp_path / "s" / "sweep.json"
    sweep_json.write_text(sweep_json.read_text().replace('"complete"', '"running"'))
    (tmp_path / "s" / "v001").rename(tmp_path / "s" / ".v001.partial")
    (tmp_path / "s").rename(partial_of(tmp_path / "s"))
    res = sweep(plan, out=tmp_path / "s", resume=True)
    assert len(list(calls.iterdir())) == 6  # 3 variants x 2 replications, each run once
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["scenario.yaml", "sweep.json", "v000",
                                                                   "v001", "v002"]
    assert res.runs[1].arrow("draws").equals(first.runs[1].arrow("draws"))


def test_sweep_file_with_grid_range_sample_and_variants(toy_kind: Kind, tmp_path: Path) -> None:
    (tmp_path / "toy.yaml").write_text(TOY_YAML)
    f = tmp_path / "sweep.yaml"
    f.write_text("scenario: toy.yaml\nreplications: 2\nseed: 5\n"
                 "grid:\n  lever.count: {from: 1, to: 3, step: 1}\n"
                 "sample:\n  n: 4\n  seed: 9\n  levers:\n    lever.level: {from: 0.5, to: 2.0}\n"
                 "variants:\n  - {draws: 10}\n  - {draws: 20}\n")
    plan = load_sweep(f)
    assert len(plan.variants) == 3 * 4 * 2 and plan.scenario.seed == 5 and plan.scenario.replications == 2
    assert {v["lever.count"] for v in plan.variants} == {1, 2, 3}
    assert len({v["lever.level"] for v in plan.variants}) == 4
    f.write_text("scenario: toy.yaml\ngrid:\n  lever.size: [1, 2]\n")
    with pytest.raises(ScenarioFileError, match=r"sweep\.yaml: lever\.size: unknown lever"):
        load_sweep(f)
    f.write_text("scenario: toy.yaml\ngird:\n  lever.count: [1, 2]\n")
    with pytest.raises(ScenarioFileError, match=r"sweep\.yaml: gird"):
        load_sweep(f)


@pytest.mark.parametrize(("body", "where", "problem"), [
    ("grid:\n  lever.count: [010, 011]\n", r"grid\.lever\.count\[0\]", "octal number 8"),  # ran 8 and 9
    ("seed: 010\ngrid:\n  lever.count: [1]\n", "seed", "leading zero"),
    ("grid:\n  lever.count: [1, 2]\n  lever.count: [3]\n", "", "duplicate key .lever.count."),  # [3] won
])
def test_a_sweep_file_is_read_by_the_scenario_files_rules(toy_kind: Kind, tmp_path: Path, body: str,
                                                          where: str, problem: str) -> None:
    (tmp_path / "toy.yaml").write_text(TOY_YAML)
    f = tmp_path / "sweep.yaml"
    f.write_text("scenario: toy.yaml\n" + body)
    with pytest.raises(ScenarioFileError, match=problem) as err:
        load_sweep(f)
    assert re.search(where, str(err.value))


def test_a_bad_variant_stops_the_sweep_before_anything_runs(toy_kind: Kind, tmp_path: Path) -> None:
    with pytest.raises(ScenarioFileError, match=r"lever\.count=0"):
        sweep(plan_from_vary(toy(), ["lever.count=2,0"]), out=tmp_path / "s")
    assert list(tmp_path.iterdir()) == []


def _sweep_into(root: str, name: str, start: multiprocessing.synchronize.Barrier,
                q: multiprocessing.Queue) -> None:
    from tests.scenarios.kinds import register_toy

    register_toy()
    start.wait()
    sweep(_plan(replications=2), out=Path(root) / name)
    q.put(name)


def test_concurrent_sweeps_into_one_store_lose_no_row(toy_kind: Kind, tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    q, start = ctx.Queue(), ctx.Barrier(3)
    procs = [ctx.Process(target=_sweep_into, args=(str(tmp_path), f"s{k}", start, q)) for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert sorted(q.get(timeout=5) for _ in procs) == ["s0", "s1", "s2"]
    assert len(registry(tmp_path)) == 9



@pytest.mark.parametrize(("grid", "said"), [
    ("{lever.level: {from: 1, to: 2, step: 0.0000001}}", "gives 10,000,001 values; at most 10,000"),
    ("{lever.level: {from: 1, to: 2, num: 20000}}", "'num' gives 20,000 values"),
    ("{lever.count: {from: 1, to: 200, step: 1}, lever.level: {from: 1, to: 2, num: 100}}",
     r"200 \(lever\.count\) x 100 \(lever\.level\) = 20,000 variants"),
])
def test_a_sweep_of_more_variants_than_any_study_is_refused_at_once(toy_kind: Kind, tmp_path: Path, grid: str,
                                                                     said: str) -> None:
    """A range stepping by 1e-7 over [1, 2] showed nothing for a minute while it built ten million
    variants, and a grid of 100,000 variants started running; each is a run folder."""
    (tmp_path / "toy.yaml").write_text(TOY_YAML)
    (tmp_path / "s.yaml").write_text(f"scenario: toy.yaml\ngrid: {grid}\n")
    t0 = time.perf_counter()
    with pytest.raises(ScenarioFileError, match=said):
        load_sweep(tmp_path / "s.yaml")
    assert time.perf_counter() - t0 < 5.0


def test_a_variant_that_does_not_fit_its_building_is_named(tmp_path: Path) -> None:
    """A sweep over layouts whose second building lacks a space use the scenario needs named the
    base file and field only, not which variant."""
    from scenarios.loader import load

    root = Path(__file__).resolve().parents[2]
    tiny = root / "docs" / "examples" / "tiny_clinic.json"
    plan = plan_from_vary(load(root / "scenarios" / "library" / "sample_hospital_week.yaml"),
                          [f"facility=sample,{tiny}"])
    with pytest.raises(ScenarioFileError, match=r"resources\.triage_nurse\.space_use: in variant v001 "
                       r"\(facility=.*tiny_clinic\.json\): the facility 'Tiny clinic' has no space"):
        sweep(plan, out=tmp_path / "s")
    assert not (tmp_path / "s").exists()
