"""The upload store: resumable uploads per session, for a scan format and a sane size, handed over once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scenarios.ui import upload_store
from scenarios.ui.upload_store import Refused, UploadStore

SUFFIXES = (".xyz", ".las")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[UploadStore]:
    s = UploadStore(SUFFIXES, tmp_path / "uploads")
    s.folder.mkdir()
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
    token = store.register()
    p = store.begin(token, "../../scans/ward.xyz", 10, key="ward.xyz|10|1")
    assert p.name == "ward.xyz" and p.held == 0 and p.path.parent == store.folder  # no client path used
    assert _add(store, token, p.id, b"01234") is None
    again = store.begin(token, "ward.xyz", 10, key="ward.xyz|10|1")  # the same file picked again
    assert again.id == p.id and again.held == 5
    with pytest.raises(Refused) as wrong:  # a transfer must start at the bytes held
        store.claim(token, p.id, 0)
    assert wrong.value.status == 409 and "holds 5 bytes" in wrong.value.message
    got = _add(store, token, p.id, b"56789")
    assert got is not None and got.path.read_bytes() == b"0123456789" and got.size == 10
    upload_id = store.finished(token, got)
    assert store.take(token, upload_id) == got and store.take(token, upload_id) is None
    with pytest.raises(Refused, match="no such upload"):
        store.partial(token, p.id)


def test_one_transfer_at_a_time_adds_to_an_upload(store: UploadStore) -> None:
    token = store.register()
    p = store.begin(token, "a.las", 4, key="k")
    store.claim(token, p.id, 0)
    with pytest.raises(Refused) as busy:
        store.claim(token, p.id, 0)
    assert busy.value.status == 409
    assert store.release(p, 2) is None and store.claim(token, p.id, 2).held == 2


def test_another_file_replaces_the_session_s_unfinished_upload(store: UploadStore) -> None:
    token, other = store.register(), store.register()
    first = store.begin(token, "a.las", 10, key="a")
    theirs = store.begin(other, "a.las", 10, key="a")
    assert theirs.id != first.id  # sessions never share an upload
    second = store.begin(token, "b.las", 10, key="b")
    assert not first.path.exists() and second.path.exists() and theirs.path.exists()
    with pytest.raises(Refused):
        store.partial(other, second.id)  # nor read another's


def test_uploads_nobody_asked_for_or_of_the_wrong_kind_are_refused(
        store: UploadStore, monkeypatch: pytest.MonkeyPatch) -> None:
    token = store.register()
    monkeypatch.setattr(upload_store, "MAX_UPLOAD_BYTES", 100_000_000)
    cases = [("not-a-token", "a.xyz", 1, 403, "not asked for"), (token, "notes.txt", 1, 415, "notes.txt"),
             (token, "empty.xyz", 0, 413, "1 byte"), (token, "big.xyz", 100_000_001, 413, "100 MB")]
    for who, name, size, status, said in cases:
        with pytest.raises(Refused) as refused:
            store.begin(who, name, size, key="k")
        assert refused.value.status == status and said in refused.value.message
    monkeypatch.setattr(upload_store, "FREE_DISK_MARGIN_BYTES", 1 << 62)
    with pytest.raises(Refused) as full:
        store.begin(token, "a.xyz", 10, key="k")
    assert full.value.status == 507 and "disk space" in full.value.message
    assert list(store.folder.iterdir()) == []


def test_an_upload_left_unfinished_for_a_day_is_deleted(store: UploadStore) -> None:
    token, other = store.register(), store.register()
    old = store.begin(token, "a.las", 10, key="a")
    old.touched -= upload_store.STALE_S + 1
    store.begin(other, "b.las", 10, key="b")
    assert not old.path.exists()


def test_closing_the_store_deletes_its_files() -> None:
    s = UploadStore(SUFFIXES)
    token = s.register()
    p = s.begin(token, "a.xyz", 3, key="k")
    folder = s.folder
    assert p.path.exists()
    s.close()
    assert not folder.exists()
