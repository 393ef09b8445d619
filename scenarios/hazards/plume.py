"""The fire plume: how much of the room's cool air a fire lifts into the hot layer.

Heskestad's axisymmetric plume (SFPE Handbook, "Fire Plumes, Flame Height, and Air
Entrainment"), in the general form that keeps the ambient density and temperature, as CFAST
uses it (CFAST Technical Reference Guide, NIST SP 1889v1; ``heskestad_plume`` in its
``fire.f90``):

* the fire's diameter ``D`` (from its burning area) and ``Q* = Q / (rho cp T sqrt(g) D^2.5)``
  place the plume's **virtual origin** ``z0 = D (-1.02 + 1.4 Q*^0.4)`` and the mean **flame
  height** ``L = D (-1.02 + 3.7 Q*^0.4)`` (about ``0.084 Q^0.4 - 1.02 D`` and
  ``0.22 Q^0.4 - 1.02 D`` in kW and m at 20 C);
* above the flame the plume carries
  ``m = c1 Qc^(1/3) (z - z0)^(5/3) (1 + c2 Qc^(2/3) (z - z0)^(-5/3))`` kg/s
  (``c1 = 0.071``, ``c2 = 0.026`` at 20 C; ``Qc`` the convective heat release, kW), and within
  the flame the value at its tip scaled by ``z / L``.

A small, low fire (early in a t-squared growth) has its virtual origin well *below* the
burning surface: the plume entrains as if it had risen further, so it fills a room with a
deeper, cooler layer than the point-source law ``0.071 Qc^(1/3) z^(5/3)`` says.  Without the
virtual origin a 40 kW mattress fire (1 m^2) 1.5 m under its layer entrains half of what it
does, and the first minutes of a room fire were half again too hot.

A fire in a **corner** (the burning item within half its width of two walls) entrains less:
the walls act as mirrors, so the plume is a quarter of the plume of a fire four times larger
with four times the area (Zukoski's reflection method, SFPE Handbook "Fire Plumes"; CFAST's
``heskestad_plume``).  Against a single wall CFAST applies no reduction, its validation
experiments having shown none, and neither do we.  FM/NBS test 19's burner stands 0.1 m from
two walls of its room: as a free plume it entrained 1.3x what CFAST's corner plume does, and
the burn room's layer came 0.2 m too low for the whole test.

A plume cannot rise into a layer hotter than itself: entrainment is capped at what the
convective heat can lift to the layer's temperature, ``Qc / (cp max(T_u - T_l, 1 K))``
(:func:`stratified_entrainment`, CFAST's ``do_fire``).
"""

from __future__ import annotations

import math

__all__ = ["CORNER", "FREE", "entrainment", "flame_height", "stratified_entrainment", "virtual_origin"]

GRAVITY = 9.81
#: rho * T of air at 1 atm, kg K / m^3.
RHO_T = 352.98
#: Specific heat of air, kJ/(kg K) (the correlations take kW).
CP_KJ = 1.012
#: Smallest plume length the correlation is evaluated at, m (CFAST: 1e-4).
MIN_LENGTH = 1e-4
#: Mirror factor of a free-standing fire and of a corner fire (two walls reflect the plume into
#: a fire four times larger; CFAST ``heskestad_plume``).
FREE = 1.0
CORNER = 4.0


def _length(q_kw: float, t_amb: float) -> float:
    """Heskestad's length scale ``(Q / (rho cp T sqrt(g)))^(2/5)`` = ``D Q*^(2/5)``, m."""
    rho = RHO_T / t_amb
    return (q_kw / (rho * CP_KJ * t_amb * math.sqrt(GRAVITY))) ** 0.4


def virtual_origin(q_kw: float, diameter: float, t_amb: float = 293.15) -> float:
    """Height of Heskestad's virtual origin above the burning surface, m (negative: below it).

    >>> round(virtual_origin(1000.0, 1.0), 2), round(virtual_origin(40.0, 1.0), 2)
    (0.32, -0.65)
    """
    return -1.02 * diameter + 1.4 * _length(q_kw, t_amb)


def flame_height(q_kw: float, diameter: float, t_amb: float = 293.15) -> float:
    """Heskestad's mean flame height above the burning surface, m (at least :data:`MIN_LENGTH`).

    >>> round(flame_height(1000.0, 1.0), 2)
    2.52
    """
    return max(MIN_LENGTH, -1.02 * diameter + 3.7 * _length(q_kw, t_amb))


def entrainment(q_kw: float, qc_kw: float, z: float, diameter: float, t_amb: float = 293.15, *,
                mirror: float = FREE) -> float:
    """Mass flow of air the plume has entrained ``z`` m above the burning surface, kg/s.

    Args:
        q_kw: Total heat release rate, kW (places the virtual origin and the flame height).
        qc_kw: Convective heat release rate, kW (drives the entrainment).
        z: Height above the burning surface, m.
        diameter: Diameter of the burning area, m (0: a point source).
        t_amb: Ambient temperature, K.
        mirror: :data:`FREE`, or :data:`CORNER`: the plume of a fire ``mirror`` times larger
            (heat and area) divided by ``mirror``.

    >>> round(entrainment(42.0, 27.3, 1.5, 1.128), 2)   # a young mattress fire: origin 0.8 m below
    0.9
    >>> round(entrainment(42.0, 27.3, 1.5, 0.0), 2)     # as a point source
    0.31
    >>> round(entrainment(522.0, 349.7, 1.05, 0.91, 288.15, mirror=CORNER), 2)  # FM/NBS 19's corner burner
    0.69
    """
    if z <= 0 or qc_kw <= 0 or q_kw <= 0:
        return 0.0
    if mirror != FREE:
        whole = entrainment(q_kw * mirror, qc_kw * mirror, z, diameter * math.sqrt(mirror), t_amb)
        return whole / mirror
    rho = RHO_T / t_amb
    c1 = 0.196 * (GRAVITY * rho ** 2 / (CP_KJ * t_amb)) ** (1 / 3)
    c2 = 2.9 / (math.sqrt(GRAVITY) * CP_KJ * rho * t_amb) ** (2 / 3)
    z0 = virtual_origin(q_kw, diameter, t_amb)
    tip = flame_height(q_kw, diameter, t_amb)
    scale = 1.0 if z > tip else z / tip
    dz = max(MIN_LENGTH, max(z, tip) - z0)
    return c1 * qc_kw ** (1 / 3) * dz ** (5 / 3) * (1 + c2 * qc_kw ** (2 / 3) * dz ** (-5 / 3)) * scale


def stratified_entrainment(m_e: float, qc_w: float, t_upper: float, t_lower: float, cp: float) -> float:
    """Entrainment a plume can carry into a layer ``t_upper`` K over air at ``t_lower`` K, kg/s.

    The plume's convective heat ``qc_w`` (W) must lift what it entrains at least to the upper
    layer's temperature, or the mixture would not rise into it: ``m_e <= Qc / (cp dT)`` with
    ``dT`` at least 1 K.

    >>> stratified_entrainment(5.0, 100e3, 393.15, 293.15, 1000.0)
    1.0
    """
    return min(m_e, qc_w / (cp * max(t_upper - t_lower, 1.0)))
