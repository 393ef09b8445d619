"""Column fill is density independent; hull and closing behave on the plan grid."""

from __future__ import annotations

import numpy as np

from lidar.grid import Columns, Grid, close, hull_mask


def test_fill_independent_of_density() -> None:
    g = Grid(0.0, 0.0, 0.1, (1, 3))
    sparse = np.array([[0.05, 0.05, z] for z in np.arange(0, 2.0, 0.1)])
    dense = np.array([[0.15, 0.05, z] for z in np.arange(0, 2.0, 0.01)])
    half = np.array([[0.25, 0.05, z] for z in np.arange(0, 1.0, 0.01)])
    f = Columns.of(g, np.vstack([sparse, dense, half]), 0.0, 2.0, 0.1).fill(0.0, 2.0)
    np.testing.assert_allclose(f[0], [1.0, 1.0, 0.5])


def test_cells_and_lookup_agree(rng: np.random.Generator) -> None:
    xy = rng.uniform(-3, 7, size=(500, 2))
    g = Grid.covering(xy, 0.05)
    i, j = g.cells(xy)
    m = np.zeros(g.shape, dtype=int)
    m[i, j] = np.arange(len(xy))
    hit = g.lookup(m, xy)
    assert (m[i, j] == hit).all()
    assert np.abs(g.centres(i, j) - xy).max() <= 0.05 * np.sqrt(2) / 2 + 1e-9


def test_hull_and_close() -> None:
    m = np.zeros((20, 20), dtype=bool)
    m[2, 2:18] = m[17, 2:18] = m[2:18, 2] = m[2:18, 17] = True
    assert hull_mask(m)[10, 10]
    gap = m.copy()
    gap[1:4, 2:18] = True  # a wall three cells thick with a two-cell hole
    gap[1:4, 9:11] = False
    assert close(gap, 2)[2, 9:11].all()
    assert not close(gap, 2)[10, 10]  # closing does not fill the room
