"""One run for every kind: seeds, replications, overrides, failures, kills and resume."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

import scenarios
from scenarios.base import Kind
from scenarios.errors import ArgumentError, ResultsStoreError, RunCancelled, RunError
from scenarios.evacuation.testbeds import room
from scenarios.loader import loads
from scenarios.progress import Tick
from scenarios.runner import run
from scenarios.store import open_run
from tests.scenarios.kinds import toy
from tests.scenarios.mm1 import MM1_YAML


def _fake_facility() -> object:
    return object()  # the test model does not use the building


def test_same_seed_same_results(mm1_kind: Kind) -> None:
    sc = loads(MM1_YAML)
    a = run(sc, facility=_fake_facility())  # type: ignore[arg-type]
    b = run(sc, facility=_fake_facility())  # type: ignore[arg-type]
    assert [r.kpis for r in a.replications] == [r.kpis for r in b.replications]
    c = run(sc, facility=_fake_facility(), seed=8)  # type: ignore[arg-type]
    assert [r.kpis for r in c.replications] != [r.kpis for r in a.replications]


def test_replications_are_independent_and_prefix_stable(mm1_kind: Kind) -> None:
    sc = loads(MM1_YAML)
    four = run(sc, facility=_fake_facility())  # type: ignore[arg-type]
    waits = [r.kpis["mean_wait"] for r in four.replications]
    assert len(set(waits)) == 4
    # SeedSequence.spawn: the first replications do not depend on how many follow
    eight = run(sc, facility=_fake_facility(), replications=8)  # type: ignore[arg-type]
    assert [r.kpis["mean_wait"] for r in eight.replications[:4]] == waits


def test_mm1_mean_wait_matches_theory(mm1_kind: Kind) -> None:
    # M/M/1 with rho = 0.5: Wq = rho / (mu - lambda) = 1.0
    sc = loads(MM1_YAML).model_copy(update={"customers": 20000})
    res = run(sc, facility=_fake_facility(), replications=10)  # type: ignore[arg-type]
    ci = res.kpis["mean_wait"]
    assert ci["low"] - 0.05 <= 1.0 <= ci["high"] + 0.05


def test_tables_concatenated_with_replication_column(mm1_kind: Kind) -> None:
    res = run(loads(MM1_YAML), facility=_fake_facility())  # type: ignore[arg-type]
    df = res.table("waits")
    assert list(df.columns[:1]) == ["replication"]
    assert sorted(df["replication"].unique()) == [0, 1, 2, 3]
    assert len(df) == 4 * 3000
    with pytest.raises(KeyError):
        res.table("nope")


def test_bad_overrides(mm1_kind: Kind) -> None:
    sc = loads(MM1_YAML)
    with pytest.raises(ValueError, match="replications"):
        run(sc, facility=_fake_facility(), replications=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed"):
        run(sc, facility=_fake_facility(), seed=-2)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="--backend"):
        run(sc, facility=_fake_facility(), backend="gpu")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="--jobs"):
        run(sc, facility=_fake_facility(), n_jobs=0)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match=r"--scheduler: .* only with --backend dask"):
        run(sc, facility=_fake_facility(), scheduler="tcp://h:8786")  # type: ignore[arg-type]


def test_unknown_kind_is_an_error(mm1_kind: Kind) -> None:
    sc = loads(MM1_YAML).model_copy(update={"kind": "gone"})
    with pytest.raises(RunError, match="unknown scenario kind"):
        run(sc, facility=_fake_facility())  # type: ignore[arg-type]


def test_seed_sequence_children_differ() -> None:
    kids = np.random.SeedSequence(7).spawn(3)
    draws = [np.random.default_rng(k).random() for k in kids]
    assert len(set(draws)) == 3


def test_a_failing_replication_is_recorded_and_the_others_carry_on(toy_kind: Kind, tmp_path: Path) -> None:
    res = run(toy(fail_on=(2,)), facility=_fake_facility(), out=tmp_path / "r")  # type: ignore[arg-type]
    assert list(res.failed) == [2] and "ZeroDivisionError: replication 2" in res.failed[2]
    assert [r.index for r in res.replications] == [0, 1, 3, 4, 5]
    assert res.kpis["mean"]["n"] == 5
    m = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert (m["done"], m["failed"]) == (5, 1)
    assert "Traceback" in m["replication_status"][2]["error"]
    ok = run(toy(), facility=_fake_facility())  # type: ignore[arg-type]
    assert res.replications[2].kpis == ok.replications[3].kpis  # same stream as without the failure


def test_every_replication_failing_is_an_error(toy_kind: Kind) -> None:
    with pytest.raises(RunError, match=r"(?s)all 2 replications of .toy. failed.*ZeroDivisionError"):
        run(toy(fail_on=(0, 1), replications=2), facility=_fake_facility())  # type: ignore[arg-type]


def test_cancel_keeps_finished_replications_for_resume(toy_kind: Kind, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scenarios.store.writer.FLUSH_SECONDS", 0.0)
    seen: list[int] = []
    with pytest.raises(RunCancelled, match="--resume"):
        run(toy(), facility=_fake_facility(), out=tmp_path / "r",  # type: ignore[arg-type]
            progress=lambda done, total: seen.append(done), should_stop=lambda: len(seen) >= 3)
    assert not (tmp_path / "r").exists() and (tmp_path / ".r.partial").is_dir()
    done = run(toy(), facility=_fake_facility(), out=tmp_path / "r", resume=True,  # type: ignore[arg-type]
               progress=lambda done, total: seen.append(done))
    assert seen == [1, 2, 3, 3, 4, 5, 6]  # resumed at 3 of 6: nothing run twice
    full = run(toy(), facility=_fake_facility())  # type: ignore[arg-type]
    assert [r.kpis for r in done.replications] == [r.kpis for r in full.replications]


def _killable(out: str, gate: str, calls: str) -> None:
    from tests.scenarios.kinds import register_toy

    register_toy()
    run(toy(replications=8, block_from=4, gate=gate, calls=calls), facility=_fake_facility(),  # type: ignore[arg-type]
        out=out)


def test_resume_after_a_kill_loses_and_duplicates_nothing(toy_kind: Kind, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scenarios.store.writer.FLUSH_SECONDS", 0.0)  # store each one at once
    out, gate, calls = tmp_path / "r", tmp_path / "gate", tmp_path / "calls"
    calls.mkdir()
    child = multiprocessing.get_context("fork").Process(target=_killable,
                                                        args=(str(out), str(gate), str(calls)))
    child.start()
    deadline = time.monotonic() + 30
    while len(list((tmp_path / ".r.partial" / "parts").glob("*/part.json"))) < 4 \
            or not list(calls.glob("4-*")):
        assert time.monotonic() < deadline and child.is_alive()
        time.sleep(0.02)
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)  # killed in replication 4
    child.join()
    sc = toy(replications=8, block_from=4, gate=str(gate), calls=str(calls))
    with pytest.raises(Exception, match="--resume"):
        run(sc, facility=_fake_facility(), out=out)  # type: ignore[arg-type]
    gate.touch()
    res = run(sc, facility=_fake_facility(), out=out, resume=True)  # type: ignore[arg-type]
    assert _runs(calls) == [0, 1, 2, 3, 4, 4, 5, 6, 7]  # only the killed replication ran twice
    assert [r.index for r in res.replications] == list(range(8))
    assert res.arrow("draws").num_rows == 8 * 50
    full = run(sc.model_copy(update={"calls": None}), facility=_fake_facility())  # type: ignore[arg-type]
    assert res.arrow("draws").equals(full.arrow("draws"))
    assert open_run(out).manifest["done"] == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls", "gate", "r"]


def test_a_run_killed_after_finishing_before_its_rename_is_moved_into_place_by_resume(
    toy_kind: Kind, tmp_path: Path
) -> None:
    # The folder is finished (manifest written, scratch gone), then renamed into place: a kill
    # between the two left a complete run that --resume ran all over again.
    out, calls = tmp_path / "r", tmp_path / "calls"
    calls.mkdir()
    sc = toy(replications=4, calls=str(calls))
    first = run(sc, facility=_fake_facility(), out=out)  # type: ignore[arg-type]
    out.rename(tmp_path / ".r.partial")  # as the kill left it
    with pytest.raises(ResultsStoreError, match="--resume"):
        run(sc, facility=_fake_facility(), out=out)  # type: ignore[arg-type]
    with pytest.raises(ResultsStoreError, match="different scenario"):
        run(toy(replications=4, calls=str(calls), draws=7), facility=_fake_facility(), out=out,  # type: ignore[arg-type]
            resume=True)
    res = run(sc, facility=_fake_facility(), out=out, resume=True)  # type: ignore[arg-type]
    assert _runs(calls) == [0, 1, 2, 3]  # nothing ran again
    assert res.kpis == first.kpis and res.arrow("draws").equals(first.arrow("draws"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls", "r"]


def test_resume_refuses_a_different_scenario(toy_kind: Kind, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scenarios.store.writer.FLUSH_SECONDS", 0.0)
    seen: list[int] = []
    with pytest.raises(RunCancelled):
        run(toy(), facility=_fake_facility(), out=tmp_path / "r",  # type: ignore[arg-type]
            progress=lambda d, t: seen.append(d), should_stop=lambda: len(seen) >= 2)
    with pytest.raises(Exception, match="different scenario_hash"):
        run(toy(draws=7), facility=_fake_facility(), out=tmp_path / "r", resume=True)  # type: ignore[arg-type]
    # a finished run is returned as it stands by resume
    done = run(toy(), facility=_fake_facility(), out=tmp_path / "r", resume=True)  # type: ignore[arg-type]
    again = run(toy(), facility=_fake_facility(), out=tmp_path / "r", resume=True)  # type: ignore[arg-type]
    assert again.kpis == done.kpis


def _runs(calls: Path) -> list[int]:
    """Replications run so far, by index, from the files the toy kind leaves."""
    return sorted(int(p.name.split("-")[0]) for p in calls.iterdir())


def test_resume_of_a_finished_run_retries_its_failed_replications_and_only_those(
    toy_kind: Kind, tmp_path: Path
) -> None:
    out, calls, fixed = tmp_path / "r", tmp_path / "calls", tmp_path / "fixed"
    calls.mkdir()
    sc = toy(replications=6, fail_on=(1, 4), fail_until=str(fixed), calls=str(calls))
    first = run(sc, facility=_fake_facility(), out=out)  # type: ignore[arg-type]
    assert sorted(first.failed) == [1, 4]
    kept = {r["index"]: r for r in open_run(out).manifest["replication_status"] if r["status"] == "done"}
    fixed.touch()  # whatever made them fail is put right
    res = run(sc, facility=_fake_facility(), out=out, resume=True)  # type: ignore[arg-type]
    assert _runs(calls) == [0, 1, 1, 2, 3, 4, 4, 5]
    assert not res.failed and [r.index for r in res.replications] == list(range(6))
    manifest = open_run(out).manifest
    assert (manifest["done"], manifest["failed"]) == (6, 0)
    assert all(manifest["replication_status"][i] == kept[i] for i in kept)  # the same records, not re-runs
    full = run(sc.model_copy(update={"calls": None}), facility=_fake_facility())  # type: ignore[arg-type]
    assert res.arrow("draws").equals(full.arrow("draws")) and res.kpis == full.kpis
    assert run(sc, facility=_fake_facility(), out=out, resume=True).kpis == res.kpis  # type: ignore[arg-type]  # nothing left
    assert _runs(calls) == [0, 1, 1, 2, 3, 4, 4, 5]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls", "fixed", "r"]


def test_an_interrupted_retry_keeps_the_finished_run_and_resumes(toy_kind: Kind, tmp_path: Path) -> None:
    out, calls, fixed = tmp_path / "r", tmp_path / "calls", tmp_path / "fixed"
    calls.mkdir()
    sc = toy(replications=5, fail_on=(3,), fail_until=str(fixed), calls=str(calls))
    run(sc, facility=_fake_facility(), out=out)  # type: ignore[arg-type]
    fixed.touch()
    with pytest.raises(RunCancelled):  # stopped after the done ones were copied, before the retry ran
        run(sc, facility=_fake_facility(), out=out, resume=True,  # type: ignore[arg-type]
            should_stop=lambda: True)
    assert open_run(out).manifest["failed"] == 1  # the finished run is untouched meanwhile
    res = run(sc, facility=_fake_facility(), out=out, resume=True)  # type: ignore[arg-type]
    assert _runs(calls) == [0, 1, 2, 3, 3, 4] and not res.failed


def test_failed_replications_are_not_retried_by_another_version(toy_kind: Kind, tmp_path: Path) -> None:
    out = tmp_path / "r"
    run(toy(fail_on=(2,)), facility=_fake_facility(), out=out)  # type: ignore[arg-type]
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "version": "0.0.1"}))
    with pytest.raises(ResultsStoreError, match="never mixes versions"):
        run(toy(fail_on=(2,)), facility=_fake_facility(), out=out, resume=True)  # type: ignore[arg-type]


def test_resume_refuses_an_edited_building(toy_kind: Kind, tmp_path: Path, tiny_facility: object,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    monkeypatch.setattr("scenarios.store.writer.FLUSH_SECONDS", 0.0)
    seen: list[int] = []
    with pytest.raises(RunCancelled):
        run(toy(), facility=tiny_facility, out=tmp_path / "r",  # type: ignore[arg-type]
            progress=lambda d, t: seen.append(d), should_stop=lambda: len(seen) >= 2)
    edited = dataclasses.replace(tiny_facility, name="tiny, one door wider")  # type: ignore[type-var]
    with pytest.raises(Exception, match="different facility_hash"):
        run(toy(), facility=edited, out=tmp_path / "r", resume=True)  # type: ignore[arg-type]
    assert run(toy(), facility=tiny_facility, out=tmp_path / "r", resume=True).path  # type: ignore[arg-type]


def test_simulated_time_is_reported_in_process_without_changing_results(toy_kind: Kind) -> None:
    ticks: list[Tick] = []
    followed = run(toy(replications=3), facility=_fake_facility(), sim_progress=ticks.append)  # type: ignore[arg-type]
    plain = run(toy(replications=3), facility=_fake_facility())  # type: ignore[arg-type]
    assert [r.kpis for r in followed.replications] == [r.kpis for r in plain.replications]
    # the first report of each replication is sent at once, later ones at most every TICK_EVERY_S
    assert [(t.tag, t.index, t.sim_time_s) for t in ticks] == [(0, 0, 900.0), (0, 1, 900.0), (0, 2, 900.0)]


def test_an_evacuation_reports_people_safe_as_it_goes() -> None:
    sc = scenarios.from_dict({"kind": "evacuation", "name": "small", "seed": 4, "replications": 1,
                              "population": {"groups": [{"profile": "visitor", "space": "R", "count": 6}]}})
    fac = room(8, 5, [("E", 8.0, 2.5, 1.0)])
    ticks: list[Tick] = []
    followed = run(sc, facility=fac, sim_progress=ticks.append)
    assert followed.replications[0].kpis == run(sc, facility=fac).replications[0].kpis
    assert ticks and ticks[0].of == 6 and 0 <= ticks[0].finished <= 6  # type: ignore[operator]
    assert ticks[0].end_time_s == sc.alarm + sc.max_time  # type: ignore[attr-defined]


def test_a_building_is_hashed_by_its_content_and_not_kept_alive_by_it() -> None:
    import dataclasses
    import gc
    import weakref

    import facility
    from scenarios.runner import facility_hash

    built = facility.sample()
    copy = dataclasses.replace(built)
    edited = dataclasses.replace(built, name=built.name + " (edited)")
    assert facility_hash(copy) == facility_hash(built) != facility_hash(edited)
    assert facility_hash(copy) == facility_hash(copy)
    gone = weakref.ref(copy)
    del copy
    gc.collect()
    assert gone() is None  # remembering a building's hash does not keep the building


def test_a_fault_found_while_running_names_the_scenario_file(tmp_path: Path) -> None:
    # Found by a user: through the Python API, an alarm that never sounds (found only by running
    # the fire) was reported as "<scenario>: hazard.fire.detectors: ...", not by its file.
    clinic = Path(__file__).resolve().parents[2] / "docs" / "examples" / "tiny_clinic.json"
    sc = loads(f"kind: evacuation\nname: t\nfacility: {clinic}\n"
               "population:\n  groups: [{profile: ambulant, space: WAIT, count: 1}]\n"
               "hazard:\n  fire: {origin: WAIT, growth: table, hrr_table: [[0, 0], [10, 0]],\n"
               "         alarm: detection, detectors: [{kind: heat}]}\n  dt: 5\n", source="drills/t.yaml")
    with pytest.raises(scenarios.ScenarioFileError) as ei:
        run(sc)
    assert ei.value.path == "drills/t.yaml" and ei.value.field == "hazard.fire.detectors"


def test_a_facility_file_that_cannot_be_looked_up_is_named(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder on the facility's path the user may not look into raised PermissionError from
    Path.exists, an internal error (exit 3) rather than a line naming the field."""
    from scenarios.errors import ScenarioFileError
    from scenarios.runner import resolve_facility

    shipped = Path(scenarios.__file__).parent / "library" / "nelson_treatment_centre.yaml"
    text = shipped.read_text(encoding="utf-8")
    assert "\nfacility: sample\n" in text
    (tmp_path / "s.yaml").write_text(text.replace("\nfacility: sample\n", "\nfacility: locked/plan.json\n"))
    sc = scenarios.load(tmp_path / "s.yaml")

    def refuse(self: Path, *args: object, **kwargs: object) -> os.stat_result:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "stat", refuse)
    with pytest.raises(ScenarioFileError, match=r"s\.yaml: facility: .*cannot be looked up: Permission"):
        resolve_facility(sc)


def test_more_workers_than_a_few_per_cpu_are_refused_from_python_too(
        toy_kind: Kind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the command line refused '--jobs 100000'; ``scenarios.run(n_jobs=100000)`` and
    ``scenarios.sweep`` started worker after worker."""
    import scenarios.runner
    from scenarios.sweeps import plan_from_vary, sweep

    monkeypatch.setattr(scenarios.runner, "cpu_count", lambda: 2)
    with pytest.raises(ArgumentError, match=r"--jobs: 9 worker processes on this machine's 2 CPU\(s\)"):
        run(toy(), facility=object(), out=tmp_path / "r", n_jobs=9)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="expected at most 8"):
        sweep(plan_from_vary(toy(), ["lever.count=1,2"]), out=tmp_path / "s", n_jobs=9)
    assert not (tmp_path / "r").exists() and not (tmp_path / "s").exists()
