"""`library.voice`: add, list, edit and remove voice notes; removal is undoable (app.core.undo).

Recording (GUI) and attaching a file (drag and drop, `shoebox voice add`) both end in `add(photo_id, path)`: the
audio is copied into the library's voice/ folder, a row is written, and the transcription task is queued. A
removed note's audio moves to voice/removed/ so that undo can bring it back whole.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db.models import Photo, VoiceNote
from app.core.undo import record, undoer

if TYPE_CHECKING:
    from app.core.library import Library

AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".webm", ".mp4"}
REMOVED = "removed"


class VoiceError(Exception):
    """A voice-note operation that cannot be done (unknown photo or note, unreadable audio); message for the user."""


@dataclass(frozen=True)
class VoiceNoteInfo:
    id: int
    photo_id: int
    audio: Path
    transcript: Optional[str]
    transcript_edited: bool
    language: Optional[str]
    model: Optional[str]
    duration_s: Optional[float]
    error: Optional[str]
    created_at: float

    @property
    def pending(self) -> bool:
        return self.transcript is None and self.error is None

    def to_json(self) -> dict:
        """The stable `voice add/list --json` object."""
        return {"id": self.id, "photo_id": self.photo_id, "transcript": self.transcript, "language": self.language,
                "model": self.model, "duration_s": self.duration_s, "edited": self.transcript_edited,
                "audio": str(self.audio), "error": self.error}


class VoiceService:
    def __init__(self, library: "Library"):
        self._library = library

    @property
    def folder(self) -> Path:
        return self._library.layout.voice

    def _info(self, note: VoiceNote) -> VoiceNoteInfo:
        return VoiceNoteInfo(note.id, note.photo_id, self.folder / note.audio, note.transcript, note.transcript_edited,
                             note.language, note.model_id, note.duration_s, note.error, note.created_at)

    # -- reading -----------------------------------------------------------------------------------------------
    def list(self, photo_id: int | None = None) -> list[VoiceNoteInfo]:
        query = select(VoiceNote).order_by(VoiceNote.photo_id, VoiceNote.created_at, VoiceNote.id)
        if photo_id is not None:
            query = query.where(VoiceNote.photo_id == photo_id)
        with self._library.db.read_session() as s:
            return [self._info(n) for n in s.scalars(query)]

    def get(self, note_id: int) -> VoiceNoteInfo:
        with self._library.db.read_session() as s:
            return self._info(self._note(s, note_id))

    @staticmethod
    def _note(s: Session, note_id: int) -> VoiceNote:
        note = s.get(VoiceNote, note_id)
        if note is None:
            raise VoiceError(f"there is no voice note {note_id} (see `shoebox voice list`)")
        return note

    # -- edits -------------------------------------------------------------------------------------------------
    def add(self, photo_id: int, audio: "str | Path", *, transcribe: bool = True) -> int:
        """Copy the audio into the library and queue its transcription; returns the note id."""
        from app.core.ml.speech import decode_audio

        source = Path(audio)
        if not source.is_file():
            raise VoiceError(f"no audio file at {source}")
        suffix = source.suffix.lower()
        if suffix not in AUDIO_SUFFIXES:
            raise VoiceError(f"{source.name} is not an audio file Shoebox reads ({', '.join(sorted(AUDIO_SUFFIXES))})")
        try:
            samples = decode_audio(source)  # refuse an unreadable file now, not in a background task later
        except ValueError as exc:
            raise VoiceError(str(exc)) from exc
        with self._library.db.read_session() as s:
            if s.get(Photo, photo_id) is None:
                raise VoiceError(f"there is no photo {photo_id}")
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{photo_id}-{uuid.uuid4().hex[:12]}{suffix}"
        temp = self.folder / f".{name}.part"
        shutil.copyfile(source, temp)
        os.replace(temp, self.folder / name)
        try:
            with self._library.db.write_session() as s:
                note = VoiceNote(photo_id=photo_id, audio=name, transcript_edited=False,
                                 duration_s=round(len(samples) / 16_000, 3), created_at=time.time())
                s.add(note)
                s.flush()
                note_id = note.id
        except Exception:
            (self.folder / name).unlink(missing_ok=True)
            raise
        if transcribe:
            self.schedule()
        return note_id

    def edit_transcript(self, note_id: int, text: str) -> None:
        """The user's own words: kept from now on, whatever model later transcribes the library."""
        with self._library.db.write_session() as s:
            note = self._note(s, note_id)
            note.transcript = text.strip()
            note.transcript_edited = True
            note.error = None

    def remove(self, note_id: int) -> None:
        """Delete the note; `library.undo.undo_last()` (`shoebox undo`) restores it with its audio."""
        with self._library.db.write_session() as s:
            note = self._note(s, note_id)
            removed_dir = self.folder / REMOVED
            removed_dir.mkdir(parents=True, exist_ok=True)
            source, parked = self.folder / note.audio, removed_dir / note.audio
            row = {c.name: getattr(note, c.name) for c in VoiceNote.__table__.columns}
            record(s, "voice.remove", {"row": row, "audio": str(source), "parked": str(parked)},
                   f"remove voice note {note_id}")
            s.delete(note)
        if source.exists():  # after the commit: a failed delete leaves the note whole (undo handles either place)
            os.replace(source, parked)

    # -- transcription -----------------------------------------------------------------------------------------
    def model_id(self) -> str:
        from app.core.ml.speech import DEFAULT_SPEECH_MODEL

        return self._library.config.get("voice.model_id") or DEFAULT_SPEECH_MODEL

    def schedule(self) -> int | None:
        """Queue the transcription chain when notes lack a transcript of the current model (None otherwise)."""
        from app.core.voice.transcribe import transcribe_request

        request = transcribe_request(self._library)
        if request is None:
            return None
        return self._library.tasks.submit(request.pop("type_"), **request)

    def outdated(self) -> int:
        """Notes transcribed by (or failed with) another speech model than the current one, not edited by hand."""
        from app.core.voice.transcribe import outdated

        with self._library.db.read_session() as s:
            return outdated(s, self.model_id())

    def retranscribe(self, *, all_notes: bool = False) -> int:
        """Queue the notes of other models (`all_notes`: every note) for transcription with the current model, in
        the background; hand-edited transcripts are never touched. Returns how many notes will be transcribed."""
        from app.core.voice.transcribe import retranscribe_request

        request, count = retranscribe_request(self._library, "all" if all_notes else "outdated")
        if request is not None:
            self._library.tasks.submit(request.pop("type_"), **request)
        return count


@undoer("voice.remove")
def _undo_remove(s: Session, payload: dict) -> None:
    parked, audio = Path(payload["parked"]), Path(payload["audio"])
    s.add(VoiceNote(**payload["row"]))
    s.flush()  # the row first: when its photo is gone for good, the audio stays parked (verify removes it)
    if parked.exists() and not audio.exists():
        os.replace(parked, audio)
