"""Opening a library never harms the user's data: lost databases, foreign folders, races, damage, read-only."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.library import Library, LibraryDamagedError, LibraryError, NewerLibraryError, NotALibraryError

REPO = Path(__file__).resolve().parents[1]


def add_photo_rows(library, n: int) -> None:
    """Photo rows with one file each, as an import leaves them (enough rows to span many database pages)."""
    from app.core.db.models import Photo, PhotoFile

    now = time.time()
    with library.db.write_session() as s:
        for i in range(n):
            photo = Photo(sha256=f"{i:064x}", size=1000 + i, width=640, height=480, status="ok", hidden=False,
                          imported_at=now)
            photo.files.append(PhotoFile(path=f"/photos/{i:06}-{'x' * 80}.jpg", size=1000 + i, mtime_ns=i,
                                         missing=False, first_seen=now, last_seen=now))
            s.add(photo)


# -- a lost database is never replaced by an empty one (data safety 6) ---------------------------------------
def test_zero_byte_database_next_to_thumbnails_is_refused(tmp_path):
    root = tmp_path / "lib"
    with Library.open(root) as lib:
        thumb = lib.layout.thumbnail("ab" * 32, "grid")
        thumb.parent.mkdir(parents=True)
        thumb.write_bytes(b"jpeg")
    (root / "shoebox.db").write_bytes(b"")  # truncated by a crash, a bad copy or a full disk
    with pytest.raises(NotALibraryError, match=r"empty \(0 bytes\).*backup"):
        Library.open(root)
    assert (root / "shoebox.db").stat().st_size == 0 and thumb.exists()


def test_missing_database_next_to_library_files_is_refused(tmp_path):
    root = tmp_path / "lib"
    Library.open(root).close()
    (root / "index" / "vectors.faiss").write_bytes(b"index")
    (root / "shoebox.db").unlink()
    with pytest.raises(NotALibraryError, match="missing"):
        Library.open(root)
    assert not (root / "shoebox.db").exists()


def test_zero_byte_database_in_a_new_folder_opens(tmp_path):
    """A folder with nothing but what opening creates (empty folders, a 0-byte database) is still new."""
    root = tmp_path / "lib"
    for sub in ("thumbnails/grid", "index", "logs"):
        (root / sub).mkdir(parents=True)
    (root / "logs" / "shoebox.log").write_text("an earlier attempt\n")
    (root / "shoebox.db").write_bytes(b"")
    with Library.open(root) as lib:
        assert lib.db.schema_revision() is not None


# -- a folder of other files is not turned into a library unasked --------------------------------------------
def test_folder_with_other_files_is_not_a_library(tmp_path):
    photos = tmp_path / "Pictures"
    photos.mkdir()
    (photos / "IMG_0001.JPG").write_bytes(b"jpeg")
    with pytest.raises(NotALibraryError, match="IMG_0001.JPG"):
        Library.open(photos)
    assert sorted(p.name for p in photos.iterdir()) == ["IMG_0001.JPG"]
    with Library.open(photos, create=True) as lib:  # the user asked for it
        assert lib.layout.database.stat().st_size > 0
    with Library.open(photos) as lib:  # from then on it is a library
        assert lib.photos.count() == 0


def test_library_path_that_is_a_file(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("hello")
    with pytest.raises(LibraryError, match="is a file"):
        Library.open(target)
    assert target.read_text() == "hello"


# -- two processes creating one library at once (data safety 10) --------------------------------------------
def _open_after_barrier(root: str, barrier, results) -> None:
    barrier.wait()
    try:
        with Library.open(root, log_to_file=False) as lib:
            results.put(("ok", lib.db.schema_revision()))
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def test_processes_creating_a_library_at_once_all_succeed(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    rounds, per_round = 3, 4
    for r in range(rounds):
        root = str(tmp_path / f"lib{r}")
        barrier, results = ctx.Barrier(per_round), ctx.Queue()
        procs = [ctx.Process(target=_open_after_barrier, args=(root, barrier, results)) for _ in range(per_round)]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=300) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        assert all(kind == "ok" for kind, _ in outcomes), outcomes
        assert len({rev for _, rev in outcomes}) == 1


# -- damaged database pages (data safety 11) ----------------------------------------------------------------
def _damage_pages(db: Path, first_page: int, last_page: int | None = None) -> None:
    page_size = sqlite3.connect(db).execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(db.read_bytes())
    pages = len(data) // page_size
    for page in range(first_page, min(pages, last_page or pages)):
        start = page * page_size
        data[start:start + page_size] = bytes([0xA5]) * page_size
    db.write_bytes(bytes(data))


def _closed_library_with_rows(root: Path, n: int = 400) -> Path:
    with Library.open(root) as lib:
        add_photo_rows(lib, n)
    con = sqlite3.connect(root / "shoebox.db")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return root / "shoebox.db"


def test_damaged_schema_pages_are_reported_as_a_damaged_library(tmp_path):
    db = _closed_library_with_rows(tmp_path / "lib")
    _damage_pages(db, 1)  # everything but the header page
    with pytest.raises(LibraryDamagedError, match="damaged.*backup.*recover"):
        Library.open(tmp_path / "lib")


def test_damaged_table_pages_are_reported_by_the_cli(tmp_path, capsys):
    from app.cli import main

    db = _closed_library_with_rows(tmp_path / "lib")
    size = db.stat().st_size
    page_size = sqlite3.connect(db).execute("PRAGMA page_size").fetchone()[0]
    _damage_pages(db, size // page_size // 2, size // page_size - 2)  # the middle of the photo tables
    code = main(["--library", str(tmp_path / "lib"), "photos"])
    err = capsys.readouterr().err
    assert code != 0
    assert "is damaged" in err and ".recover" in err and "backup" in err
    assert "Traceback" not in err and "[parameters:" not in err and len(err) < 1000


# -- a library made by a newer Shoebox ----------------------------------------------------------------------
def test_library_from_a_newer_shoebox_is_left_alone(tmp_path, capsys):
    from app.cli import main

    Library.open(tmp_path / "lib").close()
    con = sqlite3.connect(tmp_path / "lib" / "shoebox.db")
    con.execute("UPDATE alembic_version SET version_num = '0042_from_the_future'")
    con.commit()
    con.close()
    with pytest.raises(NewerLibraryError):
        Library.open(tmp_path / "lib")
    code = main(["--library", str(tmp_path / "lib"), "photos"])
    err = capsys.readouterr().err
    assert code == 1 and "newer version of Shoebox" in err and "Traceback" not in err
    con = sqlite3.connect(tmp_path / "lib" / "shoebox.db")
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0042_from_the_future"


# -- a library the user cannot write (data safety 12) -------------------------------------------------------
def _files_under(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


@contextlib.contextmanager
def read_only(root: Path, monkeypatch):
    """A read-only path to a finished library: a read-only bind mount where root may mount (then every write,
    root's too, fails with EROFS), else the library itself with `writable()` injected to say no."""
    view = root.with_name(root.name + "-ro")
    view.mkdir()
    mounted = False
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "--bind", str(root), str(view)], capture_output=True).returncode == 0
        if mounted and subprocess.run(["mount", "-o", "remount,ro,bind", str(view)],
                                      capture_output=True).returncode != 0:
            subprocess.run(["umount", str(view)], check=True)
            mounted = False
    if not mounted:
        from app.core import library as library_module

        monkeypatch.setattr(library_module, "writable", lambda path: False)
        view.rmdir()
        view = root
    try:
        yield view
    finally:
        if mounted:
            subprocess.run(["umount", str(view)], check=True)


@pytest.fixture
def read_only_view(tmp_path, monkeypatch):
    root = tmp_path / "lib"
    with Library.open(root) as lib:
        add_photo_rows(lib, 3)
    with read_only(root, monkeypatch) as view:
        yield view


def test_unwritable_library_opens_read_only_and_lists(read_only_view):
    before = _files_under(read_only_view)
    with Library.open(read_only_view) as lib:
        assert lib.read_only
        assert lib.photos.count() == 3 and len(lib.photos.list()) == 3
        assert lib.config.get("thumbnails.grid_px") == 256
    assert _files_under(read_only_view) == before  # no log, no lock, no migration, no -wal


def test_cli_lists_and_searches_an_unwritable_library(read_only_view, capsys, tmp_path, monkeypatch):
    from app.cli import main

    monkeypatch.setenv("SHOEBOX_MODELS_DIR", str(tmp_path / "models"))
    code = main(["--library", str(read_only_view), "photos"])
    out, err = capsys.readouterr()
    assert code == 0 and "3 photos" in out and "read-only" in err and "Traceback" not in err
    code = main(["--library", str(read_only_view), "search", "dog"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "readonly database" not in err
    # No model here: the same answer as a writable library (issue 12: words and meaning, image search off).
    assert code == 0 and "image search is off" in err and "shoebox models install" in err


def test_cli_refuses_to_change_an_unwritable_library_clearly(read_only_view, capsys, tmp_path):
    from app.cli import main

    photos = tmp_path / "in"
    photos.mkdir()
    code = main(["--library", str(read_only_view), "import", str(photos)])
    err = capsys.readouterr().err
    assert code != 0 and "read-only" in err and "Traceback" not in err


@pytest.mark.ml
def test_search_works_on_an_unwritable_library(tmp_path, capsys, monkeypatch, qapp):
    """Searching uses the vectors the library has; photos without vectors are not analysed (that would write).

    (`qapp`: the engine run here must find the QApplication that later window tests need, not make a
    QCoreApplication.)"""
    from ml_tiny_model import TINY_ARCH, tiny_checkpoint
    from test_search_service import add_photos

    from app.cli import main

    monkeypatch.setenv("SHOEBOX_MODELS_DIR", str(tmp_path / "shared-models"))
    root = tmp_path / "lib"
    checkpoint = tiny_checkpoint(tmp_path / "ckpt", seed=4)
    assert main(["--library", str(root), "models", "import", str(checkpoint), "--arch", TINY_ARCH,
                 "--id", "clip:tiny/ro"]) == 0
    with Library.open(root) as lib:
        ids = add_photos(lib, 4)
    assert main(["--library", str(root), "search", "red", "--json"]) == 0  # analyses the four photos
    with Library.open(root) as lib:
        add_photos(lib, 2, seed=7)  # two more, never analysed
    capsys.readouterr()
    with read_only(root, monkeypatch) as view:
        code = main(["--library", str(view), "search", "red", "--json"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert {row["id"] for row in __import__("json").loads(out)} == set(ids)
        assert "read-only" in err and "Traceback" not in err


def test_window_browses_an_unwritable_library(read_only_view, qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from app.ui.main_window import MainWindow
    from app.ui.settings import AppSettings

    window = MainWindow(AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    try:
        assert window.open_library(read_only_view)
        assert window.grid_model.rowCount() == 3
        qtbot.waitUntil(lambda: "read-only" in _message_texts(window))
        assert not any(level == "error" for level in _message_levels(window)), _message_texts(window)
    finally:
        window.close()


def _message_texts(window) -> str:
    return " | ".join(bar.message.text for bar in window.message_area.messages())


def _message_levels(window) -> list[str]:
    return [bar.message.level for bar in window.message_area.messages()]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to run as another user")
def test_another_user_can_list_a_library(tmp_path):
    """The real case: a library owned by root, listed by `nobody` (who cannot write a byte of it)."""
    base = Path("/tmp") / f"shoebox-other-user-{os.getpid()}"
    base.mkdir(mode=0o755)
    try:
        root = base / "lib"
        with Library.open(root) as lib:
            add_photo_rows(lib, 2)
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        before = _files_under(root)
        env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(base)}

        def as_nobody():
            os.setgid(65534)
            os.setuid(65534)

        try:
            subprocess.run([sys.executable, "-c", "pass"], preexec_fn=as_nobody, cwd=str(base), check=True)
        except (OSError, subprocess.CalledProcessError):
            pytest.skip("this Python cannot be run by user nobody (it lives in a private folder)")
        result = subprocess.run([sys.executable, "-m", "app.cli", "--library", str(root), "photos", "--json"],
                                capture_output=True, text=True, env=env, cwd=str(base), preexec_fn=as_nobody,
                                timeout=300)
        assert result.returncode == 0, result.stderr
        assert len(__import__("json").loads(result.stdout)) == 2
        assert "read-only" in result.stderr and "Traceback" not in result.stderr
        assert _files_under(root) == before
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=True)


# -- a full disk: reading still works, and the log file never breaks a command (data safety 2) ---------------
def test_log_file_that_cannot_be_written_is_dropped_with_one_line(tmp_path, capsys):
    import errno
    import logging

    from app.core.logs import SafeRotatingFileHandler

    class FullDisk:
        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self):
            raise OSError(errno.ENOSPC, "No space left on device")

        def tell(self):
            return 0

        def seek(self, *args):
            return 0

        def close(self):
            pass

    handler = SafeRotatingFileHandler(str(tmp_path / "shoebox.log"), maxBytes=1000, backupCount=1)
    handler.stream = FullDisk()
    logger = logging.getLogger("test.fulldisk")
    logger.addHandler(handler)
    try:
        for i in range(5):
            logger.warning("record %d", i)
    finally:
        logger.removeHandler(handler)
    err = capsys.readouterr().err
    assert err.count("cannot write the log file") == 1 and "No space left" in err and "Traceback" not in err
    assert handler.failed is not None


def test_unwritable_log_folder_does_not_stop_a_command(tmp_path, capsys):
    from app.cli import main

    Library.open(tmp_path / "lib").close()
    log_file = tmp_path / "lib" / "logs" / "shoebox.log"
    log_file.unlink()
    log_file.mkdir()  # opening the log file now fails (as for another user's library or a broken disk)
    code = main(["--library", str(tmp_path / "lib"), "photos"])
    out, err = capsys.readouterr()
    assert code == 0 and "0 photos" in out and "Traceback" not in err


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MB tmpfs (root only), so the disk can really be filled."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def _fill(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


def test_read_only_commands_work_while_the_disk_is_full(tiny_disk, capsys):
    from app.cli import main

    with Library.open(tiny_disk / "lib") as lib:
        add_photo_rows(lib, 3)
    _fill(tiny_disk)
    code = main(["--library", str(tiny_disk / "lib"), "photos"])
    out, err = capsys.readouterr()
    assert code == 0 and "3 photos" in out, err
    assert "disk" in err and "full" in err and "Traceback" not in err
    code = main(["--library", str(tiny_disk / "lib"), "errors"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    (tiny_disk / "filler").unlink()
    with Library.open(tiny_disk / "lib") as lib:  # space again: a normal, writable library
        assert not lib.read_only and lib.photos.count() == 3
