"""`shoebox albums ...` (hand-made and smart albums) and `shoebox undo` (the last album or event edit)."""

from __future__ import annotations

import argparse
import sys

from app.commands.output import count, print_json


def photo_ids(text: str) -> list[int]:
    """`--photos 1,2,3` (spaces allowed); a bad id is a usage error naming it."""
    ids = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        try:
            ids.append(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r} is not a photo id (give ids like 1,2,3)") from None
    return ids


def register(subparsers) -> None:
    albums = subparsers.add_parser("albums", help="hand-made and smart albums")
    sub = albums.add_subparsers(dest="albums_command", metavar="ACTION", required=True)

    create = sub.add_parser("create", help="make an album from photos, or a smart album from a query")
    create.add_argument("name")
    what = create.add_mutually_exclusive_group()
    what.add_argument("--photos", type=photo_ids, default=[], metavar="IDS", help="photo ids, e.g. 1,2,3")
    what.add_argument("--query", metavar="QUERY", help='a smart album: e.g. "camera:canon year:2019"')
    create.add_argument("--json", action="store_true", help='print {"id": ...}')
    create.set_defaults(func=cmd_create)

    for name, helptext, func in (("add", "add photos to an album", cmd_add),
                                 ("remove", "take photos out of an album (they stay in the library)", cmd_remove)):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("id", type=int)
        p.add_argument("--photos", type=photo_ids, required=True, metavar="IDS")
        p.set_defaults(func=func)

    listing = sub.add_parser("list", help="list albums with their photo ids")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)

    rename = sub.add_parser("rename", help="rename an album")
    rename.add_argument("id", type=int)
    rename.add_argument("name")
    rename.set_defaults(func=cmd_rename)

    remove = sub.add_parser("delete", help="delete an album (never its photos or files)")
    remove.add_argument("id", type=int)
    remove.set_defaults(func=cmd_delete)

    cover = sub.add_parser("cover", help="choose an album's cover photo")
    cover.add_argument("id", type=int)
    cover.add_argument("photo", type=int)
    cover.set_defaults(func=cmd_cover)

    order = sub.add_parser("order", help="order an album by date, or by hand (--photos in the new order)")
    order.add_argument("id", type=int)
    how = order.add_mutually_exclusive_group(required=True)
    how.add_argument("--by-date", action="store_true")
    how.add_argument("--photos", type=photo_ids, metavar="IDS")
    order.set_defaults(func=cmd_order)

    summary = sub.add_parser("summary", help="a short summary of an album: dates, places, people, words, "
                                             "representative photos")
    summary.add_argument("id", type=int)
    summary.add_argument("--json", action="store_true")
    summary.set_defaults(func=cmd_summary)

    undo = subparsers.add_parser("undo", help="undo the last album, event or photo edit")
    undo.set_defaults(func=cmd_undo)


def _guard(func):
    """Album and query errors are the user's to fix: one line, exit 1."""

    def run(args, library) -> int:
        from app.core.albums.service import AlbumError
        from app.core.search.errors import QueryError
        from app.core.undo import NothingToUndo

        try:
            return func(args, library)
        except (AlbumError, NothingToUndo) as exc:
            print(f"shoebox: {exc}", file=sys.stderr)
            return 1
        except QueryError as exc:
            print(f"shoebox: {exc.describe()}", file=sys.stderr)
            return 1

    return run


@_guard
def cmd_create(args, library) -> int:
    album_id = library.albums.create(args.name, args.photos, query=args.query)
    if args.json:
        print_json({"id": album_id})
    else:
        print(f"created album {album_id}")
    return 0


@_guard
def cmd_add(args, library) -> int:
    print(f"added {count(library.albums.add(args.id, args.photos), 'photo')}")
    return 0


@_guard
def cmd_remove(args, library) -> int:
    print(f"removed {count(library.albums.remove(args.id, args.photos), 'photo')} from the album")
    return 0


@_guard
def cmd_list(args, library) -> int:
    albums = library.albums.list()
    if args.json:
        print_json([a.to_json() for a in albums])
    else:
        for a in albums:
            extra = f"  [{a.query}]" if a.kind == "smart" else ""
            print(f"{a.id:5}  {a.kind:6}  {count(len(a.photo_ids), 'photo'):>11}  {a.name}{extra}")
        print(count(len(albums), "album"))
    return 0


@_guard
def cmd_rename(args, library) -> int:
    library.albums.rename(args.id, args.name)
    return 0


@_guard
def cmd_delete(args, library) -> int:
    library.albums.delete(args.id)
    print(f"deleted album {args.id} (its photos stay in the library; `shoebox undo` brings it back)")
    return 0


@_guard
def cmd_cover(args, library) -> int:
    library.albums.set_cover(args.id, args.photo)
    return 0


@_guard
def cmd_order(args, library) -> int:
    library.albums.set_order(args.id, args.photos, sort="date" if args.by_date else None)
    return 0


@_guard
def cmd_undo(args, library) -> int:
    print(f"undone: {library.undo.undo_last()}")
    return 0


def print_summary(summary, as_json: bool) -> None:
    """`albums summary` and `events summary`: the one-line text, then each part."""
    if as_json:
        print_json(summary.to_json())
        return
    print(summary.text)
    for label, items in (("places", summary.places), ("people", summary.people)):
        if items:
            print(f"{label}: " + ", ".join(f"{name} ({n})" for name, n in items))
    if summary.words:
        print("words: " + ", ".join(w for w, _ in summary.words))
    if summary.representatives:
        how = (f"k-medoids over the {summary.model_id} vectors" if summary.method == "clip-kmedoids" else
               "spread in time: no image vectors")
        print(f"representative photos: {', '.join(map(str, summary.representatives))} ({how})")


@_guard
def cmd_summary(args, library) -> int:
    from app.core.summaries import summarise_album

    print_summary(summarise_album(library, args.id), args.json)
    return 0
