"""`shoebox backup`, `shoebox restore` and `shoebox verify`: a whole library out and back in, proven by hashes."""

from __future__ import annotations

import sys

from app.commands.output import count, print_json


def register(subparsers) -> None:
    backup = subparsers.add_parser(
        "backup", help="write a consistent, verifiable backup of the library (the app may keep running)")
    backup.add_argument("dest", metavar="DEST", help="a new or empty folder for the backup (or one to check)")
    backup.add_argument("--with-thumbnails", action="store_true",
                        help="copy the thumbnails too (otherwise they are made again after a restore)")
    backup.add_argument("--verify", action="store_true", help="only check the backup in DEST against its manifest")
    backup.add_argument("--json", action="store_true")
    backup.set_defaults(func=cmd_backup)

    restore = subparsers.add_parser("restore", help="restore a backup into a new library folder")
    restore.add_argument("src", metavar="SRC", help="the backup folder")
    restore.add_argument("library_dir", metavar="LIBRARY_DIR", help="where the restored library goes")
    restore.add_argument("--replace", action="store_true",
                         help="LIBRARY_DIR holds a library: keep it aside (renamed) and restore in its place")
    restore.set_defaults(func=cmd_restore, needs_library=False)

    verify = subparsers.add_parser(
        "verify", help="check that the original photo files are unchanged (by hash) since import or a backup")
    verify.add_argument("--backup", metavar="SRC", help="compare with the originals listed in this backup")
    verify.add_argument("--json", action="store_true")
    verify.add_argument("--remove-orphan-audio", action="store_true",
                        help="also delete voice-note audio files that belong to no note (left by a crash)")
    verify.set_defaults(func=cmd_verify)


def cmd_backup(args, library) -> int:
    if args.verify:
        return _verify_backup(args)
    from app.core.exchange.backup import BackupError, backup

    try:
        summary = backup(library, args.dest, with_thumbnails=args.with_thumbnails)
    except BackupError as exc:
        print(f"shoebox backup: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json(summary.to_json())
    else:
        print(summary.text())
    return 0


def _verify_backup(args) -> int:
    from app.core.exchange.backup import BackupError, verify_backup

    try:
        report = verify_backup(args.dest)
    except BackupError as exc:
        print(f"shoebox backup --verify: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json({"ok": report.ok, "files": report.files, "problems": report.problems})
    elif report.ok:
        print(f"the backup in {args.dest} is complete: {count(report.files, 'file')} match the manifest")
    else:
        print(f"the backup in {args.dest} does NOT verify:", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_restore(args, _library) -> int:
    from app.core.exchange.backup import BackupError, restore

    try:
        moved_aside = restore(args.src, args.library_dir, replace=args.replace)
    except BackupError as exc:
        print(f"shoebox restore: {exc}", file=sys.stderr)
        return 1
    print(f"restored the backup {args.src} into {args.library_dir}; every file matched its hash")
    if moved_aside:
        print(f"the library that was there is kept in {moved_aside}")
    return 0


def cmd_verify(args, library) -> int:
    from app.core.exchange.backup import BackupError, library_originals, read_manifest, verify_originals

    if args.backup:
        try:
            entries = read_manifest(args.backup).get("originals", [])
        except BackupError as exc:
            print(f"shoebox verify: {exc}", file=sys.stderr)
            return 1
    else:
        entries = library_originals(library)
    report = verify_originals(entries)
    orphans = _orphan_audio(library, args.remove_orphan_audio)
    if args.json:
        print_json(dict(report.to_json(), orphan_audio=[str(p) for p in orphans],
                        orphan_audio_removed=bool(args.remove_orphan_audio)))
    else:
        print(f"checked {count(report.checked, 'original')}: {len(report.changed)} changed, "
              f"{len(report.vanished)} vanished")
        for path in report.changed:
            print(f"  changed: {path}")
        for path in report.vanished:
            print(f"  vanished: {path}")
        if orphans and args.remove_orphan_audio:
            print(f"removed {count(len(orphans), 'voice-note audio file')} that belonged to no note")
        elif orphans:
            verb = "belongs" if len(orphans) == 1 else "belong"
            print(f"{count(len(orphans), 'voice-note audio file')} {verb} to no note (its photo left the "
                  "library); `shoebox verify --remove-orphan-audio` deletes them")
            for path in orphans:
                print(f"  orphan audio: {path}")
    return 0 if not (report.changed or report.vanished) else 1


def _orphan_audio(library, remove: bool) -> list:
    """Voice-note audio files no note refers to: listed, or deleted with --remove-orphan-audio."""
    from app.core.voice import audio_files

    return audio_files.remove_orphans(library) if remove else audio_files.orphans(library)
