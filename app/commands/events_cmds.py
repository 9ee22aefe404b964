"""`shoebox events ...`: the library's events (trips, outings), and renaming, merging and splitting them."""

from __future__ import annotations

import sys

from app.commands.output import count, print_json


def register(subparsers) -> None:
    events = subparsers.add_parser("events", help="events: photos grouped by time and place")
    sub = events.add_subparsers(dest="events_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list events with their photo ids")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)
    rebuild = sub.add_parser("rebuild", help="recompute events now (imports do this in the background)")
    rebuild.set_defaults(func=cmd_rebuild)
    rename = sub.add_parser("rename", help="give an event a title of your own")
    rename.add_argument("id", type=int)
    rename.add_argument("title")
    rename.set_defaults(func=cmd_rename)
    merge = sub.add_parser("merge", help="join two events into one")
    merge.add_argument("id", type=int)
    merge.add_argument("other", type=int)
    merge.set_defaults(func=cmd_merge)
    split = sub.add_parser("split", help="cut an event in two before a photo")
    split.add_argument("id", type=int)
    split.add_argument("--at", type=int, required=True, metavar="PHOTO_ID", help="the first photo of the new event")
    split.set_defaults(func=cmd_split)
    summary = sub.add_parser("summary", help="a short summary of an event: dates, places, people, words, "
                                             "representative photos")
    summary.add_argument("id", type=int)
    summary.add_argument("--json", action="store_true")
    summary.set_defaults(func=cmd_summary)


def _guard(func):
    def run(args, library) -> int:
        from app.core.events.service import EventError

        try:
            return func(args, library)
        except EventError as exc:
            print(f"shoebox: {exc}", file=sys.stderr)
            return 1

    return run


def _stale(library) -> bool:
    """Events never computed for some dated photos (e.g. imported before events existed)."""
    from sqlalchemy import func, select

    from app.core.db.models import EventPhoto
    from app.core.events.service import load_shots

    with library.db.read_session() as s:
        return len(load_shots(s)) != (s.scalar(select(func.count()).select_from(EventPhoto)) or 0)


@_guard
def cmd_list(args, library) -> int:
    if not library.read_only and _stale(library):
        library.events.rebuild()
    events = library.events.list()
    if args.json:
        print_json([e.to_json() for e in events])
    else:
        for e in events:
            print(f"{e.id:5}  {count(len(e.photo_ids), 'photo'):>11}  {e.title}")
        print(count(len(events), "event"))
    return 0


@_guard
def cmd_rebuild(args, library) -> int:
    print(f"{count(library.events.rebuild(), 'event')}")
    return 0


@_guard
def cmd_rename(args, library) -> int:
    library.events.rename(args.id, args.title)
    return 0


@_guard
def cmd_merge(args, library) -> int:
    library.events.merge(args.id, args.other)
    return 0


@_guard
def cmd_split(args, library) -> int:
    library.events.split(args.id, args.at)
    return 0


@_guard
def cmd_summary(args, library) -> int:
    from app.commands.albums_cmds import print_summary
    from app.core.summaries import summarise_event

    print_summary(summarise_event(library, args.id), args.json)
    return 0
