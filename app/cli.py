"""The `shoebox` command: a headless front end over the same core the GUI uses.

Each group of subcommands lives in its own module under app/commands/ and registers itself here, so this file
stays a table of contents. `main` is also the one place that turns errors into messages: a known problem gets a
sentence, anything else one line plus where the log is (never a traceback unless `--verbose`).
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import logging
import os
import sys
import threading
import traceback

from app import __version__
from app.commands.output import safe_text_output
from app.core.logs import NO_CONSOLE, active_log_file, setup_console_logging

# Modules under app.commands; each has register(subparsers) and sets `func(args, library)` on its parsers.
COMMAND_MODULES = [
    "app.commands.library_cmds",
    "app.commands.bench_cmds",
    "app.commands.tasks_cmds",
    "app.commands.ingest_cmds",
    "app.commands.search_cmds",
    "app.commands.models_cmds",
    "app.commands.albums_cmds",
    "app.commands.exchange_cmds",
    "app.commands.events_cmds",
    "app.commands.people_cmds",
    "app.commands.backup_cmds",
    "app.commands.edit_cmds",
    "app.commands.voice_cmds",
    "app.commands.captions_cmds",
    "app.commands.database_cmds",
]

# Exit status after a broken pipe (`shoebox photos | head`): what a process killed by SIGPIPE reports.
EXIT_BROKEN_PIPE = 141

log = logging.getLogger("shoebox")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shoebox", description="Shoebox photo library (headless)")
    parser.add_argument("--library", metavar="DIR",
                        help="library folder (a missing or empty folder becomes a new library); default: per-user")
    parser.add_argument("--database", metavar="URL",
                        help="keep the library's database on PostgreSQL (postgresql://user@host/db); --library is "
                             "then this machine's folder for its thumbnails and indexes. Default: SQLite in --library")
    parser.add_argument("--create", action="store_true",
                        help="make a new library in --library even though that folder already holds other files")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail and tracebacks to stderr")
    parser.add_argument("--version", action="version", version=f"shoebox {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit status. Called without `argv` (the `shoebox` program itself, or
    `python -m app.cli`), it ends the process as soon as the command is done (see _exit_now)."""
    code = _main(argv)
    if argv is None:
        _exit_now(code)
    return code


def _lighter_gc() -> None:
    """The program's own process only (never a caller's, whose objects this would keep forever): the objects of
    the modules loaded so far (every command's) are frozen out of the cyclic garbage collector's passes, and its
    youngest generation is collected every 10,000 new containers instead of 700. A re-import of 100,000 unchanged
    photos builds ~300k tuples and rows; the collector's passes over them and over SQLAlchemy's object graph cost
    ~0.14 s of CPU, ~0.05 s after this. Reference counting still frees everything that is not a cycle."""
    import gc

    gc.freeze()
    gc.set_threshold(10_000, *gc.get_threshold()[1:])


def _exit_now(code: int) -> None:
    """End the process without Python's teardown of its modules: with the ~650 modules a command loads
    (SQLAlchemy, Qt, numpy), that teardown took ~0.2 s of CPU after the command had finished, a tenth of a
    re-import of 100,000 unchanged photos. What must happen still does: the library is closed (by the command),
    the output is flushed here and the atexit functions run (logging's flush, coverage). A thread that is still
    working (not a daemon) gets Python's usual wait instead."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return  # a closed or broken stream: Python's own exit deals with it as it always did
    main_thread = threading.main_thread()
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not main_thread):
        return
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(code)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()  # imports every command's module: SQLAlchemy, the task engine, Qt
    if argv is None:
        _lighter_gc()
    args = parser.parse_args(argv)
    if args.library is not None and not args.library.strip():
        parser.error("--library needs a folder (it was given an empty path)")
    if args.database is not None:
        from app.core.db.postgres import is_postgres_url

        if not is_postgres_url(args.database):
            parser.error(f"--database takes a PostgreSQL URL (postgresql://user@host/db), not {args.database!r}")
    safe_text_output()  # a file name that is not UTF-8 prints with \xNN escapes
    setup_console_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        if getattr(args, "needs_library", True) is False:
            code = int(args.func(args, None) or 0)
        else:
            code = _run_with_library(args)
        sys.stdout.flush()  # here, not at exit, so that a reader that went away is handled below
        return code
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        print("shoebox: interrupted; finished work is saved and the rest resumes next time", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns any error into a message
        return _report(exc, args.verbose)


def _run_with_library(args) -> int:
    from app.core.library import Library, LibraryError, NotALibraryError

    try:
        library = Library.open(args.library, create=args.create, database=args.database)
    except NotALibraryError as exc:
        print(f"shoebox: {exc} To make a library there anyway, add --create (see `shoebox --help`).",
              file=sys.stderr)
        return 1
    except LibraryError as exc:
        print(f"shoebox: {exc}", file=sys.stderr)
        return 1
    if library.read_only:
        print(f"shoebox: {library.read_only_reason}: opened read-only (browsing only)", file=sys.stderr)
    try:
        return int(args.func(args, library) or 0)
    except (BrokenPipeError, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - reported while the library's log file is still attached
        return _report(exc, args.verbose, library)
    finally:
        library.close()


def _report(exc: BaseException, verbose: bool, library=None) -> int:
    """One line for the user; the traceback goes to the log file (and to stderr with --verbose)."""
    from app.core.db.database import is_damaged_error, is_readonly_error
    from app.core.library import damaged_message

    if library is not None and is_damaged_error(exc):
        message = damaged_message(library.layout.database, exc)
    elif library is not None and is_readonly_error(exc):
        reason = library.read_only_reason or "the database refused to be written"
        message = (f"the library {library.root} is open read-only ({reason}), so this command cannot change "
                   "it; listing and searching still work")
    else:
        message = f"unexpected error: {_one_line(exc)}"
    log.error("%s", message, exc_info=exc, extra={NO_CONSOLE: True})
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
        print(f"shoebox: {message}", file=sys.stderr)
    else:
        where = active_log_file()
        hint = f"details in {where}, or run with --verbose" if where else "run with --verbose for details"
        print(f"shoebox: {message} ({hint})", file=sys.stderr)
    return 1


def _one_line(exc: BaseException) -> str:
    """The error without SQLAlchemy's statement and parameter dump (which can run to hundreds of values)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > 200:
        first = first[:200] + "…"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _quiet_broken_pipe() -> int:
    """The reader went away (`| head`): stop without a traceback, and keep Python's final flush quiet too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
