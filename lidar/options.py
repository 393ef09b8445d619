"""Every parameter of the scan-to-facility pipeline, in one frozen object.

Defaults work on terrestrial scans of hospital floors at 1-5 cm spacing and on
sparse occupancy maps (8 cm voxels); change one field with
``dataclasses.replace(options, door_max_width=2.4)``.  Heights are metres above
the detected floor of each level, so the same options serve every storey.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from lidar.errors import ScanOptionError

__all__ = ["ExtractOptions"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtractOptions:
    """Parameters of :func:`lidar.extract`, one per pipeline step.

    Attributes:
        units: Unit of the scan coordinates: ``"m"``, ``"cm"`` or ``"mm"``.
        voxel: Voxel edge (m) of the down-sampling every later step runs on.
        outlier_cube: Edge (m) of the cubes in which isolated points are counted.
        outlier_min_points: Points in a cube with fewer points than this are noise.
        level_bin: Bin (m) of the height histogram that finds floors and ceilings.
        min_storey_height: Smallest floor-to-ceiling height (m) accepted as a level.
        max_storey_height: Largest floor-to-ceiling height (m) accepted as a level.
        cell: Plan grid cell (m); ``None`` picks max(0.05, point spacing).
        wall_band: Heights (m above floor) where walls are full but most
            furniture is not; occupancy here marks walls and obstacles.
        wall_min_fill: Fraction of the wall band a column must fill to count as wall.
        lintel_band_start: Height (m above floor) above door heads; occupancy
            between here and ``ceiling_clearance`` below the ceiling marks
            walls and the lintels over doors.
        ceiling_clearance: Gap (m) under the ceiling ignored by the lintel band.
        door_min_width: Narrowest opening (m) kept as a door; narrower ones are
            dropped with a warning (people cannot pass).
        door_max_width: Widest opening (m) taken as a door; wider lintels are
            beams or open-plan transitions.
        exit_max_width: Widest opening (m) to unscanned space taken as an exit
            (entrance doors are wider than room doors).
        wall_closing: Radius (m) that joins the two faces of a wall.
        seed_radius: Free-space erosion radius (m) that seeds rooms; gaps in
            walls narrower than twice this do not merge rooms.
        merge_free_fraction: Neighbouring rooms whose shared boundary is at
            least this fraction open floor (no wall) are one room.
        min_room_area: Smaller regions (m^2) are merged into a neighbour.
        exterior_offset: Half the thickness (m) of outer walls, which are seen
            from inside only; room outlines are pushed out by it so they reach
            the wall centre line as drawn plans do.
        simplify: Tolerance (m) of the shared-edge simplification of outlines.
        corridor_min_elongation: Area / width^2 above which a space is a corridor.
        corridor_max_width: Widest space (m) still classed as a corridor.
        corridor_join_fraction: An opening between two corridor pieces narrower
            than this fraction of the corridor width does not split the corridor.
        side_rooms: Use the corridor-side fallback (:mod:`lidar.sides`) where
            the primary segmentation leaves a corridor side unexplained.
        side_min_dropped_area: Area (m^2) of spaces left out for want of a
            door on one side of a corridor that triggers the fallback there.
        side_wall_band: Half thickness (m) of the band around the corridor
            wall's centre line searched for door gaps.
        side_partition_min_length: Wall seen running away from the corridor
            wall (m) that makes a partition between two rooms.
        side_partition_probe: Distance (m) from the corridor wall within which
            partition walls are looked for.
        side_room_min_width: Narrowest room (m) along the corridor; closer
            partitions are one.
        side_door_min_width: Narrowest gap (m) in the corridor wall taken as a door.
        side_door_max_width: Widest gap (m) in the corridor wall taken as a door.
        side_extra_door_min_width: A room's widest gap is its door; another gap
            is a second door only if at least this wide (m).
    """

    units: str = "m"
    voxel: float = 0.05
    outlier_cube: float = 0.2
    outlier_min_points: int = 3
    level_bin: float = 0.05
    min_storey_height: float = 2.0
    max_storey_height: float = 6.0
    cell: float | None = None
    wall_band: tuple[float, float] = (1.0, 1.9)
    wall_min_fill: float = 0.3
    lintel_band_start: float = 2.15
    ceiling_clearance: float = 0.12
    door_min_width: float = 0.6
    door_max_width: float = 2.0
    exit_max_width: float = 3.0
    wall_closing: float = 0.15
    seed_radius: float = 0.45
    merge_free_fraction: float = 0.35
    min_room_area: float = 1.5
    exterior_offset: float = 0.08
    simplify: float = 0.06
    corridor_min_elongation: float = 5.0
    corridor_max_width: float = 3.6
    corridor_join_fraction: float = 0.5
    side_rooms: bool = True
    side_min_dropped_area: float = 10.0
    side_wall_band: float = 0.3
    side_partition_min_length: float = 1.0
    side_partition_probe: float = 3.5
    side_room_min_width: float = 1.8
    side_door_min_width: float = 0.6
    side_door_max_width: float = 1.8
    side_extra_door_min_width: float = 0.8

    def __post_init__(self) -> None:
        if self.units not in UNIT_SCALE:
            raise ScanOptionError("units", f"one of {sorted(UNIT_SCALE)}", self.units)
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float) and not (math.isfinite(v) and v >= 0):
                raise ScanOptionError(f.name, "a finite number >= 0", v)
        positive = ("voxel", "outlier_cube", "level_bin", "min_storey_height", "door_min_width",
                    "seed_radius")
        for name in positive:
            if not getattr(self, name) > 0:
                raise ScanOptionError(name, "> 0", getattr(self, name))
        if self.cell is not None and not self.cell > 0:
            raise ScanOptionError("cell", "> 0 or None", self.cell)
        # Doors are read on the voxels and the plan grid: the narrowest must span two of each
        # (a 5 m voxel left one point per 5 m cube, "no storey found ... in metres?").
        coarsest = self.door_min_width / 2
        for name in ("voxel", "cell"):
            v = getattr(self, name)
            if v is not None and v > coarsest:
                raise ScanOptionError(name, f"<= {coarsest:g} m (half of door_min_width, so the narrowest "
                                            "door spans two)", v)
        lo, hi = self.wall_band
        if not 0 <= lo < hi:
            raise ScanOptionError("wall_band", "(low, high) with 0 <= low < high", self.wall_band)
        if not hi < self.lintel_band_start:
            raise ScanOptionError("lintel_band_start", f"above the wall band top {hi}",
                                  self.lintel_band_start)
        if not self.door_min_width < self.door_max_width:
            raise ScanOptionError("door_max_width", f"> door_min_width {self.door_min_width}",
                                  self.door_max_width)
        if not self.side_door_min_width < self.side_door_max_width:
            raise ScanOptionError("side_door_max_width", f"> side_door_min_width {self.side_door_min_width}",
                                  self.side_door_max_width)
        for name in ("side_wall_band", "side_partition_min_length", "side_room_min_width"):
            if not getattr(self, name) > 0:
                raise ScanOptionError(name, "> 0", getattr(self, name))
        if not self.side_partition_probe >= self.side_partition_min_length:
            raise ScanOptionError("side_partition_probe",
                                  f">= side_partition_min_length {self.side_partition_min_length}",
                                  self.side_partition_probe)
        if not self.min_storey_height < self.max_storey_height:
            raise ScanOptionError("max_storey_height", f"> min_storey_height {self.min_storey_height}",
                                  self.max_storey_height)
        if not 0 < self.wall_min_fill <= 1:
            raise ScanOptionError("wall_min_fill", "in (0, 1]", self.wall_min_fill)
        if not 0 < self.merge_free_fraction <= 1:
            raise ScanOptionError("merge_free_fraction", "in (0, 1]", self.merge_free_fraction)
        if self.outlier_min_points < 0:
            raise ScanOptionError("outlier_min_points", ">= 0", self.outlier_min_points)

    @property
    def scale(self) -> float:
        """Factor from scan units to metres."""
        return UNIT_SCALE[self.units]


#: Metres per scan unit.
UNIT_SCALE = {"m": 1.0, "cm": 0.01, "mm": 0.001}
