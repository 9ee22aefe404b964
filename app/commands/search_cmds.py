"""`shoebox search "text"` (hybrid: words, meaning, CLIP) and `shoebox search --like PHOTO_ID` (CLIP)."""

from __future__ import annotations

import sys

from app.commands.output import print_json


def register(subparsers) -> None:
    search = subparsers.add_parser("search", help="find photos by a description, or photos like a given one")
    search.add_argument("query", nargs="?", help="what to look for, in words")
    search.add_argument("--like", type=int, metavar="PHOTO_ID", help="photos that look like this photo")
    search.add_argument("--limit", type=int, default=20, metavar="K", help="how many results (default 20)")
    search.add_argument("--json", action="store_true", help="print a JSON array of {id, path, score}")
    search.add_argument("--no-embed", action="store_true", help="do not analyse photos that lack vectors first")
    search.add_argument("--weights", metavar="W", help="weights of the ranking's parts, e.g. fts=1,text=1,clip=1 "
                        "(default: the library's search.weight_* settings)")
    search.add_argument("--explain", action="store_true", help="show each hit's parts (words, meaning, image)")
    search.add_argument("--good", type=_ids, default=[], metavar="IDS",
                        help="relevance feedback: more like these photos (ids, e.g. 3,8)")
    search.add_argument("--bad", type=_ids, default=[], metavar="IDS", help="relevance feedback: fewer like these")
    search.set_defaults(func=cmd_search)

    find = subparsers.add_parser("find", help='photos matching a query: words and filters like place:Kyoto '
                                 'year:2019 camera:canon date:2019-06..2019-08 album:"Summer" has:gps type:heic')
    find.add_argument("query", help="the query (quote it for the shell)")
    find.add_argument("--limit", type=int, default=200, metavar="K", help="how many results (default 200)")
    find.add_argument("--json", action="store_true", help="print a JSON array of {id, path}")
    find.set_defaults(func=cmd_find)


def _ids(text: str) -> list[int]:
    import argparse

    try:
        return [int(p) for p in text.replace(" ", "").split(",") if p]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give photo ids like 3,8") from None


def cmd_search(args, library) -> int:
    from app.core.search.service import ModelMissingError, SearchError

    if (args.query is None) == (args.like is None):
        print("shoebox search: give a text query or --like PHOTO_ID (not both)", file=sys.stderr)
        return 2
    if args.query is not None:
        return _hybrid(args, library)
    service = library.search
    status = service.status()
    if not status.model_available:
        print(f"shoebox search: {status.message}", file=sys.stderr)
        return 1
    embed_first = not args.no_embed and not library.read_only  # a read-only library searches what it has
    waiting = status.total - status.embedded - status.failed
    if embed_first and waiting > 0 and service.schedule_embedding() is not None:
        print(f"analysing {waiting} photos for smart search first…", file=sys.stderr)
        library.tasks.run_until_idle(progress=not args.json)
    try:
        hits = service.like(args.like, args.limit) if args.like is not None else service.text(args.query, args.limit)
    except ModelMissingError as exc:
        print(f"shoebox search: {exc}", file=sys.stderr)
        return 1
    except SearchError as exc:
        print(f"shoebox search: {exc}", file=sys.stderr)
        return 1
    photos = {p.id: p for p in library.photos.get_many([h.photo_id for h in hits])}
    rows = [
        {"id": h.photo_id, "path": photos[h.photo_id].path if h.photo_id in photos else "", "score": round(h.score, 4)}
        for h in hits
    ]
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            print(f"{row['score']:.3f}  {row['id']:6}  {row['path']}")
        print(f"{len(rows)} results")
    return 0


def _hybrid(args, library) -> int:
    """Words, meaning and (when a model serves) CLIP together; without CLIP it says so once and goes on."""
    from app.core.search.errors import QueryError
    from app.core.search.hybrid import hybrid_search, parse_weights

    try:
        weights = parse_weights(args.weights) if args.weights else None
    except ValueError as exc:
        print(f"shoebox search: --weights {exc}", file=sys.stderr)
        return 2
    service = library.search
    status = service.status()
    waiting = status.total - status.embedded - status.failed
    if status.model_available and not args.no_embed and not library.read_only and waiting > 0 \
            and service.schedule_embedding() is not None:
        print(f"analysing {waiting} photos for smart search first…", file=sys.stderr)
        library.tasks.run_until_idle(progress=not args.json)
    try:
        result = hybrid_search(library, args.query, limit=args.limit, weights=weights, good=args.good, bad=args.bad)
    except QueryError as exc:
        print(f"shoebox search: {exc.describe()}", file=sys.stderr)
        return 1
    if result.clip_off:
        print(f"shoebox search: {result.clip_off}", file=sys.stderr)
    photos = {p.id: p for p in library.photos.get_many([h.photo_id for h in result.hits])}
    rows = []
    for h in result.hits:
        row = {"id": h.photo_id, "path": photos[h.photo_id].path if h.photo_id in photos else "",
               "score": round(h.score, 4)}
        if args.explain:
            row["parts"] = {c: round(v, 4) for c, v in sorted(h.parts.items())}
        rows.append(row)
    if args.json:
        print_json(rows)
        return 0
    if args.explain:
        print("weights: " + ", ".join(f"{c}={w:g}" for c, w in result.weights.items()))
    for row in rows:
        detail = ""
        if args.explain:
            detail = "  [" + " ".join(f"{c}={row['parts'].get(c, 0):.2f}" for c in ("fts", "text", "clip")) + "]"
        print(f"{row['score']:.3f}  {row['id']:6}  {row['path']}{detail}")
    print(f"{len(rows)} results")
    return 0


def cmd_find(args, library) -> int:
    from app.core.search.errors import QueryError
    from app.core.search.query import search

    try:
        ids = search(library, args.query, args.limit)
    except QueryError as exc:
        print(f"shoebox find: {exc.describe()}", file=sys.stderr)
        return 1
    rows = [{"id": p.id, "path": p.path} for p in library.photos.get_many(ids)]
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            print(f"{row['id']:6}  {row['path']}")
        print(f"{len(rows)} results")
    return 0
