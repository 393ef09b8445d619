"""The drill player's parts: bounded, exact to the centimetre, everyone on the level, the part asked for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from facility import sample
from scenarios.ui.playback import Mover, Playback, Smoke
from scenarios.ui.player import PLAYER_KEY, Request, Source, part_payload, request_of, run_id
from scenarios.ui.player_parts import (
    ABSENT,
    FRAMES_PER_PART,
    PART_S,
    decode_part,
    encode_part,
    frame_times,
    part_arrays,
    parts,
)

PICTURE = ("data:image/png;base64,", (-1.0, -1.0, 41.0, 21.0))
#: Samples of the synthetic drill, half a second apart: 300 s, so two parts of 1 s sample times.
SAMPLE_S, SAMPLES = 0.5, 600
PROFILES = dict(zip([f"p{i}" for i in range(40)],
                    ["staff"] * 10 + ["ambulant"] * 10 + ["wheelchair_self"] * 10 + ["bed"] * 10,
                    strict=True))


@pytest.fixture(scope="module")
def drill() -> tuple[pd.DataFrame, Playback]:
    """A drill whose people leave one by one and change level: counts differ by time, level and mover."""
    rng = np.random.default_rng(7)
    agents = pd.DataFrame({"id": list(PROFILES), "role": ["staff"] * 10 + ["patient"] * 30,
                           "profile": list(PROFILES.values())})
    rows = []
    for k in range(SAMPLES):
        for i in range(40 - k * 40 // SAMPLES):  # one fewer inside every 15 samples
            rows.append({"time": k * SAMPLE_S, "id": f"p{i}", "level": "L1" if (i + k // 50) % 3 else "L2",
                         "x": rng.uniform(0, 40), "y": rng.uniform(0, 20)})
    traj = pd.DataFrame(rows)
    return traj, Playback.build(traj, agents)


def _source(pb: Playback, smoke: Smoke | None = None) -> Source:
    return Source(run=run_id("results/drill-1"), playback=pb, facility=sample(),
                  levels=(("L1", "L1 critical care"), ("L2", "L2 wards")), start_level="L2",
                  picture=lambda level: PICTURE, smoke=smoke)


def test_sample_times_are_a_second_apart_and_parts_bounded(drill: tuple[pd.DataFrame, Playback]) -> None:
    _, pb = drill
    frames = frame_times(pb.times)
    assert np.allclose(np.diff(pb.times[frames]), 1.0)
    cut = parts(pb.times, frames)
    assert [len(c) for c in cut] == [120, 120, 60] and max(len(c) for c in cut) <= FRAMES_PER_PART
    assert all(pb.times[c[-1]] - pb.times[c[0]] < PART_S for c in cut)
    assert np.array_equal(np.concatenate(cut), frames)
    sparse = frame_times(pb.times, step_s=5.0)  # a drill recorded every 5 s still comes in 2-minute parts
    assert [len(c) for c in parts(pb.times, sparse)] == [24, 24, len(sparse) - 48]


def test_a_part_holds_everyone_on_its_level_at_every_time(drill: tuple[pd.DataFrame, Playback]) -> None:
    traj, pb = drill
    frames = parts(pb.times, frame_times(pb.times))[1]
    person, mover, xy = part_arrays(pb, frames, "L1")
    for f in range(0, len(frames), 37):
        i = frames[f]
        here = traj[(traj["time"] == pb.times[i]) & (traj["level"] == "L1")].set_index("id")
        shown = {pb.ids[p]: tuple(xy[f, c]) for c, p in enumerate(person) if np.isfinite(xy[f, c, 0])}
        assert set(shown) == set(here.index)
        for who, (x, y) in shown.items():
            assert (x, y) == pytest.approx((here.loc[who, "x"], here.loc[who, "y"]), abs=1e-4)
    assert len(person) < 40  # by then most have left
    person, mover, _ = part_arrays(pb, parts(pb.times, frame_times(pb.times))[0], "L1")
    kinds = {pb.ids[p]: Mover(int(m)) for p, m in zip(person, mover, strict=True)}
    assert kinds["p1"] is Mover.STAFF and kinds["p35"] is Mover.BED


@settings(max_examples=40, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(0, 8), st.just(2)),
              elements=st.one_of(st.floats(0.0, 600.0, width=32), st.just(np.float32("nan")))))
def test_positions_come_back_to_the_centimetre(xy: np.ndarray) -> None:
    xy[..., 1] = np.where(np.isnan(xy[..., 0]), np.nan, xy[..., 1])  # a person is absent in x and y
    xy[..., 0] = np.where(np.isnan(xy[..., 1]), np.nan, xy[..., 0])
    mover = np.arange(xy.shape[1], dtype=np.uint8) % 4
    data = encode_part({"times": list(range(xy.shape[0]))}, mover, xy, origin=(0.0, 0.0))
    back = decode_part(data)
    assert np.array_equal(np.isnan(back.xy), np.isnan(xy))
    assert np.nanmax(np.abs(back.xy - xy), initial=0.0) <= 0.005 + 1e-3
    assert np.array_equal(back.mover, mover) and back.header["people"] == xy.shape[1]


def test_a_level_wider_than_655_m_is_stored_in_coarser_units() -> None:
    xy = np.array([[[0.0, 0.0], [1500.0, 20.0]]], dtype=np.float32)
    back = decode_part(encode_part({"times": [0.0]}, np.zeros(2, np.uint8), xy, origin=(0.0, 0.0)))
    assert back.header["unit_m"] > 0.01
    assert np.abs(back.xy - xy).max() <= back.header["unit_m"]
    nobody = encode_part({"times": [0.0]}, np.zeros(1, np.uint8), np.full((1, 1, 2), np.nan, np.float32),
                         (0.0, 0.0))
    assert int(np.frombuffer(nobody[-4:], "<u2")[0]) == ABSENT


def test_bad_parts_are_refused() -> None:
    with pytest.raises(ValueError, match="MTP1"):
        decode_part(b"PK\x03\x04 not a part")
    with pytest.raises(ValueError, match="times"):
        encode_part({"times": [0.0]}, np.zeros(1, np.uint8), np.zeros((2, 1, 2), np.float32), (0.0, 0.0))


def test_the_player_gets_the_part_it_asks_for_and_the_first_otherwise(
        drill: tuple[pd.DataFrame, Playback]) -> None:
    _, pb = drill
    source = _source(pb)
    run = source.run
    assert request_of(None, source) == Request("L2", 0, True)
    assert request_of({"want": {"run": run, "level": "L1", "part": 1, "picture": False}}, source) \
        == Request("L1", 1, False)
    for stale in ({"run": "another drill", "level": "L1", "part": 1}, {"run": run, "level": "L9", "part": 0},
                  {"run": run, "level": "L1", "part": 3}, {"run": run, "level": "L1", "part": True}, "junk"):
        assert request_of({"want": stale}, source) == Request("L2", 0, True)
    part = decode_part(part_payload(source, Request("L1", 1, False)))
    head = part.header
    assert (head["level"], head["part"], "picture" in head) == ("L1", 1, False)
    assert head["times"][0] == pytest.approx(PART_S) and len(head["meta"]["part_starts"]) == 3
    assert head["meta"]["run"] == run and head["meta"]["total"] == 40
    assert PLAYER_KEY == "pb_player"
    with pytest.raises(ValueError, match="part 3"):
        part_payload(source, Request("L1", 3, False))


def test_smoke_comes_with_the_part_and_the_outlines_with_the_picture(
        drill: tuple[pd.DataFrame, Playback]) -> None:
    _, pb = drill
    fac = sample()
    bay = fac.spaces_on("L2")[0].id
    maps = pd.DataFrame({"time": [0.0, 100.0, 100.0, 250.0], "space": [bay, bay, "L1-ICU-BAY1", bay],
                         "untenable": [False, False, False, True], "visibility_m": [30.0, 4.0, 3.0, 1.0]})
    source = _source(pb, Smoke.build(maps))
    first = decode_part(part_payload(source, Request("L2", 0, True))).header
    assert first["smoke"] == [[0.0, [], []], [100.0, [], [bay]]]  # the ICU bay is on another level
    assert bay in first["spaces"] and len(first["spaces"][bay]) >= 8
    assert decode_part(part_payload(source, Request("L2", 1, False))).header["smoke"] == [[100.0, [], [bay]]]
    third = decode_part(part_payload(source, Request("L2", 2, False))).header
    assert third["smoke"] == [[100.0, [], [bay]], [250.0, [bay], []]] and "spaces" not in third


def test_a_part_reaches_the_next_so_nobody_stands_still_at_the_boundary(
        drill: tuple[pd.DataFrame, Playback]) -> None:
    _, pb = drill
    source = _source(pb)
    cut = source.frames()
    for k in range(len(cut) - 1):
        part = decode_part(part_payload(source, Request("L1", k, False)))
        after = decode_part(part_payload(source, Request("L1", k + 1, False)))
        times, next_start = part.header["times"], after.header["times"][0]
        # half a second before the next part starts, the part still has a sample time on either side
        # (before, the part ended a second early and the player held everyone at its last sample)
        assert times[-1] == pytest.approx(next_start) and times[-2] < next_start - 0.5
        assert part.header["joined"] and len(times) == len(cut[k]) + 1
        # and that last sample is where the next part starts everyone on the level
        last = part.xy[-1][np.isfinite(part.xy[-1, :, 0])]
        first = after.xy[0][np.isfinite(after.xy[0, :, 0])]
        assert np.array_equal(np.sort(last, axis=0), np.sort(first, axis=0)) and len(first) > 0
    final = decode_part(part_payload(source, Request("L1", len(cut) - 1, False))).header
    assert not final["joined"] and len(final["times"]) == len(cut[-1])
