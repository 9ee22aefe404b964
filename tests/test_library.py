"""Opening libraries and migrating their schema in place."""

from __future__ import annotations

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, create_engine, inspect

from app.core.config import SETTINGS, UnknownSettingError
from app.core.db.models import Base
from app.core.library import Library, LibraryError
from migrations import alembic_config, upgrade_to_head

# Tables that migrations create on purpose outside the ORM models (e.g. FTS5 virtual tables); empty today.
NOT_IN_MODELS: set[str] = set()


def schema_differences(conn, metadata=Base.metadata) -> list:
    """What `alembic revision --autogenerate` would write: the migrated schema against the models."""
    def include(obj, name, type_, reflected, compare_to):
        return not (type_ == "table" and name in NOT_IN_MODELS)

    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": True, "include_object": include}
    )
    return compare_metadata(context, metadata)


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


def test_migrations_create_exactly_the_models(tmp_path):
    """A fresh database migrated to head matches app/core/db/models.py: a model change without its migration
    (or a migration without its model change) fails here."""
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with engine.connect() as conn:
        upgrade_to_head(conn)
        conn.commit()
        assert schema_differences(conn) == []

        # The check itself is sharp: a column only the models have is reported.
        sharper = MetaData()
        for table in Base.metadata.tables.values():
            table.to_metadata(sharper)
        sharper.tables["photos"].append_column(Column("not_migrated", Integer))
        assert any("not_migrated" in repr(diff) for diff in schema_differences(conn, sharper))
    engine.dispose()


def test_old_schema_upgrades_in_place(tmp_path):
    """A library left at the first revision with data in it upgrades to head without losing rows, and ends up
    with the same schema as a new library (once later migrations exist, this is a real upgrade)."""
    first = min(ScriptDirectory.from_config(alembic_config()).walk_revisions(), key=lambda r: r.down_revision or "")
    assert first.down_revision is None
    db = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        upgrade_to_head(conn, first.revision)
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
            assert schema_differences(conn) == []
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head


def test_settings_are_declared_once_with_type_and_default(library):
    assert library.config.get("thumbnails.grid_px") == SETTINGS["thumbnails.grid_px"].default == 256
    with pytest.raises(UnknownSettingError):
        library.config.get("thumbnails.grid_pixels")  # a typo must not read a default forever
    with pytest.raises(UnknownSettingError):
        library.config.set("no.such.key", 1)
    with pytest.raises(TypeError):
        library.config.set("thumbnails.grid_px", "big")
    library.config.set("search.model_id", None)
    assert set(library.config.all()) == set(SETTINGS)


def test_every_settings_key_in_the_code_is_declared():
    """Keys read through `config.get/set("...")` or module constants named *_KEY are all in the registry."""
    import re
    from pathlib import Path

    app = Path(__file__).resolve().parents[1] / "app"
    used = set()
    for path in app.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"config\.(?:get|set)\(\s*[\"']([\w.]+)[\"']", text))
        used |= set(re.findall(r"^[A-Z_]*KEY\s*=\s*[\"']([\w.]+)[\"']", text, re.M))
    assert used and used <= set(SETTINGS), used - set(SETTINGS)


def test_unwritable_library_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    try:
        Library.open(blocker / "lib")
    except LibraryError as exc:
        assert "cannot create library folder" in str(exc)
    else:
        raise AssertionError("expected LibraryError")
