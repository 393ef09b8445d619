"""The Streamlit app's pages: widgets -> scenario or facility call -> charts.

``app.py`` at the top of the project lists these pages; each page module is a
Streamlit script run by ``st.navigation``.  Pages hold no model logic: they call
:mod:`facility` and :mod:`scenarios` and draw what comes back.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PAGE_DIR"]

#: Folder holding the page scripts.
PAGE_DIR = Path(__file__).resolve().parent
