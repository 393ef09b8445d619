"""The Infection page (see :mod:`scenarios.ui.infection_view`)."""

from __future__ import annotations

from scenarios.ui.infection_view import page

page()
