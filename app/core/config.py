"""Per-library settings: every key declared once below with its type and default; values stored as JSON.

Reading or writing a key that is not declared raises `UnknownSettingError`, so a typo cannot silently read a
default forever. To add a setting, add one `_declare(...)` line here and read it with `library.config.get(KEY)`.

Per-user window state (last library, thumbnail size, window geometry) is not a library setting: it lives in
QSettings, declared in app/ui/settings.py, because it belongs to the person at the computer, not to the library
(two users, or one user on two computers, share a library but not their window layout).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.core.db.database import Database
from app.core.db.models import Setting


class UnknownSettingError(KeyError):
    """A settings key that is not declared in app/core/config.py."""


@dataclass(frozen=True)
class SettingSpec:
    key: str
    type: type
    default: Any
    doc: str


SETTINGS: dict[str, SettingSpec] = {}


def _declare(key: str, type_: type, default: Any, doc: str) -> None:
    assert key not in SETTINGS, f"setting {key} declared twice"
    SETTINGS[key] = SettingSpec(key, type_, default, doc)


# One line per key: _declare(KEY, TYPE, DEFAULT, WHY). None is always allowed as "not chosen".
_declare("duplicates.phash_threshold", int, 6, "pHash Hamming distance below which photos are near duplicates")
_declare("ingest.max_pixels", int, 180_000_000, "decompression-bomb guard: larger images are refused (~180 MP)")
_declare("ingest.decode_memory_mb", int, 1024, "memory all decoding workers of a process may hold at once; one image needing more is refused")
_declare("thumbnails.grid_px", int, 256, "long side of grid thumbnails")
_declare("thumbnails.preview_px", int, 1440, "long side of preview thumbnails")
_declare("tasks.max_attempts", int, 3, "tries before a failing task is dead")
_declare("tasks.keep_finished_days", float, 7.0, "finished (done or cancelled) tasks older than this are pruned into the metrics totals; None: keep all")
_declare("search.model_id", str, None, "the model smart search uses (None: the default model once installed)")
_declare("search.serving_model_id", str, None, "the model whose vectors answer searches while another embeds")
_declare("search.runtime", str, "auto", "auto | torch | onnx-fp32 | onnx-int8")
_declare("faces.min_size_px", int, 36, "faces smaller than this (short side, as the model saw them) are kept but unrecognisable")
_declare("faces.min_blur", float, 20.0, "faces blurrier than this (Laplacian variance of the aligned face) are kept but unrecognisable")
_declare("faces.match_distance", float, None, "cosine distance under which a face joins a person (None: the face model's measured default)")
_declare("faces.pair_distance", float, None, "two faces closer than this (and each other's nearest) become a person of two; 0: never (None: the face model's measured default)")
_declare("faces.model_id", str, None, "the face model new scans use (None: the built-in YuNet + SFace; faces:buffalo_l once installed)")
_declare("faces.serving_model_id", str, None, "the face model whose faces People shows while a newly chosen one re-scans the photos (None: the chosen one)")
_declare("faces.min_cluster_size", int, 3, "unassigned faces that form a dense group of at least this many become a new person")
_declare("backup.last_at", float, None, "when the last `shoebox backup` (or File → Back Up Library) of this library finished, as a UNIX time")
_declare("backup.remind_days", int, None, "remind to back up when the last backup is older than this many days (None: never)")
_declare("voice.model_id", str, "speech:whisper-tiny.en/ct2", "speech model that transcribes voice notes (the default ships in the base install)")
_declare("search.weight_fts", float, 1.0, "hybrid search: weight of word matches (BM25 over names, places, people, albums, notes, captions)")
_declare("search.weight_text", float, 1.0, "hybrid search: weight of text-meaning similarity (all-MiniLM-L6-v2 over notes and captions)")
_declare("search.weight_clip", float, 1.0, "hybrid search: weight of CLIP image similarity (when a CLIP model is installed)")
_declare("caption.model_id", str, None, "caption model folder id under the models folder (None: no captions until one is installed)")


def spec(key: str) -> SettingSpec:
    try:
        return SETTINGS[key]
    except KeyError:
        raise UnknownSettingError(f"{key!r} is not a declared setting (settings are declared in app.core.config)") from None


def _check_type(s: SettingSpec, value: Any) -> Any:
    if value is None or isinstance(value, s.type) and not (s.type is int and isinstance(value, bool)):
        return value
    if s.type is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"setting {s.key} takes a {s.type.__name__}, not {value!r}")


class Config:
    """Reads fall back to the declared default; writes persist in the library so each keeps its own choices."""

    def __init__(self, db: Database):
        self._db = db

    def get(self, key: str) -> Any:
        s = spec(key)
        with self._db.read_session() as session:
            row = session.get(Setting, key)
        if row is None:
            return s.default
        return json.loads(row.value)

    def get_many(self, keys) -> dict[str, Any]:
        """Several settings in one read (a search reads its weights on every query)."""
        specs = {key: spec(key) for key in keys}
        with self._db.read_session() as session:
            rows = {r.key: r.value for r in session.scalars(select(Setting).where(Setting.key.in_(list(specs))))}
        return {key: json.loads(rows[key]) if key in rows else s.default for key, s in specs.items()}

    def set(self, key: str, value: Any) -> None:
        value = _check_type(spec(key), value)
        with self._db.write_session() as session:
            session.merge(Setting(key=key, value=json.dumps(value)))

    def all(self) -> dict[str, Any]:
        """Every declared setting with its value (stored rows of keys no longer declared are left out)."""
        values = {key: s.default for key, s in SETTINGS.items()}
        with self._db.read_session() as session:
            for row in session.scalars(select(Setting)):
                if row.key in values:
                    values[row.key] = json.loads(row.value)
        return values
