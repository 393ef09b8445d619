"""Every bad input a clear error, in bounded time and memory, through the ``medtwin`` CLI.

One test per class of failure found by outside testing (silently wrong
results, unsafe writes, tracebacks, unbounded work, misleading messages,
privacy), each through :func:`scenarios.cli.main` as a user meets it, and a
property-based fuzz test that mutates valid facility and scenario files and
asserts the contract: exit 0 with a valid result, or exit 2 with one line
naming the file; never a traceback, a hang, or a write outside the output
folder.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.cli import EXIT_INPUT, main

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "docs" / "examples" / "tiny_clinic.json"
NELSON = REPO / "scenarios" / "library" / "nelson_treatment_centre.yaml"
#: Wall-clock limit of one command in these tests (s): a refusal takes well under 1 s of CPU and the
#: largest command (extracting a small synthetic scan) a few seconds; the rest is slack for a loaded machine.
LIMIT_S = 60


@pytest.fixture(autouse=True)
def _quiet_log(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDTWIN_LOG_DIR", str(tmp_path_factory.getbasetemp() / "log"))


class _Timeout(Exception):
    pass


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``medtwin ARGV`` in process under a wall-clock limit; (exit code, stdout, stderr)."""
    def expire(signum: int, frame: Any) -> None:
        raise _Timeout(f"medtwin {' '.join(argv)} ran past {LIMIT_S} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(LIMIT_S)
    try:
        code = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    return code, out, err


def _refused(code: int, err: str, *names: str) -> str:
    """Assert an expected failure: exit 2, one ``error:`` line naming each of ``names``; return it."""
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert code == EXIT_INPUT and len(lines) == 1, err
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def _tiny() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TINY.read_text())
    return data


def _nelson(length: int = 120) -> str:
    return (NELSON.read_text().replace("length: 1140", f"length: {length}")
            .replace("replications: 50", "replications: 1"))


# -- silently wrong results ----------------------------------------------------------------------
@pytest.mark.parametrize(("edit", "names"), [
    (lambda t: t.replace('"ceiling_height": 2.7', '"ceiling_height": 1e400'),
     ["levels[0].ceiling_height", "1e400"]),
    (lambda t: t.replace('"ceiling_height": 2.7', '"ceiling_height": 1e308'), ["ceiling_height", "<= 50"]),
    (lambda t: t.replace('"at": [-20, 0]', '"at": [-20, 1e400]'), ["assembly_points[0].at[1]"]),
    (lambda t: t.replace('"width": 1.2}', '"width": 1e6}', 1), ["D-WAIT", "'width'", "<= 20"]),
    (lambda t: t.replace('"id": "WAIT"', '"id": "W\\ud800"'), ["spaces[2].id", "lone surrogate"]),
    (lambda t: t.replace('"elevation": 0.0', '"elevation": true'), ["elevation", "expected number"]),
])
def test_facility_values_out_of_range_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                edit: Any, names: list[str]) -> None:
    f = tmp_path / "clinic.json"
    f.write_text(edit(TINY.read_text()))
    code, _, err = _cli(["facility", "validate", str(f)], capsys)
    _refused(code, err, str(f), *names)


@pytest.mark.parametrize(("old", "new", "field"), [
    ("mean: 3}", "mean: .inf}", "duration.mean"),
    ("sd: 1.4142135623730951", "sd: .inf", "duration.sd"),
    ("length: 120", "length: .inf", "run.length"),
    ("warmup: 0", "warmup: .inf", "run.warmup"),
    ("seed: 42", 'seed: "7"', "seed"),
    ("seed: 42", "seed: true", "seed"),
    ("enabled: false", "enabled: false\n  staff_speed: .inf", "walking.staff_speed"),
    ("enabled: false", "enabled: false\n  staff_speed: 40.0", "walking.staff_speed"),
    ("warmup: 0", "warmup: 0\n  target_h: .inf", "run.target_h"),
])
def test_scenario_infinity_ranges_and_types_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      old: str, new: str, field: str) -> None:
    text = _nelson()
    assert old in text
    f = tmp_path / "nelson.yaml"
    f.write_text(text.replace(old, new, 1))
    code, _, err = _cli(["run", str(f)], capsys)
    _refused(code, err, str(f), field)


def test_a_lone_surrogate_id_fails_before_any_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "clinic.json"
    f.write_text(TINY.read_text().replace('"id": "TREAT"', '"id": "T\\udc00"'))
    monkeypatch.chdir(tmp_path)
    code, _, err = _cli(["lidar", "synth", str(f), "--out", "s.ply", "--truth", "t.json", "--spacing", "0.5"],
                        capsys)
    _refused(code, err, str(f), "lone surrogate")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic.json"]


# -- unsafe writes -------------------------------------------------------------------------------
def test_outputs_never_follow_planted_links_and_are_checked_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for planted in (".s.tmp.ply", "s.ply", "r.json.tmp", "r.json"):
        (tmp_path / planted).symlink_to(victim)
    synth = ["lidar", "synth", str(TINY), "--out", "s.ply", "--spacing", "0.2", "--seed", "1"]
    code, _, err = _cli(synth, capsys)
    assert code == 0, err
    assert victim.read_text() == "precious" and not Path("s.ply").is_symlink()
    # --report into a missing folder is refused before --out is written.
    extract = ["lidar", "extract", "s.ply", "--out", "f.json", "--report", "nowhere/r.json"]
    code, _, err = _cli(extract, capsys)
    _refused(code, err, "nowhere/r.json", "does not exist")
    assert not Path("f.json").exists()
    # The report once went through the fixed name r.json.tmp, following the link planted there.
    code, _, err = _cli(["lidar", "extract", "s.ply", "--out", "f.json", "--report", "r.json",
                         "--preview", "p.png"], capsys)
    assert code == 0, err
    assert json.loads(Path("r.json").read_text())["points_read"] > 0 and Path("p.png").stat().st_size
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.is_symlink()) == [
        "f.json", "p.png", "r.json", "s.ply", "victim.txt"]


# -- tracebacks ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "names"), [
    ("[" * 100_000 + "]" * 100_000, ["nested 100000 levels deep"]),
    (json.dumps({**_tiny(), "spaces": 5}), ["'spaces'", "expected an array"]),
    (json.dumps({**_tiny(), "spaces": [1, 2]}), ["spaces[0]", "expected object"]),
    (json.dumps({**_tiny(), "levels": "G"}), ["'levels'", "expected an array"]),
    (json.dumps({**_tiny(), "metadata": {"a": [[[[]]]] * 3, "n": 10**40}}), ["more than 30 digits"]),
    ("", ["found nothing (an empty document)"]),
])
def test_malformed_facility_files_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               text: str, names: list[str]) -> None:
    f = tmp_path / "bad.json"
    f.write_text(text)
    code, _, err = _cli(["facility", "validate", str(f)], capsys)
    _refused(code, err, str(f), *names)


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("lots.ply", b"ply\nformat ascii 1.0\nelement vertex lots\nproperty float x\nend_header\n",
     "whole number"),
    ("anon.ply", b"ply\nformat ascii 1.0\nelement 12\nproperty float x\nend_header\n", "element NAME COUNT"),
    ("ten.pcd", b"VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 10\nHEIGHT 1\n"
                b"POINTS ten\nDATA ascii\n", "POINTS ten"),
])
def test_malformed_scan_headers_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             name: str, content: bytes, expected: str) -> None:
    scan = tmp_path / name
    scan.write_bytes(content)
    code, _, err = _cli(["lidar", "extract", str(scan), "--out", str(tmp_path / "f.json")], capsys)
    _refused(code, err, str(scan), expected)


def test_bad_run_flags_name_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "n.yaml"
    f.write_text(_nelson())
    code, _, err = _cli(["run", str(f), "--jobs", "0", "--replications", "2"], capsys)
    _refused(code, err, "--jobs")


def test_out_dot_with_overwrite_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("n.yaml").write_text(_nelson())
    code, _, err = _cli(["run", "n.yaml", "--out", ".", "--overwrite"], capsys)
    _refused(code, err, "current folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.yaml"]


def test_an_unreachable_scheduler_is_named_within_seconds(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "n.yaml"
    f.write_text(_nelson())
    start = time.perf_counter()
    code, _, err = _cli(["run", str(f), "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9",
                         "--replications", "2"], capsys)
    _refused(code, err, "--scheduler tcp://127.0.0.1:9")
    assert time.perf_counter() - start < LIMIT_S


# -- bounded time and memory ---------------------------------------------------------------------
@pytest.mark.parametrize(("old", "new", "field"), [
    ("unit: min", "unit: d\n  # a typo: 1e8 days", "run.length"),
    ("rates: [2.3667", "rates: [1.0e9", "arrivals[0].rates"),
])
def test_runs_beyond_the_budget_are_refused_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   old: str, new: str, field: str) -> None:
    f = tmp_path / "n.yaml"
    text = _nelson(length=10**8) if new.startswith("unit: d") else _nelson()
    assert old in text
    f.write_text(text.replace(old, new))
    start = time.process_time()
    code, _, err = _cli(["run", str(f), "--out", str(tmp_path / "out")], capsys)
    line = _refused(code, err, str(f), field, "over the budget", "MEDTWIN_MAX_")
    assert time.process_time() - start < 5.0 and "in memory" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("line", "field"), [
    ("alarm: 1.0e+300", "alarm"),  # the drill is stepped up to the alarm too: this one never ended
    ("population: {people: [{id: a, profile: ambulant, space: WAIT, premove: 1.0e+300}]}",
     "population.people[0].premove"),
    ("record_every: 1.0e+300", "record_every"),
])
def test_drill_times_beyond_any_drill_are_refused_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          line: str, field: str) -> None:
    f = tmp_path / "drill.yaml"
    people = "" if line.startswith("population") else \
        "population: {people: [{id: a, profile: ambulant, space: WAIT}]}\n"
    f.write_text(f"kind: evacuation\nname: d\nfacility: {TINY}\n{people}{line}\n")
    start = time.process_time()
    code, _, err = _cli(["run", str(f)], capsys)
    _refused(code, err, str(f), field, "less than or equal to")
    assert time.process_time() - start < 5.0


def test_a_tiny_maintenance_interval_is_refused_naming_it(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    week = (REPO / "scenarios" / "library" / "sample_hospital_week.yaml").read_text()
    assert "every_days: 28" in week
    f = tmp_path / "week.yaml"
    f.write_text(week.replace("every_days: 28", "every_days: 1.0e-7", 1))
    code, _, err = _cli(["run", str(f), "--replications", "1"], capsys)
    _refused(code, err, str(f), "maintenance.every_days", "simulation events")


def test_every_shipped_scenario_fits_the_default_budget() -> None:
    import scenarios
    from facility import sample
    from scenarios.budget import Budget, check_budget

    hospital = sample()
    for path in sorted((REPO / "scenarios" / "library").glob("*.yaml")):
        sc = scenarios.load(path)
        assert sc.facility == "sample", path
        work = check_budget(sc, hospital, Budget())
        assert work.rows < Budget().max_rows / 10, (path, work.describe())


def test_the_budget_is_configurable(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "n.yaml"
    f.write_text(_nelson())
    monkeypatch.setenv("MEDTWIN_MAX_EVENTS", "10")
    code, _, err = _cli(["run", str(f)], capsys)
    _refused(code, err, str(f), "events", "budget of 10")
    monkeypatch.setenv("MEDTWIN_MAX_EVENTS", "lots")
    code, _, err = _cli(["run", str(f)], capsys)
    _refused(code, err, "MEDTWIN_MAX_EVENTS", "positive number")


@pytest.mark.parametrize("command", [
    ["facility", "validate", "{p}"],
    ["run", "{p}"],
    ["lidar", "extract", "{p}", "--out", "{d}/f.json"],
])
def test_a_fifo_is_refused_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   command: list[str]) -> None:
    fifo = tmp_path / ("input.ply" if command[0] == "lidar" else "input.yaml")
    os.mkfifo(fifo)
    argv = [a.format(p=fifo, d=tmp_path) for a in command]
    code, _, err = _cli(argv, capsys)
    _refused(code, err, str(fifo), "FIFO")


def test_a_file_larger_than_any_real_one_is_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import facility.io

    monkeypatch.setattr(facility.io, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "big.json"
    big.write_text(TINY.read_text())
    code, _, err = _cli(["facility", "validate", str(big)], capsys)
    _refused(code, err, str(big), "larger than the limit")


# -- privacy -------------------------------------------------------------------------------------
def _drill(ids: list[str]) -> str:
    people = "".join(f"    - {{id: {json.dumps(i)}, profile: ambulant, space: WAIT}}\n" for i in ids)
    return (f"kind: evacuation\nname: drill\ndescription: drill with Mrs Jones\nfacility: {TINY}\n"
            f"seed: 1\nmax_time: 300\npopulation:\n  people:\n{people}")


def test_a_position_inside_a_bed_is_refused_naming_both(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A visitor placed 0.3 m from the centre line of a bed (half a metre wide each side) would be
    pushed out by the crowd model at the first step, maybe into the corner behind the bed."""
    f = tmp_path / "drill.yaml"
    people = ("    - {id: bed, profile: bed, space: TREAT, position: [14.5, 5.4]}\n"
              "    - {id: v, profile: visitor, space: TREAT, position: [14.8, 5.6]}\n")
    f.write_text(f"kind: evacuation\nname: drill\nfacility: {TINY}\nseed: 1\nmax_time: 300\n"
                 f"population:\n  people:\n{people}")
    code, _, err = _cli(["run", str(f), "--out", str(tmp_path / "run")], capsys)
    _refused(code, err, str(f), "population.people[1].position", "into bed")
    assert not (tmp_path / "run").exists()


def test_identifiers_are_warned_about_and_pseudonymised(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    ids = ["Jane Smith", "MRN 0012345", "bed-3"]
    f = tmp_path / "drill.yaml"
    f.write_text(_drill(ids))
    code, _, err = _cli(["run", str(f)], capsys)
    assert code == 0, err
    warned = [ln for ln in err.splitlines() if ln.startswith("warning:")]
    assert any("population.people[0].id looks like a person's name" in w for w in warned)
    assert any("population.people[1].id looks like a hospital number" in w for w in warned)
    assert any("description looks like a person's name" in w for w in warned)
    assert not any("people[2]" in w for w in warned)
    assert "Jane Smith" not in err and "0012345" not in err  # warnings never repeat the value
    out = tmp_path / "run"
    code, _, err = _cli(["run", str(f), "--pseudonymise", "--out", str(out), "--json"], capsys)
    assert code == 0, err
    assert not [ln for ln in err.splitlines() if ln.startswith("warning:")]
    written = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    for secret in (b"Jane Smith", b"0012345", b"bed-3", b"Jones"):
        assert secret not in written
    assert b"p-" in written


# -- fuzz ----------------------------------------------------------------------------------------
_NASTY: list[Any] = [None, True, -1, 0, 1e308, -1e308, 1e-320, 10**40, "", "7", "x" * 5000, "\ud800", [],
                     {}, [[[[[[]]]]]], {"id": "x"}, [1, 2], ["a", "b"], float("inf"), float("nan")]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


@st.composite
def _mutated(draw: st.DrawFn, data: Any) -> Any:
    """``data`` with one to three values scaled by a power of ten, replaced or removed, or a key added."""
    data = json.loads(json.dumps(data))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        old = parent[path[-1]]
        number = isinstance(old, int | float) and not isinstance(old, bool)
        action = draw(st.sampled_from(["scale", "scale", "replace", "delete", "extra"] if number
                                      else ["replace", "replace", "delete", "extra"]))
        if action == "scale":  # a slip of the unit or of the exponent: the cases budgets exist for
            power = draw(st.integers(-9, 9))
            parent[path[-1]] = old * 10**power if isinstance(old, int) and power >= 0 else old * 10.0**power
        elif action == "replace":
            parent[path[-1]] = draw(st.sampled_from(_NASTY) | st.floats(allow_nan=False) | st.integers())
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent["unexpected_key"] = 1
    return data


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.name != "medtwin.log"}


def _check_contract(code: int, err: str, source: Path) -> None:
    assert "Traceback" not in err, err
    assert code in (0, EXIT_INPUT), (code, err)
    if code == EXIT_INPUT:
        lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
        assert len(lines) == 1 and str(source) in lines[0], err


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=_mutated(_tiny()))
def test_fuzzed_facility_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: Any) -> None:
    work = tmp_path / "fuzz-facility"
    work.mkdir(exist_ok=True)
    f = work / "plan.json"
    f.write_text(json.dumps(data, allow_nan=True), encoding="utf-8", errors="surrogatepass")
    before = _files(work)
    code, out, err = _cli(["facility", "validate", str(f)], capsys)
    _check_contract(code, err, f)
    if code == 0:
        assert "valid" in out
    assert _files(work) == before


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=_mutated(yaml.safe_load(_nelson(60))))
def test_fuzzed_scenario_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch, data: Any) -> None:
    work = tmp_path / "fuzz-scenario"
    work.mkdir(exist_ok=True)
    monkeypatch.chdir(work)
    f = work / "nelson.yaml"
    try:
        text = yaml.safe_dump(data, allow_unicode=False)
    except (yaml.YAMLError, UnicodeEncodeError):
        text = "kind: operations\nname: [unterminated\n"
    f.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = work / "out"
    before = _files(work)
    code, _, err = _cli(["run", str(f), "--out", str(out), "--overwrite"], capsys)
    _check_contract(code, err, f)
    new = _files(work) - before
    assert all(out in p.parents or p == out for p in new), new
    if code == 0:
        assert (out / "kpis.json").exists()
        assert isinstance(json.loads((out / "kpis.json").read_text()), dict)
