"""The `shoebox` command: a headless front end over the same core the GUI uses.

Each group of subcommands lives in its own module under app/commands/ and registers itself here, so this file
stays a table of contents.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from app import __version__
from app.commands.output import safe_text_output
from app.core.logs import setup_console_logging

# Modules under app.commands; each has register(subparsers) and sets `func(args, library)` on its parsers.
COMMAND_MODULES = [
    "app.commands.library_cmds",
    "app.commands.bench_cmds",
    "app.commands.tasks_cmds",
    "app.commands.ingest_cmds",
    "app.commands.search_cmds",
    "app.commands.models_cmds",
]

log = logging.getLogger("shoebox")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shoebox", description="Shoebox photo library (headless)")
    parser.add_argument("--library", metavar="DIR", help="library folder (created if missing); default: per-user")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    parser.add_argument("--version", action="version", version=f"shoebox {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    safe_text_output()  # a file name that is not UTF-8 prints with \xNN escapes
    setup_console_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if getattr(args, "needs_library", True) is False:
        return int(args.func(args, None) or 0)

    from app.core.library import Library, LibraryError

    try:
        library = Library.open(args.library)
    except LibraryError as exc:
        print(f"shoebox: {exc}", file=sys.stderr)
        return 1
    try:
        return int(args.func(args, library) or 0)
    except KeyboardInterrupt:
        print("shoebox: interrupted; finished work is saved and the rest resumes next time", file=sys.stderr)
        return 130
    finally:
        library.close()


if __name__ == "__main__":
    sys.exit(main())
