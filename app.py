"""The medtwin Streamlit app: pages over one facility (thin: no model logic here).

Run it with ``medtwin app`` or ``streamlit run app.py`` (the sample hospital),
or ``streamlit run app.py -- --facility hospital.json`` for a facility file.
This file only reads the command line, sets up the page and lists the pages;
each page in ``scenarios/ui/`` turns widgets into calls of :mod:`facility` and
:mod:`scenarios` and draws what comes back.  The facility page comes first;
operations and evacuation pages are added to :data:`PAGES` as they land.
"""

from __future__ import annotations

import argparse
import sys

import streamlit as st

from scenarios.ui import PAGE_DIR

#: (page script in scenarios/ui/, title, icon); the first is the landing page.
PAGES: list[tuple[str, str, str]] = [
    ("facility_page.py", "Facility", ":material/domain:"),
]


def facility_argument(argv: list[str]) -> str | None:
    """The ``--facility`` path given after ``--`` on the ``streamlit run`` line, if any.

    >>> facility_argument(["app.py", "--facility", "h.json"]), facility_argument(["app.py"])
    ('h.json', None)
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--facility", default=None)
    known, _ = parser.parse_known_args(argv[1:])
    return known.facility


def main() -> None:
    st.set_page_config(page_title="medtwin", page_icon=":hospital:", layout="wide")
    st.session_state.setdefault("facility_path", facility_argument(sys.argv))
    pages = [st.Page(PAGE_DIR / path, title=title, icon=icon, default=i == 0)
             for i, (path, title, icon) in enumerate(PAGES)]
    st.navigation(pages).run()


if __name__ == "__main__":
    main()
