"""How close an extracted facility is to the truth.

Spaces are matched one to one; a match counts when the intersection over
union (IoU) of their floor polygons is >= 0.5, the usual room-detection
criterion (Structured3D, CubiCasa), and the assignment makes as many such
matches as possible, then maximises their total IoU.  Doors and exits
(openings) are matched alike, counting within 0.3 m of centre distance and
then minimising it.  Navigation-graph edges are the
space pairs a door joins (and space-outside pairs for exits), compared after
mapping extracted spaces onto their matched true spaces.  Shortest-path
error compares door-to-door walking lengths between matched spaces on the
same level, the quantity the simulators actually use; the storey-route
error does the same for spaces on different storeys, by stairs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import networkx as nx
import numpy as np
from scipy.optimize import linear_sum_assignment

from facility.graph import OUTSIDE, space_node
from facility.model import Exit, Facility

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
    exit_precision: float = float("nan")
    exit_recall: float = float("nan")
    exits_true: int = 0
    exits_found: int = 0
    #: True exits with no extracted exit within the tolerance, as ``"id (x, y) w m"``.
    missed_exits: tuple[str, ...] = ()
    #: Extracted exits with no true exit within the tolerance, in the same form.
    false_exits: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, float]:
        """The figures as numbers (missed and false exits as counts; see :meth:`exit_lines`).

        The storey-route error is left out when it is undefined (one storey, or
        no matched spaces on two storeys): it was printed as ``nan`` before.
        """
        d = {k: float(v) for k, v in asdict(self).items() if k not in ("missed_exits", "false_exits")}
        d["exits_missed"] = float(len(self.missed_exits))
        d["exits_false"] = float(len(self.false_exits))
        if math.isnan(self.storey_route_rel_error):
            del d["storey_route_rel_error"]
        return d

    def exit_lines(self) -> list[str]:
        """One line per missed or false exit, for the report and the console."""
        return ([f"missed exit {x}" for x in self.missed_exits]
                + [f"false exit {x}" for x in self.false_exits])


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
            for i, j in _pairs(iou >= iou_threshold, -iou):
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
            for i, j in _pairs(dist <= door_tolerance, dist):
                tp_doors += 1
                width_err.append(abs(of[i][1] - ot[j][1]))
    rp, rr, rf = _f1(tp_rooms, n_found, n_true)
    dp, dr, df = _f1(tp_doors, d_found, d_true)
    ef = _edge_f1(found, truth, match)
    mae, rel = _path_error(found, truth, match, max_path_pairs)
    storey_rel = _storey_route_error(found, truth, match, max_path_pairs)
    ep, er, missed, false = _exit_match(found, truth, door_tolerance)
    return Accuracy(
        room_precision=rp, room_recall=rr, room_f1=rf,
        mean_room_iou=float(np.mean(ious)) if ious else float("nan"),
        door_precision=dp, door_recall=dr, door_f1=df,
        door_width_mae=float(np.mean(width_err)) if width_err else float("nan"),
        edge_f1=ef, path_length_mae=mae, path_length_rel_error=rel, storey_route_rel_error=storey_rel,
        rooms_true=n_true, rooms_found=n_found, doors_true=d_true, doors_found=d_found,
        exit_precision=ep, exit_recall=er, exits_true=len(truth.exits),
        exits_found=len([e for e in found.exits if e.id not in _provisional(found)]),
        missed_exits=missed, false_exits=false,
    )


def _pairs(ok: np.ndarray, cost: np.ndarray) -> list[tuple[int, int]]:
    """The one-to-one pairs that count (``ok``): as many as possible, then the cheapest.

    A plain least-cost assignment over all pairs trades matches for distance:
    one missed door and one false opening far apart can shift a whole row of
    correct doors by one place (each pair then off by the door spacing), and
    every door in the row is scored wrong.  Pairs that cannot count cost more
    than any set of pairs that can, so the count comes first.

    >>> d = np.array([[0.05, 3.0], [78.0, 40.0]])  # found rows, true columns
    >>> _pairs(d <= 0.3, d)
    [(0, 0)]
    """
    # Any two assignments differ by less than this in their counting pairs' costs.
    penalty = float(np.abs(cost[ok]).sum()) + 1.0
    rows, cols = linear_sum_assignment(np.where(ok, cost, penalty))
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if ok[i, j]]


def _exit_match(found: Facility, truth: Facility, tol: float
                ) -> tuple[float, float, tuple[str, ...], tuple[str, ...]]:
    """Exit precision and recall (one-to-one by centre distance, level by level), and the misses.

    A lost exit halves an evacuation study's way out, so exits are scored on
    their own, not only among the openings.
    """
    skip = _provisional(found)
    tp = 0
    missed: list[str] = []
    false: list[str] = []
    n_found = 0
    pairs = _level_pairs(found, truth)
    for lf, lt in pairs:
        ef = [e for e in found.exits if found.space(e.space).level == lf and e.id not in skip]
        et = [e for e in truth.exits if truth.space(e.space).level == lt]
        n_found += len(ef)
        hit_f: set[int] = set()
        hit_t: set[int] = set()
        if ef and et:
            dist = np.array([[math.dist(a.at, b.at) for b in et] for a in ef])
            for i, j in _pairs(dist <= tol, dist):
                hit_f.add(i)
                hit_t.add(j)
        tp += len(hit_t)
        missed += [_named(e) for j, e in enumerate(et) if j not in hit_t]
        false += [_named(e) for i, e in enumerate(ef) if i not in hit_f]
    paired = {lt for _, lt in pairs}
    missed += [_named(e) for e in truth.exits if truth.space(e.space).level not in paired]
    p, r, _ = _f1(tp, n_found, len(truth.exits))
    return p, r, tuple(missed), tuple(false)


def _named(e: Exit) -> str:
    return f"{e.id} at ({e.at[0]:.2f}, {e.at[1]:.2f}), {e.width:.2f} m"


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
