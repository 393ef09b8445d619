"""Every ``medtwin`` command answers ``--help`` with an example."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += _commands(sub, (*prefix, name))
    return out


COMMANDS = _commands(build_parser())


def test_the_contract_commands_exist() -> None:
    names = {" ".join(c) for c in COMMANDS}
    assert {"sample", "facility validate", "facility show", "run", "app"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "medtwin")
def test_help_shows_an_example(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: medtwin")
    assert "example" in out
    # The example line runs this very command.
    assert f"medtwin {' '.join(command)}".strip() in out


def test_console_script_runs() -> None:
    script = Path(sys.executable).with_name("medtwin")
    exe = str(script) if script.exists() else shutil.which("medtwin")
    if exe is None:
        pytest.skip("the medtwin console script is not installed in this environment")
    done = subprocess.run([exe, "facility", "--help"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0 and "medtwin facility validate" in done.stdout


def test_python_m_runs_the_command_of_this_tree() -> None:
    # "python -m scenarios.cli" was refused: the package had no __main__
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "scenarios.cli", "facility", "validate", "nothing.json"],
                          capture_output=True, text=True, timeout=60, check=False, cwd=root)
    assert done.returncode == 2 and done.stderr.startswith("error: nothing.json")
