"""What the browser's drill player is sent: a drill cut into compact binary parts, one level at a time.

A drill of 2,000 people over 15 minutes, sampled every second, is 1.8
million positions: as one animated chart it was many MB of JSON the browser
had to parse before playing, and playing it dropped a third of its frames at
60x.  Here the drill is cut into *parts* of :data:`PART_S` of drill (at most
:data:`FRAMES_PER_PART` sample times a second apart) on one level.  A part holds each person on
that level once (how they move: staff, walking, wheelchair, bed) and their
position at every sample time of the part as two 16-bit integers (centimetres
from the level's corner), absent when they are elsewhere: about 1 MB for
2,000 people over two minutes, decoded by the browser without parsing.  The
player (:mod:`scenarios.ui.player`) asks for the part it will need next while
it plays the current one, and moves everyone smoothly between sample times.

Layout of a part (little-endian)::

    b"MTP1"  uint32 n  header: n bytes of UTF-8 JSON (padded with spaces to a multiple of 4)
    movers: uint8 per person (padded with zeros to a multiple of 2)
    xy: uint16 [sample time][person][x, y], 65535 where the person is not on the level

The header's fields are listed in :func:`encode_part`.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenarios.ui.playback import Playback

__all__ = ["ABSENT", "FRAMES_PER_PART", "FRAME_STEP_S", "MAGIC", "PART_S", "Part", "decode_part",
           "encode_part", "frame_times", "part_arrays", "parts"]

#: First bytes of every part: the format and its version.
MAGIC = b"MTP1"
#: Stored coordinate of a person not on the part's level at that time.
ABSENT = 0xFFFF
#: Drill time (s) between two sample times sent: the player moves people smoothly in between.
FRAME_STEP_S = 1.0
#: Drill time (s) per part: at 60x a part plays for two seconds while the next ones come.
PART_S = 120.0
#: Most sample times in a part: two minutes a second apart, about 1 MB for 2,000 people on one level.
FRAMES_PER_PART = 120
#: Finest coordinate unit (m): a centimetre, far below a marker's size on screen.
UNIT_M = 0.01
#: Largest stored coordinate (65535 is :data:`ABSENT`).
_MAX_Q = 0xFFFE


def frame_times(times: np.ndarray, step_s: float = FRAME_STEP_S) -> np.ndarray:
    """Indices of the sample ``times`` sent: the first sample at or after each ``step_s``.

    Samples closer than ``step_s`` are dropped; sparser samples are all kept.

    >>> frame_times(np.arange(0.0, 3.0, 0.5)).tolist()
    [0, 2, 4]
    >>> frame_times(np.array([0.0, 2.0, 4.0])).tolist()
    [0, 1, 2]
    """
    if step_s <= 0:
        raise ValueError(f'"step_s" must be > 0, got {step_s}')
    if len(times) == 0:
        return np.empty(0, dtype=int)
    # a hair below each grid time, so float noise in the stored times does not skip a sample
    grid = np.arange(times[0], times[-1] + step_s / 2, step_s) - 1e-6
    return np.unique(np.minimum(np.searchsorted(times, grid), len(times) - 1))


def parts(times: np.ndarray, frames: np.ndarray, part_s: float = PART_S,
          per_part: int = FRAMES_PER_PART) -> list[np.ndarray]:
    """``frames`` (indices into ``times``) cut in parts of ``part_s`` of drill, at most ``per_part`` each.

    Cutting by drill time, not by count, keeps the parts streamed while a drill plays whatever
    its recording interval: a drill recorded every 5 s is still sent two minutes at a time.

    >>> t = np.arange(0.0, 300.0, 1.0)
    >>> [(int(p[0]), len(p)) for p in parts(t, np.arange(300))]
    [(0, 120), (120, 120), (240, 60)]
    >>> [len(p) for p in parts(t, np.arange(300), per_part=100)]
    [100, 20, 100, 20, 60]
    """
    if per_part < 1:
        raise ValueError(f'"per_part" must be >= 1, got {per_part}')
    if part_s <= 0:
        raise ValueError(f'"part_s" must be > 0, got {part_s}')
    if len(frames) == 0:
        return []
    t = times[frames]
    window = np.floor((t - t[0]) / part_s + 1e-9).astype(np.int64)
    out: list[np.ndarray] = []
    for w in np.unique(window):
        chosen = frames[window == w]
        out += [chosen[k:k + per_part] for k in range(0, len(chosen), per_part)]
    return out


def part_arrays(pb: Playback, frames: np.ndarray, level: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who is on ``level`` during ``frames`` and where: ``(person, mover, xy)``.

    ``person`` (indices into ``pb.ids``) and ``mover`` hold one entry per person seen on the
    level at any of the frames; ``xy[f, p]`` is person ``p``'s position (m) at frame ``f``, NaN
    when they are not on the level then.
    """
    if len(frames) == 0:
        raise ValueError("a part needs at least one sample time")
    starts, ends = pb.starts[frames], pb.starts[np.asarray(frames) + 1]
    counts = ends - starts
    rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)]) if counts.sum() \
        else np.empty(0, dtype=np.int64)
    frame_of = np.repeat(np.arange(len(frames)), counts)
    if level in pb.levels:
        on = pb.level[rows] == pb.levels.index(level)
        rows, frame_of = rows[on], frame_of[on]
    else:
        rows, frame_of = rows[:0], frame_of[:0]
    person, column = np.unique(pb.person[rows], return_inverse=True)
    xy = np.full((len(frames), len(person), 2), np.nan, dtype=np.float32)
    xy[frame_of, column, 0] = pb.x[rows]
    xy[frame_of, column, 1] = pb.y[rows]
    mover = np.zeros(len(person), dtype=np.uint8)
    mover[column] = pb.mover[rows]
    return person.astype(np.int32), mover, xy


def _pad(data: bytes, multiple: int, fill: bytes) -> bytes:
    return data + fill * (-len(data) % multiple)


def encode_part(header: dict[str, Any], mover: np.ndarray, xy: np.ndarray,
                origin: tuple[float, float], unit_m: float = UNIT_M) -> bytes:
    """One part as sent to the player.

    Args:
        header: What the player needs besides positions, as JSON: ``level``, ``part`` (its
            index), ``times`` (s, one per sample time), and whatever else the caller adds
            (the drill's outline in ``meta``, the plan ``picture``, ``smoke``...).
            ``people``, ``origin`` and ``unit_m`` are set here.
        mover: Kind of mover per person (:class:`scenarios.ui.playback.Mover`).
        xy: Positions (m), ``[sample time, person, 2]``, NaN where absent.
        origin: The level's lower-left corner (m): coordinates are stored from it.
        unit_m: Stored unit (m); a level wider than 655 m is stored in coarser units.

    Returns:
        The bytes of the part (see the module's layout).
    """
    frames, people = xy.shape[0], xy.shape[1]
    if len(header.get("times", [])) != frames:
        raise ValueError(f"the header has {len(header.get('times', []))} times for {frames} sample times")
    if mover.shape != (people,):
        raise ValueError(f"{people} people but {mover.shape[0]} movers")
    shifted = xy - np.asarray(origin, dtype=np.float32)
    extent = float(np.nanmax(shifted)) if np.isfinite(shifted).any() else 0.0
    unit = max(unit_m, extent / _MAX_Q)
    q = np.round(shifted.astype(np.float64) / unit)
    stored = np.where(np.isfinite(q), np.clip(q, 0, _MAX_Q), ABSENT).astype("<u2")
    head = {**header, "people": people, "origin": [float(origin[0]), float(origin[1])], "unit_m": unit}
    text = _pad(json.dumps(head, separators=(",", ":")).encode(), 4, b" ")
    return b"".join([MAGIC, struct.pack("<I", len(text)), text,
                     _pad(mover.astype(np.uint8).tobytes(), 2, b"\0"), stored.tobytes()])


@dataclass(frozen=True)
class Part:
    """A decoded part: its header, each person's kind of mover and positions (m, NaN where absent)."""

    header: dict[str, Any]
    mover: np.ndarray
    xy: np.ndarray


def decode_part(data: bytes) -> Part:
    """Read a part made by :func:`encode_part` (what the browser's player does, in Python).

    Raises:
        ValueError: ``data`` is not a part.
    """
    if data[:4] != MAGIC or len(data) < 8:
        raise ValueError("not a playback part (it does not start with MTP1)")
    (n,) = struct.unpack_from("<I", data, 4)
    header = json.loads(data[8:8 + n])
    people, frames = int(header["people"]), len(header["times"])
    at = 8 + n
    mover = np.frombuffer(data, dtype=np.uint8, count=people, offset=at)
    at += people + people % 2
    stored = np.frombuffer(data, dtype="<u2", count=frames * people * 2, offset=at).reshape(frames, people, 2)
    xy = stored.astype(np.float64) * float(header["unit_m"]) + np.asarray(header["origin"])
    return Part(header, mover.copy(), np.where(stored == ABSENT, np.nan, xy))
