"""Parts written by the workers themselves, when they can reach the run folder.

A worker process (a local pool's, a Dask worker's) used to send each
replication's tables back to the process writing the run: encoded as Arrow
IPC there, through a pipe or a socket, decoded and buffered here, written
again as a part.  When the worker sees the run's partial folder (the same
machine, or a file system shared with it), it writes the batch's part
itself and sends back only what the writer keeps: each replication's
status, KPIs, times and the part's name.  No table crosses a pipe or the
network, and this process's share of the store is bookkeeping and the
finished files.

How a worker knows it sees *this* run's folder, and not a folder of the
same path on another machine or left by another run: the writing process
puts a random token in the partial folder (:data:`DROP`) and sends the
token with every batch; a worker writes there only if it reads the same
token back, and otherwise sends the tables as before::

    .NAME.partial/
      drop.json            {"token": "5f0c..."}  (removed when the run is finished)
      parts/w3e9a41c07b2d-000004/   a part written by a worker, committed by its part.json

What still holds, as for the parts the writer writes (:mod:`scenarios.store.parts`):

* a part counts only once committed (``part.json`` written last, after its
  data is on disk); a worker killed while writing leaves an uncommitted
  part that is never counted and is deleted on resume;
* a replication is taken once: the writer refuses an index it holds, and a
  part whose result never arrived (its worker lost contact, the batch ran
  again elsewhere) is ignored while the run goes on and deleted with the
  parts when it is finished; after a kill, resume reads every committed
  part and keeps the first result of each replication (a replication's
  result depends only on its stream, so two parts holding it agree);
* part names never collide: each session of a run draws a random prefix,
  and each batch it sends gets the next number under it;
* a worker that cannot write (a full disk, no access) removes what it
  began and sends the tables instead, so the writer meets the error, or
  not, as before.

A batch of little data (under :data:`MIN_PART_BYTES` of tables: a run's
first batches of one replication, the last ones cut finer) is sent back
too: a part has a fixed cost, more than sending a few replications.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from facility.files import write_atomic
from scenarios.replicate import Outcome
from scenarios.store._fsync import fsync_dir
from scenarios.store.parts import PARTS, write_part

__all__ = ["DROP", "Drop", "close_drop", "deliver", "open_drop", "reachable"]

#: The token file in a partial run folder that workers read to know they may write there.
DROP = "drop.json"
#: Table bytes below which a worker sends its batch back rather than write a part of it.  A
#: part costs its worker about 2 ms of CPU whatever it holds (a folder, three files, six
#: flushes to disk) and the writing process about as much again when the run is finished;
#: sending a Nelson replication (120 KB of tables) costs about 0.3 ms, and the writer then
#: stores it with others.  The first batches of a run (one replication each) and the last
#: ones, cut finer, stay below it.
MIN_PART_BYTES = 2**20


@dataclass(frozen=True)
class Drop:
    """Where workers may write a run's parts, and how they check that they see it.

    Attributes:
        folder: The run's partial folder, as the writing process names it.
        token: The random token the writing process put in ``folder`` / :data:`DROP`.
        prefix: The names of this session's parts start with it.
        min_bytes: Batches with fewer table bytes are sent back (:data:`MIN_PART_BYTES`).
    """

    folder: str
    token: str
    prefix: str
    min_bytes: int = MIN_PART_BYTES

    def part_name(self, batch: int) -> str:
        """The name of the part of the session's ``batch``-th batch.

        >>> Drop("/r/.x.partial", "t", "w3e9a41c07b2d-").part_name(4)
        'w3e9a41c07b2d-000004'
        """
        return f"{self.prefix}{batch:06d}"


def open_drop(folder: Path) -> Drop:
    """Let workers write parts into the partial run folder ``folder`` (a fresh token each session)."""
    token = uuid.uuid4().hex
    write_atomic(folder / DROP, json.dumps({"token": token}) + "\n", what="run folder", sync_folder=False)
    return Drop(str(folder), token, f"w{uuid.uuid4().hex[:12]}-", MIN_PART_BYTES)


def close_drop(folder: Path) -> None:
    """Stop workers from starting parts in ``folder`` (before its parts are read for the last time)."""
    (folder / DROP).unlink(missing_ok=True)


def reachable(drop: Drop) -> bool:
    """Whether this process sees the run folder of ``drop`` (it reads back the same token) as the
    user who owns it.

    A worker running as another user (a shared cluster on a shared file
    system) could leave parts whose files the run's own user cannot delete
    when the run is finished: it sends its tables instead.
    """
    folder = Path(drop.folder)
    try:
        if hasattr(os, "getuid") and folder.stat().st_uid != os.getuid():
            return False
        return bool(json.loads((folder / DROP).read_text(encoding="utf-8")).get("token") == drop.token)
    except (OSError, ValueError, AttributeError):
        return False


def deliver(drop: Drop, part: str, outcomes: Sequence[Outcome]) -> list[Outcome]:
    """In a worker: write ``outcomes`` as part ``part`` of the run and return them without tables.

    Outcomes come back unchanged (tables and all, for the writer to store)
    when their tables are fewer than ``drop.min_bytes``, the run folder
    cannot be seen from here or the part cannot be written; a part begun
    is then removed, and was never committed.
    """
    if not outcomes or sum(o.nbytes for o in outcomes) < drop.min_bytes or not reachable(drop):
        return list(outcomes)
    ordered = sorted(outcomes, key=lambda o: o.index)
    target = Path(drop.folder) / PARTS / part
    try:
        write_part(target, ordered)
        fsync_dir(target.parent)  # the part's own name
    except OSError:  # FileAccessError too: the writer meets it when it stores the tables itself
        shutil.rmtree(target, ignore_errors=True)
        return list(outcomes)
    return [replace(o, tables={}, part=part, nbytes=o.nbytes) for o in ordered]
