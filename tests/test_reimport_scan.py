"""A re-import compares each file on disk with its row by (path, size, mtime) in one read of the root's rows
(scan_root's `known_files`): unchanged files are skipped, changed ones read again, new ones imported, vanished
ones marked missing; files of another folder whose name starts the same are never mistaken for the root's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from app.core.db.models import PhotoFile
from app.core.ingest.scan import ScannedFile, walk_files
from app.core.ingest.tasks import known_files
from ingest_images import make_jpeg


@pytest.fixture(autouse=True)
def _qt(qapp):
    """The engine's headless loop needs a Qt application; let pytest-qt own it."""


def counts(summary) -> tuple[int, int, int, int]:
    return summary.imported, summary.skipped, summary.missing, summary.failed


def test_unchanged_changed_new_and_vanished_files(tmp_path, library):
    root = tmp_path / "photos"
    a = make_jpeg(root / "a.jpg", seed=1)
    b = make_jpeg(root / "sub" / "b.jpg", seed=2)
    c = make_jpeg(root / "sub" / "c.jpg", seed=3)
    assert counts(library.importer.import_paths([root], progress=False)) == (3, 0, 0, 0)
    assert counts(library.importer.import_paths([root], progress=False)) == (0, 3, 0, 0)

    make_jpeg(b, seed=4)  # new bytes at the same path
    st = os.stat(a)
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # same bytes, newer time: read again
    c.unlink()
    make_jpeg(root / "sub" / "d.jpg", seed=5)
    summary = library.importer.import_paths([root], progress=False)
    assert summary.imported == 2  # b's new bytes and d
    assert summary.missing == 1 and summary.failed == 0
    assert summary.skipped == 1  # a: read again, its content is known

    with library.db.read_session() as s:
        rows = {Path(r.path).name: r for r in s.scalars(select(PhotoFile))}
    assert rows["c.jpg"].missing and not rows["a.jpg"].missing
    assert (rows["a.jpg"].size, rows["a.jpg"].mtime_ns) == (os.stat(a).st_size, os.stat(a).st_mtime_ns)
    assert (rows["b.jpg"].size, rows["b.jpg"].mtime_ns) == (os.stat(b).st_size, os.stat(b).st_mtime_ns)
    assert counts(library.importer.import_paths([root], progress=False)) == (0, 3, 0, 0)

    make_jpeg(c, seed=3)  # back again: found, no longer missing
    library.importer.import_paths([root], progress=False)
    with library.db.read_session() as s:
        assert not s.scalar(select(PhotoFile.missing).where(PhotoFile.path == str(c)))


def test_a_sibling_folder_with_the_same_start_is_not_part_of_the_root(tmp_path, library):
    root, sibling, upper = tmp_path / "trip", tmp_path / "trip2", tmp_path / "TRIP"
    make_jpeg(root / "a.jpg", seed=1)
    make_jpeg(sibling / "b.jpg", seed=2)
    make_jpeg(upper / "c.jpg", seed=3)
    library.importer.import_paths([root, sibling, upper], progress=False)
    (sibling / "b.jpg").unlink()
    (upper / "c.jpg").unlink()
    summary = library.importer.import_paths([root], progress=False)
    assert counts(summary) == (0, 1, 0, 0)  # the other folders' vanished files are not this root's business
    with library.db.read_session() as s:
        assert set(known_files(s, str(root))) == {str(root / "a.jpg")}
        assert set(known_files(s, str(root / "a.jpg"))) == {str(root / "a.jpg")}  # a root that is a file
        assert set(known_files(s, str(sibling))) == {str(sibling / "b.jpg")}


@pytest.mark.skipif(os.name != "posix", reason="file names of any bytes are a POSIX thing")
def test_file_names_that_are_not_utf8_are_compared_too(tmp_path, library):
    root = tmp_path / "photos"
    root.mkdir()
    odd = os.fsdecode(os.fsencode(str(root)) + b"/caf\xe9.jpg")
    make_jpeg(Path(odd), seed=7)
    make_jpeg(tmp_path / os.fsdecode(b"other\xe9") / "x.jpg", seed=8)
    library.importer.import_paths([root, tmp_path / os.fsdecode(b"other\xe9")], progress=False)
    with library.db.read_session() as s:
        assert set(known_files(s, str(root))) == {odd}
    assert counts(library.importer.import_paths([root], progress=False)) == (0, 1, 0, 0)
    os.unlink(odd)
    assert counts(library.importer.import_paths([root], progress=False)) == (0, 0, 1, 0)


def test_walk_yields_path_size_and_mtime_in_name_order(tmp_path):
    make_jpeg(tmp_path / "b" / "y.jpg", seed=1)
    make_jpeg(tmp_path / "a.jpg", seed=2)
    make_jpeg(tmp_path / "c.jpg", seed=4)
    (tmp_path / ".hidden").mkdir()
    make_jpeg(tmp_path / ".hidden" / "z.jpg", seed=3)
    (tmp_path / ".dotfile.jpg").write_bytes(b"x")
    (tmp_path / "dangling.jpg").symlink_to(tmp_path / "nowhere.jpg")
    (tmp_path / "link").symlink_to(tmp_path / "b")
    files = list(walk_files(tmp_path))
    assert [Path(f[0]).relative_to(tmp_path).as_posix() for f in files] == ["a.jpg", "c.jpg", "b/y.jpg"]
    st = os.stat(tmp_path / "a.jpg")
    assert files[0] == ScannedFile(str(tmp_path / "a.jpg"), st.st_size, st.st_mtime_ns)
