"""Opening libraries and migrating their schema in place."""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, inspect

from app.core.library import Library, LibraryError
from migrations import upgrade_to_head


def test_open_creates_layout_and_schema(tmp_path):
    with Library.open(tmp_path / "lib") as lib:
        assert lib.layout.database.exists()
        assert lib.layout.thumbnails.is_dir() and lib.layout.models.is_dir() and lib.layout.index.is_dir()
        assert lib.db.schema_revision() is not None
        assert lib.photos.count() == 0
    journal = sqlite3.connect(tmp_path / "lib" / "shoebox.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"


def test_reopen_is_idempotent(tmp_path):
    with Library.open(tmp_path / "lib") as lib:
        lib.config.set("duplicates.phash_threshold", 4)
    with Library.open(tmp_path / "lib") as lib:
        assert lib.config.get("duplicates.phash_threshold") == 4
        assert lib.config.get("thumbnails.grid_px") == 256


def test_old_schema_upgrades_in_place(tmp_path):
    """A library left at the first revision with data in it upgrades to head without losing rows."""
    db = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        upgrade_to_head(conn, "0001")
        conn.exec_driver_sql("INSERT INTO folders (path, added_at) VALUES ('/photos', 1.0)")
        conn.commit()
    engine.dispose()
    lib_dir = tmp_path / "lib"
    lib_dir.mkdir()
    db.rename(lib_dir / "shoebox.db")
    with Library.open(lib_dir) as lib:
        tables = set(inspect(lib.db.engine).get_table_names())
        assert {"photos", "photo_files", "folders", "tasks", "duplicate_groups", "embeddings"} <= tables
        with lib.db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT path FROM folders").scalar() == "/photos"


def test_unwritable_library_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    try:
        Library.open(blocker / "lib")
    except LibraryError as exc:
        assert "cannot create library folder" in str(exc)
    else:
        raise AssertionError("expected LibraryError")
