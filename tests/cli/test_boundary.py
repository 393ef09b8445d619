"""The CLI's one exception boundary: expected failures are one line and exit 2, anything else a bug report."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pytest

from facility.errors import FacilityFileError
from lidar.errors import ScanFileError
from scenarios.cli import EXIT_BUG, EXIT_INPUT, facility_cmd, main
from scenarios.errors import ScenarioFileError


@pytest.fixture(autouse=True)
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "logs"
    monkeypatch.setenv("MEDTWIN_LOG_DIR", str(folder))
    return folder


def _raising(exc: BaseException) -> object:
    def handler(args: argparse.Namespace) -> int:
        raise exc

    return handler


@pytest.mark.parametrize("exc", [
    FacilityFileError("plan.json", "spaces[2] (id \"R\"): field 'polygon': expected an array"),
    ScenarioFileError("drill.yaml", "run.length", "Input should be a finite number, got inf"),
    ScanFileError("scan.ply", "PLY header line 'element vertex lots': expected a whole number"),
])
def test_expected_errors_are_one_line_and_exit_2(exc: Exception, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(facility_cmd, "_validate", _raising(exc))
    assert main(["facility", "validate", "x.json"]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err == f"error: {exc}\n"


def test_a_list_of_problems_is_one_line_with_the_first_few(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    problems = "\n".join(f"  door D{i}: not on a wall" for i in range(7))
    failure = FacilityFileError("f.json", "7 problems:\n" + problems)
    monkeypatch.setattr(facility_cmd, "_validate", _raising(failure))
    assert main(["facility", "validate", "f.json"]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: f.json: 7 problems: door D0: not on a wall; door D1")
    assert "(and 4 more)" in err


def test_an_unexpected_error_is_reported_as_a_bug_without_local_paths(
        tmp_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "ward-3b" / "patients.json"
    monkeypatch.setattr(facility_cmd, "_validate", _raising(ZeroDivisionError(f"while reading {secret}")))
    assert main(["facility", "validate", str(secret)]) == EXIT_BUG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bug in medtwin" in err and "ZeroDivisionError" in err
    assert "$MEDTWIN_LOG_DIR/medtwin.log" in err and "report it" in err
    assert str(tmp_path) not in err and "Traceback" not in err
    log = (log_dir / "medtwin.log").read_text()
    assert "Traceback" in log and "ZeroDivisionError" in log


def test_the_log_is_shown_relative_to_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MEDTWIN_LOG_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(facility_cmd, "_validate", _raising(KeyError("x")))
    assert main(["facility", "validate", "f.json"]) == EXIT_BUG
    err = capsys.readouterr().err
    assert "~/.cache/medtwin/medtwin.log" in err and str(tmp_path) not in err
    assert (tmp_path / ".cache" / "medtwin" / "medtwin.log").exists()


def test_python_warnings_go_to_the_log_not_the_terminal(log_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    def noisy(args: argparse.Namespace) -> int:
        warnings.warn("invalid value encountered in intersection", RuntimeWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(facility_cmd, "_validate", noisy)
    assert main(["facility", "validate", "f.json"]) == 0
    assert capsys.readouterr().err == ""
    assert "invalid value encountered" in (log_dir / "medtwin.log").read_text()


def test_a_closed_pipe_is_not_reported_as_a_bug(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from scenarios.cli import EXIT_BROKEN_PIPE

    monkeypatch.setattr(facility_cmd, "_validate", _raising(BrokenPipeError(32, "Broken pipe")))
    assert main(["facility", "validate", "f.json"]) == EXIT_BROKEN_PIPE
    assert "bug" not in capsys.readouterr().err
