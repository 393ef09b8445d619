"""Stored runs read for the pages, cached on the run folder.

A finished run folder never changes (a re-run of the same scenario finds it;
an overwrite makes a new folder), so its summary and tables are cached by
path for every session: the second look at a run costs nothing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from scenarios.store import open_run

__all__ = ["replication_kpis", "scenario_text", "summary", "table", "tables_of"]


@st.cache_data(max_entries=64, show_spinner=False)
def summary(path: str) -> dict[str, Any]:
    """The KPI summary of the run at ``path`` (means with confidence intervals)."""
    return open_run(path).summary


@st.cache_data(max_entries=64, show_spinner=False)
def replication_kpis(path: str) -> dict[int, dict[str, float]]:
    """Each replication's KPIs of the run at ``path``."""
    return open_run(path).replication_kpis()


@st.cache_data(max_entries=16, show_spinner="Reading the results...")
def table(path: str, name: str) -> pd.DataFrame:
    """Table ``name`` of the run at ``path``, across replications."""
    return open_run(path).table(name)


@st.cache_data(max_entries=64, show_spinner=False)
def tables_of(path: str) -> list[str]:
    """The tables the run at ``path`` holds."""
    return open_run(path).tables


@st.cache_data(max_entries=64, show_spinner=False)
def scenario_text(path: str) -> str:
    """The scenario file of the run at ``path``, as run."""
    from scenarios.store import SCENARIO

    return (open_run(path).path / SCENARIO).read_text()
