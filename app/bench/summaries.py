"""`shoebox bench summaries`: how long an album's summary (app.core.summaries) takes for a big album in a bigger
library with captions, places and image vectors, and whether its representative photos come from different
look-alike groups (the vectors are drawn around known centres, so the answer is known)."""

from __future__ import annotations

import statistics
import time

from app.commands.output import print_json

VOCABULARY = ("beach tram sunset castle hill dog cat family street market boat harbour garden church mountain river "
              "lake snow bridge tower museum park forest train station").split()


def register(subparsers) -> None:
    parser = subparsers.add_parser("summaries", help="album summary: seconds for a big album, and its picks")
    parser.add_argument("--library", type=int, default=20_000, help="photos in the library")
    parser.add_argument("--album", type=int, default=5_000, help="photos in the album")
    parser.add_argument("--groups", type=int, default=6, help="look-alike groups the vectors are drawn around")
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run, needs_library=False)


def build(root, photos: int, album: int, groups: int, dim: int):
    """A library of `photos` rows (captions, places, vectors around `groups` centres of unequal sizes) and an
    album of its first `album` photos; returns (library, album id, {photo id: group})."""
    import numpy as np
    from sqlalchemy import insert, select

    from app.core.db.models import Caption, Embedding, Photo, PhotoPlace
    from app.core.library import Library

    rng = np.random.default_rng(0)
    library = Library.open(root, log_to_file=False, create=True)
    now = time.time()
    with library.db.write_session() as s:
        s.execute(insert(Photo), [{"sha256": f"{i:064x}", "size": 1, "status": "ok", "hidden": False,
                                   "imported_at": now, "taken_at": f"2019-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00",
                                   "taken_at_source": "exif"} for i in range(photos)])
        ids = list(s.scalars(select(Photo.id).order_by(Photo.id)))
        words = rng.choice(len(VOCABULARY), size=(len(ids), 3))
        s.execute(insert(Caption), [{"photo_id": i, "text": "a photo of a " + " ".join(VOCABULARY[w] for w in row),
                                     "model_id": "bench", "edited": False, "created_at": now}
                                    for i, row in zip(ids, words)])
        s.execute(insert(PhotoPlace), [{"photo_id": i, "city": ("Lisbon", "Porto", "Faro")[n % 3],
                                        "country": "Portugal"} for n, i in enumerate(ids) if n % 2])
        weights = np.arange(groups, 0, -1, dtype=float)
        group = rng.choice(groups, size=len(ids), p=weights / weights.sum())
        centres = rng.normal(size=(groups, dim))
        vectors = centres[group] + rng.normal(scale=0.8, size=(len(ids), dim))
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        s.execute(insert(Embedding), [{"photo_id": i, "model_id": "clip:bench", "dim": dim, "vector": v.tobytes(),
                                       "runtime": "numpy", "device": "cpu", "created_at": now}
                                      for i, v in zip(ids, vectors)])
    album_id = library.albums.create("Bench", ids[:album])
    return library, album_id, dict(zip(ids, group.tolist()))


def run(args, _library) -> int:
    import shutil
    import tempfile
    from pathlib import Path

    from app.core.summaries import summarise_album

    work = Path(tempfile.mkdtemp(prefix="shoebox-bench-summaries-"))
    try:
        library, album_id, group_of = build(work / "library", args.library, args.album, args.groups, args.dim)
        try:
            start = time.perf_counter()
            summary = summarise_album(library, album_id)
            first = time.perf_counter() - start  # includes filling the word index from scratch
            times = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                summary = summarise_album(library, album_id)
                times.append(time.perf_counter() - start)
        finally:
            library.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    picked_groups = [group_of[p] for p in summary.representatives]
    result = {"library": args.library, "album": args.album, "first_s": round(first, 3),
              "summary_s": round(statistics.median(times), 3), "method": summary.method,
              "distinct_groups": len(set(picked_groups)), "picks": len(picked_groups), "text": summary.text}
    if args.json:
        print_json(result)
        return 0
    print(f"album of {args.album:,} photos in a library of {args.library:,} (captions, places, {args.dim}-d vectors)")
    print(f"first summary (fills the word index): {first:.2f} s")
    print(f"summary, median of {args.rounds}: {result['summary_s']:.3f} s")
    print(f"representative photos ({summary.method}): {len(picked_groups)} picks from "
          f"{len(set(picked_groups))} different look-alike groups")
    print(f"text: {summary.text}")
    return 0
