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

import argparse
import hashlib
import sys
from importlib.resources import files
from pathlib import Path

import streamlit as st

from facility import Facility, dumps, load, sample
from scenarios.ui.messages import plural, readable_error

__all__ = [
    "FACILITY_DIR",
    "SAMPLE",
    "app_arguments",
    "current_facility",
    "ensure_session",
    "facility_label",
    "keep_facility",
    "known_facilities",
    "library_scenarios",
    "load_facility",
    "plural",
    "readable_error",
    "results_root",
    "scans_root",
]

#: Key of the sample hospital in the session state (instead of a file path).
SAMPLE = "sample"
#: Folder of the results store holding the facilities the app's runs used.
FACILITY_DIR = "_facilities"


def app_arguments(argv: list[str]) -> argparse.Namespace:
    """``--facility``, ``--results``, ``--scans`` and ``--upload-url`` given after ``--`` on the command line.

    >>> a = app_arguments(["app.py", "--facility", "h.json"])
    >>> a.facility, a.results, a.scans, app_arguments(["app.py"]).facility
    ('h.json', 'results', 'scans', None)
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--facility", default=None)
    parser.add_argument("--results", default="results")
    parser.add_argument("--scans", default="scans")
    parser.add_argument("--upload-url", default="")
    known, _ = parser.parse_known_args(argv[1:])
    return known


def ensure_session() -> None:
    """Put the app's command-line settings in a new session's state (every page calls it)."""
    if "results_root" in st.session_state:
        return
    args = app_arguments(sys.argv)
    st.session_state["facility_path"] = args.facility
    st.session_state["facility_start"] = args.facility
    st.session_state["results_root"] = str(Path(args.results).resolve())
    st.session_state["scans_root"] = str(Path(args.scans).resolve())
    st.session_state["upload_url"] = args.upload_url


def scans_root() -> Path:
    """The app's scan folder on the server (``--scans``): large scans are opened from there."""
    ensure_session()
    return Path(st.session_state["scans_root"])


def results_root() -> Path:
    """The results store of this app (``--results``), created on first use."""
    ensure_session()
    root = Path(st.session_state["results_root"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def known_facilities() -> dict[str, str]:
    """The buildings this session has used: facility key -> label (the sample first)."""
    ensure_session()
    seen: dict[str, str] = st.session_state.setdefault("facilities_seen", {})
    out = {SAMPLE: "the built-in sample"}
    start = st.session_state.get("facility_start")
    if start:
        out[str(start)] = f"{Path(start).name}, opened with the app"
    out.update(seen)
    return out


def keep_facility(facility: Facility, source: str | None = None) -> Path:
    """Save ``facility`` under the store, named by its content, and return the path.

    ``source`` (the uploaded file's or scan's name) labels it in the session's list of buildings.

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
    edits = facility.metadata.get("edits") or []
    label = f"variant: {'; '.join(edits)}" if edits else f"opened from {source or 'an upload'}"
    st.session_state.setdefault("facilities_seen", {})[str(path)] = label
    return path


@st.cache_resource(show_spinner="Loading the facility...", max_entries=16)
def load_facility(path: str) -> Facility:
    """The facility at ``path`` (validated), or the sample hospital for :data:`SAMPLE`."""
    return sample() if path == SAMPLE else load(path)


def facility_key() -> str:
    """The session's facility: a file path, or :data:`SAMPLE`."""
    ensure_session()
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


@st.cache_resource(show_spinner=False)
def library_scenarios(kind: str) -> dict[str, str]:
    """The shipped scenarios of ``kind``: name -> file (a file of a kind not installed is skipped)."""
    import yaml

    out: dict[str, str] = {}
    for entry in sorted(files("scenarios.library").iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("kind") == kind:
            out[str(data.get("name", entry.name))] = str(entry)
    return out
