"""The Facility page's scan uploader: the browser sends the file, piece by piece, to the app's upload route.

A file input and a progress bar, mounted with ``st.components.v2``.  When the
user picks a scan, the browser hashes its first megabyte, asks the app's
route (:mod:`scenarios.ui.upload_routes`, found relative to the page's
address, or ``medtwin app --upload-url``) what it holds of that file, and
sends the rest in pieces of :data:`PIECE_BYTES`, read from disk as they go;
the bar follows the bytes sent.  Every request bears the session's token in
a header.  A piece that fails (the network, the proxy, a restart of the
server) is not the end: the browser waits, asks the server how many bytes it
holds, and sends the rest from there, up to :data:`RETRIES` times in a row; a
server restarted since knows the token no more (403), and the browser asks the
page for the new session's (a ``renew`` state change: one rerun of the page).
Picking the same file again resumes it too, in another tab, after a reload
of the page or after a restart of the server: the server knows an upload by
the file's name, size and first megabyte, not by the session that began it.
When the last piece is in, the component sets its ``done`` state to the
upload's id, name and size (or ``failed`` to the reason), the page reruns
and takes the file back with :func:`received`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from scenarios.ui.upload_routes import ROUTE, TOKEN_HEADER
from scenarios.ui.upload_store import HEAD_BYTES, MAX_UPLOAD_BYTES, Received, UploadStore

__all__ = ["PIECE_BYTES", "RETRIES", "SHA256_JS", "UPLOAD_KEY", "failure", "received", "scan_uploader"]

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

#: SHA-256 (FIPS 180-4) in plain JavaScript: browsers withhold ``crypto.subtle`` from pages served
#: over plain http from another machine (a proxy without TLS), and the head of a file must be hashed.
SHA256_JS = r"""
const ror = (x, n) => (x >>> n) | (x << (32 - n));
function sha256(bytes) {
  const k = [], h = [];
  for (let n = 2, found = 0; found < 64; n++) {  // the constants: roots of the first primes
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
    if (!prime) continue;
    if (found < 8) h[found] = ((Math.sqrt(n) % 1) * 2 ** 32) >>> 0;
    k[found] = ((Math.cbrt(n) % 1) * 2 ** 32) >>> 0;
    found += 1;
  }
  const total = ((bytes.length + 9 + 63) >> 6) << 6;
  const m = new Uint8Array(total);
  m.set(bytes);
  m[bytes.length] = 0x80;
  const view = new DataView(m.buffer);
  view.setUint32(total - 8, Math.floor(bytes.length / 2 ** 29));
  view.setUint32(total - 4, (bytes.length * 8) >>> 0);
  const w = new Uint32Array(64);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + 4 * i);
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15], y = w[i - 2];
      w[i] = (w[i - 16] + (ror(x, 7) ^ ror(x, 18) ^ (x >>> 3)) + w[i - 7]
        + (ror(y, 17) ^ ror(y, 19) ^ (y >>> 10))) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i]) >>> 0;
      const t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    [a, b, c, d, e, f, g, hh].forEach((v, i) => { h[i] = (h[i] + v) >>> 0; });
  }
  return h.map((v) => v.toString(16).padStart(8, "0")).join("");
}
"""

_JS = SHA256_JS + r"""
async function headHash(file, bytes) {
  const head = new Uint8Array(await file.slice(0, bytes).arrayBuffer());
  if (!globalThis.crypto || !crypto.subtle) return sha256(head);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", head));
  return Array.from(digest, (v) => v.toString(16).padStart(2, "0")).join("");
}

// The session's token, newest first: a restarted server's new session gives the page a new one (the
// uploader may then be drawn anew), and a transfer under way carries on with it.
let latestToken = "";

function call(header, method, url, body, onprogress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const token = latestToken;
    xhr.open(method, url);
    xhr.setRequestHeader(header, token);  // never in the address: proxies log those
    if (body instanceof Blob) xhr.setRequestHeader("Content-Type", "application/octet-stream");
    else if (body) xhr.setRequestHeader("Content-Type", "application/json");
    if (onprogress) xhr.upload.onprogress = onprogress;
    xhr.onload = () => {
      let answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = {}; }
      resolve({ status: xhr.status, body: answer, text: xhr.statusText, token });
    };
    xhr.onerror = () => resolve({ status: 0, body: {}, text: "the connection was lost" });
    xhr.send(body || null);
  });
}

const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));
const mb = (b) => (b / 1e6).toFixed(0);
// a proxy or the server restarting (its new session brings a new token: 403 until it is here), a
// conflict with a transfer still closing: worth trying again
const transient = (status) => status === 0 || status === 403 || status === 409 || status === 408
  || status === 429 || (status >= 500 && status !== 507);

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
  latestToken = data.token;
  const ask = (method, url, body, onprogress) => call(data.header, method, url, body, onprogress);
  const fail = (message, seq) => {
    root.dataset.state = "failed";
    state.textContent = message;
    setStateValue("failed", { message, seq });
  };
  const why = (file, r) => r.body.error || (r.status === 413
    ? `${file.name}: a piece of ${mb(data.piece_bytes)} MB was refused as too large (a reverse proxy's `
      + `body limit must allow it)` : `${file.name}: the server answered ${r.status} ${r.text}`);

  async function send(file, seq) {
    root.dataset.state = "hashing";
    state.textContent = `checking ${file.name}`;
    const description = JSON.stringify({ name: file.name, size: file.size,
      head: await headHash(file, data.head_bytes) });
    let r = await ask("POST", base, description);
    let tries = 0;
    while (transient(r.status) && tries < data.retries) {
      tries += 1;
      await sleep(Math.min(data.max_backoff_s, 2 ** (tries - 1)));
      r = await ask("POST", base, description);
    }
    if (r.status !== 200) return fail(why(file, r), seq);
    const id = r.body.upload;
    let held = r.body.held;
    tries = 0;
    root.dataset.resumedFrom = String(held);
    bar.hidden = false;
    const done = (answer) => {  // handed to the session whose token the answer was for
      bar.value = 1;
      root.dataset.state = "done";
      const got = answer.body.done;
      state.textContent = `${got.name}: ${(got.bytes / 1e6).toFixed(1)} MB received`;
      setStateValue("done", { ...got, token: answer.token, seq });
    };
    if (r.body.done) return done(r);  // the server held it all already
    for (;;) {
      const end = Math.min(file.size, held + data.piece_bytes);
      const from = held;
      root.dataset.state = "sending";
      r = await ask("PUT", `${base}/${id}?offset=${held}`, file.slice(held, end), (e) => {
        bar.value = (from + e.loaded) / file.size;
        state.textContent = `${mb(from + e.loaded)} of ${mb(file.size)} MB sent`;
      });
      if (r.status === 200 && r.body.done) return done(r);
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
      // a restarted server does not know the token: ask the page for the new session's (a rerun)
      if (r.status === 403) setStateValue("renew", { seq: Date.now() });
      const wait = Math.min(data.max_backoff_s, 2 ** (tries - 1));
      root.dataset.state = "waiting";
      state.textContent = `connection lost at ${mb(held)} of ${mb(file.size)} MB: resuming in ${wait} s`;
      await sleep(wait);
      const s = await ask("GET", `${base}/${id}`);
      if (s.status === 200 && s.body.done) return done(s);  // the last piece's answer was lost
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
    """This session's upload token (a new one if the store does not know it: it restarted)."""
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
    data = {"route": ROUTE, "url": url, "token": _token(store), "header": TOKEN_HEADER,
            "accept": ",".join(f".{s}" for s in suffixes),
            "max_bytes": MAX_UPLOAD_BYTES, "max_mb": f"{MAX_UPLOAD_BYTES / 1e6:,.0f}",
            "piece_bytes": PIECE_BYTES, "retries": RETRIES, "max_backoff_s": MAX_BACKOFF_S,
            "head_bytes": HEAD_BYTES}
    _mount(key=UPLOAD_KEY, data=data, default={"done": None, "failed": None, "renew": None},
           on_done_change=_ignore, on_failed_change=_ignore, on_renew_change=_ignore, height="content")


def received(server: UploadStore) -> Received | None:
    """The upload the component just finished, handed over once (the caller deletes its file).

    It is taken by the token it was handed to (the session's): the finished file's random id and
    that token together are what only its sender knows.
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
