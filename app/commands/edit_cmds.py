"""`shoebox edit ...`: rotate, rate, favourite, reject, title, describe and tag photos (stored in the library,
never in the files; `shoebox undo` reverses the last one), and `shoebox tags` to list tags."""

from __future__ import annotations

import sys

from app.commands.output import count, print_json


def _ids(parser) -> None:
    parser.add_argument("ids", type=int, nargs="+", metavar="ID", help="photo ids (see `shoebox photos`)")
    parser.add_argument("--json", action="store_true", help="print the photos' edits afterwards as JSON")


def register(subparsers) -> None:
    edit = subparsers.add_parser("edit", help="rotate, rate, favourite, reject, title and tag photos")
    sub = edit.add_subparsers(dest="edit_command", metavar="ACTION", required=True)

    rotate = sub.add_parser("rotate", help="turn photos 90° (the original file is not changed)")
    _ids(rotate)
    way = rotate.add_mutually_exclusive_group(required=True)
    way.add_argument("--left", action="store_const", const=-90, dest="degrees", help="counter-clockwise")
    way.add_argument("--right", action="store_const", const=90, dest="degrees", help="clockwise")
    rotate.set_defaults(func=cmd_rotate)

    rate = sub.add_parser("rate", help="give photos 0 to 5 stars (0 clears)")
    rate.add_argument("stars", type=int, choices=range(6), metavar="STARS")
    _ids(rate)
    rate.set_defaults(func=cmd_rate)

    for name, helptext, func in (("favourite", "mark photos as favourites (--off to unmark)", cmd_favourite),
                                 ("reject", "flag photos as rejected (--off to clear)", cmd_reject)):
        p = sub.add_parser(name, help=helptext)
        _ids(p)
        p.add_argument("--off", action="store_true")
        p.set_defaults(func=func)

    for name, helptext, func in (("title", "set photos' title ('' clears)", cmd_title),
                                 ("describe", "set photos' description ('' clears)", cmd_describe)):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("text")
        _ids(p)
        p.set_defaults(func=func)

    tag = sub.add_parser("tag", help="add or remove tags (Places/Japan makes a hierarchy)")
    tag_sub = tag.add_subparsers(dest="tag_command", metavar="add|remove", required=True)
    for name, func in (("add", cmd_tag_add), ("remove", cmd_tag_remove)):
        p = tag_sub.add_parser(name, help=f"{name} tags")
        p.add_argument("--tag", "-t", action="append", required=True, dest="tags", metavar="TAG",
                       help="a tag (repeat for more)")
        _ids(p)
        p.set_defaults(func=func)

    show = sub.add_parser("show", help="the photos' edits")
    show.add_argument("ids", type=int, nargs="+", metavar="ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)

    tags = subparsers.add_parser("tags", help="tags in use, with their photo counts")
    tags.add_argument("--json", action="store_true")
    tags.set_defaults(func=cmd_tags)


def _guard(func):
    def run(args, library) -> int:
        from app.core.organise.service import OrganiseError

        try:
            message = func(args, library)
        except OrganiseError as exc:
            print(f"shoebox: {exc}", file=sys.stderr)
            return 1
        if getattr(args, "json", False):
            print_json({str(k): v.to_json() for k, v in library.organise.edits(args.ids).items()})
        elif message:
            print(message)
        return 0

    return run


@_guard
def cmd_rotate(args, library):
    library.organise.rotate(args.ids, args.degrees)
    return f"turned {count(len(set(args.ids)), 'photo')} {'right' if args.degrees > 0 else 'left'}"


@_guard
def cmd_rate(args, library):
    library.organise.set_rating(args.ids, args.stars)
    return f"rated {count(len(set(args.ids)), 'photo')} {args.stars}"


@_guard
def cmd_favourite(args, library):
    library.organise.set_favourite(args.ids, not args.off)
    return ""


@_guard
def cmd_reject(args, library):
    library.organise.set_rejected(args.ids, not args.off)
    return ""


@_guard
def cmd_title(args, library):
    library.organise.set_title(args.ids, args.text)
    return ""


@_guard
def cmd_describe(args, library):
    library.organise.set_description(args.ids, args.text)
    return ""


@_guard
def cmd_tag_add(args, library):
    return f"added {count(library.organise.add_tags(args.ids, args.tags), 'tag')}"


@_guard
def cmd_tag_remove(args, library):
    return f"removed {count(library.organise.remove_tags(args.ids, args.tags), 'tag')}"


@_guard
def cmd_show(args, library):
    if args.json:
        return ""
    lines = []
    for photo_id, e in library.organise.edits(args.ids).items():
        flags = [f for f, on in (("favourite", e.favourite), ("rejected", e.rejected)) if on]
        lines.append(f"{photo_id:6}  {'★' * e.rating:5}  {e.rotation:3}°  {' '.join(flags):18}  "
                     f"{e.title or ''}  {', '.join(e.tags)}")
    return "\n".join(lines)


def cmd_tags(args, library) -> int:
    tags = library.organise.tags()
    if args.json:
        print_json([{"name": t.name, "count": t.count} for t in tags])
    else:
        for t in tags:
            print(f"{count(t.count, 'photo'):>12}  {t.name}")
        print(count(len(tags), "tag"))
    return 0
