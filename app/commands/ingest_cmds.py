"""`shoebox import`, `shoebox errors` and `shoebox duplicates`: bring photos in and see what needs attention."""

from __future__ import annotations

import sys

from app.commands.output import count, print_json

FORMATS_HELP = (
    "Reads JPEG, PNG, HEIC/HEIF, TIFF, WebP, GIF and BMP, and camera RAW files built on TIFF (DNG, NEF, CR2, ARW, "
    "PEF, ...) through their embedded preview. CR3, RAF, ORF, RW2, X3F and RWL are listed by `shoebox errors` as "
    "UnsupportedRaw; AVIF, JPEG XL and videos are not imported."
)


def register(subparsers) -> None:
    imp = subparsers.add_parser(
        "import", help="import photos from folders or files (re-run to pick up changes)", epilog=FORMATS_HELP
    )
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument("--json", action="store_true", help="print a JSON summary of the counts at the end")
    imp.add_argument("--no-progress", action="store_true", help="no progress bar")
    imp.set_defaults(func=cmd_import)

    errors = subparsers.add_parser("errors", help="list files that could not be imported, with the reason")
    errors.add_argument("--json", action="store_true")
    errors.set_defaults(func=cmd_errors)

    dups = subparsers.add_parser("duplicates", help="list exact and near-duplicate groups")
    dups.add_argument("--json", action="store_true")
    dups.add_argument("--rebuild", action="store_true", help="recompute the near-duplicate groups from scratch first")
    dups.set_defaults(func=cmd_duplicates)


def cmd_import(args, library) -> int:
    from app.core.ingest.importer import MissingImportPaths
    from app.core.tasks.errors import EngineError

    show_bar = not args.no_progress and sys.stderr.isatty()
    importer = library.importer
    try:
        group_id = importer.start_import(args.paths)
    except MissingImportPaths as exc:
        print(f"shoebox: {exc}; nothing was imported", file=sys.stderr)
        return 2
    try:
        if show_bar:
            importer.run_with_progress_bar(group_id)
        else:
            importer.run_until_idle(group_id)
    except EngineError as exc:  # e.g. a full disk: what was done is saved, the rest resumes next time
        print(f"shoebox: import stopped: {exc}", file=sys.stderr)
        return 1
    summary = importer.summary(group_id)
    for root in importer.roots_without_photos(group_id):
        print(f"no photos found in {root}", file=sys.stderr)
    if args.json:
        print_json(summary.to_json())
    else:
        print(
            f"imported {summary.imported}, duplicates {summary.duplicates}, skipped {summary.skipped}, "
            f"failed {summary.failed}, missing {summary.missing}, moved {summary.moved}"
        )
    if summary.failed:
        print(f"{count(summary.failed, 'file')} failed: see `shoebox errors` for the reasons", file=sys.stderr)
    succeeded = summary.imported + summary.duplicates + summary.moved + summary.skipped
    return 1 if summary.failed and not succeeded else 0


def cmd_errors(args, library) -> int:
    errors = library.importer.errors()
    if args.json:
        print_json([e.to_json() for e in errors])
    else:
        for e in errors:
            print(f"{e.path}\n    {e.error_class}: {e.reason}")
        print(f"{count(len(errors), 'file')} could not be imported")
    return 0


def cmd_duplicates(args, library) -> int:
    if args.rebuild:
        library.importer.rebuild_duplicate_groups()
    groups = library.importer.duplicate_groups()
    if args.json:
        print_json([g.to_json() for g in groups])
    else:
        for g in groups:
            paths = [path for p in g.photos for path in (p.paths if g.kind == "exact" else [p.path])]
            print(f"{g.kind} group {g.id}: {count(len(paths), 'file' if g.kind == 'exact' else 'photo')}")
            for path in paths:
                print(f"    {path}")
        print(count(len(groups), "group"))
    return 0
