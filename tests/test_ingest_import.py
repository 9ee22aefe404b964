"""Whole imports through the task engine and the CLI: counts, JSON contracts, re-import, moves, duplicates, bad
input, and the sample camera corpus."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.cli import main
from app.core.db.models import Photo
from app.core.tasks.runner import run_pending
from ingest_images import deny_folder, make_image, make_jpeg


@pytest.fixture(autouse=True)
def _qt(qapp):
    """The engine's headless loop needs a Qt application; let pytest-qt own it."""


def cli_json(capsys, library_dir: Path, *args: str):
    capsys.readouterr()
    assert main(["--library", str(library_dir), *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def make_folder(root: Path) -> Path:
    make_jpeg(root / "trip" / "beach.jpg", seed=1, taken="2022:08:01 10:00:00", offset="+02:00", gps=(43.5, -1.25))
    make_jpeg(root / "trip" / "hill.jpg", seed=2, orientation=6, size=(640, 480))
    make_image(root / "scan.png", "PNG", seed=3)
    make_image(root / "phone.heic", "HEIF", seed=4)
    (root / "notes.txt").write_text("not a photo, not an error")
    return root


def test_import_json_contract_and_idempotent_reimport(tmp_path, capsys):
    photos_dir = make_folder(tmp_path / "photos")
    lib = tmp_path / "lib"
    first = cli_json(capsys, lib, "import", str(photos_dir))
    assert first == {"imported": 4, "duplicates": 0, "skipped": 0, "failed": 0, "missing": 0, "moved": 0}
    listing = cli_json(capsys, lib, "photos")
    assert len(listing) == 4
    beach = next(p for p in listing if p["path"].endswith("beach.jpg"))
    assert beach["taken_at"] == "2022-08-01T10:00:00" and beach["taken_at_source"] == "DateTimeOriginal"
    assert beach["tz_offset"] == "+02:00"
    assert beach["gps_lat"] == pytest.approx(43.5, abs=1e-5) and beach["gps_lon"] == pytest.approx(-1.25, abs=1e-5)
    assert (beach["camera_make"], beach["camera_model"], beach["format"]) == ("Canon", "EOS 5D", "JPEG")
    hill = next(p for p in listing if p["path"].endswith("hill.jpg"))
    assert (hill["width"], hill["height"], hill["orientation"]) == (480, 640, 6)
    for photo in listing:
        assert len(photo["phash"]) == 16 and Path(photo["thumbnail"]).is_file() and Path(photo["preview"]).is_file()
    assert {p["format"] for p in listing} == {"JPEG", "PNG", "HEIF"}

    second = cli_json(capsys, lib, "import", str(photos_dir))
    assert second == {"imported": 0, "duplicates": 0, "skipped": 4, "failed": 0, "missing": 0, "moved": 0}
    assert cli_json(capsys, lib, "photos") == listing
    assert cli_json(capsys, lib, "errors") == []


def test_moved_deleted_and_exact_duplicate_files(tmp_path, capsys):
    photos_dir = make_folder(tmp_path / "photos")
    lib = tmp_path / "lib"
    cli_json(capsys, lib, "import", str(photos_dir))
    before = {p["sha256"]: p for p in cli_json(capsys, lib, "photos")}

    (photos_dir / "renamed").mkdir()
    os.rename(photos_dir / "trip" / "beach.jpg", photos_dir / "renamed" / "beach-2022.jpg")
    os.remove(photos_dir / "scan.png")
    shutil.copy2(photos_dir / "trip" / "hill.jpg", photos_dir / "hill-copy.jpg")
    summary = cli_json(capsys, lib, "import", str(photos_dir))
    assert summary == {"imported": 0, "duplicates": 1, "skipped": 2, "failed": 0, "missing": 1, "moved": 1}

    after = {p["sha256"]: p for p in cli_json(capsys, lib, "photos")}
    assert after.keys() == before.keys()  # nothing erased, nothing new
    beach = next(p for p in after.values() if "beach" in p["path"])
    assert beach["id"] == before[beach["sha256"]]["id"]
    assert beach["paths"] == [str(photos_dir / "renamed" / "beach-2022.jpg")]
    scan = next(p for p in after.values() if p["format"] == "PNG")
    assert scan["status"] == "missing" and scan["missing_paths"] == [str(photos_dir / "scan.png")]
    hill = next(p for p in after.values() if "hill" in p["path"])
    assert sorted(hill["paths"]) == sorted([str(photos_dir / "trip" / "hill.jpg"), str(photos_dir / "hill-copy.jpg")])
    groups = cli_json(capsys, lib, "duplicates")
    exact = [g for g in groups if g["kind"] == "exact"]
    assert len(exact) == 1 and exact[0]["photos"][0]["id"] == hill["id"]


def test_near_duplicates_grouped_and_keep_only(tmp_path, capsys, library):
    folder = tmp_path / "photos"
    original = make_jpeg(folder / "a.jpg", size=(800, 600), seed=11, quality=95)
    with Image.open(original) as image:
        image.resize((400, 300)).save(folder / "a-small.jpg", quality=60)  # same picture, other bytes
    make_jpeg(folder / "b.jpg", size=(800, 600), seed=12)
    library.importer.import_paths([folder], progress=False)
    groups = [g for g in library.importer.duplicate_groups() if g.kind == "near"]
    assert len(groups) == 1
    ids = sorted(p.id for p in groups[0].photos)
    assert sorted(Path(p.path).name for p in groups[0].photos) == ["a-small.jpg", "a.jpg"]

    hidden = library.importer.keep_only(ids[0])
    assert hidden == [ids[1]]
    assert library.photos.count() == 2 and library.photos.count(include_hidden=True) == 3
    assert library.importer.unhide(hidden) == 1
    assert library.photos.count() == 3


def test_bad_input_is_recorded_and_never_stops_the_import(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "photos"
    make_jpeg(folder / "good.jpg", seed=1)
    good = make_jpeg(tmp_path / "src.jpg", size=(600, 450), seed=2).read_bytes()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / "zero.jpg").write_bytes(b"")
    (folder / "text.jpeg").write_text("I am text")
    bomb = make_image(folder / "bomb.png", "PNG", size=(700, 700))
    lib = tmp_path / "lib"
    capsys.readouterr()
    # A path that does not exist (a typo) is refused at once, not recorded as a file error.
    assert main(["--library", str(lib), "import", str(tmp_path / "none")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert cli_json(capsys, lib, "errors") == []
    from app.core.library import Library

    with Library.open(lib) as library:
        library.config.set("ingest.max_pixels", 400_000)  # the 700x700 PNG is a "bomb" for this library
    summary = cli_json(capsys, lib, "import", str(folder))
    assert summary["imported"] == 1 and summary["failed"] == 4
    errors = {Path(e["path"]).name: e for e in cli_json(capsys, lib, "errors")}
    assert errors["truncated.jpg"]["error_class"] == "TruncatedImage"
    assert errors["zero.jpg"]["error_class"] == "EmptyFile"
    assert errors["text.jpeg"]["error_class"] == "NotAnImage"
    assert errors["bomb.png"]["error_class"] == "DecompressionBomb"
    assert "none" not in errors
    assert all(e["reason"] for e in errors.values())

    # Fixed files are imported on the next run and leave the error list.
    (folder / "truncated.jpg").write_bytes(good)
    with Library.open(lib) as library:
        library.config.set("ingest.max_pixels", 180_000_000)
    os.utime(bomb)  # changed: re-examined
    summary = cli_json(capsys, lib, "import", str(folder))
    assert summary["imported"] == 2
    remaining = {Path(e["path"]).name for e in cli_json(capsys, lib, "errors")}
    assert "truncated.jpg" not in remaining and "bomb.png" not in remaining and "zero.jpg" in remaining


def test_file_vanishing_mid_import_is_a_recorded_error(tmp_path, library):
    folder = tmp_path / "photos"
    make_jpeg(folder / "stays.jpg", seed=1)
    doomed = make_jpeg(folder / "vanishes.jpg", seed=2)
    group = library.importer.start_import([folder])
    run_pending(library, library.tasks.store, max_tasks=1)  # the scan queues both files
    doomed.unlink()
    run_pending(library, library.tasks.store)
    summary = library.importer.summary(group)
    assert (summary.imported, summary.failed) == (1, 1)
    [error] = library.importer.errors()
    assert error.path == str(doomed) and error.error_class == "FileVanished"


def test_unreadable_folder_is_recorded(tmp_path, library, monkeypatch):
    folder = tmp_path / "photos"
    make_jpeg(folder / "ok" / "a.jpg")
    make_jpeg(folder / "locked" / "b.jpg", seed=3)
    deny_folder(monkeypatch, "locked")
    summary = library.importer.import_paths([folder], progress=False)
    assert (summary.imported, summary.failed) == (1, 1)
    assert [(e.path, e.error_class) for e in library.importer.errors()] == [(str(folder / "locked"), "Unreadable")]


def test_library_inside_imported_folder_is_not_imported(tmp_path):
    from app.core.library import Library

    make_jpeg(tmp_path / "a.jpg")
    with Library.open(tmp_path / "lib") as library:
        summary = library.importer.import_paths([tmp_path], progress=False)
        assert summary.imported == 1  # its own thumbnails are not photos
        with library.db.read_session() as s:
            assert len(s.scalars(select(Photo)).all()) == 1


# -- the sample camera files ---------------------------------------------------------------------------------


def test_corpus_imports_completely_and_idempotently(corpus, tmp_path, capsys):
    lib = tmp_path / "lib"
    first = cli_json(capsys, lib, "import", str(corpus))
    listing = cli_json(capsys, lib, "photos")
    errors = cli_json(capsys, lib, "errors")
    files = [p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in {".jpg", ".heic", ".heif"}]
    imported = {p for photo in listing for p in photo["paths"]}
    failed = {e["path"] for e in errors}
    assert imported | failed == {str(p) for p in files}  # every file is either a photo or a listed error
    assert not (imported & failed)
    for path in files:
        if "invalid" in path.parts:
            continue
        assert str(path) in imported, path  # every readable camera file made it
    assert first["imported"] == len(listing) and first["failed"] == len(errors)

    second = cli_json(capsys, lib, "import", str(corpus))
    assert second["imported"] == 0 and second["skipped"] == len(files)
    assert cli_json(capsys, lib, "photos") == listing
    assert cli_json(capsys, lib, "errors") == errors

    by_name = {Path(p["path"]).name: p for p in listing}
    gps = by_name["DSCN0010.jpg"]
    assert gps["gps_lat"] == pytest.approx(43 + 28 / 60 + 2.814 / 3600, abs=1e-6)
    assert gps["gps_lon"] == pytest.approx(11 + 53 / 60 + 6.456 / 3600, abs=1e-6)
    assert gps["taken_at"] == "2008-10-22T16:28:39"
    iphone = by_name["iphone_13_pro_max.HEIC"]
    assert (iphone["width"], iphone["height"], iphone["tz_offset"]) == (3024, 4032, "+01:00")
    for n in range(1, 9):
        for shape in ("portrait", "landscape"):
            photo = by_name[f"{shape}_{n}.jpg"]
            with Image.open(photo["thumbnail"]) as thumb:
                width, height = thumb.size
            assert (height > width) == (shape == "portrait"), (shape, n, thumb.size)
            assert (photo["height"] > photo["width"]) == (shape == "portrait")


def test_full_disk_is_a_clear_error_and_the_next_import_retries(tmp_path, library, monkeypatch):
    """Thumbnails cannot be written (disk full): the file is listed with the reason, nothing half-written is
    kept, and once there is space again a plain re-import brings it in."""
    import errno

    from app.core.ingest import thumbnails

    folder = tmp_path / "photos"
    make_jpeg(folder / "a.jpg", seed=1)
    library.config.set("tasks.max_attempts", 1)  # no backoff wait in the test
    real_save = thumbnails.save_jpeg_atomic

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(thumbnails, "save_jpeg_atomic", disk_full)
    summary = library.importer.import_paths([folder], progress=False)
    assert (summary.imported, summary.failed) == (0, 1)
    (error,) = library.importer.errors()
    assert error.error_class == "FileBusy" and "No space left on device" in error.reason
    assert library.photos.count() == 0 and not list(library.layout.thumbnails.rglob("*.jpg"))

    monkeypatch.setattr(thumbnails, "save_jpeg_atomic", real_save)
    summary = library.importer.import_paths([folder], progress=False)
    assert summary.imported == 1 and library.importer.errors() == []


def test_a_thumbnail_that_cannot_be_flushed_fails_its_photo_alone(tmp_path, library, monkeypatch):
    """Thumbnails of a batch are flushed together before its commit; a full disk seen only at that flush fails
    that photo (listed, nothing of it kept), not the photos imported with it."""
    import errno

    from app.core.ingest import thumbnails
    from app.core.ingest.hashing import sha256_file

    folder = tmp_path / "photos"
    for i in range(4):
        make_jpeg(folder / f"p{i}.jpg", seed=10 + i)
    doomed, _ = sha256_file(folder / "p2.jpg")
    library.config.set("tasks.max_attempts", 1)
    real_flush = thumbnails._flush_one

    def flush(path):
        if doomed in path:
            return OSError(errno.ENOSPC, "No space left on device")
        return real_flush(path)

    monkeypatch.setattr(thumbnails, "_flush_one", flush)
    summary = library.importer.import_paths([folder], progress=False)
    assert (summary.imported, summary.failed) == (3, 1)
    (error,) = library.importer.errors()
    assert error.path.endswith("p2.jpg") and error.error_class == "FileBusy" and "No space left" in error.reason
    assert not [p for p in library.layout.thumbnails.rglob("*.jpg") if doomed in p.name]
