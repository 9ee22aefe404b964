"""`shoebox migrate-db`: move a library's database between SQLite and PostgreSQL (issue 15)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from app.commands.output import print_json

# Library files that are not derived from the database rows (voice notes) or are slow to make again
# (thumbnails, face crops); indexes are rebuilt from the rows on each machine.
COPIED_FOLDERS = ("thumbnails", "faces", "voice")


def register(subparsers) -> None:
    migrate = subparsers.add_parser(
        "migrate-db", help="copy this library's database into a new PostgreSQL database (or back into a SQLite "
                           "library folder), verified table by table; the source is never changed")
    migrate.add_argument("--to", required=True, metavar="URL_OR_FOLDER",
                         help="postgresql://user@host/db (an empty database), or a new folder for a SQLite library")
    migrate.add_argument("--folder", metavar="DIR",
                         help="for a PostgreSQL target: this machine's folder for its thumbnails and indexes "
                              "(default: a per-user folder named after the database)")
    migrate.add_argument("--json", action="store_true")
    migrate.set_defaults(func=cmd_migrate_db)


def _target(args) -> tuple[str | Path, Path, str | None]:
    """(what Database opens, the library folder, the PostgreSQL URL or None)."""
    from app.core.db.postgres import is_postgres_url
    from app.core.paths import LibraryLayout, local_folder_for

    if is_postgres_url(args.to):
        folder = Path(args.folder).expanduser().resolve() if args.folder else local_folder_for(args.to)
        return args.to, folder, args.to
    folder = Path(args.to).expanduser().resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise SystemExit(f"shoebox: {folder} is not a new, empty folder; choose one for the SQLite library")
    return LibraryLayout(folder).database, folder, None


def cmd_migrate_db(args, library) -> int:
    from app.core.db.copy import CopyError, copy_database
    from app.core.db.database import Database
    from app.core.library import Library, LibraryError
    from app.core.paths import LibraryLayout

    target, folder, url = _target(args)
    if url is None:
        LibraryLayout(folder).create()
    try:
        database = Database(target)
    except Exception as exc:  # noqa: BLE001 - a malformed URL, an unreachable server
        print(f"shoebox: cannot open the target database: {exc}", file=sys.stderr)
        return 1
    try:
        report = copy_database(library.db, database)
    except CopyError as exc:
        print(f"shoebox: {exc}", file=sys.stderr)
        return 1
    except Exception:
        if url is None:  # nothing of a half-made SQLite library stays behind
            database.close()
            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        database.close()
    try:
        Library(folder, database=url, log_to_file=False).close()  # lays out the folder (and names the database)
    except LibraryError as exc:
        print(f"shoebox: the database was copied, but its folder {folder} could not be set up: {exc}", file=sys.stderr)
        return 1
    for name in COPIED_FOLDERS:
        source = library.layout.root / name
        if source.is_dir():
            shutil.copytree(source, folder / name, dirs_exist_ok=True)
    if args.json:
        print_json({"target": database.url, "folder": str(folder), "photos": report.photos,
                    "tables": [t.__dict__ for t in report.tables]})
        return 0
    for check in report.tables:
        print(f"{check.table:18} {check.rows:9} rows  {check.digest[:16]}  same in both")
    print(f"copied {report.photos} photos ({report.rows} rows) into {database.url}; verified; library folder {folder}")
    return 0
