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
   chart's own *Play* is pressed and, for 10 s inside the page, every
   ``requestAnimationFrame`` interval is recorded (median, 95th percentile and
   longest: how smooth the page is while it plays) together with the distinct
   drill times the slider shows (playback frames drawn per second; the browser
   plays them, with no round trip to the server).  Then the next part of the
   drill is chosen and the time until its chart is drawn is measured (parts
   are streamed one at a time, each at most 120 frames).  The size and build
   time of one playback part (120 frames, 2,000 people all on one level) are
   reported too.

Run: ``nice -n 10 .venv/bin/python benchmarks/app_bench.py [--skip-playback] [--first-page-only]
[--playback-only] [--chunk-only] [--keep DIR]``
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
#: People in the playback chunk measured on its own (``--chunk-only``).
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
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 120:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url, time.perf_counter() - t0
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("the app did not start within 120 s")


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
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 120:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.1)
    _stop(proc)
    raise TimeoutError("the title-only page did not start within 120 s")


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


#: Records, inside the page for ``ms``, every animation-frame interval and the drill times shown.
_WATCH_PLAYBACK_JS = """(ms) => new Promise((done) => {
  const seen = new Set();
  const gaps = [];
  const t0 = performance.now();
  let last = t0;
  const frame = (now) => {
    gaps.push(now - last);
    last = now;
    const clock = document.querySelector('.js-plotly-plot .slider-group > text.slider-label');
    if (clock) seen.add(clock.textContent);
    const plot = document.querySelector('.js-plotly-plot');
    const frameMs = plot.layout.updatemenus[0].buttons[0].args[1].frame.duration;
    if (now - t0 < ms) requestAnimationFrame(frame);
    else done({gaps: gaps, shown: seen.size, frame_ms: frameMs});
  };
  requestAnimationFrame(frame);
})"""


#: How long the shown chart keeps each frame on screen while playing (ms).
_FRAME_MS_JS = ("() => document.querySelector('.js-plotly-plot')"
                ".layout.updatemenus[0].buttons[0].args[1].frame.duration")


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
    chart = page.locator(".js-plotly-plot").first
    expect(chart.locator(".gtitle")).to_contain_text("min after the alarm", timeout=60_000)
    points = chart.locator(".scatterlayer .point").count()
    at_default = _watch(page, chart)
    before = page.evaluate(_FRAME_MS_JS)
    fastest = page.get_by_test_id("stSlider").filter(has_text="Speed").get_by_role("slider")
    fastest.focus()
    fastest.press("End")
    expect(page.get_by_test_id("stSlider").filter(has_text="Speed")).to_contain_text("60x")
    # the chart is sent again with the new frame duration
    page.wait_for_function(f"(d) => ({_FRAME_MS_JS})() != d", arg=before, timeout=120_000)
    at_fastest = _watch(page, page.locator(".js-plotly-plot").first)
    people = int(evacuated.split(" of ")[-1].replace(",", "").split()[0])
    title = chart.locator(".gtitle").text_content()
    part = page.get_by_test_id("stSelectbox").filter(has_text="Part of the drill")
    part.click()
    options = page.get_by_role("option")
    nxt = options.nth(1).inner_text()
    t0 = time.perf_counter()
    options.nth(1).click()
    expect(chart.locator(".gtitle")).to_contain_text(f": {nxt} after the alarm", timeout=120_000)
    assert title != chart.locator(".gtitle").text_content()
    switch_s = time.perf_counter() - t0
    return {"drill_run_s": run_s, "people": people, "points_in_first_frame": points,
            "at_10x": at_default, "at_60x": at_fastest, "next_part_s": switch_s}


def _watch(page: Any, chart: Any) -> dict[str, float]:
    """Play ``chart`` for :data:`WATCH_S` and measure, inside the page, how smoothly it plays."""
    chart.locator(".updatemenu-button").filter(has_text="Play").click()
    watched = page.evaluate(_WATCH_PLAYBACK_JS, WATCH_S * 1000)
    chart.locator(".updatemenu-button").filter(has_text="Pause").click()
    gaps = [float(g) for g in watched["gaps"][1:]]
    meant = 1000.0 / float(watched["frame_ms"])
    return {"frames_per_s_meant": meant, "frames_per_s_shown": watched["shown"] / WATCH_S,
            "shown_of_meant": watched["shown"] / WATCH_S / meant,
            "raf_per_s": len(gaps) / WATCH_S, "raf_median_ms": _percentile(gaps, 0.5),
            "raf_p95_ms": _percentile(gaps, 0.95), "raf_longest_ms": max(gaps, default=float("nan"))}


def _chunk_measure() -> dict[str, float]:
    """One playback chunk for 2,000 people on one level: its bytes as sent (JSON) and its build time.

    A chunk is the most the browser is sent at once (:data:`FRAMES_PER_CHUNK` frames a second
    apart); every person is put on the same level so each frame is as large as it can be.
    """
    import numpy as np
    import pandas as pd
    import plotly.io as pio

    from facility import sample
    from scenarios.ui.animation import FRAMES_PER_CHUNK, chunks, frame_times, playback_figure
    from scenarios.ui.playback import Playback, plan_picture

    rng = np.random.default_rng(0)
    n, samples = CHUNK_PEOPLE, FRAMES_PER_CHUNK
    ids = np.array([f"p{i}" for i in range(n)])
    traj = pd.DataFrame({"time": np.repeat(np.arange(samples, dtype=float), n), "id": np.tile(ids, samples),
                         "level": "L2", "x": rng.uniform(0, 100, n * samples),
                         "y": rng.uniform(0, 18, n * samples)})
    agents = pd.DataFrame({"id": ids, "role": "patient",
                           "profile": rng.choice(["ambulant", "wheelchair_self", "bed"], n)})
    pb = Playback.build(traj, agents)
    picture = plan_picture(sample(), "L2")
    t0 = time.perf_counter()
    (frames,) = chunks(frame_times(pb.times))
    fig = playback_figure(picture, pb, frames.tolist(), "L2", title="chunk", frame_ms=100)
    built = time.perf_counter() - t0
    sent = pio.to_json(fig, validate=False)  # what st.plotly_chart sends
    serialised = time.perf_counter() - t0 - built
    return {"people": n, "frames": len(frames), "chunk_json_bytes": len(sent),
            "plan_picture_bytes": len(picture[0]), "build_s": built, "to_json_s": serialised}


def main() -> int:
    """Run the benchmark and print its numbers as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-playback", action="store_true", help="skip the 2,000-person playback")
    parser.add_argument("--first-page-only", action="store_true", help="measure only the first page")
    parser.add_argument("--playback-only", action="store_true",
                        help="measure only the first page and the playback")
    parser.add_argument("--chunk-only", action="store_true",
                        help="measure only one playback chunk's size and build time (no server, no browser)")
    parser.add_argument("--keep", type=Path, default=None, help="results store to use and keep")
    args = parser.parse_args()
    if args.chunk_only:
        print(json.dumps(_chunk_measure(), indent=2))
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
            if args.first_page_only or args.playback_only:
                if args.playback_only:
                    note("playback", _playback(page))
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
                note("playback_chunk_2000_people", _chunk_measure())
                note("playback", _playback(fresh))
            browser.close()
    except BaseException:
        _stop(proc)
        raise
    return _finish(proc, out)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def _finish(proc: subprocess.Popen[bytes], out: dict[str, Any]) -> int:
    _stop(proc)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
