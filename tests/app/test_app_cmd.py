"""``medtwin app``: it is the server (signals reach it), binds localhost, and watches no files."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from scenarios.cli.app_cmd import streamlit_argv
from tests.app.conftest import REPO, free_port, wait_healthy


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the TCP sockets listening on ``port`` (from /proc/net/tcp)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.rsplit(":", 1)
            if int(hexport, 16) == port and state == "0A":  # LISTEN
                found.add(addr)
    return found


def test_the_command_line_turns_the_watcher_off_and_binds_localhost(tmp_path: Path) -> None:
    argv = streamlit_argv(port=8600, host="127.0.0.1", facility=None, results=tmp_path)
    opts = dict(zip(argv[5::2], argv[6::2], strict=False))
    assert opts["--server.fileWatcherType"] == "none" and opts["--server.runOnSave"] == "false"
    assert opts["--server.address"] == "127.0.0.1"
    assert argv[argv.index("--results") + 1] == str(tmp_path.resolve())
    assert "--server.baseUrlPath" not in argv and "--upload-url" not in argv
    behind = streamlit_argv(port=8600, host="127.0.0.1", facility=None, results=tmp_path,
                            base_url_path="/medtwin/", upload_url="/scans-in")
    assert behind[behind.index("--server.baseUrlPath") + 1] == "medtwin"
    assert behind[behind.index("--upload-url") + 1] == "/scans-in"
    assert behind.index("--upload-url") > behind.index("--")  # an argument of the app, not of Streamlit


def test_stopping_medtwin_app_by_its_pid_stops_the_server(tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "app.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from scenarios.cli import main; sys.exit(main())",
         "app", "--port", str(port), "--results", str(tmp_path / "results")],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"})
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=60)
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
        # the scan upload route is the app's own, on its port (no second port to open or proxy)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/medtwin-upload", method="POST",
                                         data=b'{"name": "a.las", "size": 1, "head": ""}',
                                         headers={"X-Medtwin-Upload-Token": "nobody"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403 and b"not asked for" in refused.value.read()
        assert (tmp_path / "results" / ".uploads").is_dir()  # kept beside the results, for a restart
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=20) is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _listening_addresses(port):
            time.sleep(0.2)
        assert not _listening_addresses(port)
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
    assert "inotify" not in (tmp_path / "app.log").read_text()


def test_bad_arguments_are_one_line_before_any_server_starts(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    # regression: a results path that is a file started the server and failed with a traceback
    # (NotADirectoryError, exit 1); a broken facility file was served, to fail on every page
    from scenarios.cli import main

    note = tmp_path / "notes.txt"
    note.write_text("minutes")
    broken = tmp_path / "plan.json"
    broken.write_text('{"format": "medtwin-facility/1", "name": ')
    r = str(tmp_path / "r")
    for argv, said in ((["--results", str(note)], "--results: is a file; expected a results folder"),
                       (["--results", r, "--scans", str(note)], "--scans: is a file; expected a folder"),
                       (["--results", r, "--facility", str(broken)], "plan.json: invalid JSON at line 1")):
        assert main(["app", *argv]) == 2
        err = capsys.readouterr().err
        assert said in err and err.count("\n") == 1
    assert note.read_text() == "minutes" and not (tmp_path / "r").exists()
