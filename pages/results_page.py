"""The Results page (see :mod:`scenarios.ui.results_view`)."""

from __future__ import annotations

from scenarios.ui.results_view import page

page()
