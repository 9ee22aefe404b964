"""Shared fixtures: a fresh library per test, the sample corpus when present, offscreen Qt."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.ui.qt_log import mute_expected_warnings  # noqa: E402

mute_expected_warnings()

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
REAL_HOME = Path.home()  # before any test moves it; test_isolation checks that nothing points here


@pytest.fixture(autouse=True)
def _private_user_dirs(tmp_path_factory, monkeypatch):
    """No test sees (or writes) the developer's own models, settings or default library: HOME, the XDG
    folders (platformdirs reads them), SHOEBOX_MODELS_DIR and QSettings' user and system files all point into
    a fresh folder. Subprocesses that tests start inherit the environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("SHOEBOX_MODELS_DIR", str(home / "shoebox-models"))
    if sys.platform.startswith("linux"):
        # send2trash reads XDG_DATA_HOME once, when first imported: point its trash into this test's home too.
        import send2trash.plat_other as trash_platform

        data_home = os.fsencode(home / ".local/share")
        monkeypatch.setattr(trash_platform, "XDG_DATA_HOME", data_home)
        monkeypatch.setattr(trash_platform, "HOMETRASH_B", os.path.join(data_home, b"Trash"))
        monkeypatch.setattr(trash_platform, "HOMETRASH", os.fsdecode(os.path.join(data_home, b"Trash")))
    from PySide6.QtCore import QSettings

    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(home / "qsettings"))
    yield home


# Core test modules whose `library` tests also run on a real PostgreSQL server (tests/pg.py): the library, the
# task queue, ingest, search, organise, albums and events. The rest (GUI, models, CLI subprocesses) stay on
# SQLite: they test no database code of their own.
POSTGRES_MODULES = {
    "test_library", "test_tasks_store", "test_tasks_engine", "test_tasks_batch", "test_tasks_prune",
    "test_ingest_import", "test_query", "test_organise", "test_albums", "test_events", "test_search_service",
    "test_photos_stream", "test_trash", "test_postgres",
}


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for the whole run; tests that need it skip (with the reason) without one."""
    from tests.pg import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer()
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL test server: {exc}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh database (already migrated) on the test server, dropped after the test."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


def pytest_generate_tests(metafunc):
    """`library` runs on both databases in POSTGRES_MODULES."""
    if "library" in metafunc.fixturenames and metafunc.module.__name__.rsplit(".", 1)[-1] in POSTGRES_MODULES:
        metafunc.parametrize("library", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def database_kind(request) -> str:
    """"sqlite" or "postgres": which database this test's `library` uses."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def library(request, tmp_path):
    from app.core.library import Library

    database = None
    if getattr(request, "param", "sqlite") == "postgres":
        database = request.getfixturevalue("postgres_url")
    lib = Library.open(tmp_path / "library", database=database)
    yield lib
    lib.close()


@pytest.fixture
def corpus() -> Path:
    """The real camera files in ../shared/corpus; tests using it skip where the folder is absent."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS


def pytest_collection_modifyitems(config, items):
    """Tests marked `ml` need torch and open_clip (the `ml` extra); skip them cleanly when it is missing."""
    try:
        import open_clip  # noqa: F401
        import torch  # noqa: F401

        return
    except Exception:
        pass
    skip = pytest.mark.skip(reason="needs the `ml` extra: pip install -e '.[ml]'")
    for item in items:
        if "ml" in item.keywords:
            item.add_marker(skip)
