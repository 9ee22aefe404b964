"""A library beyond one machine (issue 15): `shoebox migrate-db` moves its database between SQLite and
PostgreSQL; `shoebox worker` runs its model work on another machine, from the shared queue."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from app.commands.output import print_json

# Library files that are not derived from the database rows (voice notes) or are slow to make again
# (thumbnails, face crops); indexes are rebuilt from the rows on each machine.
COPIED_FOLDERS = ("thumbnails", "faces", "voice")
# Model work worth sending to a machine with a GPU; each reads originals (or this machine's thumbnails) and
# writes its results as rows, which every machine's indexes are rebuilt from.
REMOTE_TYPES = ("embed", "faces", "caption")
IDLE_WAIT_S = 5.0  # a worker without --until-idle looks for new work this often once the queue is empty


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

    worker = subparsers.add_parser(
        "worker", help="run only the task engine for model work (embed, faces, caption) of a PostgreSQL library "
                       "(--database), claimed from the queue it shares with other machines")
    worker.add_argument("--types", default=",".join(REMOTE_TYPES),
                        help=f"task types to take, comma-separated (default: {','.join(REMOTE_TYPES)})")
    worker.add_argument("--map", action="append", default=[], metavar="SRC=DST",
                        help="read originals stored under SRC (as the importing machine saw them) from DST here; "
                             "repeatable")
    worker.add_argument("--workers", type=int, default=1, help="worker threads (default: 1; models use every core)")
    worker.add_argument("--until-idle", action="store_true",
                        help="stop when no task of these types is left (default: keep waiting for new work)")
    worker.set_defaults(func=cmd_worker)


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
    except BaseException as exc:
        database.close()
        if url is None:  # nothing of a half-made SQLite library stays behind
            shutil.rmtree(folder, ignore_errors=True)
        if not isinstance(exc, CopyError):
            raise
        print(f"shoebox: {exc}", file=sys.stderr)
        return 1
    database.close()
    try:
        Library(folder, database=url, log_to_file=False).close()  # lays out the folder (and names the database)
    except LibraryError as exc:
        print(f"shoebox: the database was copied, but its folder {folder} could not be set up: {exc}",
              file=sys.stderr)
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


def cmd_worker(args, library) -> int:
    import signal
    import threading

    from app.core.paths import PathMap
    from app.core.tasks.engine import TaskEngine
    from app.core.tasks.errors import EngineError, PermanentError
    from app.core.tasks.registry import get_handler, load_handler_modules

    types = [t.strip() for t in args.types.split(",") if t.strip()]
    load_handler_modules()
    unknown = []
    for type_ in types:
        try:
            get_handler(type_)
        except PermanentError:
            unknown.append(type_)
    if not types or unknown:
        print(f"shoebox worker: unknown task type(s): {', '.join(unknown) or '(none given)'}", file=sys.stderr)
        return 2
    if library.read_only:
        print(f"shoebox: {library.read_only_reason}: a worker needs to write its results", file=sys.stderr)
        return 1
    try:
        library.path_map = PathMap.parse(args.map)
    except ValueError as exc:
        print(f"shoebox worker: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    engine = TaskEngine(library, workers=max(1, args.workers), types=types)
    finished = []
    engine.task_finished.connect(lambda task_id, type_: finished.append(task_id))
    print(f"worker for {', '.join(types)} on {library.db.url}", flush=True)
    try:
        while True:
            engine.run_until_idle(stop_when=stop.is_set)
            if args.until_idle or stop.wait(IDLE_WAIT_S):
                break
    except EngineError as exc:
        print(f"shoebox: stopped: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    print(f"worker stopped after {len(finished)} task(s)", flush=True)
    return 0
