"""The Facility page's scan uploader: the browser sends the file, piece by piece, to the app's upload route.

A file input and a progress bar, mounted with ``st.components.v2``.  When the
user picks a scan, the browser opens an upload at the app's own route
(:mod:`scenarios.ui.upload_routes`, found relative to the page's address, or
``medtwin app --upload-url``) and sends the file in pieces of
:data:`PIECE_BYTES`, read from disk as they go; the bar follows the bytes sent.
A piece that fails (the network, the proxy, a server restart of the
connection) is not the end: the browser waits, asks the server how many bytes
it holds, and sends the rest from there, up to :data:`RETRIES` times in a row;
picking the same file again resumes it too, also after a reload of the page (the tab hands its
earlier token back; a token only the store gave can be handed back).  When the
last piece is in, the component sets its ``done`` state to the upload's id,
name and size (or ``failed`` to the reason), the page reruns and takes the
file back with :func:`received`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from scenarios.ui.upload_routes import ROUTE
from scenarios.ui.upload_store import MAX_UPLOAD_BYTES, Received, UploadStore

__all__ = ["PIECE_BYTES", "RETRIES", "UPLOAD_KEY", "failure", "received", "scan_uploader"]

#: Session key of the uploader component.
UPLOAD_KEY = "scan_stream"
#: Bytes sent per request: small enough for a reverse proxy's default body limit to be raised
#: to at once (nginx ``client_max_body_size 16m``), large enough that a 500 MB scan is 63 requests.
PIECE_BYTES = 8 * 1024 * 1024
#: Failed pieces in a row after which the browser gives up (the user picks the file again to resume).
RETRIES = 8
#: Longest wait (s) between two tries.
MAX_BACKOFF_S = 30
#: Session key of this session's upload token.
_TOKEN = "scan_upload_token"
#: Session key of the last upload id taken (a rerun must not take it twice).
_TAKEN = "scan_upload_taken"

_JS = r"""
function call(method, url, body, onprogress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    if (body) xhr.setRequestHeader("Content-Type", "application/octet-stream");
    if (onprogress) xhr.upload.onprogress = onprogress;
    xhr.onload = () => {
      let answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = {}; }
      resolve({ status: xhr.status, body: answer, text: xhr.statusText });
    };
    xhr.onerror = () => resolve({ status: 0, body: {}, text: "the connection was lost" });
    xhr.send(body || null);
  });
}

const KEPT_TOKEN = "medtwin-upload-token";
const SETTLE_TRIES = 50;  // tenths of a second an upload waits for the page to settle its token
const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));
const mb = (b) => (b / 1e6).toFixed(0);
// a proxy or the server restarting, a conflict with a transfer still closing: worth trying again
const transient = (status) => status === 0 || status === 409 || status === 408 || status === 429
  || (status >= 500 && status !== 507);

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
  // the app's route, beside the page (pages are one path segment deep, as Streamlit's own assets assume)
  const base = new URL(data.url || data.route, location.href).href.replace(/\/+$/, "");
  // a reload of the page is a new session with a new token: the tab's token from before (kept for
  // the tab only) is handed back once, so an upload cut off by the reload resumes
  const kept = sessionStorage.getItem(KEPT_TOKEN);
  root.medtwinToken = data.token;
  if (kept && kept !== data.token && !root.dataset.offered) {
    root.dataset.offered = "1";
    root.medtwinSettled = false;  // until the page answers with the token it keeps
    setStateValue("earlier", { token: kept });
  } else {
    root.medtwinSettled = true;
    sessionStorage.setItem(KEPT_TOKEN, data.token);
  }
  const fail = (message, seq) => {
    root.dataset.state = "failed";
    state.textContent = message;
    setStateValue("failed", { message, seq });
  };
  const why = (file, r) => r.body.error || (r.status === 413
    ? `${file.name}: a piece of ${mb(data.piece_bytes)} MB was refused as too large (a reverse proxy's `
      + `body limit must allow it)` : `${file.name}: the server answered ${r.status} ${r.text}`);

  async function send(file, seq) {
    for (let k = 0; k < SETTLE_TRIES && !root.medtwinSettled; k++) await sleep(0.1);
    const token = root.medtwinToken;
    const key = `${file.name}|${file.size}|${file.lastModified}`;
    const q = new URLSearchParams({ name: file.name, size: String(file.size), key });
    let r = await call("POST", `${base}/${token}?${q}`);
    if (r.status !== 200) return fail(why(file, r), seq);
    const id = r.body.upload;
    let held = r.body.held;
    let tries = 0;
    root.dataset.resumedFrom = String(held);
    bar.hidden = false;
    const done = (body) => {
      bar.value = 1;
      root.dataset.state = "done";
      state.textContent = `${body.done.name}: ${(body.done.bytes / 1e6).toFixed(1)} MB received`;
      setStateValue("done", { ...body.done, token, seq });
    };
    for (;;) {
      const end = Math.min(file.size, held + data.piece_bytes);
      const from = held;
      root.dataset.state = "sending";
      r = await call("PUT", `${base}/${token}/${id}?offset=${held}`, file.slice(held, end), (e) => {
        bar.value = (from + e.loaded) / file.size;
        state.textContent = `${mb(from + e.loaded)} of ${mb(file.size)} MB sent`;
      });
      if (r.status === 200 && r.body.done) return done(r.body);
      if (r.status === 200) {
        held = r.body.held;
        tries = 0;
        continue;
      }
      if (!transient(r.status)) return fail(why(file, r), seq);
      tries += 1;
      if (tries > data.retries) {
        return fail(`${file.name}: the upload was cut off at ${mb(held)} of ${mb(file.size)} MB; `
          + "pick the same file again to resume it", seq);
      }
      const wait = Math.min(data.max_backoff_s, 2 ** (tries - 1));
      root.dataset.state = "waiting";
      state.textContent = `connection lost at ${mb(held)} of ${mb(file.size)} MB: resuming in ${wait} s`;
      await sleep(wait);
      const s = await call("GET", `${base}/${token}/${id}`);
      if (s.status === 200 && s.body.done) return done(s.body);  // the last piece's answer was lost
      if (s.status === 200) held = s.body.held;
      else if (s.status === 404) return fail(why(file, s), seq);
    }
  }

  input.onchange = () => {
    const file = input.files[0];
    if (!file) return;
    const seq = Date.now();
    if (file.size > data.max_bytes) return fail(`${file.name} is over the ${data.max_mb} MB limit`, seq);
    bar.value = 0;
    send(file, seq);
  };
}
"""

_mount: Any = st.components.v2.component("medtwin_scan_upload", js=_JS, isolate_styles=False)


def _token(server: UploadStore) -> str:
    """This session's upload token: the tab's token from before a reload if the store still has it."""
    earlier = _state("earlier")
    kept = earlier.get("token") if earlier is not None else None
    if isinstance(kept, str) and server.accepts(kept):
        st.session_state[_TOKEN] = kept  # the unfinished uploads of that token are this session's now
    token = st.session_state.get(_TOKEN)
    if not isinstance(token, str) or not server.accepts(token):
        token = server.register()
        st.session_state[_TOKEN] = token
    return token


def _state(name: str) -> Mapping[str, Any] | None:
    held = st.session_state.get(UPLOAD_KEY)
    value = held.get(name) if isinstance(held, Mapping) else getattr(held, name, None)
    return value if isinstance(value, Mapping) else None


def scan_uploader(store: UploadStore, suffixes: tuple[str, ...], url: str = "") -> None:
    """Mount the uploader (a file input sending to the app's upload route) for the scan formats ``suffixes``.

    ``url`` is where the browser sends scans when not the app's own route (``medtwin app --upload-url``).
    """
    data = {"route": ROUTE, "url": url, "token": _token(store), "accept": ",".join(f".{s}" for s in suffixes),
            "max_bytes": MAX_UPLOAD_BYTES, "max_mb": f"{MAX_UPLOAD_BYTES / 1e6:,.0f}",
            "piece_bytes": PIECE_BYTES, "retries": RETRIES, "max_backoff_s": MAX_BACKOFF_S}
    _mount(key=UPLOAD_KEY, data=data, default={"done": None, "failed": None, "earlier": None},
           on_done_change=_ignore, on_failed_change=_ignore, on_earlier_change=_ignore, height="content")


def received(server: UploadStore) -> Received | None:
    """The upload the component just finished, handed over once (the caller deletes its file).

    It is taken by the token it was sent with (the session's, or the tab's from before a reload):
    the file's random id and that token together are what only its sender knows.
    """
    done = _state("done")
    token = done.get("token") if done is not None else None
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
