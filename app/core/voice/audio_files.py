"""The audio files of voice notes whose photos leave the library, and audio files that belong to no note.

A photo's notes go with its row (by cascade), but their audio lives in the library's voice/ folder. Whoever
deletes photo rows reads their notes' file names first (`audio_of`, in the same session) and removes the files
only after the commit (`discard`): a crash in between leaves at worst a file without a note, which `orphans`
finds (`shoebox verify` reports them, `--remove-orphan-audio` removes them), never a note without its audio.
`orphans` also finds a removed note's audio kept for undo in voice/removed/ once no undo can bring it back (its
photo left the library).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from sqlalchemy import select

from app.core.db.models import Photo, UndoEntry, VoiceNote

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

# A file younger than this may be a note being added right now (copied, row not yet committed): never an orphan.
ORPHAN_GRACE_S = 3600.0


def audio_of(session, photo_ids: Iterable[int]) -> list[str]:
    """The audio file names (relative to voice/) of these photos' notes."""
    ids = list(dict.fromkeys(photo_ids))
    names: list[str] = []
    for start in range(0, len(ids), 500):
        names += session.scalars(select(VoiceNote.audio).where(VoiceNote.photo_id.in_(ids[start:start + 500])))
    return names


def discard(library: "Library", names: Iterable[str]) -> int:
    """Delete these audio files from voice/ (call after the commit that removed their notes); returns how many."""
    folder = library.layout.voice
    removed = 0
    for name in names:
        path = folder / name
        if path.parent != folder:
            continue  # never outside the voice folder, whatever a row says
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not delete the voice audio %s: %s (`shoebox verify` finds it later)", path, exc)
    return removed


def _undoable_parked(session) -> set[str]:
    """Names of removed notes' audio in voice/removed/ that `undo` can still bring back (its entry is not undone
    and the note's photo is still in the library)."""
    parked = [json.loads(raw) for raw in session.scalars(select(UndoEntry.payload).where(
        UndoEntry.action == "voice.remove", UndoEntry.undone.is_(False)))]
    wanted = list({p["row"]["photo_id"] for p in parked})
    photos: set[int] = set()
    for start in range(0, len(wanted), 500):
        photos.update(session.scalars(select(Photo.id).where(Photo.id.in_(wanted[start:start + 500]))))
    return {Path(p["parked"]).name for p in parked if p["row"]["photo_id"] in photos}


def orphans(library: "Library", min_age_s: float = ORPHAN_GRACE_S) -> list[Path]:
    """Audio files in voice/ that no note refers to, and removed notes' audio in voice/removed/ that no undo can
    bring back any more (its photo left the library), older than `min_age_s`; hidden temporary files are left."""
    from app.core.voice.service import REMOVED

    folder = library.layout.voice
    if not folder.is_dir():
        return []
    with library.db.read_session() as s:
        known = set(s.scalars(select(VoiceNote.audio)))
        parked = _undoable_parked(s)
    cutoff = time.time() - min_age_s
    found = []
    for directory, keep in ((folder, known), (folder / REMOVED, parked)):
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.name.startswith(".") or not path.is_file() or path.name in keep:
                continue
            if path.stat().st_mtime <= cutoff:
                found.append(path)
    return found


def remove_orphans(library: "Library", min_age_s: float = ORPHAN_GRACE_S) -> list[Path]:
    """Delete the orphan audio files; returns those removed."""
    found = orphans(library, min_age_s)
    removed = []
    for path in found:
        try:
            path.unlink()
            removed.append(path)
        except OSError as exc:
            log.warning("could not delete the orphan voice audio %s: %s", path, exc)
    return removed
