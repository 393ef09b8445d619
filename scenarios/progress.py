"""How far a running replication is in simulated time, reported from wherever it runs.

A long replication (a week of an emergency department, a night drill of a
large building) can take minutes; a count of finished replications says
nothing until it ends.  A kind whose ``run_replication`` accepts a
``progress`` keyword is handed a :class:`Reporter` that its model calls with
``(simulated seconds, end seconds[, finished, of])`` as it goes (evacuation
adds people safe and people; operations runs its clock in chunks).  The
reporter turns those calls into :class:`Tick` values, at most one every
:data:`TICK_EVERY_S` of wall time, and puts them on a *channel*:

* in this process, a :class:`Direct` channel hands them to the caller at once;
* in a local process pool, a socket on ``127.0.0.1`` the run listens on
  (:class:`TickListener`), authenticated with a random key; each worker
  process connects once and sends its ticks over it;
* on Dask, the worker's event log (:class:`DaskEvents`), which the client
  follows through a topic subscription.

Reporting never touches the model's random stream or its clock, so results
are the same with and without it; nothing is written to any file.  Ticks
are for display only: a channel that fails is dropped and the replication
carries on, and a late tick of a finished replication may still arrive.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener
from typing import Any, Protocol

__all__ = [
    "DASK_TOPIC",
    "TICK_EVERY_S",
    "Channel",
    "DaskEvents",
    "Direct",
    "OnTick",
    "Reporter",
    "SocketChannel",
    "Tick",
    "TickListener",
    "accepts_progress",
    "describe",
    "from_event",
]

#: Wall seconds between two ticks one replication sends (the first is sent at once).
TICK_EVERY_S = 0.5
#: Prefix of the Dask event-log topic the workers' ticks travel on.
DASK_TOPIC = "medtwin-progress"


@dataclass(frozen=True, slots=True)
class Tick:
    """Where one running replication is in simulated time.

    Attributes:
        tag: Whose replication it is (the sweep variant's number; 0 for a run).
        index: The replication's number within its run (0-based).
        sim_time_s: Simulated seconds reached.
        end_time_s: Simulated seconds at which the replication stops at the latest.
        finished: Units the model has finished (evacuation: people safe), if it counts any.
        of: Units in all (evacuation: people), if it counts any.
        out: Evacuation: people out of the building now.
        in_refuge: Evacuation: people in a refuge now (``finished`` also counts those who
            reached one and move on from it, so that it never goes down).
    """

    tag: Hashable
    index: int
    sim_time_s: float
    end_time_s: float
    finished: int | None = None
    of: int | None = None
    out: int | None = None
    in_refuge: int | None = None

    @property
    def fraction(self) -> float:
        """Share of the simulated time done, in [0, 1]."""
        if not self.end_time_s > 0 or not math.isfinite(self.end_time_s):
            return 0.0
        return min(1.0, max(0.0, self.sim_time_s / self.end_time_s))


#: on_tick(tick): what the caller of a run is given.
OnTick = Callable[[Tick], None]


class Channel(Protocol):
    """Where a worker puts its ticks (a queue proxy, the Dask event log, or the caller itself)."""

    def put(self, tick: Tick) -> None: ...


class Direct:
    """A channel in this process: each tick goes straight to ``on_tick``."""

    def __init__(self, on_tick: OnTick) -> None:
        self._on_tick = on_tick

    def put(self, tick: Tick) -> None:
        self._on_tick(tick)


class DaskEvents:
    """A channel on a Dask worker: ticks go to the scheduler's event log under ``topic``.

    The worker's own connection carries them (no client is made on the
    worker); the submitting client subscribes to the topic, which is the
    run's own (:data:`DASK_TOPIC` and a random suffix), so two runs on one
    cluster do not see each other's ticks.
    """

    def __init__(self, topic: str) -> None:
        self.topic = topic

    def put(self, tick: Tick) -> None:
        from distributed import get_worker

        get_worker().log_event(self.topic, [tick.tag, tick.index, tick.sim_time_s, tick.end_time_s,
                                            tick.finished, tick.of, tick.out, tick.in_refuge])


class SocketChannel:
    """A channel from a local worker process: a connection to the run's :class:`TickListener`.

    Only the address and key are pickled; a worker process keeps one open
    connection (to the listener of the run it last worked for).
    """

    def __init__(self, address: tuple[str, int], authkey: bytes) -> None:
        self.address, self.authkey = address, authkey

    def put(self, tick: Tick) -> None:
        held = _HELD.get("connection")
        if held is None or held[0] != self.address:
            if held is not None:
                held[1].close()
            _HELD.pop("connection", None)
            _HELD["connection"] = (self.address, Client(self.address, authkey=self.authkey))
            held = _HELD["connection"]
        try:
            held[1].send(tick)
        except OSError:
            _HELD.pop("connection", None)  # that run's listener is gone; the next put connects anew
            raise


#: A worker process's open connection to a listener, with its address (a cache, one per process).
_HELD: dict[str, tuple[tuple[str, int], Connection]] = {}


class TickListener:
    """Receives the ticks local worker processes send; :meth:`drain` hands them over.

    It listens on ``127.0.0.1`` on a free port (no file is made, unlike a
    Unix socket) with a random key, so only the run's workers can send.
    One thread accepts connections, one per connection reads them until
    its worker hangs up (a pool's worker does when it next works for
    another run, or exits), so a reusable pool leaves at most one idle
    reader per worker behind.
    """

    def __init__(self) -> None:
        self._authkey = os.urandom(32)
        self._listener = Listener(("127.0.0.1", 0), authkey=self._authkey)
        self._ticks: queue.SimpleQueue[Tick] = queue.SimpleQueue()
        self._closed = False
        self._acceptor = threading.Thread(target=self._accept, name="medtwin-ticks", daemon=True)
        self._acceptor.start()

    @property
    def channel(self) -> SocketChannel:
        """What the workers are given (picklable)."""
        return SocketChannel(self._listener.address, self._authkey)

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn = self._listener.accept()
            except (OSError, EOFError, AuthenticationError):
                continue  # a caller without the key, or one that hung up during the handshake
            if self._closed:
                conn.close()
                return
            threading.Thread(target=self._read, args=(conn,), name="medtwin-ticks-read", daemon=True).start()

    def _read(self, conn: Connection) -> None:
        with conn:
            while True:
                try:
                    item = conn.recv()
                except (EOFError, OSError):
                    return
                if isinstance(item, Tick) and not self._closed:
                    self._ticks.put(item)

    def drain(self) -> list[Tick]:
        """The ticks received since the last call, in order of arrival."""
        out: list[Tick] = []
        while True:
            try:
                out.append(self._ticks.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        """Stop listening; ticks still on their way are dropped."""
        self._closed = True
        with contextlib.suppress(OSError):  # wake the accepting thread, which is blocked in accept()
            Client(self._listener.address, authkey=self._authkey).close()
        self._acceptor.join(timeout=1.0)
        self._listener.close()


def from_event(msg: Any) -> Tick:
    """The tick a :class:`DaskEvents` message carries."""
    tag, index, sim_time_s, end_time_s, finished, of, *rest = msg
    out, in_refuge = (*rest, None, None)[:2]
    return Tick(tag=tag, index=int(index), sim_time_s=float(sim_time_s), end_time_s=float(end_time_s),
                finished=finished, of=of, out=out, in_refuge=in_refuge)


class Reporter:
    """What a model calls as its clock advances; sends at most one tick per :data:`TICK_EVERY_S`.

    Args:
        channel: Where ticks go.
        tag: Whose replication this is.
        index: The replication's number.
        every_s: Wall seconds between two ticks.
    """

    def __init__(self, channel: Channel, tag: Hashable, index: int, every_s: float = TICK_EVERY_S) -> None:
        self._channel: Channel | None = channel
        self._tag, self._index, self._every = tag, index, every_s
        self._next = -math.inf

    def __call__(self, sim_time_s: float, end_time_s: float, finished: int | None = None,  # noqa: PLR0917
                 of: int | None = None, out: int | None = None, in_refuge: int | None = None) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self._every
        if self._channel is None:
            return
        tick = Tick(tag=self._tag, index=self._index, sim_time_s=float(sim_time_s),
                    end_time_s=float(end_time_s), finished=None if finished is None else int(finished),
                    of=None if of is None else int(of), out=None if out is None else int(out),
                    in_refuge=None if in_refuge is None else int(in_refuge))
        try:
            self._channel.put(tick)
        except (OSError, EOFError):
            # The channel is gone (a manager process or a scheduler lost): a replication
            # must not fail because its progress cannot be shown, so it carries on silently.
            self._channel = None


def accepts_progress(run_replication: Callable[..., Any]) -> bool:
    """Whether a kind's ``run_replication`` takes a ``progress`` keyword (see :mod:`scenarios.base`)."""
    try:
        return "progress" in inspect.signature(run_replication).parameters
    except (TypeError, ValueError):  # a builtin or C function: no keywords to look at
        return False


def describe(tick: Tick) -> str:
    """A short line saying how far the replication is.

    >>> describe(Tick(tag=0, index=3, sim_time_s=5400.0, end_time_s=86400.0))
    'replication 4 at 1 h 30 min of 1 d simulated (6 %)'
    >>> describe(Tick(tag=0, index=0, sim_time_s=90.0, end_time_s=3600.0, finished=12, of=40))
    'replication 1 at 1 min 30 s of 1 h simulated (2 %), 12/40 safe'
    >>> describe(Tick(tag=0, index=0, sim_time_s=90.0, end_time_s=3600.0, finished=12, of=40, out=5,
    ...               in_refuge=4))
    'replication 1 at 1 min 30 s of 1 h simulated (2 %), 12/40 safe (5 out, 4 in a refuge)'
    """
    text = (f"replication {tick.index + 1} at {_duration(tick.sim_time_s)} of {_duration(tick.end_time_s)} "
            f"simulated ({round(tick.fraction * 100)} %)")
    if tick.finished is not None and tick.of is not None:
        text += f", {tick.finished}/{tick.of} safe"
        if tick.out is not None and tick.in_refuge is not None:
            text += f" ({tick.out} out, {tick.in_refuge} in a refuge)"
    return text


def _duration(seconds: float) -> str:
    """Seconds as the two largest units among days, hours, minutes and seconds, zeros left out."""
    if not math.isfinite(seconds):
        return "?"
    days, rest = divmod(round(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    first = next((k for k, (n, _) in enumerate(parts) if n), len(parts) - 1)
    return " ".join(f"{n} {u}" for n, u in parts[first:first + 2] if n) or "0 s"
