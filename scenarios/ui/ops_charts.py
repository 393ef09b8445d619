"""Charts of operations runs: waits by hour, utilisation heat map, queues, bed occupancy.

Each function takes the stored tables of one or more runs (label -> table, as
the operations model writes them: ``events``, ``utilisation``, ``beds``) and
returns a plotly figure.  Times are shown in minutes and hours of the day,
averaged over the days simulated and the replications.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["bed_occupancy_figure", "queue_figure", "utilisation_heatmap", "waits_by_hour",
           "waits_by_hour_figure"]

MINUTES_PER_HOUR = 60.0
HOURS_PER_DAY = 24
LAYOUT = {"height": 360, "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
          "legend": {"orientation": "h", "y": -0.25}}


def waits_by_hour(events: pd.DataFrame) -> pd.Series:
    """Mean wait (min) of the patients who joined a queue in each hour of the day.

    >>> ev = pd.DataFrame({"queue_enter": [30.0, 90.0, 1470.0], "start": [40.0, 90.0, 1490.0]})
    >>> waits_by_hour(ev).loc[[0, 1]].tolist()
    [15.0, 0.0]
    """
    ev = events.dropna(subset=["start"])
    hour = (ev["queue_enter"] // MINUTES_PER_HOUR).astype(int) % HOURS_PER_DAY
    wait = ev["start"] - ev["queue_enter"]
    return wait.groupby(hour).mean().reindex(range(HOURS_PER_DAY))


def waits_by_hour_figure(events: Mapping[str, pd.DataFrame]) -> go.Figure:
    """One line per run: mean wait by hour of the day."""
    fig = go.Figure()
    for label, ev in events.items():
        w = waits_by_hour(ev)
        fig.add_trace(go.Scatter(x=w.index, y=w.values, mode="lines+markers", name=label))
    fig.update_layout(title="Mean wait by hour of arrival in the queue", **LAYOUT)
    fig.update_xaxes(title="hour of the day", dtick=2)
    fig.update_yaxes(title="wait (min)", rangemode="tozero")
    return fig


def _by_hour_of_day(util: pd.DataFrame, column: str) -> pd.DataFrame:
    u = util.assign(hod=util["hour"] % HOURS_PER_DAY)
    return u.pivot_table(index="resource", columns="hod", values=column, aggfunc="mean")


def utilisation_heatmap(util: pd.DataFrame, title: str) -> go.Figure:
    """Resources by hour of the day, coloured by utilisation (busy / on duty)."""
    grid = _by_hour_of_day(util, "utilisation")
    grid = grid.loc[grid.mean(axis=1).sort_values(ascending=False).index]
    fig = go.Figure(go.Heatmap(z=grid.to_numpy() * 100.0, x=list(grid.columns), y=list(grid.index),
                               colorscale="YlOrRd", zmin=0, zmax=100,
                               colorbar={"title": "%"},
                               hovertemplate="%{y} at %{x}:00: %{z:.0f} %<extra></extra>"))
    fig.update_layout(title=title, **{**LAYOUT, "height": max(360, 18 * len(grid) + 120)})
    fig.update_xaxes(title="hour of the day", dtick=2)
    return fig


def queue_figure(util: Mapping[str, pd.DataFrame], resources: list[str]) -> go.Figure:
    """Mean patients queueing by hour of the day for ``resources``, one line per run and resource."""
    fig = go.Figure()
    dashes = ("solid", "dash", "dot", "dashdot")
    for i, (label, u) in enumerate(util.items()):
        grid = _by_hour_of_day(u, "queue")
        for res in resources:
            if res in grid.index:
                fig.add_trace(go.Scatter(x=list(grid.columns), y=grid.loc[res].to_numpy(), mode="lines",
                                         name=f"{res} ({label})", line={"dash": dashes[i % len(dashes)]}))
    fig.update_layout(title="Queue length by hour of the day", **LAYOUT)
    fig.update_xaxes(title="hour of the day", dtick=2)
    fig.update_yaxes(title="patients waiting (mean)", rangemode="tozero")
    return fig


def bed_occupancy_figure(beds: Mapping[str, pd.DataFrame]) -> go.Figure:
    """Bed occupancy over the run (share of beds occupied), per ward and run."""
    fig = go.Figure()
    dashes = ("solid", "dash", "dot", "dashdot")
    for i, (label, b) in enumerate(beds.items()):
        mean = b.groupby(["ward", "hour"], as_index=False)["occupancy"].mean()
        for ward, part in mean.groupby("ward"):
            fig.add_trace(go.Scatter(x=part["hour"] / HOURS_PER_DAY, y=np.asarray(part["occupancy"]) * 100.0,
                                     mode="lines", name=f"{ward} ({label})",
                                     line={"dash": dashes[i % len(dashes)]}))
    fig.update_layout(title="Bed occupancy", **LAYOUT)
    fig.update_xaxes(title="day of the run")
    fig.update_yaxes(title="occupied (%)", range=[0, 105])
    return fig
