"""The keyframes of video clips after import: which a clip has, their pictures, and their vectors in search.

A clip stands in smart search by every keyframe: each one's CLIP vector is a `KeyframeEmbedding` row, and the
clip's own `Embedding` (what "more like this" and the status counts use) is their normalised mean. In the FAISS
index a keyframe's vector is keyed `vector_id(photo, frame)`, above every photo id; a search maps hits back with
`photo_of` and keeps each clip's best keyframe (IndexManager.search).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Iterable

import numpy as np
from PIL import Image
from sqlalchemy import select

from app.core.db.models import Embedding, KeyframeEmbedding, VideoKeyframe

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

_PHOTO_BITS = 32  # photo ids stay below 2**32; a keyframe's vector id keeps the photo id in these low bits
_PHOTO_MASK = (1 << _PHOTO_BITS) - 1
_IN_CHUNK = 500


def vector_id(photo_id: int, frame: int) -> int:
    """The FAISS id of a clip's keyframe vector (never equal to a photo id)."""
    return photo_id + ((frame + 1) << _PHOTO_BITS)


def photo_of(vector_id_: int) -> int:
    return vector_id_ & _PHOTO_MASK


def frames_of(library: "Library", photo_ids: Iterable[int]) -> dict[int, list[int]]:
    """{photo id: its keyframe numbers} for the clips among these photos (photos are left out)."""
    ids = list(photo_ids)
    found: dict[int, list[int]] = {}
    with library.db.read_session() as s:
        for start in range(0, len(ids), _IN_CHUNK):
            rows = s.execute(select(VideoKeyframe.photo_id, VideoKeyframe.frame)
                             .where(VideoKeyframe.photo_id.in_(ids[start:start + _IN_CHUNK]))
                             .order_by(VideoKeyframe.photo_id, VideoKeyframe.frame))
            for photo_id, frame in rows:
                found.setdefault(photo_id, []).append(frame)
    return found


def times_of(library: "Library", photo_id: int) -> list[float]:
    """When each keyframe of a clip is, in seconds (frame order)."""
    with library.db.read_session() as s:
        return list(s.scalars(select(VideoKeyframe.time_s).where(VideoKeyframe.photo_id == photo_id)
                              .order_by(VideoKeyframe.frame)))


def load_keyframes(library: "Library", sha256: str, frames: list[int]) -> list[tuple[int, Image.Image]]:
    """(frame, RGB picture) of each keyframe whose file can be decoded; the others are logged and left out."""
    out = []
    for frame in frames:
        path = library.layout.keyframe(sha256, frame)
        try:
            with Image.open(path) as image:
                out.append((frame, image.convert("RGB")))
        except (OSError, ValueError) as exc:
            log.warning("keyframe %s of %s cannot be read: %s", frame, sha256[:12], exc)
    return out


def clip_rows(photo_id: int, model_id: str, frames: list[int], vectors: np.ndarray, *, runtime: str, device: str
              ) -> list:
    """The clip's Embedding (the normalised mean of its keyframes) and one KeyframeEmbedding per keyframe."""
    now = time.time()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    mean = (mean / norm if norm > 0 else vectors[0]).astype(np.float32)
    rows: list = [Embedding(photo_id=photo_id, model_id=model_id, dim=len(mean), vector=mean.tobytes(),
                            runtime=runtime, device=device, created_at=now)]
    rows += [KeyframeEmbedding(photo_id=photo_id, model_id=model_id, frame=frame, vector=vector.tobytes(),
                               created_at=now) for frame, vector in zip(frames, vectors)]
    return rows
