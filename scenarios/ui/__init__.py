"""The Streamlit app's page helpers: widgets -> scenario -> run -> results -> charts.

``app.py`` lists the pages; each script in ``pages/`` beside it calls one
``*_view.page()`` here.  The views turn widgets into facility edits and
scenarios, hand scenarios to :mod:`scenarios.ui.jobs` (which runs them outside
the page and keeps their results in the results store), and draw what comes
back.  No model logic lives here: every number shown comes from
:mod:`facility`, :mod:`scenarios` or :mod:`lidar`.
"""

from __future__ import annotations

__all__: list[str] = []
