"""`shoebox bench events`: event segmentation on the synthetic life timeline (quality against the known events,
ours vs fixed gaps) and its speed on a large library."""

from __future__ import annotations

import time
from datetime import timedelta

from app.commands.output import print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser("events", help="event segmentation: quality on a synthetic year, and speed")
    parser.add_argument("--years", type=int, default=30, help="synthetic years for the speed row")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run, needs_library=False)


def shots_of(timeline, id_offset: int = 0):
    from app.core.events.segment import Shot, parse_time

    shots, truth = [], {}
    for i, p in enumerate(timeline):
        pid = id_offset + i + 1
        truth[pid] = p.truth
        if p.taken_at is None or p.taken_at_source == "mtime":
            continue
        local, instant = parse_time(p.taken_at, p.tz_offset)
        shots.append(Shot(pid, local, instant, p.gps_lat, p.gps_lon, p.city, p.country))
    return shots, truth


def run(args, _library) -> int:
    from app.bench.life_timeline import life_timeline, pairwise_scores
    from app.core.events.segment import fixed_gap, segment

    timeline = life_timeline()
    shots, truth = shots_of(timeline)
    methods = {"context gap (Shoebox)": segment, "fixed 36 h (LibrePhotos)": fixed_gap,
               "fixed 6 h": lambda s: fixed_gap(s, timedelta(hours=6))}
    rows = []
    for name, method in methods.items():
        groups = [[s.id for s in g] for g in method(shots)]
        rows.append({"method": name, **pairwise_scores(truth, groups)})
    big = []
    for year in range(args.years):
        more, _ = shots_of(life_timeline(seed=year, year=1990 + year), id_offset=year * 10_000)
        big += more
    start = time.perf_counter()
    segment(big)
    speed = {"photos": len(big), "seconds": time.perf_counter() - start}
    if args.json:
        print_json({"quality": rows, "speed": speed})
        return 0
    print(f"{'method':28} {'events':>6} {'true':>5} {'exact':>5} {'precision':>9} {'recall':>7} {'F1':>6}")
    for r in rows:
        print(f"{r['method']:28} {r['events']:6} {r['true_events']:5} {r['exact']:5} {r['precision']:9.3f} "
              f"{r['recall']:7.3f} {r['f1']:6.3f}")
    print(f"segmenting {speed['photos']} photos: {speed['seconds']:.2f} s")
    return 0
