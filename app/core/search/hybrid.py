"""Hybrid ranking: words (BM25), text meaning (all-MiniLM-L6-v2) and CLIP image similarity, weighted.

Each channel gives its own candidates with a score, turned into a 0..1 part:
- words: BM25 over names, places, people, albums, notes and captions (app.core.search.text_index), divided by
  the best BM25 of the query (the best word match is 1);
- text meaning: cosine between the query and each photo's notes and captions, mapped from [0.2, 0.7] to [0, 1]
  (MiniLM gives ~0.0-0.15 for unrelated text, ~0.5 for a paraphrase, ~0.8+ for the same words);
- CLIP: cosine between the query text and the image, divided by the best of the query (only when a CLIP model
  serves; otherwise that part is off and `clip_off` says so once).
A photo's score is the weighted sum of its parts (weights: settings `search.weight_*`, or `--weights`). The
filters of the query language (place:, year:, album:, ...) narrow the candidates; they never add any.

Relevance feedback (Rocchio): photos marked good or bad move the meaning and CLIP query vectors toward the good
ones' vectors and away from the bad ones' (q' = q + 0.75 mean(good) - 0.25 mean(bad)); photos marked bad leave
the results. The caller keeps the marks for the rest of that search.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

import numpy as np
from sqlalchemy import select

from app.core.db.models import Embedding, Photo
from app.core.search.parse import And, free_words, parse
from app.core.search.sql import photo_ids_query

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

CHANNELS = ("fts", "text", "clip")
WEIGHT_KEYS = {"fts": "search.weight_fts", "text": "search.weight_text", "clip": "search.weight_clip"}
TEXT_FLOOR, TEXT_FULL = 0.2, 0.7
CANDIDATES = 1000
HIDDEN_PAGE = 50  # hits read beyond `limit` at a time when skipping hidden photos
# Rocchio: q' = ALPHA q + BETA mean(good) - GAMMA mean(bad)
ALPHA, BETA, GAMMA = 1.0, 0.75, 0.25


@dataclass(frozen=True)
class HybridHit:
    photo_id: int
    score: float
    parts: dict[str, float] = field(default_factory=dict)  # channel -> 0..1 part before weighting


@dataclass
class HybridResult:
    hits: list[HybridHit]
    weights: dict[str, float]
    clip_off: str | None = None  # why image similarity took no part (no CLIP model yet), for the user


def parse_weights(text: str) -> dict[str, float]:
    """`fts=1,text=0.5,clip=2` -> {"fts": 1.0, ...}; unknown channels or bad numbers raise ValueError."""
    weights = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, eq, value = item.partition("=")
        if not eq or name.strip() not in CHANNELS:
            raise ValueError(f"{item!r}: weights are given as {','.join(c + '=NUMBER' for c in CHANNELS)}")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"{item!r}: {value!r} is not a number") from None
        if weights[name.strip()] < 0:
            raise ValueError(f"{item!r}: a weight cannot be negative")
    return weights


def weights_of(library: "Library", override: dict[str, float] | None = None) -> dict[str, float]:
    values = library.config.get_many(WEIGHT_KEYS.values())
    weights = {c: float(values[k]) for c, k in WEIGHT_KEYS.items()}
    weights.update(override or {})
    return weights


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _rocchio(query: np.ndarray, good: np.ndarray, bad: np.ndarray) -> np.ndarray:
    q = ALPHA * query
    if len(good):
        q = q + BETA * good.mean(0)
    if len(bad):
        q = q - GAMMA * bad.mean(0)
    return _unit(q.astype(np.float32))


def _vectors(library: "Library", model_id: str, ids: Iterable[int]) -> np.ndarray:
    ids = list(ids)
    if not ids:
        return np.zeros((0, 0), np.float32)
    with library.db.read_session() as s:
        blobs = list(s.scalars(select(Embedding.vector).where(Embedding.model_id == model_id,
                                                              Embedding.photo_id.in_(ids))))
    return np.array([np.frombuffer(b, np.float32) for b in blobs]) if blobs else np.zeros((0, 0), np.float32)


def hybrid_search(library: "Library", query: str, *, limit: int = 50, weights: dict[str, float] | None = None,
                  good: Iterable[int] = (), bad: Iterable[int] = ()) -> HybridResult:
    """Photos for `query` best first, with each channel's part; filters of the query language apply on top."""
    tree = parse(query)
    words = free_words(tree)
    weights = weights_of(library, weights)
    good, bad = list(good), list(bad)
    if not words:  # filters only: the query language's own order (newest first)
        from app.core.search.query import run_query

        return HybridResult([HybridHit(i, 0.0) for i in run_query(library, query)[:limit]], weights)
    rest = And(tuple(c for c in tree.children if c not in words)) if isinstance(tree, And) else And(())
    with library.db.read_session() as s:
        allowed = set(s.scalars(photo_ids_query(s, query, rest))) if rest.children else None
    text = " ".join(w.text for w in words)
    parts: dict[int, dict[str, float]] = {}

    # The word query (SQLite) runs beside the query's encoding (numpy): both let go of the GIL, so on two cores a
    # query costs the longer of the two rather than their sum.
    with ThreadPoolExecutor(max_workers=1) as pool:
        found = pool.submit(library.text_index.words, text, CANDIDATES) if weights.get("fts", 0) > 0 else None
        meaning = _meaning(library, text, good, bad) if weights.get("text", 0) > 0 else []
        found = found.result() if found is not None else []

    best = max((score for _, score in found), default=0.0)
    for photo_id, score in found:
        if best > 0:
            parts.setdefault(photo_id, {})["fts"] = score / best

    for photo_id, cos in meaning:
        part = (cos - TEXT_FLOOR) / (TEXT_FULL - TEXT_FLOOR)
        if part > 0:
            parts.setdefault(photo_id, {})["text"] = min(1.0, part)

    clip_off = None
    if weights.get("clip", 0) > 0:
        model_id = library.search.serving_model_id()  # not status(): its counts cost ~5 ms a query at 100k
        if model_id is None or library.models.folder(model_id) is None:
            clip_off = ("image search is off until a CLIP model is installed (`shoebox models install`); "
                        "results are ranked by words and meaning")
        else:
            for photo_id, part in _clip(library, model_id, text, good, bad):
                parts.setdefault(photo_id, {})["clip"] = part

    for photo_id in bad:  # "fewer like this": out of this search
        parts.pop(photo_id, None)
    ranked = []  # (-score, photo id): best first, ties by id; hits are made for the first page only
    for photo_id, p in parts.items():
        if allowed is None or photo_id in allowed:
            score = sum(weights.get(c, 0.0) * v for c, v in p.items())
            if score > 0:
                ranked.append((-score, photo_id))
    ranked.sort()
    visible = _visible(library, [i for _, i in ranked], limit)
    return HybridResult([HybridHit(i, -negative, parts[i]) for negative, i in ranked if i in visible][:limit],
                        weights, clip_off)


def _visible(library: "Library", ranked: list[int], limit: int) -> set[int]:
    """The first `limit` photos of `ranked` that are not hidden. Only the best ones' flags are read, a page at a
    time (hidden photos are few; one IN list of all ~2,000 candidates cost ~10 ms a query at 100k photos)."""
    visible: list[int] = []
    start, page = 0, limit + HIDDEN_PAGE
    with library.db.read_session() as s:
        while len(visible) < limit and start < len(ranked):
            chunk = ranked[start:start + page]
            hidden = set(s.scalars(select(Photo.id).where(Photo.id.in_(chunk), Photo.hidden.is_(True))))
            visible += [i for i in chunk if i not in hidden]
            start += len(chunk)
    return set(visible[:limit])


def _meaning(library: "Library", text: str, good: list[int], bad: list[int]) -> list[tuple[int, float]]:
    from app.core.ml.errors import ModelError
    from app.core.ml.text_minilm import TEXT_MODEL_ID, load_text_encoder

    index = library.text_index
    try:
        index.sync_meaning()
        if index.meaning_pending():
            index.schedule_meaning()
        vector = load_text_encoder().encode([text])[0]
    except ModelError as exc:
        log.info("text-meaning search is off: %s", exc)
        return []
    if good or bad:
        vector = _rocchio(vector, _vectors(library, TEXT_MODEL_ID, good), _vectors(library, TEXT_MODEL_ID, bad))
    return index.meaning(vector, CANDIDATES)


def _clip(library: "Library", model_id: str, text: str, good: list[int], bad: list[int]) -> list[tuple[int, float]]:
    service = library.search
    encoder = library.models.load_clip(model_id)
    vector = encoder.encode_texts([text])[0]
    if good or bad:
        vector = _rocchio(vector, _vectors(library, model_id, good), _vectors(library, model_id, bad))
    found = service.index(model_id).search(vector, CANDIDATES)
    best = max((cos for _, cos in found), default=0.0)
    return [(i, max(0.0, cos / best)) for i, cos in found] if best > 0 else []
