"""Why a route cannot be found: the reason a planner can act on.

:func:`facility.route` says only that there is no route; a person needs to
know which rule blocks it ("beds need 1.1 m doors: the office's only door is
0.9 m"), so the route explorer looks for the usual causes in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facility import STAFF, RoutingError, route

if TYPE_CHECKING:
    from facility import Facility, Mobility

__all__ = ["explain_no_route"]


def _name(facility: Facility, space_id: str) -> str:
    s = facility.space(space_id)
    return f"{s.name} ({s.id})" if s.name else s.id


def _narrow_doors(facility: Facility, space_id: str, mobility: Mobility) -> str | None:
    doors = facility.doors_of.get(space_id, ())
    if doors and all(d.width < mobility.min_door_width for d in doors):
        widths = ", ".join(sorted({f"{d.width:g} m" for d in doors}))
        return (f"{mobility.name} needs doors of at least {mobility.min_door_width:g} m clear width; "
                f"every door of {_name(facility, space_id)} is narrower ({widths})")
    return None


def explain_no_route(facility: Facility, a: str, b: str, mobility: Mobility) -> str:
    """The likeliest reason why ``mobility`` cannot go from ``a`` to ``b``.

    >>> from facility import sample, BED
    >>> explain_no_route(sample(), "L3-W3-OFFICE", "L0-CT1", BED)  # doctest: +ELLIPSIS
    'bed needs doors of at least 1.1 m clear width; every door of ... is narrower (0.9 m)'
    """
    for space in (a, b):
        reason = _narrow_doors(facility, space, mobility)
        if reason:
            return reason
    try:
        anyone = route(facility, a, b, mobility=STAFF)
    except RoutingError:
        return (f"no way at all joins {_name(facility, a)} and {_name(facility, b)}: "
                "check the doors of the plan")
    if anyone.stairs and not mobility.uses_stairs:
        return (f"{mobility.name} never uses stairs, and every way that avoids them has a door "
                f"narrower than {mobility.min_door_width:g} m or no lift it may use")
    return (f"{mobility.name} needs doors of at least {mobility.min_door_width:g} m clear width; "
            f"every way from {_name(facility, a)} to {_name(facility, b)} has a narrower one")
