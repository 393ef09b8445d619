"""The Facility page's scan uploader: the browser streams the file to the app's upload endpoint.

A file input and a progress bar, mounted with ``st.components.v2``.  When the
user picks a scan, the browser sends it with ``PUT`` to the endpoint of
:mod:`scenarios.ui.upload_server` (same host as the page, the endpoint's
port), streaming it from disk; the bar follows the bytes sent.  When the
endpoint answers, the component sets its ``done`` state to the upload's id,
name and size (or ``failed`` to the reason), the page reruns and takes the
file back with :func:`received`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from scenarios.ui.upload_server import MAX_UPLOAD_BYTES, Received, UploadServer

__all__ = ["UPLOAD_KEY", "failure", "received", "scan_uploader"]

#: Session key of the uploader component.
UPLOAD_KEY = "scan_stream"
#: Session key of this session's upload token.
_TOKEN = "scan_upload_token"
#: Session key of the last upload id taken (a rerun must not take it twice).
_TAKEN = "scan_upload_taken"

_JS = """
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let root = parentElement.querySelector(":scope > .medtwin-upload");
  if (!root) {
    root = document.createElement("div");
    root.className = "medtwin-upload";
    root.innerHTML = '<input type="file" aria-label="Scan to upload"> '
      + '<progress max="1" value="0" hidden></progress> <span class="state"></span>';
    parentElement.appendChild(root);
  }
  const input = root.querySelector("input");
  const bar = root.querySelector("progress");
  const state = root.querySelector(".state");
  input.accept = data.accept;
  input.onchange = () => {
    const file = input.files[0];
    if (!file) return;
    const seq = Date.now();
    if (file.size > data.max_bytes) {
      setStateValue("failed", { message: `${file.name} is over the ${data.max_mb} MB limit`, seq });
      return;
    }
    const url = `${location.protocol}//${location.hostname}:${data.port}/upload/${data.token}` +
      `?name=${encodeURIComponent(file.name)}`;
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    bar.hidden = false;
    bar.value = 0;
    root.dataset.state = "sending";
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      bar.value = e.loaded / e.total;
      state.textContent = `${(e.loaded / 1e6).toFixed(0)} of ${(e.total / 1e6).toFixed(0)} MB sent`;
    };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = { error: xhr.statusText }; }
      if (xhr.status === 200) {
        root.dataset.state = "done";
        state.textContent = `${body.name}: ${(body.bytes / 1e6).toFixed(1)} MB received`;
        setStateValue("done", { ...body, seq });
      } else {
        root.dataset.state = "failed";
        state.textContent = body.error || `the server answered ${xhr.status}`;
        setStateValue("failed", { message: state.textContent, seq });
      }
    };
    xhr.onerror = () => {
      root.dataset.state = "failed";
      state.textContent = "the upload was cut off";
      setStateValue("failed", { message: `${file.name}: the upload was cut off`, seq });
    };
    xhr.send(file);
  };
}
"""

_mount: Any = st.components.v2.component("medtwin_scan_upload", js=_JS, isolate_styles=False)


def _token(server: UploadServer) -> str:
    token = st.session_state.get(_TOKEN)
    if not isinstance(token, str) or not server.accepts(token):
        token = server.register()
        st.session_state[_TOKEN] = token
    return token


def _state(name: str) -> Mapping[str, Any] | None:
    held = st.session_state.get(UPLOAD_KEY)
    value = held.get(name) if isinstance(held, Mapping) else getattr(held, name, None)
    return value if isinstance(value, Mapping) else None


def scan_uploader(server: UploadServer, suffixes: tuple[str, ...]) -> None:
    """Mount the uploader (a file input sending to ``server``), for the scan formats ``suffixes``."""
    data = {"port": server.port, "token": _token(server), "accept": ",".join(f".{s}" for s in suffixes),
            "max_bytes": MAX_UPLOAD_BYTES, "max_mb": f"{MAX_UPLOAD_BYTES / 1e6:,.0f}"}
    _mount(key=UPLOAD_KEY, data=data, default={"done": None, "failed": None},
           on_done_change=_ignore, on_failed_change=_ignore, height="content")


def received(server: UploadServer) -> Received | None:
    """The upload the component just finished, handed over once (the caller deletes its file)."""
    done = _state("done")
    token = st.session_state.get(_TOKEN)
    if done is None or not isinstance(token, str) or st.session_state.get(_TAKEN) == done.get("id"):
        return None
    st.session_state[_TAKEN] = done.get("id")
    return server.take(token, str(done.get("id")))


def failure() -> str | None:
    """Why the last upload failed, if the last thing that happened was a failure."""
    failed, done = _state("failed"), _state("done")
    if failed is None or (done is not None and int(done.get("seq", 0)) > int(failed.get("seq", 0))):
        return None
    return str(failed.get("message", "the upload failed"))


def _ignore() -> None:
    """The component's states need no callback: the rerun reads them."""
