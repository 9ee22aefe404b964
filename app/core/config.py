"""Per-library settings with defaults, stored as JSON in the `settings` table."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from app.core.db.database import Database
from app.core.db.models import Setting

DEFAULTS: dict[str, Any] = {
    # Perceptual-hash Hamming distance below which two photos are near duplicates.
    "duplicates.phash_threshold": 6,
    # Decompression-bomb guard: images above this many pixels are refused (about 180 MP).
    "ingest.max_pixels": 180_000_000,
    # Memory all decoding workers of a process may hold at once; one image needing more is refused (TooLarge).
    "ingest.decode_memory_mb": 1024,
    "thumbnails.grid_px": 256,
    "thumbnails.preview_px": 1440,
    "tasks.max_attempts": 3,
    "search.model_id": None,
}


class Config:
    """Reads fall back to DEFAULTS; writes persist in the library so each library keeps its own choices."""

    def __init__(self, db: Database):
        self._db = db

    def get(self, key: str) -> Any:
        with self._db.read_session() as session:
            row = session.get(Setting, key)
        if row is None:
            return DEFAULTS.get(key)
        return json.loads(row.value)

    def set(self, key: str, value: Any) -> None:
        with self._db.write_session() as session:
            session.merge(Setting(key=key, value=json.dumps(value)))

    def all(self) -> dict[str, Any]:
        values = dict(DEFAULTS)
        with self._db.read_session() as session:
            for row in session.scalars(select(Setting)):
                values[row.key] = json.loads(row.value)
        return values
