"""The Operations what-if page (see :mod:`scenarios.ui.operations_view`)."""

from __future__ import annotations

from scenarios.ui.operations_view import page

page()
