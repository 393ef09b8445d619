"""A real ``medtwin run`` on a local process pool, killed with its workers, then resumed.

The pool's workers write their batches' parts themselves
(:mod:`scenarios.store.drop`); the command runs in a process group of its
own, which is SIGKILLed as soon as the first part is committed (the store is
polled, no fixed sleep), while later replications wait on a gate file so
the run cannot finish first.  ``--resume`` must then run exactly the
replications that were not committed, store every replication once, match an
uninterrupted run bit for bit and leave no partial folder, lock or part behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from scenarios.base import Kind
from scenarios.cli import main
from scenarios.loader import loads
from scenarios.runner import run
from scenarios.store.parts import PART_MARKER, PARTS

ROOT = Path(__file__).resolve().parents[2]
REPLICATIONS = 8
#: Replications from this index on wait for the gate: the killed run cannot finish them.
BLOCK_FROM = 3
#: Draws per replication: 70,000 (an int64 and a float64 column, about 1.1 MB of tables) is over
#: the 1 MiB below which a worker sends its batch back instead of writing a part.
DRAWS = 70_000
#: Wall seconds allowed for the pool to start and commit its first part on a loaded machine.
FIRST_PART_WITHIN_S = 120.0
#: The command as a user runs it, with the test kind registered first (it is not shipped).
DRIVER = ("import sys\nfrom tests.scenarios.kinds import register_toy\nregister_toy()\n"
          "from scenarios.cli import main\nsys.exit(main(sys.argv[1:]))\n")


def _scenario_text(gate: Path, calls: Path) -> str:
    return (f"kind: test-toy\nname: killed\nseed: 11\nreplications: {REPLICATIONS}\ndraws: {DRAWS}\n"
            f"block_from: {BLOCK_FROM}\ngate: {gate}\ncalls: {calls}\n")


def _committed(partial: Path) -> dict[int, int]:
    """Committed replications of a partial run folder: how many committed parts hold each index."""
    held: dict[int, int] = {}
    for marker in (partial / PARTS).glob(f"*/{PART_MARKER}"):
        for rec in json.loads(marker.read_text())["replications"]:
            held[int(rec["index"])] = held.get(int(rec["index"]), 0) + 1
    return held


def _alive_in_group(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that are not zombies (Linux ``/proc``)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            alive.append(int(stat.parent.name))
    return alive


def _runs(calls: Path) -> list[int]:
    """Replications run so far, by index, from the files the toy kind leaves."""
    return sorted(int(p.name.split("-")[0]) for p in calls.iterdir())


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux /proc to see the workers die")
def test_a_killed_pool_run_resumes_without_losing_or_duplicating_a_replication(
    toy_kind: Kind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, calls, out = tmp_path / "gate", tmp_path / "calls", tmp_path / "r"
    calls.mkdir()
    yaml = tmp_path / "killed.yaml"
    yaml.write_text(_scenario_text(gate, calls))
    partial = tmp_path / ".r.partial"
    log = tmp_path / "log"
    log.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "MEDTWIN_LOG_DIR": str(log)}
    command = [sys.executable, "-c", DRIVER, "run", str(yaml), "--out", str(out), "--jobs", "2"]
    with open(log / "stderr", "wb") as err:
        child = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + FIRST_PART_WITHIN_S
        while not _committed(partial):
            assert child.poll() is None, (log / "stderr").read_text()
            assert time.monotonic() < deadline, "no part was committed in time"
            time.sleep(0.02)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the command and its pool's workers, mid-write or not
        child.wait()
    while _alive_in_group(child.pid):  # SIGKILLed: gone within moments, nothing more written after
        time.sleep(0.01)
    assert not out.exists() and partial.is_dir()
    before = _committed(partial)
    assert before and all(i < BLOCK_FROM for i in before)  # some, not all, were stored
    first_session = _runs(calls)
    assert len(set(first_session)) == len(first_session)

    gate.touch()
    monkeypatch.setenv("MEDTWIN_LOG_DIR", str(log))
    assert main(["run", str(yaml), "--out", str(out), "--resume", "--jobs", "1", "--json"]) == 0

    # exactly the replications not committed ran again, each once
    resumed = _runs(calls)
    for i in first_session:
        resumed.remove(i)
    assert sorted(resumed) == sorted(set(range(REPLICATIONS)) - set(before))
    manifest = json.loads((out / "manifest.json").read_text())
    assert [r["index"] for r in manifest["replication_status"]] == list(range(REPLICATIONS))
    assert (manifest["done"], manifest["failed"]) == (REPLICATIONS, 0)
    stored = pq.read_table(out / "draws.parquet")
    assert stored.column("replication").to_pylist() == [i for i in range(REPLICATIONS) for _ in range(DRAWS)]
    kpi_rows = json.loads((out / "kpis.json").read_text())["replications"]
    assert [r["index"] for r in kpi_rows] == list(range(REPLICATIONS))

    # bit for bit what an uninterrupted run with the same seed gives
    whole = run(loads(_scenario_text(gate, calls)), facility=object())  # type: ignore[arg-type]
    assert [{k: v for k, v in r.items() if k != "index"} for r in kpi_rows] == \
        [dict(r.kpis) for r in whole.replications]
    assert stored.equals(whole.arrow("draws"))

    # nothing left behind: no partial folder, lock or leftover beside the run, no scratch inside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls", "gate", "killed.yaml", "log", "r"]
    assert sorted(p.name for p in out.iterdir()) == ["draws.parquet", "kpis.json", "manifest.json",
                                                     "scenario.yaml"]
