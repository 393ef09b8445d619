"""App benchmark in a real browser: first page, time to first KPI, and playback of a large drill.

The app is served exactly as ``medtwin app`` serves it (same Streamlit
command line, 127.0.0.1, a fresh results store) and driven by Debian's
headless Chromium through Playwright.  Measured, each from the user's side:

1. **First page**: from opening the app's address (the server already
   answering its health check) to the Facility page fully drawn: its plan,
   its spaces table and the download button at its end (target <= 3 s).
   Opened three times, each in a new browser context (nothing cached),
   alternating with a page holding only a title served by plain Streamlit
   with the same options: the title-only page's time is what the machine's
   load costs any Streamlit page at that moment.  Medians are reported.
2. **Night drill**: from clicking *Run the drill* on the default night drill
   (nothing cached) to the first KPI on screen: the people safe so far,
   reported by the running model (target <= 10 s); and on to its results.
3. **Operations comparison, uncached and cached**: the default comparison
   (baseline and one variant) from *Run the comparison* to the first KPI; then
   the same comparison asked for again from a new session, which finds both
   runs in the results store (target <= 5 s cached).
4. **Playback of about 2,000 people over 15 minutes**: the day drill with
   staff at 250 % (2,022 people) and a 15-minute limit; once done, the
   page is left to settle (the results' charts drawn, then a second), and the
   player is played from the alarm at 10x and then at 60x, each for 10 s
   inside the page, recording every ``requestAnimationFrame`` interval
   (median, 95th percentile, longest: how smooth the page is while it
   plays) and what the player did: the drill seconds it played against
   those meant (10 s times the speed: less means it waited for parts, the
   time it waited is reported too), and the recorded times it drew.  At 60x
   the 600 s played span five two-minute parts, each asked of the server
   while the one before plays.  Then another level is chosen, and the slider
   moved to the last part, each until drawn.  The size and build time of one
   playback part at its largest (120 recorded times, 2,000 people all on one
   level) are reported too.

5. **Scan upload** (``--upload-only``): a 400 MB scan picked on the Facility page, from the
   pick until the page says it was received: the browser sends it in 8 MB pieces through the
   app's own upload route; the time, the rate, and how much the server's peak resident memory
   grew meanwhile.

Run: ``nice -n 10 .venv/bin/python benchmarks/app_bench.py [--skip-playback] [--first-page-only]
[--playback-only] [--upload-only] [--part-only] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Longest any one measured step may take before the benchmark gives up on it (ms).
STEP_TIMEOUT_MS = 900_000
#: Seconds of playback watched.
WATCH_S = 10.0
#: Times the first page (and the title-only page beside it) is opened; the median is reported.
FIRST_PAGE_TRIES = 3
#: People in the playback part measured on its own (``--part-only``).
CHUNK_PEOPLE = 2000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(results: Path, log: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    from scenarios.cli.app_cmd import streamlit_argv

    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(streamlit_argv(port=port, host="127.0.0.1", facility=None, results=results),
                                cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    return proc, url, _wait_healthy(proc, url, "the app")


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, what: str) -> float:
    """Seconds until the server at ``url`` answers its health check; stops it after 120 s."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 120:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            time.sleep(0.1)
    _stop(proc)
    raise TimeoutError(f"{what} did not start within 120 s")


def _go(page: Any, title: str) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=60_000)


def _first_page(page: Any, url: str) -> float:
    from playwright.sync_api import expect

    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    # fully drawn: the plan (an inline SVG), the spaces table and the download button at the page's end
    expect(page.locator(".medtwin-plan .plan-title").first).to_contain_text("L0", timeout=60_000)
    expect(page.locator(".medtwin-table tbody tr").first).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Download the facility file")).to_be_visible(timeout=60_000)
    return time.perf_counter() - t0


#: The smallest Streamlit page there is, served beside the app to tell the machine's load from the app's cost.
_TITLE_ONLY = """import streamlit as st

st.set_page_config(page_title="medtwin", layout="wide")
st.title("Facility")
"""


def _serve_title_only(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Serve a page holding only a title, with the app's own Streamlit options."""
    from scenarios.cli.app_cmd import streamlit_argv

    script = work / "title_only.py"
    script.write_text(_TITLE_ONLY)
    port = _free_port()
    argv = streamlit_argv(port=port, host="127.0.0.1", facility=None, results=work / "unused")
    argv[argv.index("scenarios.ui.serve")] = "streamlit"  # plain Streamlit: nothing to warm up
    argv[argv.index("run") + 1] = str(script)
    with (work / "title_only.log").open("wb") as out:
        proc = subprocess.Popen(argv, cwd=work, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(proc, url, "the title-only page")
    return proc, url


def _title_page(page: Any, url: str) -> float:
    from playwright.sync_api import expect

    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Facility", exact=True)).to_be_visible(timeout=60_000)
    return time.perf_counter() - t0


def _first_pages(browser: Any, url: str, work: Path) -> dict[str, Any]:
    """The app's first page and a title-only page, each opened :data:`FIRST_PAGE_TRIES` times, alternately.

    Every try is a new browser context (nothing cached), as for a new user.  The title-only
    page shows what the machine's load alone costs at that moment.
    """
    proc, title_url = _serve_title_only(work)
    app_s: list[float] = []
    title_s: list[float] = []
    try:
        for _ in range(FIRST_PAGE_TRIES):
            for url_, measure, into in ((title_url, _title_page, title_s), (url, _first_page, app_s)):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                into.append(measure(context.new_page(), url_))
                context.close()
    finally:
        _stop(proc)
    app_med, title_med = _percentile(app_s, 0.5), _percentile(title_s, 0.5)
    return {"first_page_s": app_med, "title_only_page_s": title_med, "first_page_tries_s": app_s,
            "title_only_tries_s": title_s, "first_page_over_title_only_s": app_med - title_med}


def _run_until(page: Any, button: str, metric: str) -> float:
    from playwright.sync_api import expect

    t0 = time.perf_counter()
    page.get_by_role("button", name=button).click()
    expect(page.get_by_test_id("stMetric").filter(has_text=metric).first).to_be_visible(timeout=STEP_TIMEOUT_MS)
    return time.perf_counter() - t0


#: Plays the player at its current speed for ``ms`` and records, inside the page, every
#: animation-frame interval and what the player did meanwhile (drill seconds played, sample
#: times drawn, seconds spent waiting for a part).
_WATCH_PLAYBACK_JS = """(ms) => new Promise((done) => {
  const p = document.querySelector('.medtwin-player').medtwinPlayer;
  p.stats = {rafs: 0, sim_s: 0, play_s: 0, stall_s: 0, shown: new Set(), people: 0};
  p.t = p.meta.start_s;
  p.root.querySelector('button.play').click();
  const gaps = [];
  const t0 = performance.now();
  let last = t0;
  const frame = (now) => {
    gaps.push(now - last);
    last = now;
    if (now - t0 < ms) { requestAnimationFrame(frame); return; }
    p.root.querySelector('button.play').click();
    const s = p.stats;
    done({gaps, sim_s: s.sim_s, play_s: s.play_s, stall_s: s.stall_s, shown: s.shown.size,
          people: s.people, speed: p.speed, t: p.t});
  };
  requestAnimationFrame(frame);
})"""

#: True once the player shows level ``lv`` at time ``t`` (``null``: where it stands) with its part and
#: picture at hand.
_PLAYER_HAS_JS = """([lv, t]) => { const p = document.querySelector('.medtwin-player').medtwinPlayer;
  const at = t === null ? p.t : t;
  const starts = p.meta.part_starts; let k = 0;
  while (k + 1 < starts.length && starts[k + 1] <= at) k++;
  return p.level === lv && p.pictures.has(lv) && p.parts.has(lv + ':' + k); }"""


#: Moves the player's time slider to ``t`` as a user dragging it does.
_SCRUB_JS = "(e, t) => { e.value = String(t); e.dispatchEvent(new Event('input')); }"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _playback(page: Any) -> dict[str, Any]:
    from playwright.sync_api import expect

    _go(page, "Evacuation drill")
    page.get_by_test_id("stSelectbox").filter(has_text="Starting state").click()
    page.get_by_role("option", name="sample_hospital_day_evacuation", exact=True).click()
    staff = page.get_by_test_id("stSlider").filter(has_text="Staff on duty").get_by_role("slider")
    staff.focus()
    for _ in range(15):
        staff.press("ArrowRight")
    limit = page.get_by_role("spinbutton", name="Time limit (min)")
    limit.fill("15")
    limit.press("Enter")
    page.wait_for_timeout(1000)
    run_s = _run_until(page, "Run the drill", "RSET (everyone safe)")
    evacuated = page.get_by_test_id("stMetric").filter(has_text="evacuated").first.inner_text()
    people = int(evacuated.split(" of ")[-1].replace(",", "").split()[0])
    player = page.locator(".medtwin-player").first
    expect(player).to_have_attribute("data-ready", "1", timeout=120_000)
    # the page settles first: the results' other tabs draw their charts (and load Plotly) meanwhile
    page.locator(".js-plotly-plot").first.wait_for(state="attached", timeout=120_000)
    page.wait_for_timeout(1000)
    meta = page.evaluate("() => document.querySelector('.medtwin-player').medtwinPlayer.meta")
    out: dict[str, Any] = {"drill_run_s": run_s, "people": people, "drill_s": meta["duration_s"],
                           "parts": len(meta["part_starts"])}
    for speed in (10, 60):
        player.locator("select.speed").select_option(str(speed))
        out[f"at_{speed}x"] = _watch(page)
    # another level, then a part far ahead: from the choice until it is drawn (asked of the server)
    level = player.locator("select.level")
    other = next(lv for lv, _ in meta["levels"] if lv != level.input_value())
    t0 = time.perf_counter()
    level.select_option(other)
    page.wait_for_function(_PLAYER_HAS_JS, arg=[other, None], timeout=120_000)
    out["other_level_s"] = time.perf_counter() - t0
    far = meta["part_starts"][-1]
    t0 = time.perf_counter()
    player.locator("input.scrub").evaluate(_SCRUB_JS, far)
    page.wait_for_function(_PLAYER_HAS_JS, arg=[other, far], timeout=120_000)
    out["scrub_to_last_part_s"] = time.perf_counter() - t0
    return out


def _watch(page: Any) -> dict[str, float]:
    """Play from the alarm for :data:`WATCH_S` and measure, inside the page, how smoothly it plays."""
    w = page.evaluate(_WATCH_PLAYBACK_JS, WATCH_S * 1000)
    gaps = [float(g) for g in w["gaps"][1:]]
    meant_s = WATCH_S * float(w["speed"])
    return {"speed": w["speed"], "drill_s_played": w["sim_s"], "drill_s_meant": meant_s,
            "played_of_meant": w["sim_s"] / meant_s, "waiting_for_parts_s": w["stall_s"],
            "sample_times_drawn": w["shown"], "people_on_level_at_end": w["people"],
            "raf_per_s": len(gaps) / WATCH_S, "raf_median_ms": _percentile(gaps, 0.5),
            "raf_p95_ms": _percentile(gaps, 0.95), "raf_longest_ms": max(gaps, default=float("nan"))}


def _part_measure() -> dict[str, float]:
    """One playback part for 2,000 people on one level: its bytes as sent and its build time.

    A part is the most the browser is sent at once (:data:`FRAMES_PER_PART` sample times a
    second apart); every person is put on the same level so each is as large as it can be.
    """
    import numpy as np
    import pandas as pd

    from scenarios.ui.playback import Playback
    from scenarios.ui.player_parts import FRAMES_PER_PART, encode_part, frame_times, part_arrays, parts

    rng = np.random.default_rng(0)
    n, samples = CHUNK_PEOPLE, FRAMES_PER_PART
    ids = np.array([f"p{i}" for i in range(n)])
    traj = pd.DataFrame({"time": np.repeat(np.arange(samples, dtype=float), n), "id": np.tile(ids, samples),
                         "level": "L2", "x": rng.uniform(0, 100, n * samples),
                         "y": rng.uniform(0, 18, n * samples)})
    agents = pd.DataFrame({"id": ids, "role": "patient",
                           "profile": rng.choice(["ambulant", "wheelchair_self", "bed"], n)})
    pb = Playback.build(traj, agents)
    t0 = time.perf_counter()
    (frames,) = parts(pb.times, frame_times(pb.times))
    _, mover, xy = part_arrays(pb, frames, "L2")
    sent = encode_part({"times": pb.times[frames].tolist()}, mover, xy, origin=(-1.0, -1.0))
    return {"people": n, "sample_times": len(frames), "part_bytes": len(sent),
            "build_s": time.perf_counter() - t0}


def main() -> int:
    """Run the benchmark and print its numbers as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-playback", action="store_true", help="skip the 2,000-person playback")
    parser.add_argument("--first-page-only", action="store_true", help="measure only the first page")
    parser.add_argument("--playback-only", action="store_true",
                        help="measure only the first page and the playback")
    parser.add_argument("--part-only", action="store_true",
                        help="measure only one playback part's size and build time (no server, no browser)")
    parser.add_argument("--upload-only", action="store_true",
                        help="measure only the first page and a 400 MB scan upload")
    parser.add_argument("--keep", type=Path, default=None, help="results store to use and keep")
    args = parser.parse_args()
    if args.part_only:
        print(json.dumps(_part_measure(), indent=2))
        return 0
    from playwright.sync_api import expect, sync_playwright

    work = Path(tempfile.mkdtemp(prefix="medtwin-app-bench-"))
    results = args.keep or work / "results"
    proc, url, startup = _serve(results, work / "streamlit.log")
    out: dict[str, Any] = {"server_start_s": startup}

    def note(key: str, value: Any) -> None:
        out[key] = value
        print(f"{key}: {value}", file=sys.stderr, flush=True)

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            for key, value in _first_pages(browser, url, work).items():
                note(key, value)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            _first_page(page, url)
            if args.first_page_only or args.playback_only or args.upload_only:
                if args.playback_only:
                    note("playback", _playback(page))
                if args.upload_only:
                    note("scan_upload", _upload(page, work, proc.pid))
                browser.close()
                return _finish(proc, out)
            _go(page, "Evacuation drill")
            t0 = time.perf_counter()
            note("night_drill_to_first_kpi_s", _run_until(page, "Run the drill", "people safe"))
            note("night_drill_first_kpi", page.get_by_test_id("stMetric").filter(has_text="people safe")
                 .first.inner_text().replace("\n", " "))
            rset = page.get_by_test_id("stMetric").filter(has_text="RSET (everyone safe)").first
            expect(rset).to_be_visible(timeout=STEP_TIMEOUT_MS)
            note("night_drill_to_results_s", time.perf_counter() - t0)
            _go(page, "Operations what-if")
            note("ops_comparison_uncached_s", _run_until(page, "Run the comparison", "top bottleneck"))
            fresh = browser.new_page(viewport={"width": 1400, "height": 1000})
            _first_page(fresh, url)
            _go(fresh, "Operations what-if")
            note("ops_comparison_cached_s", _run_until(fresh, "Run the comparison", "top bottleneck"))
            if not args.skip_playback:
                note("playback_part_2000_people", _part_measure())
                note("playback", _playback(fresh))
            browser.close()
    except BaseException:
        _stop(proc)
        raise
    return _finish(proc, out)


#: Size of the scan sent in the upload step (a sparse file: nothing is written to the disk).
UPLOAD_BYTES = 400_000_000


def _upload(page: Any, work: Path, pid: int) -> dict[str, float]:
    """A 400 MB scan sent from the Facility page through the app's upload route, until received.

    Reports the time, the rate and how much the server's peak resident memory grew meanwhile.
    """
    import re

    from playwright.sync_api import expect

    scan = work / "upload_scan.xyz"
    with scan.open("wb") as f:
        f.truncate(UPLOAD_BYTES)
    page.get_by_text("Open another building").click()
    page.get_by_test_id("stRadio").get_by_text("LiDAR scan", exact=True).click()
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
    before = _memory_kb(pid)["VmRSS"]
    t0 = time.perf_counter()
    page.locator(".medtwin-upload input[type=file]").set_input_files(str(scan))
    expect(page.get_by_text(re.compile(r"Received upload_scan\.xyz"))).to_be_visible(timeout=STEP_TIMEOUT_MS)
    took = time.perf_counter() - t0
    return {"bytes": UPLOAD_BYTES, "seconds": took, "mb_per_s": UPLOAD_BYTES / 1e6 / took,
            "server_peak_growth_mb": (_memory_kb(pid)["VmHWM"] - before) / 1024}


def _memory_kb(pid: int) -> dict[str, int]:
    """The process's resident memory now (``VmRSS``) and at its peak so far (``VmHWM``), in kB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if ":" in line)
    return {k: int(fields[k].split()[0]) for k in ("VmRSS", "VmHWM")}


def _stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def _finish(proc: subprocess.Popen[bytes], out: dict[str, Any]) -> int:
    _stop(proc)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
