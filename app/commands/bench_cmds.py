"""`shoebox bench NAME`: speed measurements that print a table (never timed unit tests).

Benchmark modules are imported only when `bench NAME` runs: they pull in numpy, imaging and ML code, and one
registers a no-op task type, none of which `shoebox --help` or any other command should pay for or see.
"""

from __future__ import annotations

import argparse
import importlib

# name -> (module, one-line help). Each module has register(subparsers) adding a parser called `name`.
BENCHMARKS: dict[str, tuple[str, str]] = {
    "ingest": ("app.bench.ingest", "photos/s: full import vs decode-and-thumbnail baseline"),
    "tasks": ("app.bench.tasks", "engine overhead: no-op tasks per second"),
    "gui": ("app.bench.gui", "window start-up, memory and scrolling over a generated library"),
    "search": ("app.bench.search", "vector index: build time, memory, p50/p95 latency, recall@10"),
    "embed": ("app.bench.embed", "CLIP image embedding speed: torch eager vs ONNX fp32/int8"),
    "dups": ("app.bench.dups", "near duplicates of real photos: share found per edit kind, precision"),
    "events": ("app.bench.events", "event segmentation: quality on a synthetic year vs fixed gaps, and speed"),
    "faces": ("app.bench.faces", "face clustering: recluster time, assign p95, pairwise F1, memory"),
    "speech": ("app.bench.speech", "voice-note transcription: real-time factor and word error rate"),
    "video": ("app.bench.video", "video clips: read speed (realtime x) and keyframes per scene"),
    "summaries": ("app.bench.summaries", "album summary: seconds for a 5,000-photo album, and its picks"),
}


def register(subparsers) -> None:
    listing = "\n".join(f"  {name:10} {help_}" for name, (_, help_) in BENCHMARKS.items())
    bench = subparsers.add_parser(
        "bench", help="run a benchmark and print a table",
        description=f"benchmarks:\n{listing}\n\n`shoebox bench NAME --help` shows a benchmark's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("bench", nargs="?", choices=list(BENCHMARKS), metavar="NAME", help="which benchmark")
    bench.add_argument("bench_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    bench.set_defaults(func=lambda args, library: run(args, bench), needs_library=False)


def run(args, bench_parser: argparse.ArgumentParser) -> int:
    """Import the chosen benchmark, let it declare its options, parse the rest of the command line and run it."""
    if args.bench is None:
        bench_parser.print_help()
        return 2
    module_name, _ = BENCHMARKS[args.bench]
    parser = argparse.ArgumentParser(prog=bench_parser.prog)
    names = parser.add_subparsers(dest="bench")
    importlib.import_module(module_name).register(names)
    bench_args = parser.parse_args([args.bench, *args.bench_args])
    return int(bench_args.func(bench_args, None) or 0)
