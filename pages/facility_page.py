"""The Facility page (see :mod:`scenarios.ui.facility_view`)."""

from __future__ import annotations

from scenarios.ui.facility_view import page

page()
