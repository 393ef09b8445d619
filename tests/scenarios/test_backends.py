"""Same scenario, same seed, same results: in process, a local pool, a Dask cluster; workers that die.

The Dask cluster is a real local one (worker processes) started by the test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scenarios.base import Kind
from scenarios.errors import BackendError
from scenarios.progress import Tick
from scenarios.replicate import Outcome
from scenarios.runner import Results, run
from scenarios.store import RunWriter, open_run
from tests.scenarios.kinds import toy

FAKE_FACILITY = object()
REPLICATIONS = 9


def _kpis(res: Results) -> list[dict[str, float]]:
    return [dict(r.kpis) for r in res.replications]


@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    from distributed import LocalCluster

    from scenarios.backends import close_dask_clients

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address
        # the client the runs shared, closed before its scheduler: it would go on trying to reconnect
        close_dask_clients()


@pytest.fixture
def in_process(toy_kind: Kind) -> Results:
    return run(toy(replications=REPLICATIONS), facility=FAKE_FACILITY)  # type: ignore[arg-type]


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[Outcome]:
    """Every outcome the run's writers take; workers write a part of any size (the toy's are tiny)."""
    seen: list[Outcome] = []
    real_add = RunWriter.add

    def spy(self: RunWriter, outcome: Outcome) -> None:
        seen.append(outcome)
        real_add(self, outcome)

    monkeypatch.setattr(RunWriter, "add", spy)
    monkeypatch.setattr("scenarios.store.drop.MIN_PART_BYTES", 0)
    return seen


def test_local_pool_is_bit_identical_to_in_process(in_process: Results, tmp_path: Path,
                                                   taken: list[Outcome]) -> None:
    pool = run(toy(replications=REPLICATIONS), facility=FAKE_FACILITY, n_jobs=2,  # type: ignore[arg-type]
               out=tmp_path / "pool")
    assert _kpis(pool) == _kpis(in_process) and pool.kpis == in_process.kpis
    assert pool.arrow("draws").equals(in_process.arrow("draws"))
    # the workers wrote their batches' parts themselves: no table came back through the pool
    assert len(taken) == REPLICATIONS and all(o.part and not o.tables for o in taken)
    here = run(toy(replications=REPLICATIONS), facility=FAKE_FACILITY, out=tmp_path / "h")  # type: ignore[arg-type]
    stored = (tmp_path / "pool" / "draws.parquet").read_bytes()
    assert stored == (tmp_path / "h" / "draws.parquet").read_bytes() and here.kpis == pool.kpis


def _ticked(res: Results, ticks: list[Tick]) -> set[int]:
    assert all(0 < t.sim_time_s <= t.end_time_s == 3600.0 for t in ticks)
    return {t.index for t in ticks}


def test_a_local_pool_reports_simulated_time_from_its_workers(in_process: Results) -> None:
    ticks: list[Tick] = []
    res = run(toy(replications=4, pause_s=0.3), facility=FAKE_FACILITY, n_jobs=2,  # type: ignore[arg-type]
              sim_progress=ticks.append)
    # each replication's first report arrives while it still runs (it pauses after reporting)
    assert _ticked(res, ticks) == {0, 1, 2, 3}
    assert _kpis(res) == _kpis(in_process)[:4]


def test_a_dying_local_worker_is_replaced_and_its_replications_run_again(
    in_process: Results, tmp_path: Path
) -> None:
    marker = tmp_path / "died"
    res = run(toy(replications=REPLICATIONS, die_once=str(marker)), facility=FAKE_FACILITY,  # type: ignore[arg-type]
              n_jobs=2, out=tmp_path / "r")
    assert marker.exists() and not res.failed
    assert _kpis(res) == _kpis(in_process)


def test_a_replication_that_always_kills_its_worker_is_recorded_failed(
    in_process: Results, tmp_path: Path
) -> None:
    res = run(toy(replications=REPLICATIONS, die_on=(2,)), facility=FAKE_FACILITY,  # type: ignore[arg-type]
              n_jobs=2, out=tmp_path / "r")
    assert list(res.failed) == [2] and "worker died 3 times" in res.failed[2]
    assert _kpis(res) == [k for i, k in enumerate(_kpis(in_process)) if i != 2]


def test_dask_is_bit_identical_to_in_process(in_process: Results, dask_scheduler: str,
                                             tmp_path: Path, taken: list[Outcome]) -> None:
    res = run(toy(replications=REPLICATIONS), facility=FAKE_FACILITY, backend="dask",  # type: ignore[arg-type]
              scheduler=dask_scheduler, out=tmp_path / "d")
    assert len(taken) == REPLICATIONS and all(o.part and not o.tables for o in taken)  # parts by the workers
    assert _kpis(res) == _kpis(in_process) and res.kpis == in_process.kpis
    assert res.arrow("draws").equals(in_process.arrow("draws"))
    # the stored files too, byte for byte: tables cross from the workers unchanged
    here = run(toy(replications=REPLICATIONS), facility=FAKE_FACILITY, out=tmp_path / "h")  # type: ignore[arg-type]
    assert (tmp_path / "d" / "draws.parquet").read_bytes() == (tmp_path / "h" / "draws.parquet").read_bytes()
    assert here.kpis == res.kpis


def test_dask_batches_are_cut_for_the_worker_threads_the_cluster_has(dask_scheduler: str) -> None:
    from distributed import Client

    from scenarios.backends.cluster import DaskPool

    with Client(dask_scheduler, set_as_default=False) as client:
        assert DaskPool(client).slots() == 2  # two workers of one thread each, whatever --jobs says


def test_dask_workers_report_simulated_time(in_process: Results, dask_scheduler: str) -> None:
    ticks: list[Tick] = []
    res = run(toy(replications=2, pause_s=0.5), facility=FAKE_FACILITY,  # type: ignore[arg-type]
              backend="dask", scheduler=dask_scheduler, sim_progress=ticks.append)
    assert _ticked(res, ticks) == {0, 1}
    assert _kpis(res) == _kpis(in_process)[:2]

def test_dask_records_a_failing_replication_and_carries_on(
    in_process: Results, dask_scheduler: str, tmp_path: Path
) -> None:
    res = run(toy(replications=REPLICATIONS, fail_on=(4,)), facility=FAKE_FACILITY,  # type: ignore[arg-type]
              backend="dask", scheduler=dask_scheduler, out=tmp_path / "d")
    assert list(res.failed) == [4] and "ZeroDivisionError" in res.failed[4]
    assert _kpis(res) == [k for i, k in enumerate(_kpis(in_process)) if i != 4]
    assert open_run(tmp_path / "d").manifest["failed"] == 1


def test_a_dying_dask_worker_is_retried(in_process: Results, dask_scheduler: str, tmp_path: Path) -> None:
    marker = tmp_path / "died"
    res = run(toy(replications=REPLICATIONS, die_once=str(marker)), facility=FAKE_FACILITY,  # type: ignore[arg-type]
              backend="dask", scheduler=dask_scheduler)
    assert marker.exists() and not res.failed
    assert _kpis(res) == _kpis(in_process)


def test_an_unreachable_scheduler_is_a_clear_error_within_seconds(toy_kind: Kind, tmp_path: Path) -> None:
    t0 = time.monotonic()
    with pytest.raises(BackendError, match=r"tcp://127\.0\.0\.1:9: cannot reach the Dask scheduler"):
        run(toy(), facility=FAKE_FACILITY, backend="dask", scheduler="tcp://127.0.0.1:9",  # type: ignore[arg-type]
            out=tmp_path / "r")
    assert time.monotonic() - t0 < 10
    assert not (tmp_path / "r").exists()


def test_runs_in_one_process_share_one_client_of_a_scheduler(in_process: Results, dask_scheduler: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import distributed

    from scenarios.backends import close_dask_clients

    close_dask_clients()  # none kept from the tests before
    made: list[str] = []
    real = distributed.Client

    def counted(address: str, **kw: object) -> object:
        made.append(address)
        return real(address, **kw)

    monkeypatch.setattr(distributed, "Client", counted)
    for _ in range(2):
        res = run(toy(replications=3), facility=FAKE_FACILITY, backend="dask",  # type: ignore[arg-type]
                  scheduler=dask_scheduler)
        assert _kpis(res) == _kpis(in_process)[:3]
    assert made == [dask_scheduler]  # connected once, for both runs


def test_a_dead_kept_client_is_replaced_and_a_stopped_scheduler_is_a_clear_error(in_process: Results) -> None:
    from distributed import LocalCluster

    from scenarios.backends import CONNECT_TIMEOUT_S, dask_client

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
                      dashboard_address=":0") as cluster:
        address = cluster.scheduler_address
        run(toy(replications=2), facility=FAKE_FACILITY, backend="dask", scheduler=address)  # type: ignore[arg-type]
        kept = dask_client(address)
        kept.close()  # closed under the kept entry (by a notebook, or after losing its scheduler)
        res = run(toy(replications=2), facility=FAKE_FACILITY, backend="dask",  # type: ignore[arg-type]
                  scheduler=address)
        assert _kpis(res) == _kpis(in_process)[:2]
        assert dask_client(address) is not kept and dask_client(address).status == "running"
    # the scheduler stopped: its kept client is replaced, and the replacement cannot connect
    t0 = time.monotonic()
    with pytest.raises(BackendError, match="cannot reach the Dask scheduler"):
        run(toy(replications=2), facility=FAKE_FACILITY, backend="dask", scheduler=address)  # type: ignore[arg-type]
    assert time.monotonic() - t0 < CONNECT_TIMEOUT_S + 3


def test_a_kept_client_of_a_scheduler_that_stopped_answering_is_a_clear_error_within_seconds(
    toy_kind: Kind, tmp_path: Path
) -> None:
    import os
    import re
    import signal
    import subprocess
    import sys

    from scenarios.backends import CONNECT_TIMEOUT_S, close_dask_clients, dask_client

    log = tmp_path / "scheduler.log"
    with open(log, "wb") as err:
        scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                                      "127.0.0.1", "--port", "0", "--no-dashboard"], stderr=err)
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"Scheduler at:\s+(tcp://\S+)", log.read_text())):
            assert time.monotonic() < deadline and scheduler.poll() is None, log.read_text()
            time.sleep(0.05)
        address = found.group(1)
        dask_client(address)  # kept, as after a first run
        os.kill(scheduler.pid, signal.SIGSTOP)  # hung: connections are accepted, nothing answers
        for _ in ("with the client kept", "connecting anew"):  # Dask's own connect waited for ever
            _fails_within(CONNECT_TIMEOUT_S + 3, address)
            close_dask_clients()
    finally:
        os.kill(scheduler.pid, signal.SIGKILL)
        scheduler.wait()


def _fails_within(seconds: float, address: str) -> None:
    """Assert that a run on ``address`` ends in a clear error within ``seconds`` (watched from here,
    so a run that waits for ever fails the test rather than hanging it)."""
    import threading

    ended: list[BaseException | None] = []

    def attempt() -> None:
        try:
            run(toy(), facility=FAKE_FACILITY, backend="dask", scheduler=address)  # type: ignore[arg-type]
            ended.append(None)
        except BaseException as exc:
            ended.append(exc)

    runner = threading.Thread(target=attempt, daemon=True)
    runner.start()
    runner.join(seconds)
    assert not runner.is_alive(), f"still waiting for the scheduler after {seconds:.0f} s"
    assert isinstance(ended[0], BackendError) and "cannot reach the Dask scheduler" in str(ended[0])


@pytest.mark.parametrize(("workers", "target_s"), [(1, 0.5), (1, 2.0), (2, 0.5), (2, 2.0), (8, 2.0)])
def test_batches_take_every_replication_once_in_order_and_shrink_at_the_end_only_for_several_workers(
    workers: int, target_s: float
) -> None:
    from scenarios.backends.batching import TAIL_SHARE, Batcher, Job
    from scenarios.replicate import Outcome, Status

    work = tuple((i, (i,)) for i in range(500))
    job = Job(tag=0, scenario=None, facility=None, seed=1, run_replication=None, work=work)  # type: ignore[arg-type]
    batcher = Batcher([job], workers, target_s=target_s)
    sizes: list[int] = []
    taken: list[tuple[int, tuple[int, ...]]] = []
    while (nxt := batcher.next()) is not None:
        batch = nxt[1]
        sizes.append(len(batch))
        taken += batch
        for i, key in batch:  # every replication took 20 ms of CPU
            batcher.observe(Outcome(index=i, key=key, status=Status.DONE, seconds=0.02, cpu_seconds=0.02))
    assert tuple(taken) == work
    full = round(target_s / 0.02)
    assert sizes[0] == 1 and max(sizes) <= full
    if workers == 1:  # nothing to balance: every batch but the probe and the remainder is full
        assert min(sizes[1:-1]) >= full - 1 and len(sizes) <= 2 + 500 // (full - 1)
        return
    # the last round is cut finer, so no worker is left with a long batch while the others idle...
    tail = int(TAIL_SHARE * full)
    assert max(sizes[-workers:]) <= tail < max(sizes)
    # ...but not below a share of the target, where each batch's own cost would tell
    assert min(sizes[1:-1]) >= tail - 1


def test_this_process_sets_what_it_held_aside_from_the_collector_on_a_pool_and_on_dask(
    toy_kind: Kind, dask_scheduler: str
) -> None:
    """With the replications in worker processes, storing and finishing here still triggered full
    collections over everything this process held (one took 64 ms on a Nelson sweep)."""
    import gc

    assert gc.get_freeze_count() == 0  # a process frozen for good is left as it is (test_replicate)
    for where in ({"n_jobs": 2}, {"backend": "dask", "scheduler": dask_scheduler}):
        frozen: list[int] = []

        def note(done: int, total: int, frozen: list[int] = frozen) -> None:
            frozen.append(gc.get_freeze_count())

        run(toy(replications=4), facility=FAKE_FACILITY, progress=note, **where)  # type: ignore[arg-type]
        assert len(frozen) == 4 and min(frozen) > 0, where  # set aside while outcomes came in
        assert gc.get_freeze_count() == 0  # and given back after the run


class _Recording:
    """A pool whose batches finish at once, one per wait; it notes what was handed out before the first."""

    target_s = 1.0
    max_batch: int | None = None
    runs_at_submit = False

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.before_first_wait: list[int] | None = None

    def submit(self, job: object, work: tuple[tuple[int, tuple[int, ...]], ...]) -> object:
        self.sizes.append(len(work))
        return work

    def wait(self, futures: list[object]) -> list[object]:
        if self.before_first_wait is None:
            self.before_first_wait = list(self.sizes)
        return futures[:1]

    def result(self, future: tuple[tuple[int, tuple[int, ...]], ...]) -> list[Outcome]:
        from scenarios.replicate import Status

        return [Outcome(index=i, key=k, status=Status.DONE, seconds=0.02, cpu_seconds=0.02)
                for i, k in future]

    def cancel(self, futures: list[object]) -> None:
        return None

    def close(self) -> None:
        return None


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_one_batch_per_worker_is_handed_out_until_a_replication_has_finished(workers: int) -> None:
    """Until then every batch holds one replication, and each costs a task (about 7 ms of CPU on
    Dask) whatever it holds: two per worker made a 1-worker sweep of 200 run 4 tasks, not 3."""
    from scenarios.backends.batching import IN_FLIGHT_PER_WORKER, Job
    from scenarios.backends.loop import _loop

    work = tuple((i, (i,)) for i in range(200))
    job = Job(tag=0, scenario=None, facility=None, seed=1, run_replication=None, work=work)  # type: ignore[arg-type]
    got: list[int] = []
    pool = _Recording()
    _loop(pool, [job], lambda tag, o: got.append(o.index), workers, None)
    assert pool.before_first_wait == [1] * workers
    assert sorted(got) == list(range(200))
    assert sum(1 for n in pool.sizes if n == 1) <= workers + 1  # then sized; at most a last one of one
    assert max(pool.sizes) > 1 and IN_FLIGHT_PER_WORKER > 1


def test_a_jobs_last_few_replications_go_with_the_batch_before_them_while_other_jobs_follow() -> None:
    """A sweep's variants are jobs of their own: each variant's end used to leave a few replications
    for a batch of their own (``49, 37, 10`` for 2 Dask workers), a task and a part more each."""
    from scenarios.backends.batching import TAIL_SHARE, Batcher, Job
    from scenarios.replicate import Status

    jobs = [Job(tag=t, scenario=None, facility=None, seed=1, run_replication=None,  # type: ignore[arg-type]
                work=tuple((i, (i,)) for i in range(100))) for t in range(3)]
    batcher = Batcher(jobs, 2, target_s=2.0)
    sizes: dict[int, list[int]] = {0: [], 1: [], 2: []}
    taken: dict[int, list[int]] = {0: [], 1: [], 2: []}
    while (nxt := batcher.next()) is not None:
        job, batch = nxt
        sizes[int(job.tag)].append(len(batch))  # type: ignore[call-overload]
        taken[int(job.tag)] += [i for i, _ in batch]  # type: ignore[call-overload]
        for i, key in batch:  # every replication took 20 ms: 100 fill the 2 s target
            batcher.observe(Outcome(index=i, key=key, status=Status.DONE, seconds=0.02, cpu_seconds=0.02))
    assert all(taken[t] == list(range(100)) for t in taken)
    tail = TAIL_SHARE * 100
    assert min(sizes[0][1:] + sizes[1]) >= tail and max(sizes[0] + sizes[1]) <= 100  # within a batch's limit
    assert sizes[2][-1] <= tail  # the run's last job is still cut finer, so the workers finish together


@pytest.mark.parametrize(("wall_s", "cpu_s", "counts_s"), [
    (0.06, 0.02, 0.02),  # a loaded machine: the wall time stretches, the CPU time does not
    (0.02, 0.02, 0.02),  # an idle one: the same
    (0.08, 0.0, 0.02),   # a replication that waits: a quarter of its wall time
])
def test_batches_are_sized_by_the_replications_cpu_time_not_their_wall_time(
    wall_s: float, cpu_s: float, counts_s: float
) -> None:
    """Sized by wall time, a loaded machine cut a run into more, smaller batches, each with its own
    cost beyond its replications (a pool of 2 at load 4: 17 to 19 batches for 200, ending 6, 5, 5, 5, 3)."""
    from scenarios.backends.batching import WAIT_SHARE, Batcher, Job
    from scenarios.replicate import Status

    work = tuple((i, (i,)) for i in range(1000))
    job = Job(tag=0, scenario=None, facility=None, seed=1, run_replication=None, work=work)  # type: ignore[arg-type]
    batcher = Batcher([job], 1, target_s=1.0)
    first = batcher.next()
    assert first is not None and len(first[1]) == 1
    batcher.observe(Outcome(index=0, key=(0,), status=Status.DONE, seconds=wall_s, cpu_seconds=cpu_s))
    assert batcher.size() == round(1.0 / counts_s) and counts_s == max(cpu_s, WAIT_SHARE * wall_s)


def test_a_jobs_last_few_replications_may_take_the_batch_past_its_target() -> None:
    """The target is a measure, not a limit: one Dask worker at load 4 ran a variant as 46, 46, 7."""
    from scenarios.backends.batching import Batcher, Job
    from scenarios.replicate import Status

    jobs = [Job(tag=t, scenario=None, facility=None, seed=1, run_replication=None,  # type: ignore[arg-type]
                work=tuple((i, (i,)) for i in range(111))) for t in range(2)]
    batcher = Batcher(jobs, 1, target_s=100 / 64)  # exact in binary: 100 replications fill it
    sizes: list[tuple[int, int]] = []
    while (nxt := batcher.next()) is not None:
        sizes.append((int(nxt[0].tag), len(nxt[1])))  # type: ignore[call-overload]
        for i, key in nxt[1]:
            batcher.observe(Outcome(index=i, key=key, status=Status.DONE, seconds=1 / 64, cpu_seconds=1 / 64))
    assert sizes == [(0, 1), (0, 110), (1, 100), (1, 11)]  # the last job's end is not merged
