"""`shoebox info` and `shoebox photos`: what is in a library."""

from __future__ import annotations

import argparse
from datetime import datetime

from app.commands.output import count, print_json, print_json_records


def register(subparsers) -> None:
    info = subparsers.add_parser("info", help="show the library folder, schema and photo count")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=cmd_info)

    photos = subparsers.add_parser("photos", help="list photos")
    photos.add_argument("--json", action="store_true", help="print the stable JSON array")
    photos.add_argument("--all", action="store_true", help="include photos hidden as duplicates")
    photos.add_argument("--limit", type=_non_negative, default=None, help="list at most N photos")
    photos.add_argument("--offset", type=_non_negative, default=0, help="skip the first N photos")
    photos.add_argument(
        "--since",
        metavar="WHEN",
        help="only photos imported or changed since WHEN: a UNIX time, an ISO date/time, or import:ID",
    )
    photos.set_defaults(func=cmd_photos)


def cmd_info(args, library) -> int:
    info = {
        "library": str(library.root),
        "database": library.db.url if library.db.is_postgres else str(library.layout.database),
        "schema_revision": library.db.schema_revision(),
        "photos": library.photos.count(include_hidden=True),
    }
    if args.json:
        print_json(info)
    else:
        for key, value in info.items():
            print(f"{key:16} {value}")
    return 0


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def since_time(library, when: str) -> float:
    """`--since` as a UNIX time: a number, an ISO date or date-time (local time), or `import:ID` (when that
    import started)."""
    from app.core.db.models import TaskGroup

    if when.startswith("import:"):
        try:
            group_id = int(when.split(":", 1)[1])
        except ValueError:
            raise SystemExit(f"--since: {when!r} is not import:ID with a number") from None
        with library.db.read_session() as s:
            started = s.get(TaskGroup, group_id)
        if started is None:
            raise SystemExit(f"--since: there is no import {group_id}")
        return started.created_at
    try:
        return float(when)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(when).timestamp()
    except ValueError:
        raise SystemExit(f"--since: {when!r} is neither a UNIX time, an ISO date nor import:ID") from None


def cmd_photos(args, library) -> int:
    window = {
        "include_hidden": args.all,
        "offset": args.offset,
        "limit": args.limit,
        "since": since_time(library, args.since) if args.since else None,
    }
    if args.json:
        from app.core.photos import LISTING_FIELDS

        lists = ("paths", "missing_paths", "tags")
        print_json_records(LISTING_FIELDS, library.photos.iter_listing(**window), lists=lists)
    else:
        photos = library.photos.iter_photos(**window)
        n = 0
        for n, p in enumerate(photos, 1):
            when = p.taken_at or "undated"
            print(f"{p.id:6}  {when:19}  {p.width or '?'}x{p.height or '?'}  {p.path}")
        print(count(n, "photo"))
    return 0
