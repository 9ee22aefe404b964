"""`shoebox info` and `shoebox photos`: what is in a library."""

from __future__ import annotations

from app.commands.output import count, print_json


def register(subparsers) -> None:
    info = subparsers.add_parser("info", help="show the library folder, schema and photo count")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=cmd_info)

    photos = subparsers.add_parser("photos", help="list photos")
    photos.add_argument("--json", action="store_true", help="print the stable JSON array")
    photos.add_argument("--all", action="store_true", help="include photos hidden as duplicates")
    photos.set_defaults(func=cmd_photos)


def cmd_info(args, library) -> int:
    info = {
        "library": str(library.root),
        "database": str(library.layout.database),
        "schema_revision": library.db.schema_revision(),
        "photos": library.photos.count(include_hidden=True),
    }
    if args.json:
        print_json(info)
    else:
        for key, value in info.items():
            print(f"{key:16} {value}")
    return 0


def cmd_photos(args, library) -> int:
    photos = library.photos.list(include_hidden=args.all)
    if args.json:
        print_json([p.to_json() for p in photos])
    else:
        for p in photos:
            when = p.taken_at or "undated"
            print(f"{p.id:6}  {when:19}  {p.width or '?'}x{p.height or '?'}  {p.path}")
        print(count(len(photos), "photo"))
    return 0
