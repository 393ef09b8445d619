"""Letting a finished Mesa model go.

Mesa 3.3 keeps every model that ever made an agent in a class-level table (``mesa.Agent._ids``,
reported as mesa#3179 and fixed upstream by mesa#3180). A process that runs replications one
after another (a run, a sweep worker, the app) would keep every finished model, with all its
arrays and recorded rows, until it exits: the night drill grew by about 300 MB a replication.
"""

from __future__ import annotations

import mesa

__all__ = ["release_model"]


def release_model(model: mesa.Model) -> None:
    """Remove the model's agents and drop Mesa's class-level entry for it.

    The model must not make agents afterwards; its arrays and results stay readable.
    """
    model.remove_all_agents()
    mesa.Agent._ids.pop(model, None)
