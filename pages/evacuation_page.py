"""The Evacuation drill page (see :mod:`scenarios.ui.evacuation_view`)."""

from __future__ import annotations

from scenarios.ui.evacuation_view import page

page()
