"""`shoebox faces ...` and `shoebox people ...`: the faces found and the people they form (stable JSON)."""

from __future__ import annotations

import sys

from app.commands.output import print_json


def register(subparsers) -> None:
    faces = subparsers.add_parser("faces", help="faces found in photos")
    verbs = faces.add_subparsers(dest="faces_verb", metavar="VERB", required=True)
    listing = verbs.add_parser("list", help="list faces")
    listing.add_argument("--person", type=int, help="only this person's faces")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_faces_list)

    people = subparsers.add_parser("people", help="list, name, merge, split, forget people; undo")
    verbs = people.add_subparsers(dest="people_verb", metavar="VERB", required=True)
    listing = verbs.add_parser("list", help="list people, named first")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)
    rename = verbs.add_parser("rename", help="name or rename a person")
    rename.add_argument("id", type=int)
    rename.add_argument("name")
    rename.set_defaults(func=cmd_rename)
    merge = verbs.add_parser("merge", help="merge one person into another")
    merge.add_argument("from_id", type=int)
    merge.add_argument("into_id", type=int)
    merge.set_defaults(func=cmd_merge)
    split = verbs.add_parser("split", help="move faces to a new person (prints its id)")
    split.add_argument("id", type=int)
    split.add_argument("--faces", required=True, help="face ids, comma separated")
    split.set_defaults(func=cmd_split)
    remove = verbs.add_parser("remove", help='"not this person": take faces away from their person')
    remove.add_argument("--faces", required=True, help="face ids, comma separated")
    remove.set_defaults(func=cmd_remove)
    hide = verbs.add_parser("hide", help="hide a person (--show to show again)")
    hide.add_argument("id", type=int)
    hide.add_argument("--show", action="store_true")
    hide.set_defaults(func=cmd_hide)
    forget = verbs.add_parser("forget", help="delete a person's face data and name (photos stay; no undo)")
    forget.add_argument("id", type=int)
    forget.set_defaults(func=cmd_forget)
    undo = verbs.add_parser("undo", help="undo the last person operation")
    undo.set_defaults(func=cmd_undo)
    model = verbs.add_parser("model", help="show or choose the face model (faces:buffalo_l, default); "
                                           "choosing re-scans in the background and keeps names")
    model.add_argument("model_id", nargs="?")
    model.add_argument("--wait", action="store_true", help="run the re-scan now instead of in the background")
    model.add_argument("--json", action="store_true")
    model.set_defaults(func=cmd_model)
    recluster = verbs.add_parser("recluster", help="regroup faces (named people and corrections stay) and wait")
    recluster.add_argument("--no-wait", action="store_true", help="only queue it")
    recluster.set_defaults(func=cmd_recluster)


def _ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SystemExit(f"shoebox people: --faces takes face ids separated by commas, not {text!r}") from None


def _guard(func):
    """A PeopleError (unknown id, nothing to undo) is one line on stderr and exit status 1."""
    def run(args, library):
        from app.core.people.operations import PeopleError

        try:
            return func(args, library)
        except PeopleError as exc:
            print(f"shoebox people: {exc}", file=sys.stderr)
            return 1
    return run


def cmd_faces_list(args, library) -> int:
    faces = library.people.faces(person_id=args.person)
    if args.json:
        print_json([{k: f[k] for k in ("id", "photo_id", "person_id", "box", "score", "model")} for f in faces])
        return 0
    for f in faces:
        person = f["person_id"] if f["person_id"] is not None else "-"
        flag = "" if f["recognisable"] else "  (unrecognisable)"
        print(f"{f['id']:7} photo={f['photo_id']:<6} person={person:<6} box={f['box']} score={f['score']:.2f}{flag}")
    return 0


def cmd_list(args, library) -> int:
    people = library.people.people()
    if args.json:
        print_json([{k: p[k] for k in ("id", "name", "face_count", "photo_ids")} for p in people])
        return 0
    for p in people:
        hidden = "  (hidden)" if p["hidden"] else ""
        print(f"{p['id']:6}  {p['name'] or '(unnamed)':30} {p['face_count']:5} faces  {len(p['photo_ids'])} photos{hidden}")
    return 0


@_guard
def cmd_rename(args, library) -> int:
    library.people.rename(args.id, args.name)
    print(f"person {args.id} is now {args.name.strip()}")
    return 0


@_guard
def cmd_merge(args, library) -> int:
    library.people.merge(args.from_id, args.into_id)
    print(f"merged person {args.from_id} into {args.into_id}")
    return 0


@_guard
def cmd_split(args, library) -> int:
    print(library.people.split(args.id, _ids(args.faces)))
    return 0


@_guard
def cmd_remove(args, library) -> int:
    library.people.remove_faces(_ids(args.faces))
    print("removed")
    return 0


@_guard
def cmd_hide(args, library) -> int:
    library.people.hide(args.id, not args.show)
    return 0


@_guard
def cmd_forget(args, library) -> int:
    n = library.people.forget(args.id)
    print(f"forgot person {args.id}: face data of {n} face(s) deleted; the photos stay")
    return 0


def cmd_undo(args, library) -> int:
    op = library.people.undo()
    if op is None:
        print("shoebox people: nothing to undo", file=sys.stderr)
        return 1
    print(f"undid {op}")
    return 0


def cmd_recluster(args, library) -> int:
    task = library.people.recluster()
    if args.no_wait:
        print(f"recluster queued (task {task})" if task else "a recluster is already queued")
        return 0
    counts = library.tasks.run_until_idle(progress=sys.stderr.isatty())
    print("reclustered: " + "  ".join(f"{state}={n}" for state, n in counts.items()))
    return 0


def cmd_model(args, library) -> int:
    from app.core.ml.errors import ModelError

    if args.model_id:
        try:
            queued = library.people.set_model(args.model_id)
        except ModelError as exc:
            print(f"shoebox people: {exc}", file=sys.stderr)
            return 1
        if args.wait:
            library.tasks.run_until_idle(progress=sys.stderr.isatty())
        elif queued:
            print(f"{queued} photo(s) will be scanned again in the background (`shoebox tasks run` finishes it)",
                  file=sys.stderr)
    status = library.people.model_status()
    if args.json:
        print_json(status)
        return 0
    line = f"face model: {status['model']} ({status['scanned']}/{status['photos']} photos scanned)"
    if status["serving"] != status["model"]:
        line += f"; People shows {status['serving']} until the scan is done"
    print(line)
    return 0
