"""Fixtures for the app tests: where ``app.py`` is, the app on a building other than the
sample's, and a live ``streamlit run`` server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from facility.io import save
from facility.model import Facility

#: The repository root (tests/app/conftest.py -> ../..).
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def tiny_app(app_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             tiny_facility: Facility) -> AppTest:
    """The app (not yet run) opened on the tests' tiny building, which has none of the sample
    hospital's rooms, with its results under ``tmp_path / "results"``."""
    path = tmp_path / "tiny.json"
    save(tiny_facility, path)
    monkeypatch.setattr("sys.argv", [str(app_path), "--results", str(tmp_path / "results"),
                                     "--facility", str(path)])
    return AppTest.from_file(str(app_path), default_timeout=180)


@pytest.fixture(scope="session")
def app_path() -> Path:
    return REPO / "app.py"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait until Streamlit's health endpoint answers; fail if the server exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer on {url} within {timeout:.0f} s")


def start_server(results: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start the app exactly as ``medtwin app`` does, on a free port of 127.0.0.1."""
    from scenarios.cli.app_cmd import streamlit_argv

    port = free_port()
    log = log_path.open("wb")
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    proc = subprocess.Popen(streamlit_argv(port=port, host="127.0.0.1", facility=None, results=results),
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    log.close()
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc, timeout=90)
    return proc, url


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and whatever it started (its process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
