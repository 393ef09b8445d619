"""What every page shares: the session's facility, the results store, and the error boundary.

The app is started on one facility (``--facility``, or the sample hospital)
and one results store (``--results``); ``app.py`` puts both in the session
state.  A user may then switch the session to an uploaded facility or a
planner's variant: those are saved once, content-addressed, under the store's
``_facilities/`` folder, so a scenario can name them by path and a run in
the history can always be traced back to the building it ran on.

Every page calls :func:`readable_error` at its boundary: expected errors
(a bad facility file, a bad scenario, an unreadable scan) become one line
naming the file and the field; anything else becomes one line that says it is
a defect, never a traceback with this machine's paths.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from facility import Facility, FacilityError, dumps, load, sample

__all__ = [
    "FACILITY_DIR",
    "SAMPLE",
    "current_facility",
    "facility_label",
    "keep_facility",
    "plural",
    "readable_error",
    "results_root",
]

#: Key of the sample hospital in the session state (instead of a file path).
SAMPLE = "sample"
#: Folder of the results store holding the facilities the app's runs used.
FACILITY_DIR = "_facilities"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and ``word``, in the plural unless ``n`` is one.

    >>> plural(1, "level"), plural(4, "level"), plural(2, "bed", "beds")
    ('1 level', '4 levels', '2 beds')
    """
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def readable_error(exc: BaseException) -> str:
    """One line for a person: the message of an expected error, or a plain defect notice.

    Expected errors (facility, scenario and scan errors) carry messages that
    name the file and the field; anything else is a defect of medtwin, shown
    by its type and message only.

    >>> readable_error(TypeError("'int' object is not iterable"))  # doctest: +ELLIPSIS
    "medtwin could not handle this (TypeError: 'int' object is not iterable). This is a defect: ..."
    """
    from lidar import LidarError
    from scenarios.errors import ScenarioError

    if isinstance(exc, FacilityError | ScenarioError | LidarError):
        return str(exc)
    return (f"medtwin could not handle this ({type(exc).__name__}: {exc}). "
            "This is a defect: please report it with the file you used.")


def results_root() -> Path:
    """The results store of this app (``--results``), created on first use."""
    root = Path(st.session_state.get("results_root") or "results")
    root.mkdir(parents=True, exist_ok=True)
    return root


def keep_facility(facility: Facility) -> Path:
    """Save ``facility`` under the store, named by its content, and return the path.

    The same building saved twice gives the same file, so scenarios naming it
    hash the same and their cached runs are found again.
    """
    text = dumps(facility)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    folder = results_root() / FACILITY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"facility-{digest}.json"
    if not path.exists():
        from facility import save

        save(facility, path)
    return path


@st.cache_resource(show_spinner="Loading the facility...", max_entries=16)
def load_facility(path: str) -> Facility:
    """The facility at ``path`` (validated), or the sample hospital for :data:`SAMPLE`."""
    return sample() if path == SAMPLE else load(path)


def facility_key() -> str:
    """The session's facility: a file path, or :data:`SAMPLE`."""
    return str(st.session_state.get("facility_path") or SAMPLE)


def facility_label(key: str) -> str:
    """``"sample"`` for the sample hospital, else the facility file path (what scenarios name)."""
    return SAMPLE if key == SAMPLE else str(Path(key).resolve())


def current_facility() -> Facility:
    """The facility of this session; stops the page with a readable error if it cannot be loaded."""
    key = facility_key()
    try:
        return load_facility(key)
    except Exception as exc:  # the page boundary: one readable line, never a traceback
        st.error(f"Cannot open the facility file: {readable_error(exc)}")
        st.stop()
        raise  # st.stop() raises; this line keeps type checkers informed
