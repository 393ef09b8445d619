"""How evacuees move: one place for the whole movement stack.

* :mod:`~agents.movement.navigation`: the level rasters (walls, doors, exits), and
  :mod:`~agents.movement.fields` the local distance fields people follow over them;
* :mod:`~agents.movement.routes`: route choice over the building graph (which door, exit, stair
  or lift next), with the fields laid per portal;
* :mod:`~agents.movement.pedestrians`: the collision-free speed model's parameters, and
  :mod:`~agents.movement.csm_kernel` its compiled crowd step;
* :mod:`~agents.movement.motion_kernel`: the compiled movement step of everyone on a plane and
  the pricing of route options;
* :mod:`~agents.movement.doorways` (turns at doors) and :mod:`~agents.movement.standoffs`
  (who backs off): the rules that settle what the speed model alone cannot;
* :mod:`~agents.movement.levels`: stairs and lifts as queued links between level planes;
* :mod:`~agents.movement.behaviour`: every constant of those rules, one frozen object;
* :mod:`~agents.movement.states`: an evacuee's states.

The evacuation model (:mod:`scenarios.evacuation`) owns the state arrays and the clock, and
binds them to these functions (:mod:`scenarios.evacuation.motion`); it keeps the scenario
schema, population, strategy and phases, staff assistance and the KPIs.
"""
