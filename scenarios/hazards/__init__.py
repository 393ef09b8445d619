"""Environment models over the facility's spaces: fire and smoke, toxic gas, infection.

Each hazard is a step function over per-space arrays. Hazards meet the movers through one
small interface, :mod:`scenarios.hazards.conditions`: for every space and moment, a walking
speed factor, dose rates and an untenable flag. The evacuation model reads only that.
"""

from __future__ import annotations

from scenarios.hazards.conditions import DOSES, Conditions, Environment, calm

__all__ = ["DOSES", "Conditions", "Environment", "calm"]
