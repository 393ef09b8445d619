"""How close an extracted facility is to the truth.

Spaces are matched one to one by the assignment that maximises total
intersection over union (IoU) of their floor polygons; a match counts when
IoU >= 0.5, the usual room-detection criterion (Structured3D, CubiCasa).
Doors and exits (openings) are matched by the assignment that minimises
centre distance, counting within 0.3 m.  Navigation-graph edges are the
space pairs a door joins (and space-outside pairs for exits), compared after
mapping extracted spaces onto their matched true spaces.  Shortest-path
error compares door-to-door walking lengths between matched spaces on the
same level, the quantity the simulators actually use; the storey-route
error does the same for spaces on different storeys, by stairs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import networkx as nx
import numpy as np
from scipy.optimize import linear_sum_assignment

from facility.graph import OUTSIDE, space_node
from facility.model import Facility

__all__ = ["Accuracy", "accuracy"]


@dataclass(frozen=True, slots=True)
class Accuracy:
    """Extraction accuracy against ground truth (see the module docstring).

    F1 values are in [0, 1]; ``nan`` where undefined (nothing to match).
    """

    room_precision: float
    room_recall: float
    room_f1: float
    mean_room_iou: float
    door_precision: float
    door_recall: float
    door_f1: float
    door_width_mae: float
    edge_f1: float
    path_length_mae: float
    path_length_rel_error: float
    storey_route_rel_error: float
    rooms_true: int
    rooms_found: int
    doors_true: int
    doors_found: int

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


def _f1(tp: int, n_pred: int, n_true: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else float("nan")
    r = tp / n_true if n_true else float("nan")
    f = 2 * tp / (n_pred + n_true) if n_pred + n_true else float("nan")
    return p, r, f


def _level_pairs(found: Facility, truth: Facility) -> list[tuple[str, str]]:
    """Levels paired bottom to top (extraction elevations are relative to its lowest floor)."""
    a = sorted(found.levels, key=lambda lv: lv.elevation)
    b = sorted(truth.levels, key=lambda lv: lv.elevation)
    return [(x.id, y.id) for x, y in zip(a, b, strict=False)]


def accuracy(found: Facility, truth: Facility, *, door_tolerance: float = 0.3,
             iou_threshold: float = 0.5, max_path_pairs: int = 300) -> Accuracy:
    """Compare an extracted facility with the true one.

    Args:
        found: The extracted facility.
        truth: The ground truth (e.g. the facility a synthetic scan was made of).
        door_tolerance: Largest centre distance (m) at which two openings match.
        iou_threshold: Smallest IoU at which two spaces match.
        max_path_pairs: Most space pairs per level whose path lengths are compared.

    Returns:
        An :class:`Accuracy`.

    >>> from shapely.geometry import box
    >>> from facility.model import Facility, Level, Space, SpaceKind
    >>> f = Facility(name="a", levels=(Level(id="L"),), spaces=(
    ...     Space(id="A", level="L", kind=SpaceKind.ROOM, polygon=box(0, 0, 4, 4)),))
    >>> acc = accuracy(f, f)
    >>> acc.room_f1, acc.mean_room_iou
    (1.0, 1.0)
    """
    match: dict[str, str] = {}
    ious: list[float] = []
    n_found = n_true = 0
    tp_rooms = 0
    d_found = d_true = tp_doors = 0
    width_err: list[float] = []
    for lf, lt in _level_pairs(found, truth):
        sf, st = found.spaces_on(lf), truth.spaces_on(lt)
        n_found += len(sf)
        n_true += len(st)
        if sf and st:
            iou = np.zeros((len(sf), len(st)))
            for i, a in enumerate(sf):
                for j, b in enumerate(st):
                    if a.polygon.intersects(b.polygon):
                        inter = a.polygon.intersection(b.polygon).area
                        iou[i, j] = inter / (a.polygon.area + b.polygon.area - inter)
            rows, cols = linear_sum_assignment(-iou)
            for i, j in zip(rows, cols, strict=True):
                if iou[i, j] >= iou_threshold:
                    match[sf[i].id] = st[j].id
                    ious.append(float(iou[i, j]))
                    tp_rooms += 1
        of, ot = _openings(found, lf), _openings(truth, lt)
        d_found += len(of)
        d_true += len(ot)
        if of and ot:
            pf = np.array([o[0] for o in of])
            pt = np.array([o[0] for o in ot])
            dist = np.linalg.norm(pf[:, None, :] - pt[None, :, :], axis=2)
            rows, cols = linear_sum_assignment(np.minimum(dist, 1e6))
            for i, j in zip(rows, cols, strict=True):
                if dist[i, j] <= door_tolerance:
                    tp_doors += 1
                    width_err.append(abs(of[i][1] - ot[j][1]))
    rp, rr, rf = _f1(tp_rooms, n_found, n_true)
    dp, dr, df = _f1(tp_doors, d_found, d_true)
    ef = _edge_f1(found, truth, match)
    mae, rel = _path_error(found, truth, match, max_path_pairs)
    storey_rel = _storey_route_error(found, truth, match, max_path_pairs)
    return Accuracy(
        room_precision=rp, room_recall=rr, room_f1=rf,
        mean_room_iou=float(np.mean(ious)) if ious else float("nan"),
        door_precision=dp, door_recall=dr, door_f1=df,
        door_width_mae=float(np.mean(width_err)) if width_err else float("nan"),
        edge_f1=ef, path_length_mae=mae, path_length_rel_error=rel, storey_route_rel_error=storey_rel,
        rooms_true=n_true, rooms_found=n_found, doors_true=d_true, doors_found=d_found,
    )


def _provisional(fac: Facility) -> set[str]:
    """Stand-in exits an extraction added without evidence; they are not detections."""
    return set(fac.metadata.get("provisional_exits", ()))


def _openings(fac: Facility, level: str) -> list[tuple[tuple[float, float], float]]:
    ids = {s.id for s in fac.spaces_on(level)}
    skip = _provisional(fac)
    out = [(d.at, d.width) for d in fac.doors if d.spaces[0] in ids]
    out += [(e.at, e.width) for e in fac.exits if e.space in ids and e.id not in skip]
    return out


def _edges(fac: Facility, rename: dict[str, str] | None = None) -> set[frozenset[str]]:
    def name(s: str) -> str:
        if rename is None:
            return s
        return rename.get(s, f"unmatched:{s}")

    out = {frozenset((name(d.spaces[0]), name(d.spaces[1]))) for d in fac.doors}
    skip = _provisional(fac)
    out |= {frozenset((name(e.space), OUTSIDE)) for e in fac.exits if e.id not in skip}
    return out


def _edge_f1(found: Facility, truth: Facility, match: dict[str, str]) -> float:
    ef, et = _edges(found, match), _edges(truth)
    return _f1(len(ef & et), len(ef), len(et))[2]


def _path_error(found: Facility, truth: Facility, match: dict[str, str], max_pairs: int
                ) -> tuple[float, float]:
    """Mean absolute and mean relative error of shortest walking lengths between matched spaces."""
    gf, gt = found.graph, truth.graph
    abs_err: list[float] = []
    rel_err: list[float] = []
    by_level: dict[str, list[str]] = {}
    for a in sorted(match):
        by_level.setdefault(found.space(a).level, []).append(a)
    for ids in by_level.values():
        pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
        step = max(1, len(pairs) // max_pairs)
        sources = sorted({a for a, _ in pairs[::step]})
        for a in sources:
            lf = _lengths(gf, space_node(a))
            lt = _lengths(gt, space_node(match[a]))
            for x, y in pairs[::step]:
                if x != a:
                    continue
                tf, tt = lf.get(space_node(y)), lt.get(space_node(match[y]))
                if tf is None or tt is None or tt <= 0:
                    continue
                abs_err.append(abs(tf - tt))
                rel_err.append(abs(tf - tt) / tt)
    if not abs_err:
        return float("nan"), float("nan")
    return float(np.mean(abs_err)), float(np.mean(rel_err))


def _storey_route_error(found: Facility, truth: Facility, match: dict[str, str], max_pairs: int) -> float:
    """Mean relative error of walking routes between matched spaces on different storeys.

    Routes go by stairs only (a lift edge has no walking length), so the
    stair links, their places and their walking lengths are all tested.
    """
    gf, gt = _walking(found.graph), _walking(truth.graph)
    ids = sorted(match)
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]
             if found.space(a).level != found.space(b).level]
    step = max(1, len(pairs) // max_pairs)
    rel: list[float] = []
    cache_f: dict[str, dict[str, float]] = {}
    cache_t: dict[str, dict[str, float]] = {}
    for a, b in pairs[::step]:
        lf = cache_f.setdefault(a, _lengths(gf, space_node(a)))
        lt = cache_t.setdefault(a, _lengths(gt, space_node(match[a])))
        tf, tt = lf.get(space_node(b)), lt.get(space_node(match[b]))
        if tt is None or tt <= 0:
            continue
        # A route that exists in the building but not in the extraction is all error.
        rel.append(1.0 if tf is None else abs(tf - tt) / tt)
    return float(np.mean(rel)) if rel else float("nan")


def _walking(g: nx.Graph) -> nx.Graph:
    return g.edge_subgraph([(u, v) for u, v, k in g.edges(data="kind") if k != "lift"])


def _lengths(g: nx.Graph, source: str) -> dict[str, float]:
    # Final exits all lead to one "outside" node; paths must not cut through it.
    h = g.subgraph(n for n in g.nodes if n != OUTSIDE)
    if source not in h:
        return {}
    return dict(nx.single_source_dijkstra_path_length(h, source, weight="length"))
