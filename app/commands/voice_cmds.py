"""`shoebox voice add|list|edit|remove|retranscribe`: voice notes on photos, transcribed on this computer."""

from __future__ import annotations

import sys

from app.commands.output import print_json


def register(subparsers) -> None:
    voice = subparsers.add_parser("voice", help="voice notes on photos (transcribed on this computer)")
    sub = voice.add_subparsers(dest="voice_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="attach an audio file (WAV, MP3, M4A, ...) to a photo and transcribe it")
    add.add_argument("photo", type=int, metavar="PHOTO_ID")
    add.add_argument("audio", metavar="AUDIO_FILE")
    add.add_argument("--json", action="store_true",
                     help='print {"id", "photo_id", "transcript", "language", "model", "duration_s"}')
    add.add_argument("--no-wait", action="store_true", help="queue the transcription instead of waiting for it")
    add.set_defaults(func=_guard(cmd_add))

    listing = sub.add_parser("list", help="list voice notes with their transcripts")
    listing.add_argument("--photo", type=int, metavar="ID", help="only this photo's notes")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_guard(cmd_list))

    edit = sub.add_parser("edit", help="replace a note's transcript by your own words (never overwritten)")
    edit.add_argument("id", type=int)
    edit.add_argument("text")
    edit.set_defaults(func=_guard(cmd_edit))

    remove = sub.add_parser("remove", help="delete a voice note (`shoebox undo` brings it back)")
    remove.add_argument("id", type=int)
    remove.set_defaults(func=_guard(cmd_remove))

    redo = sub.add_parser("retranscribe", help="transcribe again, with the current speech model, the notes another "
                                               "model transcribed (hand-edited transcripts are kept)")
    redo.add_argument("--all", action="store_true", help="every note not edited by hand, whatever its model")
    redo.add_argument("--no-wait", action="store_true", help="queue it for the app's background work instead")
    redo.add_argument("--json", action="store_true", help='print {"queued", "model", "transcribed", "failed"}')
    redo.set_defaults(func=_guard(cmd_retranscribe))


def _guard(func):
    """Voice-note errors are the user's to fix: one line, exit 1."""

    def run(args, library) -> int:
        from app.core.ml.errors import ModelError
        from app.core.voice.service import VoiceError

        try:
            return func(args, library)
        except (VoiceError, ModelError) as exc:
            print(f"shoebox voice: {exc}", file=sys.stderr)
            return 1

    return run


def _plain(info) -> dict:
    return {"id": info.id, "photo_id": info.photo_id, "transcript": info.transcript, "language": info.language,
            "model": info.model, "duration_s": info.duration_s}


def cmd_add(args, library) -> int:
    note_id = library.voice.add(args.photo, args.audio)
    if not args.no_wait:
        library.tasks.run_until_idle(progress=False)
    info = library.voice.get(note_id)
    if args.json:
        print_json(_plain(info))
    else:
        print(f"voice note {info.id} on photo {info.photo_id} ({info.duration_s:.1f} s)")
        print(info.transcript if info.transcript is not None else "(transcription queued)")
    if info.error:
        print(f"shoebox voice: note {info.id} could not be transcribed: {info.error}", file=sys.stderr)
        return 1
    return 0


def cmd_list(args, library) -> int:
    notes = library.voice.list(args.photo)
    if args.json:
        print_json([dict(_plain(n), edited=n.transcript_edited, audio=str(n.audio), error=n.error) for n in notes])
        return 0
    for n in notes:
        text = n.transcript if n.transcript is not None else (f"(failed: {n.error})" if n.error else "(pending)")
        print(f"{n.id:5}  photo {n.photo_id:6}  {n.duration_s or 0:5.1f} s  {text}")
    print(f"{len(notes)} voice note{'s' if len(notes) != 1 else ''}")
    return 0


def cmd_edit(args, library) -> int:
    library.voice.edit_transcript(args.id, args.text)
    print(f"voice note {args.id}: transcript replaced (kept over any re-transcription)")
    return 0


def cmd_remove(args, library) -> int:
    library.voice.remove(args.id)
    print(f"removed voice note {args.id} (`shoebox undo` brings it back)")
    return 0


def retranscribe_hint(library) -> str | None:
    """What `models` commands say when notes were transcribed by another speech model than the current one."""
    count = library.voice.outdated()
    if not count:
        return None
    return (f"{count} voice note{'s were' if count != 1 else ' was'} transcribed by another speech model than "
            f"{library.voice.model_id()}: `shoebox voice retranscribe` transcribes {'them' if count != 1 else 'it'} "
            "again (hand-edited transcripts are kept)")


def cmd_retranscribe(args, library) -> int:
    model_id = library.voice.model_id()
    queued = library.voice.retranscribe(all_notes=args.all)
    if queued and not args.no_wait:
        library.tasks.run_until_idle(progress=not args.json)
    notes = library.voice.list()
    done = sum(1 for n in notes if n.model == model_id and not n.transcript_edited and n.transcript is not None)
    failed = sum(1 for n in notes if n.error)
    if args.json:
        print_json({"queued": queued, "model": model_id, "transcribed": done if not args.no_wait else None,
                    "failed": failed if not args.no_wait else None})
        return 0
    if not queued:
        print(f"every voice note is already transcribed by {model_id} (or edited by hand)")
    elif args.no_wait:
        print(f"{queued} voice note{'s' if queued != 1 else ''} queued for transcription with {model_id}")
    else:
        print(f"{queued} voice note{'s' if queued != 1 else ''} transcribed again with {model_id}"
              + (f"; {failed} could not be transcribed (`shoebox voice list`)" if failed else ""))
    return 0
