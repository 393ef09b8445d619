"""The playback the browser plays: frames a second apart, bounded chunks, everyone on the level each frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely import Polygon, box

from scenarios.ui.animation import FRAME_STEP_S, FRAMES_PER_CHUNK, chunks, frame_times, playback_figure
from scenarios.ui.playback import MOVERS, Mover, Playback

PICTURE = ("data:image/png;base64,", (0.0, 0.0, 40.0, 20.0))
#: Samples of the synthetic drill, half a second apart: 300 s, so more than two chunks of 1 s frames.
SAMPLE_S, SAMPLES = 0.5, 600
#: Each of the 40 people's profile, and the kind of mover it is drawn as.
PROFILES = dict(zip([f"p{i}" for i in range(40)],
                    ["staff"] * 10 + ["ambulant"] * 10 + ["wheelchair_self"] * 10 + ["bed"] * 10,
                    strict=True))
KINDS = {"staff": Mover.STAFF, "ambulant": Mover.WALKING, "wheelchair_self": Mover.WHEELCHAIR,
         "bed": Mover.BED}


@pytest.fixture(scope="module")
def drill() -> tuple[pd.DataFrame, Playback]:
    """A drill whose people leave one by one and change level: counts differ by time, level and mover."""
    rng = np.random.default_rng(7)
    agents = pd.DataFrame({"id": list(PROFILES), "role": ["staff"] * 10 + ["patient"] * 30,
                           "profile": list(PROFILES.values())})
    rows = []
    for k in range(SAMPLES):
        t = k * SAMPLE_S
        for i in range(40 - k * 40 // SAMPLES):  # one fewer inside every 15 samples
            rows.append({"time": t, "id": f"p{i}", "level": "L1" if (i + k // 50) % 3 else "L2",
                         "x": rng.uniform(0, 40), "y": rng.uniform(0, 20)})
    traj = pd.DataFrame(rows)
    return traj, Playback.build(traj, agents)


def test_frames_are_a_second_apart_and_chunks_bounded(drill: tuple[pd.DataFrame, Playback]) -> None:
    _, pb = drill
    frames = frame_times(pb.times)
    assert np.allclose(np.diff(pb.times[frames]), FRAME_STEP_S)
    assert len(frames) == SAMPLES * SAMPLE_S / FRAME_STEP_S
    parts = chunks(frames)
    assert len(parts) == -(-len(frames) // FRAMES_PER_CHUNK)
    assert all(1 <= len(p) <= FRAMES_PER_CHUNK for p in parts)
    assert np.array_equal(np.concatenate(parts), frames)
    with pytest.raises(ValueError, match="per_chunk"):
        chunks(frames, 0)


def test_each_frame_holds_everyone_on_the_level_at_its_time(drill: tuple[pd.DataFrame, Playback]) -> None:
    traj, pb = drill
    part = chunks(frame_times(pb.times))[1]
    fig = playback_figure(PICTURE, pb, part.tolist(), "L2", title="L2: test", frame_ms=100)
    assert len(fig.frames) == len(part) <= FRAMES_PER_CHUNK
    assert [t.name for t in fig.data] == [name for name, *_ in MOVERS.values()]
    for frame, i in zip(fig.frames, part, strict=True):
        rows = traj[(traj["time"] == pb.times[i]) & (traj["level"] == "L2")]
        assert frame.name == f"{pb.times[i] / 60:.1f}"
        got = {m: len(tr.x) for m, tr in zip(MOVERS, frame.data, strict=True)}
        want = rows["id"].map(PROFILES).map(KINDS).value_counts()
        assert got == {m: int(want.get(m, 0)) for m in MOVERS}
        # positions are the stored ones, to the centimetre
        xs = sorted(x for tr in frame.data for x in tr.x)
        assert np.allclose(xs, np.sort(rows["x"].to_numpy()), atol=0.005)
    play, pause = fig.layout.updatemenus[0].buttons
    assert play.label == "Play" and play.args[1]["frame"]["duration"] == 100
    assert pause.label == "Pause"
    assert [s.label for s in fig.layout.sliders[0].steps] == [f.name for f in fig.frames]


def test_smoke_is_drawn_under_the_people_when_there_is_a_hazard(drill: tuple[pd.DataFrame, Playback]) -> None:
    _, pb = drill
    room: Polygon = box(0, 0, 5, 5)

    def smoke_at(t: float) -> tuple[list[Polygon], list[Polygon]]:
        return ([room], []) if t >= 2.0 else ([], [room])

    fig = playback_figure(PICTURE, pb, [0, 2, 4, 6], "L1", title="L1: smoke", frame_ms=50, smoke_at=smoke_at)
    assert [t.name for t in fig.data][:2] == ["untenable", "smoke"]
    untenable = [len(f.data[0].x) for f in fig.frames]
    assert untenable == [0, 0, 6, 6]  # a closed ring of 5 points and its break, from t = 2 s
    with pytest.raises(ValueError, match="frame"):
        playback_figure(PICTURE, pb, [], "L1", title="none", frame_ms=50)
