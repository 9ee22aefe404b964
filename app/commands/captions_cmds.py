"""`shoebox captions import|status|run|list|set`: photo captions from a caption model, or typed by hand."""

from __future__ import annotations

import sys

from app.commands.output import print_json


def register(subparsers) -> None:
    captions = subparsers.add_parser("captions", help="photo captions (a caption model, or your own words)")
    sub = captions.add_subparsers(dest="captions_command", metavar="ACTION", required=True)

    imp = sub.add_parser("import", help="use a BLIP model folder (saved with save_pretrained) for captions")
    imp.add_argument("folder")
    imp.add_argument("--id", help="the model id to store with captions (default: caption:FOLDER_NAME)")
    imp.set_defaults(func=_guard(cmd_import))

    status = sub.add_parser("status", help="the caption model and how many photos have captions")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_guard(cmd_status))

    run = sub.add_parser("run", help="caption the photos that lack one (also runs in the app's background)")
    run.set_defaults(func=_guard(cmd_run))

    listing = sub.add_parser("list", help="every caption")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_guard(cmd_list))

    set_ = sub.add_parser("set", help="write a photo's caption yourself (never replaced by a model's)")
    set_.add_argument("photo", type=int, metavar="PHOTO_ID")
    set_.add_argument("text")
    set_.set_defaults(func=_guard(cmd_set))


def _guard(func):
    def run(args, library) -> int:
        from app.core.captions.service import CaptionError
        from app.core.ml.errors import ModelError

        try:
            return func(args, library)
        except (CaptionError, ModelError) as exc:
            print(f"shoebox captions: {exc}", file=sys.stderr)
            return 1

    return run


def cmd_import(args, library) -> int:
    model_id = library.captions.import_model(args.folder, args.id)
    print(f"caption model {model_id} imported and active; photos are captioned in the background "
          "(`shoebox captions run` to do it now)")
    return 0


def cmd_status(args, library) -> int:
    st = library.captions.status()
    if args.json:
        print_json({"model": st.model_id, "available": st.available, "captioned": st.captioned, "total": st.total,
                    "message": st.message})
    else:
        print(st.message)
    return 0


def cmd_run(args, library) -> int:
    st = library.captions.status()
    if not st.available:
        print(f"shoebox captions: {st.message}", file=sys.stderr)
        return 1
    if library.captions.schedule() is not None:
        library.tasks.run_until_idle(progress=True)
    print(library.captions.status().message)
    return 0


def cmd_list(args, library) -> int:
    rows = library.captions.list()
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    for r in rows:
        print(f"{r.photo_id:6}  {'(yours) ' if r.edited else ''}{r.text}")
    print(f"{len(rows)} caption{'s' if len(rows) != 1 else ''}")
    return 0


def cmd_set(args, library) -> int:
    library.captions.set(args.photo, args.text)
    print(f"photo {args.photo}: caption set (kept over any model's)")
    return 0
