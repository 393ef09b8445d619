"""Claiming an output folder: one writer at a time, never replacing what is not ours.

Before any simulation starts, :func:`claim` takes an exclusive lock on the
output name (``.NAME.lock`` beside it, an OS file lock that dies with its
process, so a killed run never leaves a lock that blocks the next one) and,
holding it, decides what may happen to the folder:

* an existing ``OUT`` that is not itself a medtwin run or sweep folder (a
  folder of other files, or a results root of run folders) is never written
  into or replaced, whatever the flags; ``--overwrite`` replaces only a run or
  sweep folder (either by either) holding nothing but what medtwin wrote
  there, and never the home folder, ``.`` or its parents;
* a run in progress writes to ``.NAME.partial``; one left by a killed run is
  continued with ``resume`` or discarded with ``overwrite``, never silently;
* :func:`finalise` swaps the finished partial folder into place with
  renames, so ``OUT`` always holds either the old run or the whole new one.
  A kill between the two renames is repaired by the next claim.

Four processes racing for one ``OUT``: one holds the lock and wins, the
others get a :class:`~scenarios.errors.ResultsStoreError` at once; later
comers find the finished folder and are refused too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scenarios.errors import CorruptResultsError, ResultsStoreError
from scenarios.store._fsync import fsync_dir
from scenarios.store.layout import (
    MANIFEST,
    RUN_FORMAT,
    RUN_ITEMS,
    SCENARIO,
    SWEEP,
    SWEEP_FORMAT,
    read_json,
)

__all__ = ["Claim", "claimed", "finalise", "partial_of"]


@dataclass(frozen=True, slots=True)
class Claim:
    """An output folder held by this process.

    Attributes:
        out: Where the finished run (or sweep) will be.
        partial: Where it is written meanwhile.
        resumed: ``partial`` already held work from an interrupted run.
        existing: ``out`` already holds a finished run or sweep (to be
            replaced with overwrite, or completed with resume).
    """

    out: Path
    partial: Path
    resumed: bool
    existing: bool


def partial_of(out: Path) -> Path:
    """The folder a run of ``out`` is written to until it is finished."""
    return out.parent / f".{out.name}.partial"


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def _refuse_dangerous(out: Path) -> None:
    real = out.resolve()
    cwd = Path.cwd().resolve()
    if real == Path(real.anchor) or real == Path.home().resolve():
        raise ResultsStoreError(f"{out}: is the root or home folder; give a results folder of its own")
    if real == cwd or real in cwd.parents:
        raise ResultsStoreError(f"{out}: is the current folder or one of its parents; give a results "
                                "folder of its own, e.g. results/my-run")


def _acquire(path: Path, out: Path) -> int:
    """An exclusive, non-blocking lock on ``path``; a clear error if another run holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise ResultsStoreError(f"{out}: another medtwin run (process {holder}) is writing it right "
                                    "now; wait for it to finish or choose another --out") from None
        # The previous holder unlinks the file before unlocking; if we locked
        # an unlinked inode, try again on the file now at the path.
        try:
            same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)


def _release(path: Path, fd: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    os.close(fd)


def _listed(names: list[str]) -> str:
    return ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")


def _foreign_in_run(folder: Path) -> list[str]:
    """Entries of a run folder that medtwin does not write there."""
    return sorted(e.name for e in folder.iterdir()
                  if not (e.is_file() and not e.is_symlink()
                          and (e.name in RUN_ITEMS or e.name.endswith(".parquet"))))


def _refuse_unless_results(out: Path) -> None:
    """Raise unless ``out`` is itself a medtwin run or sweep folder.

    A folder of other files, or a results root holding run folders, is never
    written into or replaced, whatever the flags: ``--resume`` and
    ``--overwrite`` apply to one run or sweep folder only.
    """
    if (out / MANIFEST).is_file() or (out / SWEEP).is_file():
        return
    entries = sorted(p.name for p in out.iterdir())
    runs = [e for e in entries if (out / e / MANIFEST).is_file() or (out / e / SWEEP).is_file()]
    if runs:
        raise ResultsStoreError(f"{out}: is a results folder holding other runs or sweeps ({_listed(runs)}), "
                                "not a run or sweep folder itself; medtwin never writes into or replaces "
                                f"it: give a new folder inside it, e.g. --out {out / 'my-run'}"
                                + (f" (it also holds: {_listed([e for e in entries if e not in runs])})"
                                   if len(runs) < len(entries) else ""))
    raise ResultsStoreError(f"{out}: holds files that are not medtwin results ({_listed(entries)}); medtwin "
                            "will not write into it or replace it; choose another --out")


def _replaceable(out: Path) -> None:
    """Raise unless ``out`` is a readable medtwin run or sweep folder holding only what medtwin wrote.

    Either kind may replace the other: both hold nothing but medtwin's own
    files (checked here, down to each variant folder of a sweep), and
    ``--overwrite`` was asked for.
    """
    sweep = not (out / MANIFEST).is_file()
    marker, fmt = (SWEEP, SWEEP_FORMAT) if sweep else (MANIFEST, RUN_FORMAT)
    what = "sweep" if sweep else "run"
    try:
        read_json(out / marker, format=fmt)
    except CorruptResultsError as exc:
        raise ResultsStoreError(f"{exc}; --overwrite only replaces a readable medtwin run or sweep "
                                "folder") from None
    if not sweep:
        foreign = _foreign_in_run(out)
    else:
        foreign = []
        for e in sorted(out.iterdir()):
            if e.name in (SWEEP, SCENARIO):
                continue
            if e.is_dir() and not e.is_symlink() and (e / MANIFEST).is_file():
                foreign += [f"{e.name}/{f}" for f in _foreign_in_run(e)]
            else:
                foreign.append(e.name)
    if foreign:
        raise ResultsStoreError(f"{out}: this {what} folder holds files medtwin did not write "
                                f"({_listed(foreign)}); move them elsewhere before --overwrite")


def _repair(out: Path, partial: Path, sweep: bool) -> None:
    """Undo what a kill left between the two renames of a swap, and drop old leftovers."""
    marker = SWEEP if sweep else MANIFEST
    for old in sorted(out.parent.glob(f".{out.name}.old-*")):
        if out.exists():
            shutil.rmtree(old)
        elif (partial / marker).is_file():  # the new run was finished: complete the swap
            os.rename(partial, out)
            shutil.rmtree(old)
        else:
            os.rename(old, out)
    for legacy in out.parent.glob(f".{out.name}.partial-*"):  # written by earlier versions
        shutil.rmtree(legacy, ignore_errors=True)


@contextlib.contextmanager
def claimed(out: str | Path, *, overwrite: bool = False, resume: bool = False,
            sweep: bool = False) -> Iterator[Claim]:
    """Hold ``out`` for one run (or sweep) for the duration of the ``with`` block.

    Args:
        out: The results folder to create.
        overwrite: Replace a finished run or sweep folder there, or discard
            an interrupted run's partial results.
        resume: Continue an interrupted run's partial results.
        sweep: ``out`` is a sweep folder (``sweep.json``) rather than a run.

    Raises:
        ResultsStoreError: Another process writes ``out``; ``out`` is a file,
            the home folder, ``.`` or a parent of it; it holds files but is
            not a medtwin run or sweep folder; it holds results and neither
            ``overwrite`` nor ``resume`` was given; or ``overwrite`` was given
            and it holds files medtwin did not write.
    """
    out = Path(out).absolute()
    if overwrite and resume:
        raise ResultsStoreError(f"{out}: give --overwrite or --resume, not both")
    _refuse_dangerous(out)
    if out.is_symlink():
        raise ResultsStoreError(f"{out}: is a symbolic link; give the results folder itself")
    if out.exists() and not out.is_dir():
        raise ResultsStoreError(f"{out}: exists and is not a folder; choose another --out")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        lock = _lock_path(out)
        fd = _acquire(lock, out)
    except PermissionError:
        raise ResultsStoreError(f"{out}: its folder {out.parent} cannot be written; choose another "
                                "--out") from None
    except OSError as exc:
        if isinstance(exc, ResultsStoreError):
            raise
        raise ResultsStoreError(f"{out}: cannot create it ({exc.strerror or exc}); choose another "
                                "--out") from None
    try:
        partial = partial_of(out)
        _repair(out, partial, sweep)
        existing = out.is_dir() and any(out.iterdir())
        if existing:
            _refuse_unless_results(out)
        if existing and not (overwrite or resume):
            raise ResultsStoreError(f"{out}: already holds results; choose another --out, pass --resume "
                                    "to complete it, or --overwrite to replace it (results are never "
                                    "replaced silently)")
        if existing and overwrite:
            _replaceable(out)
        resumed = partial.is_dir()
        if resumed and overwrite:
            shutil.rmtree(partial)
            resumed = False
        elif resumed and not resume:
            raise ResultsStoreError(f"{out}: an interrupted run left partial results in {partial.name}; "
                                    "pass --resume to continue it or --overwrite to discard them")
        yield Claim(out=out, partial=partial, resumed=resumed, existing=existing)
    finally:
        _release(lock, fd)


def finalise(claim: Claim) -> Path:
    """Move the finished partial folder to ``claim.out``, replacing what was there."""
    out, partial = claim.out, claim.partial
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    if out.exists():
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        os.rename(out, old)
        os.rename(partial, out)
        fsync_dir(out.parent)
        shutil.rmtree(old)
    else:
        os.rename(partial, out)
        fsync_dir(out.parent)
    return out
