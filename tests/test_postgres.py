"""Libraries on a real PostgreSQL server (tests/pg.py): opening by URL, the folder that names its database,
claims that use the waiting index, and `migrate-db` from SQLite into Postgres and back, verified, with a
failure midway that leaves the source untouched."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from app.cli import main
from app.core.db.copy import table_checks
from app.core.db.models import Photo
from app.core.library import Library, LibraryError
from app.core.tasks.runner import run_pending
from ingest_images import make_jpeg


@pytest.fixture(autouse=True)
def _qt(qapp):
    """The engine's headless loop needs a Qt application; let pytest-qt own it."""


@pytest.fixture
def empty_postgres(postgres_server):
    """A new database with no schema at all (migrate-db and the first open migrate it)."""
    url = postgres_server.create_database(migrated=False)
    yield url
    postgres_server.drop_database(url)


def _fill(library, root, n=4):
    """A few photos imported, tagged, in an album and rated: rows in most tables."""
    folder = root / "photos"
    for i in range(n):
        make_jpeg(folder / f"p{i}.jpg", seed=i, taken=f"2023:05:0{i + 1} 10:00:00")
    library.importer.import_paths([folder], progress=False)
    run_pending(library, library.tasks.store)
    with library.db.read_session() as s:
        ids = list(s.scalars(select(Photo.id).order_by(Photo.id)))
    library.organise.add_tags(ids[:2], ["Places/Japan", "beach"])
    library.organise.set_rating(ids[:1], 4)
    library.organise.set_favourite(ids[1:2], True)
    library.albums.create("Trip", ids[1:3])
    return ids


def _listing(capsys, *args):
    capsys.readouterr()
    assert main([*args, "photos", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    return sorted((r["sha256"], r["taken_at"], r["width"], r["height"]) for r in rows)


def test_open_by_url_migrates_a_new_database_and_names_it_in_the_folder(tmp_path, empty_postgres):
    with Library.open(tmp_path / "lib", database=empty_postgres) as lib:
        assert lib.db.is_postgres and lib.db.schema_revision() is not None
        lib.config.set("tasks.keep_finished_days", 3.0)
    with Library.open(tmp_path / "lib", database=empty_postgres) as lib:
        assert lib.config.get("tasks.keep_finished_days") == 3.0
    with pytest.raises(LibraryError, match="--database"):
        Library.open(tmp_path / "lib")  # the folder belongs to that database: never a new SQLite library there


def test_a_sqlite_library_folder_is_not_taken_for_a_postgres_library(tmp_path, empty_postgres):
    Library.open(tmp_path / "lib").close()
    with pytest.raises(LibraryError, match="migrate-db"):
        Library.open(tmp_path / "lib", database=empty_postgres)


def test_postgres_claim_walks_the_waiting_index(library):
    if not library.db.is_postgres:
        pytest.skip("the SQLite plan is checked in test_tasks_store")
    from app.core.tasks.store import _PG_CLAIM_SQL

    store = library.tasks.store
    with library.db.write_session() as s:
        s.execute(text("INSERT INTO tasks (type, payload, priority, state, attempts, max_attempts, next_run_at, "
                       "created_at, progress, cancel_requested) SELECT 'x', '{}', g % 3, 'done', 1, 3, 0, 0, 1, "
                       "false FROM generate_series(1, 20000) AS g"))
    for _ in range(5):
        store.submit("y", {})
    with library.db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE tasks")
        plan = "\n".join(r[0] for r in conn.execute(
            text("EXPLAIN " + _PG_CLAIM_SQL.replace(":excluded", "('x')")),
            {"owner": "me", "now": 1e12, "min_priority": -100}))
    assert "ix_tasks_waiting" in plan and "Seq Scan" not in plan, plan


def test_migrate_db_round_trip_sqlite_postgres_sqlite(tmp_path, empty_postgres, capsys):
    source = Library.open(tmp_path / "lib")
    _fill(source, tmp_path)
    before = table_checks(source.db)
    source.close()
    sqlite_listing = _listing(capsys, "--library", str(tmp_path / "lib"))
    assert len(sqlite_listing) == 4

    capsys.readouterr()
    assert main(["--library", str(tmp_path / "lib"), "migrate-db", "--to", empty_postgres,
                 "--folder", str(tmp_path / "pg-files")]) == 0
    assert "verified" in capsys.readouterr().out
    assert _listing(capsys, "--library", str(tmp_path / "pg-files"), "--database", empty_postgres) == sqlite_listing
    with Library.open(tmp_path / "pg-files", database=empty_postgres) as pg:
        assert table_checks(pg.db) == before
        assert [a.name for a in pg.albums.list()] == ["Trip"]
        assert {t.name for t in pg.organise.tags()} == {"Places/Japan", "beach"}

    assert main(["--library", str(tmp_path / "pg-files"), "--database", empty_postgres,
                 "migrate-db", "--to", str(tmp_path / "back")]) == 0
    assert _listing(capsys, "--library", str(tmp_path / "back")) == sqlite_listing
    with Library.open(tmp_path / "back") as back:
        assert table_checks(back.db) == before
    with Library.open(tmp_path / "lib") as again:
        assert table_checks(again.db) == before  # the source was only read
    with Library.open(tmp_path / "pg-files", database=empty_postgres) as pg:
        trip = pg.albums.list()[0].id
        assert pg.albums.create("New", []) > trip  # new ids go on after the copied ones (sequences were moved)


def test_a_failure_midway_leaves_the_source_untouched_and_the_target_empty(tmp_path, empty_postgres, monkeypatch,
                                                                           capsys):
    import app.core.db.copy as copy

    source = Library.open(tmp_path / "lib")
    _fill(source, tmp_path)
    before = table_checks(source.db)
    source.close()
    real_insert = copy._insert_table

    def failing_insert(s, table, rows):
        if table.name == "photo_files":  # after photos, before the rest
            raise RuntimeError("the network went away")
        real_insert(s, table, rows)

    monkeypatch.setattr(copy, "_insert_table", failing_insert)
    assert main(["--library", str(tmp_path / "lib"), "migrate-db", "--to", empty_postgres,
                 "--folder", str(tmp_path / "pg-files")]) == 1
    assert "the network went away" in capsys.readouterr().err
    with Library.open(tmp_path / "lib") as again:
        assert table_checks(again.db) == before
    from app.core.db.database import Database

    target = Database(empty_postgres)
    try:
        assert all(check.rows == 0 for check in table_checks(target))  # the copy's transaction rolled back
    finally:
        target.close()
    monkeypatch.setattr(copy, "_insert_table", real_insert)
    assert main(["--library", str(tmp_path / "lib"), "migrate-db", "--to", empty_postgres,
                 "--folder", str(tmp_path / "pg-files")]) == 0  # and it can simply be run again


def test_migrate_db_refuses_a_database_that_holds_a_library(tmp_path, postgres_url, capsys):
    with Library.open(tmp_path / "other", database=postgres_url) as other:
        other.config.set("tasks.keep_finished_days", 1.0)
    Library.open(tmp_path / "lib").close()
    assert main(["--library", str(tmp_path / "lib"), "migrate-db", "--to", postgres_url,
                 "--folder", str(tmp_path / "pg-files")]) == 1
    assert "not empty" in capsys.readouterr().err


def test_a_postgres_library_backs_up_and_restores_as_a_sqlite_library(tmp_path, postgres_url):
    from app.core.exchange.backup import backup, library_originals, restore, verify_backup

    with Library.open(tmp_path / "pg-files", database=postgres_url) as pg:
        _fill(pg, tmp_path)
        before = table_checks(pg.db)
        originals = library_originals(pg)
        summary = backup(pg, tmp_path / "backup")
    assert summary.originals == len(originals) == 4
    assert verify_backup(tmp_path / "backup").ok
    restore(tmp_path / "backup", tmp_path / "restored")
    with Library.open(tmp_path / "restored") as restored:
        assert not restored.db.is_postgres
        assert [c for c in table_checks(restored.db) if c.table != "settings"] == \
            [c for c in before if c.table != "settings"]  # the backup's own date is a setting
        assert library_originals(restored) == originals


def test_the_migrations_make_the_models_schema_on_postgres(postgres_url):
    """What `alembic revision --autogenerate` would write against a migrated Postgres database: nothing."""
    from app.core.db.database import Database
    from test_library import schema_differences

    db = Database(postgres_url)
    try:
        with db.engine.connect() as conn:
            assert schema_differences(conn) == []
    finally:
        db.close()


def test_a_worker_for_some_types_claims_only_those(library):
    """`shoebox worker --types`: the claim and the end-of-work check look at those types only (both databases)."""
    store = library.tasks.store
    store.submit("other", {}, priority=100)
    mine = store.submit("mine", {}, priority=-50)
    assert store.claim(only_types=["mine"]).id == mine  # not the more urgent task of another type
    assert store.claim(only_types=["mine"]) is None
    assert store.has_live_work(["mine"])  # running
    assert store.claim().type == "other"
    with library.db.write_session() as s:
        s.execute(text("UPDATE tasks SET state = 'done' WHERE type = 'mine'"))
    assert not store.has_live_work(["mine"]) and store.has_live_work()
