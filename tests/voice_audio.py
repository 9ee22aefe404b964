"""A short tone as a WAV file: audio for voice-note tests that need a note, not speech (no espeak-ng needed)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path


def tone(path: Path, seconds: float = 0.5, rate: int = 16_000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                                 for i in range(int(seconds * rate))))
    return path
