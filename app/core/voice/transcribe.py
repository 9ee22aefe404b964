"""The `voice-transcribe` task chain: transcribes notes without a transcript, a few per task (BULK priority).

Resumable: each task transcribes up to BATCH notes, commits their transcripts with its own `done`, and queues the
next task while notes are left, so a killed process loses at most one batch and the chain resumes on the next
`schedule()` (library open, a new note). A transcript the user edited is never overwritten: the write is
conditional on `transcript_edited` being false at commit time, so an edit made during transcription wins.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from app.core.db.models import Task, VoiceNote
from app.core.ml.errors import ModelError
from app.core.tasks import PermanentError, Priority, TaskContext, task_handler
from app.core.tasks.states import LIVE_STATES

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

TASK_TYPE = "voice-transcribe"
BATCH = 4


def _pending(session, after: int = 0, limit: int | None = None) -> list[int]:
    query = select(VoiceNote.id).where(VoiceNote.transcript.is_(None), VoiceNote.error.is_(None),
                                       VoiceNote.transcript_edited.is_(False), VoiceNote.id > after
                                       ).order_by(VoiceNote.id)
    return list(session.scalars(query.limit(limit) if limit else query))


def transcribe_request(library: "Library") -> dict | None:
    """The `submit` arguments that start the chain, or None (nothing pending, or a chain is live)."""
    with library.db.read_session() as s:
        if not _pending(s, limit=1):
            return None
        if s.scalar(select(Task.id).where(Task.type == TASK_TYPE, Task.state.in_(LIVE_STATES)).limit(1)):
            return None
    return {"type_": TASK_TYPE, "payload": {"after": 0}, "priority": Priority.BULK, "dedupe_key": TASK_TYPE}


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
    with library.db.read_session() as s:
        ids = _pending(s, after, BATCH + 1)
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
        ctx.submit(TASK_TYPE, {"after": ids[BATCH - 1]}, priority=Priority.BULK,
                   dedupe_key=f"{TASK_TYPE}:{ids[BATCH - 1]}")
