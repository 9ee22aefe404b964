"""`shoebox bench events`: event segmentation on the synthetic life timeline (quality against the known events,
ours vs fixed gaps) and its speed on a large library."""

from __future__ import annotations

import time
from datetime import timedelta

from app.commands.output import print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser("events", help="event segmentation: quality on a synthetic year, and speed")
    parser.add_argument("--years", type=int, default=30, help="synthetic years for the speed row")
    parser.add_argument("--db-years", type=int, default=30,
                        help="synthetic years in the library for the re-segmentation row (0: skip)")
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
    resegment = resegment_after_import(args.db_years) if args.db_years else None
    if args.json:
        print_json({"quality": rows, "speed": speed, "resegment": resegment})
        return 0
    print(f"{'method':28} {'events':>6} {'true':>5} {'exact':>5} {'precision':>9} {'recall':>7} {'F1':>6}")
    for r in rows:
        print(f"{r['method']:28} {r['events']:6} {r['true_events']:5} {r['exact']:5} {r['precision']:9.3f} "
              f"{r['recall']:7.3f} {r['f1']:6.3f}")
    print(f"segmenting {speed['photos']} photos: {speed['seconds']:.2f} s")
    if resegment:
        print(f"re-segmenting a library of {resegment['photos']} photos after an import of {resegment['imported']}: "
              f"rewrite all {resegment['rewrite_all_s']:.2f} s ({resegment['rewrite_all_rows']} rows), "
              f"only the differences {resegment['diff_s']:.2f} s ({resegment['diff_rows']} rows)")
    return 0


def resegment_after_import(years: int, imported: int = 20) -> dict:
    """A library of `years` synthetic years, segmented; then `imported` new photos arrive on one trip day and
    the library is re-segmented twice from the same state: rewriting every event (the former way) and
    writing only the differences. Seconds and rows written, measured in the same run."""
    import shutil
    import tempfile
    from pathlib import Path

    from sqlalchemy import insert

    from app.bench.life_timeline import life_timeline
    from app.core.db.models import Photo, PhotoPlace
    from app.core.events.service import rebuild
    from app.core.library import Library

    work = Path(tempfile.mkdtemp(prefix="shoebox-bench-events-"))
    try:
        with Library.open(work / "library", log_to_file=False, create=True) as library:
            photos, places = [], []
            for year in range(years):
                for i, p in enumerate(life_timeline(seed=year, year=1990 + year)):
                    pid = year * 10_000 + i + 1
                    photos.append(dict(id=pid, sha256=f"{pid:064d}", size=1, status="ok", hidden=False, imported_at=0,
                                       taken_at=p.taken_at, taken_at_source=p.taken_at_source, tz_offset=p.tz_offset,
                                       gps_lat=p.gps_lat, gps_lon=p.gps_lon))
                    if p.city:
                        places.append(dict(photo_id=pid, city=p.city, country=p.country))
            with library.db.write_session() as s:
                s.execute(insert(Photo), photos)
                s.execute(insert(PhotoPlace), places)
            library.events.rebuild()
            with library.db.write_session() as s:
                s.execute(insert(Photo), [dict(id=9_000_000 + k, sha256=f"{9_000_000 + k:064d}", size=1, status="ok",
                                               hidden=False, imported_at=0, taken_at=f"2005-07-12T1{k % 10}:00:00",
                                               taken_at_source="DateTimeOriginal", tz_offset="+02:00",
                                               gps_lat=48.85, gps_lon=2.35) for k in range(imported)])
            result = {"photos": len(photos) + imported, "imported": imported}
            for name, rewrite_all in (("rewrite_all", True), ("diff", False)):
                with library.db.write_session() as s:
                    raw = s.connection().connection.driver_connection
                    rows, start = raw.total_changes, time.perf_counter()
                    rebuild(s, rewrite_all=rewrite_all)
                    result[f"{name}_rows"] = raw.total_changes - rows
                    s.flush()
                    result[f"{name}_s"] = time.perf_counter() - start
                    s.rollback()  # both measured from the same state
            return result
    finally:
        shutil.rmtree(work, ignore_errors=True)
