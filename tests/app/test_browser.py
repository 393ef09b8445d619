"""The real app in a real browser: ``streamlit run app.py`` driven by headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


def test_facility_page_in_chromium(streamlit_server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(streamlit_server, wait_until="domcontentloaded")
            expect(page.get_by_role("heading", name="Facility", exact=True)).to_be_visible(timeout=60_000)
            plot = page.locator(".js-plotly-plot").first
            expect(plot).to_be_visible(timeout=60_000)
            expect(plot.locator(".gtitle")).to_have_text("Sample general hospital: L0 Ground", timeout=30_000)
            assert page.title() == "medtwin"
            # Every space of the ground floor is drawn as a filled shape.
            assert plot.locator("path.js-fill").count() >= 40

            page.get_by_test_id("stSelectbox").filter(has_text="Level").click()
            page.get_by_role("option", name="L3 Level 3 wards").click()
            expect(plot.locator(".gtitle")).to_have_text("Sample general hospital: L3 Level 3 wards",
                                                         timeout=30_000)
            shot = tmp_path / "facility.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
        finally:
            browser.close()
