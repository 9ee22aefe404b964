"""Imports under hostile input and interruptions: file names that are not UTF-8, a library reached through a
symlink, errors whose cause went away, resumed imports, and what the CLI says and returns."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.core.db.models import FailedFile, Task
from app.core.ingest import tasks as ingest_tasks
from app.core.tasks.runner import run_pending
from ingest_images import deny_folder, make_jpeg


@pytest.fixture(autouse=True)
def _qt(qapp):
    """The engine's headless loop needs a Qt application; let pytest-qt own it."""


def run_cli(capsys, library_dir: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["--library", str(library_dir), *args])
    out, err = capsys.readouterr()
    return rc, out, err


def cli_json(capsys, library_dir: Path, *args: str):
    rc, out, _err = run_cli(capsys, library_dir, *args, "--json")
    assert rc == 0
    return json.loads(out)


def deny_access(monkeypatch, folder: Path) -> None:
    """`folder` as a non-root user sees it after `chmod 000`: it cannot be listed, and nothing inside it can be
    stat'ed (tests run as root, whom chmod does not stop)."""
    deny_folder(monkeypatch, folder.name)
    inside = str(folder) + os.sep
    real_stat, real_lstat = os.stat, os.lstat

    def guard(real):
        def call(path, *args, **kwargs):
            if os.fsdecode(path).startswith(inside):
                raise PermissionError(13, "Permission denied", os.fsdecode(path))
            return real(path, *args, **kwargs)

        return call

    monkeypatch.setattr(os, "stat", guard(real_stat))
    monkeypatch.setattr(os, "lstat", guard(real_lstat))


# -- 1. names that are not UTF-8 ------------------------------------------------------------------------------


def test_file_names_that_are_not_utf8_are_imported_losslessly(tmp_path, capsys):
    folder = tmp_path / "photos"
    make_jpeg(folder / "plain.jpg", seed=1)
    raw_folder = os.fsencode(folder)
    latin1 = make_jpeg(tmp_path / "src1.jpg", seed=2).read_bytes()
    with open(raw_folder + b"/caf\xe9.jpg", "wb") as f:  # Latin-1 "café": legal on Linux, not UTF-8
        f.write(latin1)
    os.mkdir(raw_folder + b"/D\xfcsseldorf")
    with open(raw_folder + b"/D\xfcsseldorf/rhein.jpg", "wb") as f:
        f.write(make_jpeg(tmp_path / "src2.jpg", seed=3).read_bytes())
    with open(raw_folder + b"/bad\xff.jpg", "wb") as f:
        f.write(b"not an image at all")
    lib = tmp_path / "lib"

    summary = cli_json(capsys, lib, "import", str(folder))
    assert (summary["imported"], summary["failed"]) == (3, 1)

    rc, out, _ = run_cli(capsys, lib, "photos", "--json")
    assert rc == 0
    assert "\udce9" not in out and "\\udce9" in out  # valid UTF-8 JSON: the byte as its escape
    paths = {os.fsencode(p) for photo in json.loads(out) for p in photo["paths"]}
    assert paths == {raw_folder + b"/plain.jpg", raw_folder + b"/caf\xe9.jpg", raw_folder + b"/D\xfcsseldorf/rhein.jpg"}
    for photo in json.loads(out):
        assert Path(photo["thumbnail"]).is_file()
    [error] = cli_json(capsys, lib, "errors")
    assert os.fsencode(error["path"]) == raw_folder + b"/bad\xff.jpg" and error["error_class"] == "NotAnImage"
    rc, out, _ = run_cli(capsys, lib, "errors")  # the text listing prints too
    assert rc == 0 and "1 file could not be imported" in out

    again = cli_json(capsys, lib, "import", str(folder))
    assert (again["imported"], again["skipped"], again["missing"]) == (0, 4, 0)

    os.remove(raw_folder + b"/caf\xe9.jpg")
    gone = cli_json(capsys, lib, "import", str(folder))
    assert gone["missing"] == 1
    missing = [p for p in cli_json(capsys, lib, "photos") if p["status"] == "missing"]
    assert [os.fsencode(p) for p in missing[0]["missing_paths"]] == [raw_folder + b"/caf\xe9.jpg"]


def test_an_import_root_that_is_not_utf8(tmp_path, library):
    raw = os.fsencode(tmp_path) + b"/R\xe9sum\xe9"
    os.mkdir(raw)
    make_jpeg(Path(os.fsdecode(raw)) / "a.jpg", seed=1)
    assert library.importer.import_paths([os.fsdecode(raw)], progress=False).imported == 1
    again = library.importer.import_paths([os.fsdecode(raw)], progress=False)
    assert (again.imported, again.skipped, again.missing) == (0, 1, 0)
    [folder] = library.photos.folders()
    assert os.fsencode(folder.path) == raw and folder.photo_count == 1


# -- 7. the library inside an imported folder, reached through a symlink ---------------------------------------


def test_library_reached_through_a_symlink_is_not_imported(tmp_path):
    from app.core.library import Library

    real = tmp_path / "real"
    make_jpeg(real / "a.jpg")
    (tmp_path / "link").symlink_to(real)
    with Library.open(real / "lib") as library:
        summary = library.importer.import_paths([tmp_path / "link"], progress=False)
        assert summary.imported == 1 and library.photos.count() == 1  # its own thumbnails are not photos
        thumb = next(library.layout.thumbnails.rglob("*.jpg"))
        linked = tmp_path / "link" / thumb.relative_to(real)
        assert library.importer.import_paths([linked], progress=False).imported == 0  # not even one by one


# -- 13. stale errors ------------------------------------------------------------------------------------------


def test_unreadable_folder_error_clears_once_it_can_be_read(tmp_path, library, monkeypatch):
    folder = tmp_path / "photos"
    make_jpeg(folder / "ok" / "a.jpg", seed=1)
    make_jpeg(folder / "locked" / "b.jpg", seed=2)
    with monkeypatch.context() as m:
        deny_access(m, folder / "locked")
        summary = library.importer.import_paths([folder], progress=False)
    assert (summary.imported, summary.failed) == (1, 1)
    assert [e.error_class for e in library.importer.errors()] == ["Unreadable"]

    summary = library.importer.import_paths([folder], progress=False)
    assert (summary.imported, summary.skipped, summary.failed) == (1, 1, 0)
    assert library.importer.errors() == []


def test_photos_in_a_folder_that_became_unreadable_are_not_missing(tmp_path, library, monkeypatch):
    folder = tmp_path / "photos"
    make_jpeg(folder / "ok" / "a.jpg", seed=1)
    make_jpeg(folder / "locked" / "b.jpg", seed=2)
    make_jpeg(folder / "locked" / "deeper" / "c.jpg", seed=3)
    assert library.importer.import_paths([folder], progress=False).imported == 3

    deny_access(monkeypatch, folder / "locked")
    summary = library.importer.import_paths([folder], progress=False)
    assert (summary.missing, summary.failed) == (0, 1)
    assert {p.status for p in library.photos.list()} == {"ok"}
    assert [e.path for e in library.importer.errors()] == [str(folder / "locked")]


def test_errors_of_files_that_are_gone_are_cleared(tmp_path, library):
    folder = tmp_path / "photos"
    make_jpeg(folder / "stays.jpg", seed=1)
    doomed = make_jpeg(folder / "vanishes.jpg", seed=2)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    library.importer.start_import([folder])
    run_pending(library, library.tasks.store, max_tasks=1)  # the scan queues the files
    doomed.unlink()
    run_pending(library, library.tasks.store)
    assert {Path(e.path).name: e.error_class for e in library.importer.errors()} == {
        "vanishes.jpg": "FileVanished",
        "broken.jpg": "CorruptImage",
    }

    # Re-importing the folder: the vanished file's error has no cause left; the broken file still fails.
    library.importer.import_paths([folder], progress=False)
    assert [Path(e.path).name for e in library.importer.errors()] == ["broken.jpg"]
    # Deleted: its error goes too, even when another folder is imported.
    (folder / "broken.jpg").unlink()
    other = tmp_path / "other"
    make_jpeg(other / "x.jpg", seed=4)
    library.importer.import_paths([other], progress=False)
    assert library.importer.errors() == []


def test_a_recorded_typo_path_is_cleared_by_the_next_import(tmp_path, library):
    """Libraries made before missing paths were refused hold an error row for the typo."""
    from app.core.ingest.store import store_failure

    with library.db.write_session() as s:
        store_failure(s, str(tmp_path / "Pictrues"), "Unreadable", "cannot read: No such file or directory")
    folder = tmp_path / "photos"
    make_jpeg(folder / "a.jpg")
    library.importer.import_paths([folder], progress=False)
    assert library.importer.errors() == []


def test_error_behind_an_unreadable_folder_is_kept(tmp_path, library, monkeypatch):
    folder = tmp_path / "photos"
    (folder / "locked").mkdir(parents=True)
    (folder / "locked" / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    library.importer.import_paths([folder], progress=False)
    deny_access(monkeypatch, folder / "locked")
    library.importer.import_paths([folder], progress=False)
    assert sorted((Path(e.path).name, e.error_class) for e in library.importer.errors()) == [
        ("broken.jpg", "CorruptImage"),
        ("locked", "Unreadable"),
    ]


# -- honest CLI results ----------------------------------------------------------------------------------------


def test_resumed_import_counts_what_it_did(tmp_path, capsys, library):
    """An import stopped after 2 of 5 photos: the next import reports the 3 it imported and the 2 it skipped,
    not 'imported 0, skipped 5' (the interrupted import's tasks used to run under the old import's name)."""
    folder = tmp_path / "photos"
    for i in range(5):
        make_jpeg(folder / f"p{i}.jpg", seed=i, size=(160, 120))
    library.importer.start_import([folder])
    run_pending(library, library.tasks.store, max_tasks=3)  # the scan and two photos, then "killed"
    assert library.photos.count() == 2
    library.close()

    summary = cli_json(capsys, tmp_path / "library", "import", str(folder))
    assert (summary["imported"], summary["skipped"], summary["failed"]) == (3, 2, 0)


def test_resumed_import_whose_scan_was_interrupted(tmp_path, capsys, library):
    """Killed before its scan ran: the pending scan joins the next import instead of leaving it empty."""
    folder = tmp_path / "photos"
    for i in range(3):
        make_jpeg(folder / f"p{i}.jpg", seed=i, size=(160, 120))
    library.importer.start_import([folder])
    library.close()
    summary = cli_json(capsys, tmp_path / "library", "import", str(folder))
    assert (summary["imported"], summary["skipped"]) == (3, 0)


def test_cli_import_exit_codes_and_messages(tmp_path, capsys):
    lib = tmp_path / "lib"
    good = tmp_path / "good"
    make_jpeg(good / "a.jpg")
    rc, _, err = run_cli(capsys, lib, "import", str(good), str(tmp_path / "typo"))
    assert rc == 2 and "no such file or folder" in err and str(tmp_path / "typo") in err
    rc, out, _ = run_cli(capsys, lib, "photos", "--json")
    assert json.loads(out) == []  # nothing was imported, not even the good folder

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "zero.jpg").write_bytes(b"")
    rc, out, err = run_cli(capsys, lib, "import", str(bad))
    assert rc == 1 and "failed 1" in out and "1 file failed" in err

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no photos here")
    rc, out, err = run_cli(capsys, lib, "import", str(empty))
    assert rc == 0 and f"no photos found in {empty}" in err

    rc, _, err = run_cli(capsys, lib, "import", str(good))
    assert rc == 0 and "no photos found" not in err
    rc, out, _ = run_cli(capsys, lib, "photos")
    assert out.rstrip().endswith("\n1 photo")  # not "1 photos"


# -- scale: a big scan queues its files in batches -------------------------------------------------------------


def test_scan_commits_its_files_in_batches(tmp_path, library, monkeypatch):
    """Workers can start on the first files while the scan of a big folder goes on."""
    folder = tmp_path / "photos"
    for i in range(7):
        make_jpeg(folder / f"p{i}.jpg", seed=i, size=(64, 48))
    monkeypatch.setattr(ingest_tasks, "SCAN_BATCH", 3)
    committed_while_scanning = []
    real_sniff = ingest_tasks.sniff

    def sniff(path):
        with library.db.read_session() as s:  # another connection sees only committed rows
            committed_while_scanning.append(s.scalar(select(func.count()).where(Task.type == "ingest")))
        return real_sniff(path)

    monkeypatch.setattr(ingest_tasks, "sniff", sniff)
    group = library.importer.start_import([folder])
    run_pending(library, library.tasks.store)
    assert committed_while_scanning == [0, 0, 0, 3, 3, 3, 6]
    summary = library.importer.summary(group)
    assert summary.imported == 7 and library.photos.count() == 7
    with library.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(FailedFile)) == 0


def test_cancelled_scan_queues_no_further_batch(tmp_path, library, monkeypatch):
    folder = tmp_path / "photos"
    for i in range(5):
        make_jpeg(folder / f"p{i}.jpg", seed=i, size=(64, 48))
    monkeypatch.setattr(ingest_tasks, "SCAN_BATCH", 2)
    real_sniff = ingest_tasks.sniff
    calls = []
    group = library.importer.start_import([folder])

    def sniff(path):
        calls.append(path)
        if len(calls) == 3:  # the first batch is committed; the user cancels the import now
            library.tasks.store.cancel_group(group)
        return real_sniff(path)

    monkeypatch.setattr(ingest_tasks, "sniff", sniff)
    run_pending(library, library.tasks.store)
    with library.db.read_session() as s:
        states = dict(
            s.execute(select(Task.state, func.count()).where(Task.type == "ingest").group_by(Task.state)).all()
        )
    assert states == {"cancelled": 2}  # the first batch, cancelled with its import; no later batch was queued
    assert library.photos.count() == 0


def test_log_file_takes_a_file_name_that_is_not_utf8(tmp_path):
    """A log record quoting a non-UTF-8 name is written with \\xNN escapes, never as a logging error."""
    import logging

    from app.core.logs import attach_library_log, detach_library_log

    logs = tmp_path / "logs"
    logs.mkdir()
    attach_library_log(logs)
    try:
        logging.getLogger("app.test").warning("cannot read %s", os.fsdecode(b"caf\xe9.jpg"))
    finally:
        detach_library_log(logs)
    assert "caf\\udce9.jpg" in (logs / "shoebox.log").read_text(encoding="utf-8")
