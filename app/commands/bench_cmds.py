"""`shoebox bench NAME`: speed measurements that print a table (never timed unit tests)."""

from __future__ import annotations

import importlib

BENCH_MODULES: list[str] = [
    "app.bench.ingest",
    "app.bench.tasks",
    "app.bench.gui",
    "app.bench.search",
    "app.bench.embed",
    "app.bench.dups",
]


def register(subparsers) -> None:
    bench = subparsers.add_parser("bench", help="run a benchmark and print a table")
    names = bench.add_subparsers(dest="bench", metavar="NAME")
    for name in BENCH_MODULES:
        importlib.import_module(name).register(names)
    bench.set_defaults(func=lambda args, library: bench.print_help() or 2, needs_library=False)
