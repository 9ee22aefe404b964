"""Application start-up: parse arguments, open the library (given, last used, or the per-user default), show
the main window.

Start-up imports only Qt, SQLAlchemy and the window's own modules; the task handlers and search models load
after the first paint or on first use, so the window appears at once.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

ICON = Path(__file__).resolve().parents[2] / "resources" / "shoebox.svg"


# How long a background thread of the window (the reader, read-ahead) may keep the interpreter lock while the GUI
# thread waits for it. The GUI thread takes the lock again for every Python call Qt makes into it (a paint, a
# model's data(), a slot), so with Python's 5 ms default one frame could wait 5 ms many times over behind a
# reader that is parsing rows; the waits add up to slow frames. 0.2 ms rather than 1: painting the 100k grid
# beside a thread growing date groups without pause, frames took p50 11.1 / p90 19.3 ms against 13.4 / 22.5.
GUI_SWITCH_INTERVAL_S = 0.0002


def create_app(argv: list[str]) -> QApplication:
    from app.ui.palette import follow_system_palette
    from app.ui.qt_log import install_qt_log_handler, mute_expected_warnings

    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
    install_qt_log_handler()
    mute_expected_warnings()
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("Shoebox")
    app.setOrganizationName("Shoebox")
    app.setApplicationDisplayName("Shoebox")
    app.setDesktopFileName("shoebox")
    if ICON.exists():
        app.setWindowIcon(QIcon(str(ICON)))
    follow_system_palette(app)
    from app.ui.desktop import release_clipboard

    app.aboutToQuit.connect(release_clipboard)
    return app


def create_main_window(library: str | None, *, remember: bool = True, ask=None, database: str | None = None):
    """The window with a library open: `library`, else the last one used, else (the very first time) the one
    the first-run dialog names, else the per-user default. Returns (window, folders the user asked to add).

    `database`: the library's PostgreSQL URL; without it, the one the library (or the last one) was opened with,
    so a Postgres library reopens as it was."""
    from app.core.paths import default_library_dir
    from app.ui.first_run import ask_first_run, is_first_run
    from app.ui.main_window import MainWindow
    from app.ui.settings import AppSettings

    settings = AppSettings()
    folders: list[str] = []
    path, database = _library_and_database(settings, library, database)
    if path is None and database is None and is_first_run(settings, library):
        choice = (ask or ask_first_run)()
        if choice is not None:
            path, folders = choice
    if settings.theme != "system":
        from PySide6.QtWidgets import QApplication

        from app.ui.palette import apply_theme

        apply_theme(QApplication.instance(), settings.theme)
    window = MainWindow(settings, remember=remember)
    window.open_library(path or ("" if database else str(default_library_dir())), database)
    return window, folders


def _library_and_database(settings, library: str | None, database: str | None) -> tuple[str | None, str | None]:
    """The folder and PostgreSQL URL to open. `--library DIR` alone reopens DIR on the database it was last
    opened with; `--database URL` alone opens the last library if it was on that database, else the URL's own
    per-user folder (""); neither: the last library as it was."""
    from app.core.db.postgres import display_url

    if library:
        return library, database or settings.database_for(str(Path(library).expanduser().resolve()))
    if database:
        same = settings.last_database == display_url(database)
        return (settings.last_library if same else ""), database
    return settings.last_library, settings.last_database if settings.last_library else None


def settle_after_start_up() -> None:
    """Once per process, after the first window exists (process-wide, so not in per-library code).

    Everything loaded so far (Qt bindings, SQLAlchemy, the window) lives as long as the app: keep it out of the
    garbage collector's full passes, which otherwise show up as dropped frames while scrolling. Page reads on
    worker threads allocate thousands of short-lived objects; with the default threshold (700) they set off
    bursts of collections that held the GIL for 25-45 ms inside single frames (measured with gc.callbacks in
    `bench gui`). Fewer, larger young collections keep every frame under 30 ms.

    A thread holding the GIL keeps it for up to 5 ms (Python's default switch interval), and the GUI thread
    waits for it at every return from Qt. Imports no longer run in this process (app/ui/background.py), but the
    reader thread's reads do; short slices (GUI_SWITCH_INTERVAL_S) keep those waits short (1 ms slices, when
    imports still ran here, cut the browse-while-importing p99 from 166 to 101 ms, `bench gui` on a loaded 2-core
    machine).

    The collector is off until here (`pause_collection_for_start_up`): start-up only makes objects that live as
    long as the app, and collecting them while they are made cost 7 % of the CPU time to the first frame."""
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    gc.enable()
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)


def pause_collection_for_start_up() -> None:
    """No garbage collection while the window's modules load and it is built (SQLAlchemy's models, Qt's
    widgets: nothing to collect yet); settle_after_start_up() freezes what was made and turns it back on."""
    gc.disable()


def _show_unexpected_errors(window) -> None:
    """Uncaught exceptions in slots become an error message bar with the traceback, not a silent failure."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        logging.getLogger("shoebox").error("unexpected error", exc_info=(kind, value, tb))
        try:
            window.bridge.error(QCoreApplication.translate("Shoebox", "Unexpected error: {error}").format(error=value),
                                value, key="unexpected")
        except Exception:  # noqa: BLE001 - the window itself may be what broke
            previous(kind, value, tb)

    sys.excepthook = hook


def run(argv: list[str]) -> int:
    from app.core.logs import setup_console_logging

    parser = argparse.ArgumentParser(prog="shoebox-gui", description="The Shoebox photo library window")
    parser.add_argument("--library", metavar="DIR", help="library folder (created if missing); default: the last one")
    parser.add_argument("--database", metavar="URL",
                        help="the library's PostgreSQL database (postgresql://user@host/db); default: SQLite in the "
                             "library folder (or the database the library was last opened with)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    parser.add_argument("paths", nargs="*", help="folders or photos to import (what a launcher passes as %%F)")
    args, qt_args = parser.parse_known_args(argv[1:])
    pause_collection_for_start_up()
    setup_console_logging(args.verbose)
    app = create_app([argv[0], *qt_args])
    if args.database is not None:
        from app.core.db.postgres import is_postgres_url

        if not is_postgres_url(args.database):
            parser.error(f"--database takes a PostgreSQL URL (postgresql://user@host/db), not {args.database!r}")
    window, first_folders = create_main_window(args.library, database=args.database)
    settle_after_start_up()
    _show_unexpected_errors(window)
    window.show()
    if args.paths or first_folders:
        window.import_paths([*first_folders, *args.paths])
    return app.exec()


if __name__ == "__main__":
    sys.exit(run(sys.argv))
