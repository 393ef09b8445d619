"""The upload store: uploads known by their file, resumable from any session and after a restart,
bounded in size and age, handed over once."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.ui import upload_store
from scenarios.ui.upload_store import HEAD_BYTES, Refused, UploadStore

SUFFIXES = (".xyz", ".las")


def head(data: bytes) -> str:
    """What a browser announces of a file: the SHA-256 of its first bytes."""
    return hashlib.sha256(data[:HEAD_BYTES]).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[UploadStore]:
    s = UploadStore(SUFFIXES, tmp_path / "uploads")
    try:
        yield s
    finally:
        s.close()


def _add(store: UploadStore, token: str, upload: str, data: bytes) -> upload_store.Received | None:
    """What the route does with one transfer: claim at the bytes held, append, release."""
    p = store.claim(token, upload, store.partial(token, upload).held)
    with p.path.open("ab") as out:
        out.write(data)
    return store.release(p, p.held + len(data))


def test_an_upload_resumes_where_it_stopped_and_is_handed_over_once(store: UploadStore) -> None:
    data = b"0123456789"
    token = store.register()
    p = store.begin(token, "../../scans/ward.xyz", 10, head(data))
    assert p.name == "ward.xyz" and p.held == 0 and p.path.parent == store.folder  # no client path used
    assert p.path.suffix == ".xyz"  # the LiDAR reader goes by the suffix
    assert _add(store, token, p.id, data[:5]) is None
    again = store.begin(token, "ward.xyz", 10, head(data))  # the same file picked again
    assert again.id == p.id and again.held == 5
    with pytest.raises(Refused) as wrong:  # a transfer must start at the bytes held
        store.claim(token, p.id, 0)
    assert wrong.value.status == 409 and "holds 5 bytes" in wrong.value.message
    got = _add(store, token, p.id, data[5:])
    assert got is not None and got.path.read_bytes() == data and got.size == 10
    done = store.finished(token, p)
    assert store.ended(token, p.id) == done
    assert store.take(token, done) == got and store.take(token, done) is None
    with pytest.raises(Refused, match="no such upload"):
        store.partial(token, p.id)
    assert list(store.folder.iterdir()) == [got.path]  # the caller deletes the file it took


def test_another_session_or_a_restarted_server_resumes_the_same_file(tmp_path: Path) -> None:
    data = os.urandom(HEAD_BYTES + 1000)
    first = UploadStore(SUFFIXES, tmp_path / "uploads")
    p = first.begin(first.register(), "ward.xyz", len(data), head(data))
    mine = first.register()
    assert first.begin(mine, "ward.xyz", len(data), head(data)).id == p.id  # another tab: the same upload
    _add(first, mine, p.id, data[:HEAD_BYTES + 10])
    first.close()  # the server stops (its folder is the app's, not a temporary one: it stays)
    second = UploadStore(SUFFIXES, tmp_path / "uploads")
    token = second.register()
    with pytest.raises(Refused) as gone:
        second.partial(mine, p.id)  # the sessions of the old server are gone with it
    assert gone.value.status == 403
    again = second.begin(token, "ward.xyz", len(data), head(data))
    assert (again.id, again.held) == (p.id, HEAD_BYTES + 10)
    got = _add(second, token, p.id, data[again.held:])
    assert got is not None
    assert hashlib.sha256(got.path.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_a_different_file_with_the_same_announcement_is_stopped_at_its_first_megabyte(
        store: UploadStore) -> None:
    token = store.register()
    claimed, sent = os.urandom(HEAD_BYTES), os.urandom(HEAD_BYTES)
    p = store.begin(token, "a.xyz", HEAD_BYTES, head(claimed))
    with pytest.raises(Refused) as wrong:
        _add(store, token, p.id, sent)
    assert wrong.value.status == 400 and "first bytes" in wrong.value.message
    assert list(store.folder.iterdir()) == []


def test_one_transfer_at_a_time_adds_to_an_upload(store: UploadStore) -> None:
    token = store.register()
    p = store.begin(token, "a.las", 4, head(b"abcd"))
    store.claim(token, p.id, 0)
    with pytest.raises(Refused) as busy:
        store.claim(token, p.id, 0)
    assert busy.value.status == 409
    assert store.release(p, 2) is None and store.claim(token, p.id, 2).held == 2


def test_uploads_nobody_asked_for_or_of_the_wrong_kind_are_refused(
        store: UploadStore, monkeypatch: pytest.MonkeyPatch) -> None:
    token = store.register()
    monkeypatch.setattr(upload_store, "MAX_UPLOAD_BYTES", 100_000_000)
    h = head(b"x")
    cases = [("not-a-token", "a.xyz", 1, h, 403, "not asked for"),
             (token, "notes.txt", 1, h, 415, "notes.txt"),
             (token, "empty.xyz", 0, h, 413, "1 byte"), (token, "big.xyz", 100_000_001, h, 413, "100 MB"),
             (token, "a.xyz", 1, "ab" * 40, 400, "head must be")]
    for who, name, size, first, status, said in cases:
        with pytest.raises(Refused) as refused:
            store.begin(who, name, size, first)
        assert refused.value.status == status and said in refused.value.message
    monkeypatch.setattr(upload_store, "FREE_DISK_MARGIN_BYTES", 1 << 62)
    with pytest.raises(Refused) as full:
        store.begin(token, "a.xyz", 10, h)
    assert full.value.status == 507 and "disk space" in full.value.message
    assert list(store.folder.iterdir()) == []


def test_the_oldest_idle_uploads_make_room_within_the_bound(tmp_path: Path) -> None:
    store = UploadStore(SUFFIXES, tmp_path / "uploads", max_held_bytes=25)
    token = store.register()
    old = store.begin(token, "a.xyz", 10, head(b"a"))
    old.touched -= 60
    busy = store.begin(token, "b.xyz", 10, head(b"b"))
    store.claim(token, busy.id, 0)
    newest = store.begin(token, "c.xyz", 10, head(b"c"))  # 30 > 25: the oldest idle one goes
    assert not old.path.exists() and busy.path.exists() and newest.path.exists()
    with pytest.raises(Refused) as full:  # 10 + 10 + 10 > 25 with nothing idle but the newest
        store.begin(token, "d.xyz", 16, head(b"d"))
    assert full.value.status == 507
    with pytest.raises(Refused, match="larger than"):
        store.begin(token, "e.xyz", 26, head(b"e"))


def test_an_upload_left_for_longer_than_the_set_age_is_deleted_also_across_a_restart(tmp_path: Path) -> None:
    store = UploadStore(SUFFIXES, tmp_path / "uploads", stale_s=3600)
    token = store.register()
    old = store.begin(token, "a.las", 10, head(b"a"))
    kept = store.begin(token, "k.las", 10, head(b"k"))
    old.touched -= 3601
    recent = store.begin(token, "b.las", 10, head(b"b"))
    assert not old.path.exists() and kept.path.exists()
    store.close()
    day_ago = time.time() - 3601
    os.utime(kept.path, (day_ago, day_ago))  # the server was down for longer than the age
    (tmp_path / "uploads" / "stray.las").write_bytes(b"?")  # and files it does not know of
    (tmp_path / "uploads" / "broken.json").write_text("{")
    again = UploadStore(SUFFIXES, tmp_path / "uploads", stale_s=3600)
    assert sorted(p.name for p in again.folder.iterdir()) == [f"{recent.id}.json", f"{recent.id}.las"]
    assert again.begin(again.register(), "b.las", 10, head(b"b")).id == recent.id


def test_closing_a_private_store_deletes_its_files() -> None:
    s = UploadStore(SUFFIXES)
    p = s.begin(s.register(), "a.xyz", 3, head(b"abc"))
    folder = s.folder
    assert p.path.exists()
    s.close()
    assert not folder.exists()


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(1, 5000), min_size=1, max_size=6), size=st.integers(1, 6000))
def test_pieces_of_any_size_rebuild_the_file_exactly(tmp_path_factory: pytest.TempPathFactory,
                                                     cuts: list[int], size: int) -> None:
    data = os.urandom(size)
    store = UploadStore(SUFFIXES, tmp_path_factory.mktemp("u"))
    token = store.register()
    p = store.begin(token, "a.xyz", size, head(data))
    got, held = None, 0
    for n in [*cuts, size]:
        piece = data[held:held + n]
        if not piece:
            break
        got = _add(store, token, p.id, piece)
        held += len(piece)
        assert store.partial(token, p.id).held == held
    assert got is not None and got.path.read_bytes() == data
