"""A replication's stream and its outcome as it crosses from a worker process."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.base import Replication
from scenarios.replicate import Outcome, Status, attempt_batch, generator, spawn_key


def _ipc(table: pa.Table) -> bytes:
    """Every byte of a table as Arrow writes it (``Table.equals`` calls NaN unequal to itself)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as stream:
        stream.write_table(table)
    return bytes(sink.getvalue())


def _tables() -> dict[str, pa.Table]:
    kinds = pa.array(["arrive", "wait", "arrive"]).dictionary_encode()
    events = pa.table({"t": [0.0, math.nan, 2.5], "kind": kinds, "who": ["a", None, "c"],
                       "n": pa.array([1, 2, 3], pa.int8())}, metadata={"units": "s"})
    empty = pa.table({"bed": pa.array([], pa.string()), "since": pa.array([], pa.float64())})
    return {"events": events.slice(1), "beds": empty, "chunked": pa.concat_tables([events, events])}


def test_an_outcome_crosses_a_process_boundary_unchanged() -> None:
    out = Outcome(index=7, key=(1, 7), status=Status.DONE, kpis={"wait": 1.5, "none": math.nan},
                  tables=_tables(), seconds=0.25, cpu_seconds=0.125)
    back = pickle.loads(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
    assert (back.index, back.key, back.status, back.seconds, back.error, back.cpu_seconds) == \
        (7, (1, 7), Status.DONE, 0.25, "", 0.125)
    assert back.kpis["wait"] == 1.5 and math.isnan(back.kpis["none"])
    assert list(back.tables) == list(out.tables)
    for name, table in out.tables.items():
        assert back.tables[name].schema.equals(table.schema, check_metadata=True)
        assert _ipc(back.tables[name]) == _ipc(table), name
    assert back.tables["events"].num_rows == 2  # a slice sends only its rows


def test_a_failed_outcome_keeps_its_traceback() -> None:
    out = Outcome(index=0, key=(0,), status=Status.FAILED, error="Traceback ...\nValueError: x")
    back = pickle.loads(pickle.dumps(out))
    assert back == out and back.status is Status.FAILED


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**127 - 1), index=st.integers(0, 10_000))
def test_a_replication_stream_is_child_index_of_the_seed(seed: int, index: int) -> None:
    if index < 50:
        child = np.random.SeedSequence(seed).spawn(index + 1)[index]
        assert np.random.default_rng(child).random() == generator(seed, spawn_key(index)).random()
    assert generator(seed, spawn_key(index)).random() == generator(seed, (index,)).random()
    assert generator(seed, spawn_key(index, variant=1)).random() != generator(seed, spawn_key(index)).random()


def _spin(scenario: object, facility: object, rng: np.random.Generator, index: int) -> Replication:
    """Works on the CPU for a while, then sleeps as long (waiting is not the model's CPU)."""
    import time

    t0 = time.thread_time()
    while time.thread_time() - t0 < 0.03:
        pass
    time.sleep(0.03)
    return Replication(index=index, kpis={"x": float(rng.random())}, tables={})


def test_an_outcome_carries_the_cpu_its_replication_took() -> None:
    [out] = attempt_batch(_spin, None, None, 1, [(0, (0,))])  # type: ignore[arg-type]
    assert 0.03 <= out.cpu_seconds < 0.045 and out.seconds >= 0.06


def _cancelled_in_a_kernel(scenario: object, facility: object, rng: np.random.Generator,
                           index: int) -> Replication:
    """What a compiled kernel reports when the worker's SIGTERM handler raises inside it."""
    try:
        raise SystemExit(143)
    except SystemExit as stop:
        raise SystemError("CPUDispatcher(option_costs) returned a result with an exception set") from stop


def test_a_run_cancelled_inside_a_kernel_ends_instead_of_failing_a_replication() -> None:
    """The cancel propagates (and leaves no run), and an ordinary error is still a failed one."""
    with pytest.raises(SystemExit):
        attempt_batch(_cancelled_in_a_kernel, None, None, 1, [(0, (0,)), (1, (1,))])  # type: ignore[arg-type]

    def broken(scenario: object, facility: object, rng: np.random.Generator, index: int) -> Replication:
        raise SystemError("a real fault")

    [out] = attempt_batch(broken, None, None, 1, [(0, (0,))])  # type: ignore[arg-type]
    assert out.status == Status.FAILED and "a real fault" in (out.error or "")


def test_young_heap_only_gives_every_object_back_and_cycles_made_inside_are_collected() -> None:
    import gc
    import weakref

    from scenarios.replicate import young_heap_only

    class Node:
        other: object = None

    old = Node()
    old.other = old
    frozen_before = gc.get_freeze_count()
    with young_heap_only():
        assert gc.get_freeze_count() > frozen_before  # what existed is set aside
        young = Node()
        young.other = young
        gone = weakref.ref(young)
        del young
        gc.collect()
        assert gone() is None  # garbage made inside is collected as usual
    assert gc.get_freeze_count() == 0
    was_old = weakref.ref(old)
    del old
    gc.collect()
    assert was_old() is None  # and what was set aside is collected again afterwards


def test_young_heap_only_leaves_a_process_frozen_for_good_as_it_was() -> None:
    """The app's server freezes its warm-up objects for good; a run in such a process must not
    give them back to the collector at its end."""
    import gc

    from scenarios.replicate import young_heap_only

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with young_heap_only():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_a_worker_sets_aside_what_it_holds_and_gives_it_back_every_so_many_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc
    import itertools
    import weakref

    from scenarios import replicate

    class Node:
        other: object = None

    monkeypatch.setattr(replicate, "_worker_batches", itertools.count())
    monkeypatch.setattr(replicate, "FULL_COLLECTION_BATCHES", 5)  # each one walks all of pytest
    try:
        dead = Node()
        dead.other = dead
        gone = weakref.ref(dead)
        del dead
        replicate.settle_worker_heap()  # the first batch: garbage is collected, not set aside
        assert gone() is None and gc.get_freeze_count() > 0
        held = Node()
        held.other = held
        replicate.settle_worker_heap()  # the second batch sets aside what the first one imported
        was_held = weakref.ref(held)
        del held
        gc.collect()
        assert was_held() is not None  # set aside: the collector no longer walks it
        for _ in range(replicate.FULL_COLLECTION_BATCHES - 2):
            replicate.settle_worker_heap()
        assert was_held() is not None
        replicate.settle_worker_heap()  # the full collection: what died meanwhile is freed
        assert was_held() is None
    finally:
        gc.unfreeze()


def test_a_batch_run_in_the_process_that_submitted_it_leaves_the_collector_alone() -> None:
    import gc
    import os

    from scenarios.backends.worker import Work, attempt_in_worker

    work = Work(((0, (0,)),))
    [here] = attempt_in_worker(_spin, None, None, 1, work, host=os.getpid())  # type: ignore[arg-type]
    assert gc.get_freeze_count() == 0
    try:
        [there] = attempt_in_worker(_spin, None, None, 1, work, host=-1)  # type: ignore[arg-type]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert here.kpis == there.kpis
