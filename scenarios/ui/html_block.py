"""HTML the app writes itself (plans, tables), handed to the browser's own HTML parser.

``st.markdown(..., unsafe_allow_html=True)`` runs an HTML block through the
markdown pipeline: it is parsed in script (rehype-raw) and rebuilt node by
node as React elements.  For a level's plan (an SVG of a few hundred shapes,
each with its hover title) and a table of the spaces, that pipeline took about
a second of the browser's main thread on the landing page of a small shared
machine (a CPU profile: 0.4 s in rehype-raw, 0.3 s in the markdown renderer,
0.5 s in React).  ``st.html`` is no way out: its sanitiser keeps HTML only and
drops every SVG.  This module mounts a one-line component
(``st.components.v2``) that sets the block as the inner HTML of its element:
the browser parses it natively, in a few milliseconds.

Only HTML this package builds itself may be passed (every text in it escaped
by its builder: :mod:`scenarios.ui.plan_svg`, :mod:`scenarios.ui.html_table`),
never text a user typed or a file brought in unescaped.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

__all__ = ["COMPONENT_NAME", "html_block"]

#: Name the component is registered under.
COMPONENT_NAME = "medtwin_html_block"

#: Sets the block as the element's inner HTML, once per distinct body (a rerun with the same body
#: leaves the drawn DOM alone).
_JS = """
export default function (component) {
  const { data, parentElement } = component;
  let box = parentElement.querySelector(":scope > .medtwin-html");
  if (!box) {
    box = document.createElement("div");
    box.className = "medtwin-html";
    parentElement.appendChild(box);
  }
  const body = typeof data === "string" ? data : "";
  if (box.medtwinBody !== body) {
    box.innerHTML = body;
    box.medtwinBody = body;
  }
}
"""

_mount: Any = st.components.v2.component(COMPONENT_NAME, js=_JS, isolate_styles=False)


def html_block(body: str, *, key: str | None = None) -> None:
    """Draw ``body`` (HTML built and escaped by this package) where the page is.

    Args:
        body: The HTML.
        key: Keeps the same element across reruns (its HTML replaced when ``body`` changes);
            without one, a different body is a new element.
    """
    _mount(data=body, key=key, height="content")
