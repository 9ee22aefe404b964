"""`shoebox export`: an album, an event or chosen photos to a folder or a .zip."""

from __future__ import annotations

import sys

from app.commands.albums_cmds import photo_ids
from app.commands.output import print_json


def register(subparsers) -> None:
    export = subparsers.add_parser(
        "export", help="copy photos out of the library (originals byte for byte, each checked by sha256)")
    what = export.add_mutually_exclusive_group(required=True)
    what.add_argument("--album", type=int, metavar="ID", help="an album (hand-made or smart)")
    what.add_argument("--event", type=int, metavar="ID", help="an event")
    what.add_argument("--photos", type=photo_ids, metavar="IDS", help="photo ids, e.g. 1,2,3")
    export.add_argument("dest", metavar="DEST", help="a folder, or a file ending in .zip")
    export.add_argument("--sidecars", action="store_true", help="write an XMP file per photo (digiKam, Lightroom)")
    export.add_argument("--max-size", type=int, metavar="PX", help="resized JPEGs at most PX pixels on a side")
    export.add_argument("--template", default=None, metavar="T",
                        help="file names, from {date} {time} {name} {stem} {ext} {album} {id}; "
                             "default {date}_{name}; '/' makes folders")
    export.add_argument("--json", action="store_true", help="print the summary as JSON")
    export.set_defaults(func=cmd_export)


def cmd_export(args, library) -> int:
    from app.core.albums.service import AlbumError
    from app.core.events.service import EventError
    from app.core.exchange.export import Exporter, ExportError, photos_for
    from app.core.exchange.names import DEFAULT_TEMPLATE, TemplateError

    try:
        ids, name = photos_for(library, album=args.album, event=args.event, photos=args.photos)
        exporter = Exporter(library, template=args.template or DEFAULT_TEMPLATE, sidecars=args.sidecars,
                            max_size=args.max_size, album_name=name)
        summary = exporter.export(ids, args.dest)
    except (AlbumError, EventError, ExportError, TemplateError) as exc:
        print(f"shoebox export: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json(summary.to_json())
    else:
        print(summary.text())
    return 1 if summary.failed else 0
