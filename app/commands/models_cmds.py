"""`shoebox models list|install|import|remove|use|status|retry`: the models smart search runs on, and face packs
(`faces:buffalo_l`; chosen with `shoebox people model`). Nothing downloads unasked."""

from __future__ import annotations

import sys

from app.commands.output import print_json


def register(subparsers) -> None:
    models = subparsers.add_parser("models", help="list, install, import or remove AI models")
    sub = models.add_subparsers(dest="models_command", metavar="ACTION")

    listing = sub.add_parser("list", help="known and installed models")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)

    install = sub.add_parser("install", help="download a model (needs internet; shows progress): a CLIP model "
                                             "for smart search, caption:OWNER/NAME (a BLIP caption model) or "
                                             "speech:whisper-NAME/ct2 (voice notes)")
    install.add_argument("model_id")
    install.add_argument("--shared", action="store_true", help="into the per-user folder shared by all libraries")
    install.set_defaults(func=cmd_install)

    imp = sub.add_parser("import", help="use a local open_clip checkpoint file or an exported ONNX model folder, "
                                        "or an insightface face pack (folder or .zip, e.g. buffalo_l)")
    imp.add_argument("path")
    imp.add_argument("--arch", help="open_clip architecture of a checkpoint file, e.g. ViT-B-32")
    imp.add_argument("--id", dest="model_id", help="model id to record (default: clip:ARCH/FILE-NAME)")
    imp.add_argument("--shared", action="store_true", help="into the per-user folder shared by all libraries")
    imp.add_argument("--no-int8", action="store_true", help="skip the int8 quantised ONNX variant")
    imp.set_defaults(func=cmd_import)

    remove = sub.add_parser("remove", help="delete an installed model's files")
    remove.add_argument("model_id")
    remove.set_defaults(func=cmd_remove)

    use = sub.add_parser("use", help="make a model the active one for smart search (re-embeds in the background), "
                                     "or speech:NAME the one that transcribes voice notes")
    use.add_argument("model_id")
    use.set_defaults(func=cmd_use)

    status = sub.add_parser("status", help="smart-search progress: the active and serving model, photos analysed, "
                                           "photos that could not be analysed")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)

    retry = sub.add_parser("retry", help="analyse again the photos that could not be analysed for the active model")
    retry.set_defaults(func=cmd_retry)

    models.set_defaults(func=lambda args, library: models.print_help() or 2)


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def cmd_list(args, library) -> int:
    infos = library.models.list()
    if args.json:
        print_json([m.to_json() for m in infos])
        return 0
    for m in infos:
        mark = "*" if m.active else " "
        state = ", ".join(m.runtimes) if m.installed else "not installed"
        print(f"{mark} {m.id:40} {m.kind:11} dim={m.dim or '?':<5} {state}")
        if m.description:
            print(f"  {'':40} {m.description}")
    if not any(m.installed for m in infos):
        print(library.models.missing_message())
    _hint_retranscribe(library)
    return 0


def _hint_retranscribe(library) -> None:
    """Notes of another speech model than the current one: say how to re-transcribe them (on stderr)."""
    from app.commands.voice_cmds import retranscribe_hint

    hint = retranscribe_hint(library)
    if hint:
        _say(hint)


def _run(action) -> int:
    from app.core.ml.errors import ModelError

    try:
        info = action()
    except ModelError as exc:
        print(f"shoebox models: {exc}", file=sys.stderr)
        return 1
    print(f"installed {info.id} in {info.folder} ({', '.join(info.runtimes) or info.kind})")
    return 0


def cmd_install(args, library) -> int:
    from app.core.ml import faces_insightface as faces

    if faces.is_face_model(args.model_id):
        return _run(lambda: faces.download_pack(library.models, args.model_id, shared=args.shared, say=_say))
    code = _run(lambda: library.models.install(args.model_id, shared=args.shared, progress=_say))
    if code == 0 and args.model_id.startswith("caption:"):
        print("it is the caption model now: photos are captioned in the background while the app runs "
              "(`shoebox captions run` to do it now)")
    if code == 0 and args.model_id.startswith("speech:"):
        _hint_retranscribe(library)
    return code


def cmd_import(args, library) -> int:
    from pathlib import Path

    from app.core.ml import faces_insightface as faces

    path = Path(args.path).expanduser()
    if faces.is_face_model(args.model_id) or (path.exists() and faces.looks_like_pack(path)):
        model_id = args.model_id or f"{faces.PREFIX}{path.stem}"  # buffalo_l.zip or folder buffalo_l
        return _run(lambda: faces.install_pack(library.models, path, model_id, shared=args.shared, say=_say))
    return _run(
        lambda: library.models.import_path(
            args.path, arch=args.arch, model_id=args.model_id, shared=args.shared, int8=not args.no_int8,
            progress=_say,
        )
    )


def cmd_remove(args, library) -> int:
    if not library.models.remove(args.model_id):
        print(f"shoebox models: {args.model_id} is not installed", file=sys.stderr)
        return 1
    print(f"removed {args.model_id}")
    return 0


def cmd_use(args, library) -> int:
    from app.core.ml.errors import ModelError
    from app.core.ml.faces_insightface import is_face_model

    if is_face_model(args.model_id):  # a face pack is chosen for People, not for smart search
        from app.commands.people_cmds import cmd_model

        args.wait, args.json = False, False
        return cmd_model(args, library)
    if args.model_id.startswith("speech:"):  # the speech model transcribes voice notes; smart search is unchanged
        from app.core.voice.models import use

        try:
            use(library, args.model_id)
        except ModelError as exc:
            print(f"shoebox models: {exc}", file=sys.stderr)
            return 1
        print(f"{args.model_id} now transcribes voice notes")
        _hint_retranscribe(library)
        return 0

    try:
        library.models.set_active(args.model_id)
    except ModelError as exc:
        print(f"shoebox models: {exc}", file=sys.stderr)
        return 1
    task = library.search.schedule_embedding()
    print(f"{args.model_id} is now active" + ("; photos will be re-analysed in the background" if task else ""))
    return 0


def cmd_status(args, library) -> int:
    status = library.search.status()
    failures = library.search.failures()
    paths = {p.id: p.path for p in library.photos.get_many([f.photo_id for f in failures])}
    rows = [{"id": f.photo_id, "path": paths.get(f.photo_id, ""), "reason": f.reason} for f in failures]
    if args.json:
        print_json({
            "model_id": status.model_id, "serving_model_id": library.search.serving_model_id(),
            "model_available": status.model_available, "embedded": status.embedded, "failed": status.failed,
            "total": status.total, "message": status.message, "failures": rows,
        })
        return 0
    print(status.message)
    for row in rows:
        print(f"  not analysed: {row['id']:6}  {row['path']}  ({row['reason']})")
    if rows:
        print("  after fixing them, `shoebox models retry` analyses them again")
    return 0


def cmd_retry(args, library) -> int:
    forgotten, task = library.search.retry_failed()
    print(f"{forgotten} photo{'s' if forgotten != 1 else ''} will be analysed again" if task else
          "nothing to analyse again")
    if task:
        library.tasks.run_until_idle(progress=True)
        print(library.search.status().message)
    return 0
