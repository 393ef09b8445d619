"""The medtwin Streamlit app: pages over one facility and one results store (thin: no model logic).

Run it with ``medtwin app`` (or ``streamlit run app.py -- --facility hospital.json
--results results``).  This file only reads the command line, sets up the page
and lists the pages in ``pages/``; each page calls a view of
:mod:`scenarios.ui`, which turns widgets into calls of :mod:`facility` and
:mod:`scenarios` and draws what comes back.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from scenarios.ui.common import ensure_session

#: Folder of the page scripts, beside this file (Streamlit's multipage convention).
PAGE_DIR = Path(__file__).resolve().parent / "pages"

#: (page script in pages/, title, icon, url path); the first is the landing page.
PAGES: list[tuple[str, str, str, str]] = [
    ("facility_page.py", "Facility", ":material/domain:", "facility"),
    ("operations_page.py", "Operations what-if", ":material/monitoring:", "operations"),
    ("evacuation_page.py", "Evacuation drill", ":material/directions_run:", "evacuation"),
    ("infection_page.py", "Infection", ":material/coronavirus:", "infection"),
    ("results_page.py", "Results", ":material/history:", "results"),
]


#: Path Streamlit reserves for the landing page, which it serves at the app's root instead.
LANDING_RESERVED = "home"


def main() -> None:
    st.set_page_config(page_title="medtwin", page_icon=":hospital:", layout="wide")
    ensure_session()
    (first, title, icon, url), *rest = PAGES
    landing = st.Page(PAGE_DIR / first, title=title, icon=icon, url_path=LANDING_RESERVED, default=True)

    def landing_by_name() -> None:
        st.switch_page(landing)

    # Streamlit serves the default page at the root only: its own path answers "Page not found".
    # A bookmarked or shared /facility reaches this hidden page, which opens the landing page.
    by_name = st.Page(landing_by_name, title=title, url_path=url, visibility="hidden")
    pages = [landing, *(st.Page(PAGE_DIR / p, title=t, icon=i, url_path=u) for p, t, i, u in rest), by_name]
    st.navigation(pages).run()


if __name__ == "__main__":
    main()
