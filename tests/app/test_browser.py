"""The real app in a real browser: ``medtwin app``'s server driven by Debian's headless Chromium.

One user's journey through every page, with screenshots under the test's
temporary folder: open the app, upload a facility, run a short drill, watch
the playback and switch level, read the RSET table, run an operations
comparison, open the results history and download an HTML report.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from facility.io import save
from facility.sample import SampleOptions, sample
from scenarios.ui.scan_upload import PIECE_BYTES, SHA256_JS
from scenarios.ui.upload_routes import TOKEN_HEADER
from scenarios.ui.upload_store import HEAD_BYTES
from tests.app.conftest import free_port, start_server, stop_server
from tests.app.nginx import NGINX, nginx_in_front

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Longest wait for a run to finish in the browser (a loaded CI machine is slow).
RUN_TIMEOUT_MS = 240_000
UI_TIMEOUT_MS = 60_000
#: A scan's size in the streamed-upload step (a sparse file), and how much the server may grow meanwhile.
SCAN_BYTES = 400_000_000
RSS_BOUND_KB = 64 * 1024
#: A scan's size in the resumed-upload step: three pieces.
RESUMED_BYTES = 20_000_000
#: True once the player shows level ``lv`` with its first part and its plan picture at hand.
_PLAYER_HAS = """(lv) => { const p = document.querySelector('.medtwin-player').medtwinPlayer;
  return p.level === lv && p.pictures.has(lv) && p.parts.has(lv + ':0'); }"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),  # one server for the module: it takes seconds of CPU to warm up
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Path]]:
    """The app served as ``medtwin app`` does, for every test here; its URL, process id and results store.

    The tests share it (none but the journey runs anything, so its history is the journey's).
    """
    folder = tmp_path_factory.mktemp("served")
    proc, url = start_server(folder / "results", folder / "streamlit.log")
    try:
        yield url, proc.pid, folder / "results"
    finally:
        stop_server(proc)


def memory_kb(pid: int) -> dict[str, int]:
    """The process's resident memory now (``VmRSS``) and at its peak so far (``VmHWM``), in kB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if ":" in line)
    return {k: int(fields[k].split()[0]) for k in ("VmRSS", "VmHWM")}


def _shot(page: Any, tmp_path: Path, name: str, element: Any = None) -> None:
    """Screenshot the window (scrolled to ``element`` if given) under the test's folder."""
    if element is not None:
        element.scroll_into_view_if_needed()
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


def _choose(page: Any, label: str, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _go(page: Any, title: str) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)


#: Every page's own address (below the app's root) and the heading it opens on: a bookmark or a shared link.
PAGE_URLS = {"facility": "Facility", "operations": "Operations what-if", "evacuation": "Evacuation drill",
             "infection": "Infection", "results": "Results"}


def test_every_page_opens_from_its_own_address(served: tuple[str, int, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, _, _ = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            for path, title in PAGE_URLS.items():
                page.goto(f"{url}/{path}", wait_until="domcontentloaded")
                heading = page.get_by_role("heading", name=title, exact=True)
                expect(heading).to_be_visible(timeout=UI_TIMEOUT_MS)
                current = page.get_by_test_id("stSidebarNav").locator("a[aria-current=page]")
                expect(current).to_have_accessible_name(title)  # the sidebar says where we are
                page.wait_for_timeout(300)  # the not-found dialog comes with the page's first messages
                assert page.get_by_text("Page not found").count() == 0, path
            # the uploader's own SHA-256 (for pages served over plain http, where browsers withhold
            # crypto.subtle) agrees with Python's, across block boundaries and on a megabyte
            samples = [b"", b"abc", bytes(range(256)) * 4 + b"x" * 55, os.urandom(HEAD_BYTES)]
            hashes = page.evaluate("(samples) => { " + SHA256_JS + "; return samples.map("
                                   "(s) => sha256(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)))); }",
                                   [base64.b64encode(x).decode() for x in samples])
            assert hashes == [hashlib.sha256(x).hexdigest() for x in samples]
        finally:
            browser.close()


@pytest.mark.skipif(not NGINX.exists(), reason="nginx is not installed (Debian package nginx or nginx-light)")
def test_the_app_draws_and_takes_a_scan_behind_nginx_under_a_sub_path(
        served: tuple[str, int, Path], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, _, _ = served
    scan = tmp_path / "ward.xyz"
    with scan.open("wb") as f:
        f.truncate(RESUMED_BYTES)
    tokens: set[str] = set()
    front = free_port()
    with nginx_in_front(int(url.rsplit(":", 1)[1]), tmp_path / "nginx", front) as access_log, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("request", lambda r: tokens.add(r.headers.get(TOKEN_HEADER.lower(), "")))
        try:
            page.goto(f"http://127.0.0.1:{front}/medtwin/", wait_until="domcontentloaded")
            plan = page.locator(".medtwin-plan .plan-title").first  # drawn: the WebSocket went through
            expect(plan).to_have_text("Sample general hospital: L0 Ground", timeout=UI_TIMEOUT_MS)
            page.get_by_text("Open another building").click()
            page.get_by_test_id("stRadio").get_by_text("LiDAR scan", exact=True).click()
            page.locator(".medtwin-upload input[type=file]").set_input_files(str(scan))
            expect(page.get_by_text(re.compile(r"Received ward\.xyz \(20\.0 MB\)"))).to_be_visible(
                timeout=RUN_TIMEOUT_MS)
            _shot(page, tmp_path, "behind-nginx")
            page.goto(f"http://127.0.0.1:{front}/medtwin/results", wait_until="domcontentloaded")
            results = page.get_by_role("heading", name="Results", exact=True)  # a page's own address too
            expect(results).to_be_visible(timeout=UI_TIMEOUT_MS)
        finally:
            browser.close()
        logged = access_log.read_text()
    tokens.discard("")
    assert len(tokens) == 1  # every upload request bore the session's token...
    assert "PUT /medtwin/medtwin-upload/" in logged and tokens.pop() not in logged  # ...never logged


def test_a_planners_journey_through_every_page(served: tuple[str, int, Path], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, pid, results = served
    facility_file = tmp_path / "small_hospital.json"
    save(sample(SampleOptions(ward_levels=1)), facility_file)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        try:
            # 1. the app opens on the Facility page with the sample's plan
            page.goto(url, wait_until="domcontentloaded")
            heading = page.get_by_role("heading", name="Facility", exact=True)
            expect(heading).to_be_visible(timeout=UI_TIMEOUT_MS)
            plan = page.locator(".medtwin-plan").first  # an inline SVG, drawn without Plotly
            expect(plan.locator(".plan-title")).to_have_text("Sample general hospital: L0 Ground",
                                                             timeout=UI_TIMEOUT_MS)
            assert plan.locator("svg path.space").count() > 20
            assert page.title() == "medtwin"
            _shot(page, tmp_path, "1-facility")

            # 2. upload a facility file: the page switches to it (three levels)
            page.get_by_text("Open another building").click()
            page.get_by_test_id("stRadio").get_by_text("Facility file", exact=True).click()
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(facility_file))
            levels = page.locator(".medtwin-figures div").filter(has_text="levels").first
            expect(levels).to_contain_text("3", timeout=UI_TIMEOUT_MS)
            _shot(page, tmp_path, "2-uploaded")

            # 2b. a scan of several hundred MB streams to the server in bounded memory; a scan that is
            # not one (zeros) then gives a readable reason
            page.get_by_test_id("stRadio").get_by_text("LiDAR scan", exact=True).click()
            big = tmp_path / "big_scan.xyz"
            with big.open("wb") as f:
                f.truncate(SCAN_BYTES)  # sparse: nothing written to the disk
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
            rss_before = memory_kb(pid)
            page.locator(".medtwin-upload input[type=file]").set_input_files(str(big))
            expect(page.get_by_text(re.compile(r"Received big_scan\.xyz \(400\.0 MB\)"))).to_be_visible(
                timeout=RUN_TIMEOUT_MS)
            after = memory_kb(pid)
            assert after["VmHWM"] - rss_before["VmRSS"] < RSS_BOUND_KB, (rss_before, after)
            page.get_by_role("button", name="Extract the facility").click()
            cannot = page.get_by_text(re.compile(r"Cannot extract a facility from big_scan\.xyz"))
            expect(cannot).to_be_visible(timeout=RUN_TIMEOUT_MS)
            said = cannot.text_content() or ""
            assert "medtwin-uploads" not in said and ".uploads" not in said  # no path of the server shown
            assert "extension" not in said  # the reader was given the scan's own format
            _shot(page, tmp_path, "2b-scan-streamed")

            # 2c. a transfer cut off resumes where it stopped: the browser drops the second piece of
            # a 20 MB scan once, then asks the server what it holds and sends the rest
            dropped: list[str] = []

            def drop_once(route: Any) -> None:
                if route.request.method == "PUT" and "offset=0" not in route.request.url and not dropped:
                    dropped.append(route.request.url)
                    route.abort("connectionreset")
                else:
                    route.continue_()

            page.route("**/medtwin-upload/**", drop_once)
            resumed = tmp_path / "resumed.xyz"
            with resumed.open("wb") as f:
                f.truncate(RESUMED_BYTES)
            page.locator(".medtwin-upload input[type=file]").set_input_files(str(resumed))
            expect(page.get_by_text(re.compile(r"Received resumed\.xyz \(20\.0 MB\)"))).to_be_visible(
                timeout=RUN_TIMEOUT_MS)
            page.unroute("**/medtwin-upload/**")
            assert len(dropped) == 1 and f"offset={PIECE_BYTES}" in dropped[0]

            # 2d. a reload in the middle of an upload (a new session) does not lose it: every piece
            # after the first is dropped until the page is reloaded; the same file picked again
            # then resumes after the piece the server holds
            uploader = page.locator(".medtwin-upload")
            page.route("**/medtwin-upload/**", lambda route: route.abort("connectionreset")
                       if route.request.method == "PUT" and "offset=0" not in route.request.url
                       else route.continue_())
            reloaded = tmp_path / "reloaded.xyz"
            with reloaded.open("wb") as f:
                f.truncate(RESUMED_BYTES)
            uploader.locator("input[type=file]").set_input_files(str(reloaded))
            expect(uploader).to_have_attribute("data-state", "waiting", timeout=UI_TIMEOUT_MS)
            page.unroute("**/medtwin-upload/**")
            page.reload(wait_until="domcontentloaded")
            page.get_by_text("Open another building").click()
            page.get_by_test_id("stRadio").get_by_text("LiDAR scan", exact=True).click()
            uploader.locator("input[type=file]").set_input_files(str(reloaded))
            expect(page.get_by_text(re.compile(r"Received reloaded\.xyz \(20\.0 MB\)"))).to_be_visible(
                timeout=RUN_TIMEOUT_MS)
            assert uploader.get_attribute("data-resumed-from") == str(PIECE_BYTES)
            page.get_by_text("Open another building").click()

            # 3. a short drill: a quarter of the beds, horizontal move, ten minutes
            _go(page, "Evacuation drill")
            occupancy = page.get_by_test_id("stSlider").filter(has_text="Bed occupancy").get_by_role("slider")
            occupancy.focus()
            for _ in range(15):
                occupancy.press("ArrowLeft")
            expect(page.get_by_test_id("stSlider").filter(has_text="Bed occupancy")).to_contain_text("25")
            _choose(page, "Strategy", "horizontal")
            # the fire's room can be clicked on the plan: the list follows the click
            page.get_by_text("Fire", exact=True).click()
            origin = page.get_by_role("combobox", name="Fire starts in")
            page.get_by_text("Pick the room on the plan instead").click()
            picker = page.locator(".st-key-fire_pick .js-plotly-plot").first
            expect(picker.locator(".gtitle")).to_contain_text("click the room", timeout=UI_TIMEOUT_MS)
            before = origin.input_value()
            picker.locator(".scatterlayer .point").nth(5).click(force=True)
            expect(origin).not_to_have_value(before, timeout=UI_TIMEOUT_MS)
            _shot(page, tmp_path, "3-fire-picked")
            page.get_by_text("Fire", exact=True).click()  # the drill below runs without a fire
            limit = page.get_by_role("spinbutton", name="Time limit (min)")
            limit.fill("10")
            limit.press("Enter")
            page.get_by_role("button", name="Run the drill").click()
            # live figures from the running model come before its results
            live = page.get_by_test_id("stMetric").filter(has_text="people safe")
            expect(live).to_contain_text(re.compile(r"\d+ of \d+"), timeout=RUN_TIMEOUT_MS)
            expect(page.get_by_test_id("stMetric").filter(has_text="RSET (everyone safe)")).to_be_visible(
                timeout=RUN_TIMEOUT_MS)
            # the player: the browser draws the drill on a canvas, fed part by part by the server
            player = page.locator(".medtwin-player").first
            expect(player).to_have_attribute("data-ready", "1", timeout=UI_TIMEOUT_MS)
            expect(player.locator("canvas")).to_be_visible()
            on_level = re.compile(r"[1-9][\d,]* (people|person) on this level")
            expect(player.locator(".note")).to_contain_text(on_level)
            _shot(page, tmp_path, "3-playback", player)
            level = player.locator("select.level")
            other = "L1" if level.input_value() != "L1" else "L0"
            level.select_option(other)  # the player asks for that level's part and picture
            page.wait_for_function(_PLAYER_HAS, arg=other, timeout=UI_TIMEOUT_MS)
            expect(player).to_have_attribute("data-ready", "1", timeout=UI_TIMEOUT_MS)
            # Play moves the drill's clock in the browser, Pause stops it, the slider scrubs
            clock = player.locator(".clock")
            start = clock.text_content()
            player.locator("button.play").click()
            expect(clock).not_to_have_text(start or "", timeout=UI_TIMEOUT_MS)
            player.locator("button.play").click()
            page.wait_for_timeout(500)
            paused = clock.text_content()
            page.wait_for_timeout(1500)
            assert clock.text_content() == paused
            player.locator("input.scrub").evaluate(
                "(e) => { e.value = '180'; e.dispatchEvent(new Event('input')); }")
            expect(clock).to_have_text("3.0 min after the alarm", timeout=UI_TIMEOUT_MS)
            page.get_by_role("tab", name="RSET per compartment").click()
            rset = page.get_by_test_id("stDataFrame").filter(has_text="compartment").first
            expect(rset).to_be_visible(timeout=UI_TIMEOUT_MS)
            _shot(page, tmp_path, "4-rset", rset)

            # 4. an operations comparison: one day, two replications
            _go(page, "Operations what-if")
            reps = page.get_by_role("spinbutton", name="Replications")
            reps.fill("2")
            reps.press("Enter")
            days = page.get_by_role("spinbutton", name="Days simulated after the warm-up")
            days.fill("1")
            days.press("Enter")
            page.wait_for_timeout(500)
            page.get_by_role("button", name="Run the comparison").click()
            expect(page.get_by_test_id("stMetric").filter(has_text="top bottleneck").first).to_be_visible(
                timeout=RUN_TIMEOUT_MS)
            _shot(page, tmp_path, "5-operations",
                  page.get_by_test_id("stMetric").filter(has_text="top bottleneck").first)

            # 5. the history holds all three runs; a report of one downloads
            _go(page, "Results")
            history = page.get_by_test_id("stDataFrame").first
            expect(history).to_be_visible(timeout=UI_TIMEOUT_MS)
            page.get_by_test_id("stMultiSelect").click()
            page.get_by_role("option").first.click()
            page.keyboard.press("Escape")
            page.get_by_role("button", name="Make the HTML report").click()
            download_button = page.get_by_role("button", name="Download the HTML report")
            expect(download_button).to_be_visible(timeout=RUN_TIMEOUT_MS)
            with page.expect_download() as info:
                download_button.click()
            report = tmp_path / "report.html"
            info.value.save_as(str(report))
            assert report.read_text().startswith("<!DOCTYPE html>")
            _shot(page, tmp_path, "6-results")
        finally:
            context.close()
            browser.close()
    assert len([p for p in results.iterdir() if (p / "manifest.json").exists()]) == 3
