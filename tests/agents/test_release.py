"""A finished Mesa model is freed once released, though Mesa 3.3 keeps a class-level table."""

from __future__ import annotations

import gc
import weakref

import mesa

from agents.release import release_model


def test_a_released_model_is_garbage_collected() -> None:
    kept, released = mesa.Model(rng=1), mesa.Model(rng=2)
    for m in (kept, released):
        mesa.Agent(m)
    ref_kept, ref_released = weakref.ref(kept), weakref.ref(released)
    release_model(released)
    del kept, released, m
    gc.collect()
    assert ref_released() is None
    assert ref_kept() is not None  # what the table does without release (mesa#3179)
    release_model(ref_kept())  # type: ignore[arg-type]
