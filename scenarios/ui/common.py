"""What every page shares: the facility being looked at, loaded once per process.

The path comes from ``app.py`` (``--facility``) through the session state;
``None`` means the built-in sample hospital.  The loaded facility is cached
with ``st.cache_resource``: it is immutable, so all sessions can share it.
"""

from __future__ import annotations

import streamlit as st

from facility import Facility, FacilityError, load, sample


@st.cache_resource(show_spinner="Loading the facility...")
def load_facility(path: str | None) -> Facility:
    """The facility at ``path`` (validated), or the sample hospital for ``None``."""
    return sample() if path is None else load(path)


def current_facility() -> Facility:
    """The facility of this session; stops the page with a clear error if it cannot be loaded."""
    path = st.session_state.get("facility_path")
    try:
        return load_facility(path)
    except FacilityError as exc:
        st.error(f"Cannot open the facility file: {exc}")
        st.stop()
        raise  # st.stop() raises; this line keeps type checkers informed
