"""Safe inputs and atomic outputs (facility/files.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from facility.errors import FileAccessError
from facility.files import (
    atomic_path,
    check_input,
    check_output_path,
    check_outputs,
    open_input,
    read_input_bytes,
    read_input_text,
    write_atomic,
)


def test_write_atomic_writes_and_leaves_only_the_target(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_atomic(target, "héllo")
    write_atomic(target, b"again")
    assert target.read_bytes() == b"again"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_planted_symlink_is_replaced_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "report.json"
    target.symlink_to(victim)
    write_atomic(target, "new")
    assert victim.read_text() == "precious"
    assert not target.is_symlink() and target.read_text() == "new"


def test_temporary_names_are_unique_and_keep_the_suffix(tmp_path: Path) -> None:
    seen = []
    for _ in range(3):
        with atomic_path(tmp_path / "cloud.ply") as tmp:
            assert tmp.parent == tmp_path and tmp.suffix == ".ply" and tmp.exists()
            seen.append(tmp)
            tmp.write_bytes(b"x")
    assert len(set(seen)) == 3


def test_a_failing_writer_leaves_the_old_target_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_output_checks_name_the_missing_folder_and_a_folder_target(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match=r"--report: folder .* does not exist"):
        check_output_path(tmp_path / "nowhere" / "r.json", what="--report")
    with pytest.raises(FileAccessError, match="is a folder"):
        check_output_path(tmp_path, what="--out")
    with pytest.raises(FileAccessError, match="is a folder"):
        check_output_path(Path("."), what="--out")
    with pytest.raises(FileAccessError, match="does not exist"):
        write_atomic(tmp_path / "nowhere" / "f.json", "x")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_an_unwritable_folder_is_named_before_work_starts(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(FileAccessError, match="not writable"):
            check_output_path(locked / "f.json", what="--out")
    finally:
        locked.chmod(0o700)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(FileAccessError, match="FIFO"):
        open_input(fifo, what="facility file", max_bytes=100)
    with pytest.raises(FileAccessError, match="FIFO"):
        check_input(fifo, what="scan", max_bytes=100)


def test_devices_folders_and_missing_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match="character device"):
        read_input_bytes("/dev/zero", what="scan", max_bytes=100)
    with pytest.raises(FileAccessError, match="folder"):
        read_input_bytes(tmp_path, what="scan", max_bytes=100)
    with pytest.raises(FileAccessError, match="no such file"):
        check_input(tmp_path / "none.ply", what="scan", max_bytes=100)


def test_a_file_over_the_limit_is_refused_with_both_sizes(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a" * 3000)
    expected = r"2.9 KiB, larger than the limit of 2.0 KiB for a scenario file"
    with pytest.raises(FileAccessError, match=expected):
        read_input_text(big, what="scenario file", max_bytes=2048)
    assert read_input_text(big, what="scenario file", max_bytes=3000) == "a" * 3000


def test_text_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "f.json"
    bad.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(FileAccessError, match="not UTF-8 text \\(line 1, byte 7: 0xff, 'ÿ' in Windows-1252"):
        read_input_text(bad, what="facility file", max_bytes=100)


@pytest.mark.parametrize(("encoding", "said"), [
    ("cp1252", "not UTF-8 text (line 2, byte 30: 0xe4, 'ä' in Windows-1252 or Latin-1); expected a text "
               "file saved as UTF-8"),
    ("utf-16", 'not UTF-8 text (UTF-16, as Windows saves "Unicode" text); expected a text file saved as '
               "UTF-8"),
])
def test_text_saved_in_a_windows_encoding_says_which(tmp_path: Path, encoding: str, said: str) -> None:
    # regression: "not UTF-8 text (byte 0)" for a file Notepad saved as "Unicode"
    bad = tmp_path / "drill.yaml"
    bad.write_text("kind: evacuation\nname: Zimmer ä\n", encoding=encoding)
    with pytest.raises(FileAccessError) as info:
        read_input_text(bad, what="scenario file", max_bytes=1000)
    assert info.value.problem == said


def test_text_with_a_lone_surrogate_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match="not valid Unicode"):
        write_atomic(tmp_path / "f.json", "id \ud800")
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_is_an_input_or_another_output_is_refused(tmp_path: Path) -> None:
    # regression: `lidar extract scan.ply --out scan.ply` replaced the scan by the facility,
    # and `--out a.json --report a.json` kept only the report
    scan = tmp_path / "scan.ply"
    scan.write_bytes(b"ply")
    (tmp_path / "link.ply").symlink_to(scan)
    for out, inputs in ((scan, [scan]), (tmp_path / "sub" / ".." / "scan.ply", [scan]),
                        (scan, [tmp_path / "link.ply"])):
        (tmp_path / "sub").mkdir(exist_ok=True)
        with pytest.raises(FileAccessError, match=r"--out: is also an input of this command") as err:
            check_outputs({"--out": out}, inputs=inputs)
        assert err.value.path == str(out)
    with pytest.raises(FileAccessError, match="--report: is also given as --out"):
        check_outputs({"--out": tmp_path / "a.json", "--report": tmp_path / "." / "a.json"}, inputs=[scan])
    check_outputs({"--out": tmp_path / "a.json", "--report": tmp_path / "r.json", "--preview": None},
                  inputs=[scan])
    assert scan.read_bytes() == b"ply"


@pytest.mark.parametrize(("content", "kind"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data: a PNG image"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xe4", "binary data: a ZIP archive (an .xlsx, .docx or "
                                                           ".kmz is one)"),
])
def test_a_binary_file_is_named_as_what_it_is(tmp_path: Path, content: bytes, kind: str) -> None:
    # regression: a PNG given as a facility was "not UTF-8 text (byte 0)", then guessed as Windows-1252
    bad = tmp_path / "plan.json"
    bad.write_bytes(content)
    with pytest.raises(FileAccessError) as info:
        read_input_text(bad, what="facility file", max_bytes=1000)
    assert info.value.problem == f"not UTF-8 text ({kind}); expected a text file saved as UTF-8"
