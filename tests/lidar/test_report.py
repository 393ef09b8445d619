"""The extraction report is JSON with timings and warnings; the preview is a PNG."""

from __future__ import annotations

import json
from pathlib import Path

from lidar.extract import Extraction
from lidar.preview import render_preview


def test_report_json_round_trip(office_extraction: Extraction, tmp_path: Path) -> None:
    office_extraction.report.write(tmp_path / "r.json")
    d = json.loads((tmp_path / "r.json").read_text())
    assert d["levels"][0]["spaces"] == 7
    assert all(t["points_per_second"] > 0 for t in d["timings"])
    assert d["total_seconds"] > 0


def test_preview_png(office_extraction: Extraction, tmp_path: Path) -> None:
    p = render_preview(office_extraction, tmp_path / "p.png", dpi=40)
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
