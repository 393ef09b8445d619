"""Environment models over the facility's spaces: fire and smoke, toxic gas, infection.

Each hazard is a step function over per-space arrays. Hazards meet the movers through one
small interface, :mod:`scenarios.hazards.conditions`: for every space and moment, a walking
speed factor, dose rates and an untenable flag. The evacuation model reads only that.

Fire smoke and gas: a scenario's :class:`HazardSpec` becomes a :class:`HazardEnvironment`
(zone model and gas transport over the facility's network), and :func:`outcomes` joins it with
a drill's tables into ASET against RSET per compartment and per person (``docs/hazards.md``).
"""

from __future__ import annotations

from scenarios.hazards.conditions import DOSES, Conditions, Environment, calm
from scenarios.hazards.environment import HazardEnvironment
from scenarios.hazards.outcomes import outcomes
from scenarios.hazards.schema import FireSpec, GasSpec, HazardSpec, Tenability, check_hazard
from scenarios.hazards.species import PRESETS, Species

__all__ = ["DOSES", "PRESETS", "Conditions", "Environment", "FireSpec", "GasSpec", "HazardEnvironment",
           "HazardSpec", "Species", "Tenability", "calm", "check_hazard", "outcomes"]
