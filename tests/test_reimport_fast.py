"""What keeps a re-import of an unchanged library fast (issue 16: 100k photos in <= 2 s) without changing what it
does: the program skips Python's module teardown but still runs atexit functions and keeps its exit codes, and
the queries an unchanged import runs find their rows through an index instead of reading a whole table.
Speed itself is measured by `shoebox bench ingest --reimport`, not here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}


_PROBE = """
import atexit, sys
import app.cli

class Teardown:
    def __del__(self):
        print("TEARDOWN", flush=True)

keep = Teardown()
atexit.register(lambda: print("ATEXIT", flush=True))
sys.argv = ["shoebox", "--library", sys.argv[1]] + sys.argv[2:]
sys.exit(app.cli.main())
"""


def test_the_program_ends_without_module_teardown_but_runs_atexit(tmp_path):
    result = subprocess.run([sys.executable, "-c", _PROBE, str(tmp_path / "lib"), "info"], env=_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "ATEXIT" in result.stdout
    assert "TEARDOWN" not in result.stdout  # module globals were not torn down: the process ended at once


def test_the_program_keeps_its_exit_status_and_output(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    lib = str(tmp_path / "lib")
    missing = subprocess.run([sys.executable, "-m", "app.cli", "--library", lib, "import", "--no-progress",
                              str(tmp_path / "nowhere")], env=_env(), capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    empty = subprocess.run([sys.executable, "-m", "app.cli", "--library", lib, "import", "--no-progress",
                            str(photos)], env=_env(), capture_output=True, text=True, timeout=300)
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.strip() == "imported 0, duplicates 0, skipped 0, failed 0, missing 0, moved 0"
    assert "no photos found" in empty.stderr


def test_main_with_arguments_returns_to_its_caller(tmp_path, capsys):
    from app.cli import main

    assert main(["--library", str(tmp_path / "lib"), "info"]) == 0  # in-process callers (tests) keep running


# Questions an import's last steps ask of the whole library, and the index each must be answered from.
_INDEXED_QUESTIONS = {
    "dup_key IS NULL": "ix_photos_ungrouped",  # photos never grouped as near duplicates
    "phash_crops IS NULL": "ix_photos_without_crops",  # photos still lacking their crop hashes
    "finished_at <": "ix_tasks_finished",  # finished tasks old enough to prune
    "thumbnails_check": "ix_tasks_dedupe_key",  # where the last thumbnail check stopped
}


def test_an_unchanged_reimport_answers_its_questions_from_indexes(tmp_path, library, qapp):
    from sqlalchemy import event

    from ingest_images import make_jpeg

    if library.db.dialect != "sqlite":
        return
    root = tmp_path / "photos"
    for seed in range(3):
        make_jpeg(root / f"{seed}.jpg", seed=seed)
    library.importer.import_paths([root], progress=False)
    library.config.set("tasks.keep_finished_days", 30)

    seen: list[tuple[str, dict | tuple]] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            seen.append((statement, parameters))

    event.listen(library.db.engine, "before_cursor_execute", remember)
    try:
        summary = library.importer.import_paths([root], progress=False)
    finally:
        event.remove(library.db.engine, "before_cursor_execute", remember)
    assert (summary.imported, summary.skipped) == (0, 3)

    raw = library.db.engine.raw_connection()
    try:
        found = {}
        for statement, parameters in seen:
            for words, index in _INDEXED_QUESTIONS.items():
                if words in statement or (words == "thumbnails_check" and words in str(parameters)
                                          and "ORDER BY tasks.id DESC" in statement):
                    plan = " ".join(str(row) for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters))
                    found[words] = plan
                    assert index in plan, (statement, plan)
    finally:
        raw.close()
    assert set(found) == set(_INDEXED_QUESTIONS), found  # each question was asked



_GC_PROBE = """
import atexit, gc, sys
import app.cli

atexit.register(lambda: print("GC", gc.get_freeze_count() > 10_000, gc.get_threshold()[0], flush=True))
sys.argv = ["shoebox", "--library", sys.argv[1], "info"]
sys.exit(app.cli.main())
"""


def test_the_program_spares_the_garbage_collector_its_modules(tmp_path):
    result = subprocess.run([sys.executable, "-c", _GC_PROBE, str(tmp_path / "lib")], env=_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "GC True 10000" in result.stdout


def test_a_caller_of_main_keeps_its_garbage_collector(tmp_path):
    import gc

    from app.cli import main

    frozen, threshold = gc.get_freeze_count(), gc.get_threshold()
    assert main(["--library", str(tmp_path / "lib"), "info"]) == 0
    assert (gc.get_freeze_count(), gc.get_threshold()) == (frozen, threshold)


def test_the_walk_stats_files_in_their_open_folder_with_the_same_result(tmp_path, monkeypatch):
    """Each file is stat'ed relative to its open folder (one name to resolve, not the whole path); the walk
    gives what stat by path gave: files in name order with sizes, symlinked file and folder followed, hidden
    files and system folders skipped, a broken link ignored, an unreadable folder recorded as an error."""
    from app.core.ingest import scan
    from ingest_images import deny_folder

    root = tmp_path / "photos"
    (root / "b" / "deep").mkdir(parents=True)
    (root / "a.jpg").write_bytes(b"1")
    (root / "b" / "c.jpg").write_bytes(b"22")
    (root / "b" / "deep" / "d.jpg").write_bytes(b"333")
    (root / ".hidden.jpg").write_bytes(b"4")
    (root / "@eaDir").mkdir()
    (root / "@eaDir" / "x.jpg").write_bytes(b"5")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.jpg").write_bytes(b"666")
    (root / "link.jpg").symlink_to(root / "a.jpg")
    (root / "linked").symlink_to(outside)
    (root / "broken.jpg").symlink_to(tmp_path / "nowhere.jpg")
    (root / "locked").mkdir()
    (root / "locked" / "l.jpg").write_bytes(b"7")
    deny_folder(monkeypatch, "locked")
    results = {}
    for in_folder in (False, scan._STAT_IN_FOLDER):
        monkeypatch.setattr(scan, "_STAT_IN_FOLDER", in_folder)
        errors: list = []
        results[in_folder] = (list(scan.walk_files(root, errors=errors)), errors)
    files, errors = results[False]
    assert [(Path(p).relative_to(root).as_posix(), size) for p, size, _ in files] == [
        ("a.jpg", 1), ("link.jpg", 1), ("b/c.jpg", 2), ("b/deep/d.jpg", 3), ("linked/o.jpg", 3)]
    assert errors == [(str(root / "locked"), "Permission denied")]
    assert results.get(True, results[False]) == results[False]  # a system without dir_fd stats by path only
