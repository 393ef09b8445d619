"""A picture to judge an extraction at a glance.

One panel per level: the wall-band cells of the scan in grey, the extracted
spaces as coloured outlines (corridors hatched), doors as red bars of their
measured width, exits to confirm as green bars, and the navigation graph
(space anchors joined through doors) in black.  Whoever receives the facility
sees in seconds whether a room was missed, two rooms merged or a door lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from facility.model import SpaceKind
from lidar.extract import Extraction

__all__ = ["render_preview"]


def render_preview(extraction: Extraction, path: str | Path, *, dpi: int = 110) -> Path:
    """Write a PNG preview of ``extraction`` to ``path`` and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fac = extraction.facility
    plans = extraction.plans
    n = max(1, len(plans))
    fig, axes = plt.subplots(n, 1, figsize=(12, 7 * n), squeeze=False)
    cmap = plt.get_cmap("tab20")
    for ax, plan in zip(axes[:, 0], plans, strict=False):
        g = plan.grid
        extent = (g.x0, g.x0 + g.shape[1] * g.cell, g.y0, g.y0 + g.shape[0] * g.cell)
        if plan.frame.rotated:
            # The plan grid lies in the storey's wall frame: draw its wall cells turned back.
            ii, jj = np.nonzero(plan.wall)
            xy = plan.frame.to_scan(g.centres(ii, jj))
            ax.scatter(xy[:, 0], xy[:, 1], s=0.2, c="0.6", marker=".", linewidths=0)
        else:
            ax.imshow(np.where(plan.wall, 0.35, 1.0), origin="lower", extent=extent, cmap="gray",
                      vmin=0, vmax=1, interpolation="nearest")
        spaces = fac.spaces_on(plan.level)
        for k, s in enumerate(spaces):
            x, y = s.polygon.exterior.xy
            colour = cmap(k % 20)
            ax.fill(x, y, color=colour, alpha=0.3, hatch="//" if s.kind is SpaceKind.CORRIDOR else None)
            ax.plot(x, y, color=colour, lw=1.2)
            a = s.anchor
            ax.annotate(s.id, (a.x, a.y), fontsize=7, ha="center")
        ids = {s.id for s in spaces}
        for d in fac.doors:
            if d.spaces[0] in ids:
                _bar(ax, fac.door_segment(d), "red")
                for sid in d.spaces:
                    a = fac.space(sid).anchor
                    ax.plot([a.x, d.at[0]], [a.y, d.at[1]], color="black", lw=0.7)
        for e in fac.exits:
            if e.space in ids:
                _bar(ax, fac.door_segment(e), "green")
                a = fac.space(e.space).anchor
                ax.plot([a.x, e.at[0]], [a.y, e.at[1]], color="green", lw=0.7, ls="--")
        st = plan.storey
        ax.set_title(f"{fac.name} {plan.level}: floor {st.floor:.2f} m, ceiling {st.ceiling:.2f} m; "
                     f"{len(spaces)} spaces; doors red, exits to confirm green")
        ax.set_aspect("equal")
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out


def _bar(ax: Any, seg: Any, colour: str) -> None:
    x, y = seg.xy
    ax.plot(x, y, color=colour, lw=3.5, solid_capstyle="butt")
