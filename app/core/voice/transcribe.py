"""The `voice-transcribe` task chain: transcribes notes without a transcript, a few per task (BULK priority).

Resumable: each task transcribes up to BATCH notes, commits their transcripts with its own `done`, and queues the
next task while notes are left, so a killed process loses at most one batch and the chain resumes on the next
`schedule()` (library open, a new note). A transcript the user edited is never overwritten: the write is
conditional on `transcript_edited` being false at commit time, so an edit made during transcription wins.

Re-transcription (after the speech model changed, when the user accepts the offer or runs `shoebox voice
retranscribe`) is the same chain with `redo` in its payload: "outdated" takes the notes whose transcript (or failure)
came from another model, "all" every note; both skip hand-edited ones, and the old transcript stays searchable
until the new one replaces it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update

from app.core.db.models import Task, VoiceNote
from app.core.ml.errors import ModelError
from app.core.tasks import PermanentError, Priority, TaskContext, task_handler
from app.core.tasks.states import LIVE_STATES

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

TASK_TYPE = "voice-transcribe"
BATCH = 4


REDO = ("outdated", "all")


def _wanted(redo: str | None, model_id: str | None):
    """The notes a chain transcribes: waiting ones; with `redo`, also those of another model (or every one)."""
    waiting = VoiceNote.transcript.is_(None) & VoiceNote.error.is_(None)
    if redo == "all":
        return VoiceNote.transcript_edited.is_(False)
    if redo == "outdated":
        return VoiceNote.transcript_edited.is_(False) & or_(
            waiting, VoiceNote.model_id.is_(None), VoiceNote.model_id != model_id)
    return waiting & VoiceNote.transcript_edited.is_(False)


def _pending(session, after: int = 0, limit: int | None = None, redo: str | None = None,
             model_id: str | None = None) -> list[int]:
    query = select(VoiceNote.id).where(_wanted(redo, model_id), VoiceNote.id > after).order_by(VoiceNote.id)
    return list(session.scalars(query.limit(limit) if limit else query))


def outdated(session, model_id: str) -> int:
    """How many notes have a transcript (or a failure) from a model other than `model_id`, not edited by hand:
    what re-transcribing with `model_id` would redo."""
    from sqlalchemy import func

    outdated_notes = _wanted("outdated", model_id) & ~(VoiceNote.transcript.is_(None) & VoiceNote.error.is_(None))
    return session.scalar(select(func.count(VoiceNote.id)).where(outdated_notes)) or 0


def transcribe_request(library: "Library") -> dict | None:
    """The `submit` arguments that start the chain, or None (nothing pending, or a chain is live)."""
    with library.db.read_session() as s:
        if not _pending(s, limit=1):
            return None
        if s.scalar(select(Task.id).where(Task.type == TASK_TYPE, Task.state.in_(LIVE_STATES)).limit(1)):
            return None
    return {"type_": TASK_TYPE, "payload": {"after": 0}, "priority": Priority.BULK, "dedupe_key": TASK_TYPE}


def retranscribe_request(library: "Library", redo: str = "outdated") -> tuple[dict | None, int]:
    """The `submit` arguments of a re-transcription chain with the current model and how many notes it will
    transcribe (None and 0 when there is nothing to do)."""
    if redo not in REDO:
        raise ValueError(f"redo must be one of {REDO}")
    model_id = library.voice.model_id()
    with library.db.read_session() as s:
        count = len(_pending(s, redo=redo, model_id=model_id))
    if not count:
        return None, 0
    payload = {"after": 0, "redo": redo, "model_id": model_id}
    return ({"type_": TASK_TYPE, "payload": payload, "priority": Priority.BULK,
             "dedupe_key": f"{TASK_TYPE}:{redo}:{model_id}"}, count)


def load_backend(library: "Library"):
    """The speech backend of the library's chosen model (the bundled default unless another was installed)."""
    from app.core.ml.speech import load_speech
    from app.core.voice.models import model_folder

    model_id = library.voice.model_id()
    return load_speech(model_id, model_folder(library, model_id))


@task_handler(TASK_TYPE, max_concurrency=1)
def transcribe_task(ctx: TaskContext) -> None:
    library = ctx.library
    after = int(ctx.payload.get("after", 0))
    redo, model_id = ctx.payload.get("redo"), ctx.payload.get("model_id")
    if redo is not None and model_id != library.voice.model_id():
        return  # the model changed again meanwhile: re-transcribing with the old one is pointless
    with library.db.read_session() as s:
        ids = _pending(s, after, BATCH + 1, redo, model_id)
        notes = {n.id: n.audio for n in s.scalars(select(VoiceNote).where(VoiceNote.id.in_(ids[:BATCH])))}
    if not notes:
        return
    try:
        backend = load_backend(library)
    except ModelError as exc:
        raise PermanentError(str(exc)) from exc
    results = {}
    for i, note_id in enumerate(ids[:BATCH]):
        ctx.check_cancelled()
        try:
            results[note_id] = backend.transcribe(library.voice.folder / notes[note_id])
        except (ValueError, OSError) as exc:
            results[note_id] = exc
        ctx.set_progress((i + 1) / len(notes))
    for note_id, result in results.items():  # writes last: the session holds the write lock once used
        query = update(VoiceNote).where(VoiceNote.id == note_id, VoiceNote.transcript_edited.is_(False))
        if isinstance(result, Exception):
            log.warning("voice note %s could not be transcribed: %s", note_id, result)
            ctx.session.execute(query.values(error=str(result)))
        else:
            ctx.session.execute(query.values(transcript=result.text, language=result.language,
                                             model_id=result.model_id, duration_s=result.duration_s, error=None))
    if len(ids) > BATCH:
        payload = dict(ctx.payload, after=ids[BATCH - 1])
        key = f"{TASK_TYPE}:{ids[BATCH - 1]}" if redo is None else f"{TASK_TYPE}:{redo}:{ids[BATCH - 1]}"
        ctx.submit(TASK_TYPE, payload, priority=Priority.BULK, dedupe_key=key)
