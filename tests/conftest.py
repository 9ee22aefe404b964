"""Shared fixtures: a fresh library per test, the sample corpus when present, offscreen Qt."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.ui.qt_log import mute_expected_warnings  # noqa: E402

mute_expected_warnings()

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
REAL_HOME = Path.home()  # before any test moves it; test_isolation checks that nothing points here


# pytest-qt waits 5 s by default; on a loaded 2-core CI machine a window's first paint or a background task can
# take longer. A wait still ends the moment its condition holds, so a generous default costs a passing test nothing.
GENEROUS_WAIT_MS = 60_000


def _generous_default_timeout(wait):
    @functools.wraps(wait)
    def patient(*args, **kwargs):
        kwargs.setdefault("timeout", GENEROUS_WAIT_MS)
        return wait(*args, **kwargs)

    return patient


for _name in ("waitUntil", "waitSignal", "waitSignals", "waitCallback", "waitExposed", "waitActive"):
    setattr(QtBot, _name, _generous_default_timeout(getattr(QtBot, _name)))


@pytest.fixture(scope="session", autouse=True)
def _gui_application(qapp):
    """One QApplication for the whole run, made before any test: the task engine makes a bare QCoreApplication
    when none exists, and a GUI test running after it in the same process would then get no fonts (Qt aborts)."""
    return qapp


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
    "test_photos_stream", "test_trash", "test_postgres", "test_search_descriptions", "test_video_import",
    "test_search_triggers",
    "test_summaries",
    "test_hybrid_ranking_cost",
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


def pytest_sessionfinish(session, exitstatus):
    """pytest-qt's application never quits, so do what quitting does for the clipboard (see release_clipboard):
    without it the process crashes at exit after a test copied a photo."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is not None:
        from app.ui.desktop import release_clipboard

        release_clipboard()
