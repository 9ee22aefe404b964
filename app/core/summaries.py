"""A short description of a set of photos (an album, an event): dates, places, people, characteristic words, and a
few representative photos.

"12–19 July 2019 · Lisbon, Sintra · with Ana and João · beach, tram, sunset". The words come from the photos'
captions, voice-note transcripts, titles and descriptions, weighed by TF-IDF against the whole library (document
frequencies from the word index, app.core.search.text_index), so words every photo has ("photo") never show,
and a small English stop list drops "a", "of", "the". Representative photos are k-medoids over the photos' CLIP
vectors (cosine, deterministic); without vectors they are spread evenly in time, and `method` says which.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

import numpy as np
from sqlalchemy import func, select

from app.core import date_text
from app.core.db.models import Caption, Embedding, Face, Person, Photo, PhotoEdit, PhotoPlace, VoiceNote

if TYPE_CHECKING:
    from app.core.library import Library

MAX_PICKS = 4  # representative photos
TEXT_PLACES, TEXT_PEOPLE, TEXT_WORDS = 3, 3, 4  # how many of each the one-line text names
TOP_WORDS = 8
COMMON_SHARE = 0.5  # a word in more than this share of the library's texts is too common to characterise anything
CHUNK = 900  # ids per IN (...): below SQLite's bound-parameter cap
BUILD_CANDIDATES = 256  # rows the greedy k-medoids start considers (the iterations then use every row)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
_TOKEN = re.compile(r"\w+", re.UNICODE)
# Words that say nothing about a set of photos: English function words, and caption-model filler ("a picture of").
STOP_WORDS = frozenset("""a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each even ever few for from further get got
had has have having he her here hers herself him himself his how i if in into is it its itself just let like me more
most much my myself near next no nor not now of off on once one only onto or other our ours ourselves out over own
really same she should so some such than that the their theirs them themselves then there these they this those
through to too two under until up upon very was way we well went were what when where which while who whom why will
with would yes yet you your yours yourself yourselves image picture photo photograph photos pictures images shot view
there's it's that's""".split())


@dataclass(frozen=True)
class Summary:
    text: str
    photo_count: int
    start: str | None  # first and last day (YYYY-MM-DD) of the dated photos
    end: str | None
    undated: int  # photos without a capture date
    places: list[tuple[str, int]] = field(default_factory=list)  # (name, photos), most photos first
    people: list[tuple[str, int]] = field(default_factory=list)
    words: list[tuple[str, float]] = field(default_factory=list)  # (word, TF-IDF score), best first
    representatives: list[int] = field(default_factory=list)
    method: str = "none"  # "clip-kmedoids" | "time-spread" | "none" (no photos)
    model_id: str | None = None  # the vectors' model, for clip-kmedoids

    def to_json(self) -> dict:
        data = asdict(self)
        data["places"] = [{"name": n, "photos": c} for n, c in self.places]
        data["people"] = [{"name": n, "photos": c} for n, c in self.people]
        data["words"] = [{"word": w, "score": round(s, 4)} for w, s in self.words]
        return data


# -- entry points ------------------------------------------------------------------------------------------------
def summarise_album(library: "Library", album_id: int) -> Summary:
    """An album's summary (a smart album's query is evaluated now); AlbumError for an unknown album."""
    return summarise(library, library.albums.get(album_id).photo_ids)


def summarise_event(library: "Library", event_id: int) -> Summary:
    """An event's summary; EventError for an unknown event."""
    ids = library.events.photo_ids(event_id)  # not events.get(), which reads every event's photos
    if not ids:
        library.events.get(event_id)  # raises for an unknown event
    return summarise(library, ids)


def summarise(library: "Library", photo_ids: Iterable[int]) -> Summary:
    ids = list(dict.fromkeys(photo_ids))
    if not ids:
        return Summary("no photos", 0, None, None, 0)
    with library.db.read_session() as s:
        times = dict(_rows(s, ids, select(Photo.id, Photo.taken_at, Photo.taken_at_source), Photo.id, pairs=False))
        places = _count(_rows(s, ids, select(PhotoPlace.photo_id, func.coalesce(
            PhotoPlace.city, PhotoPlace.region, PhotoPlace.country)), PhotoPlace.photo_id))
        people = _count(_rows(s, ids, select(Face.photo_id, Person.name).join(Person, Person.id == Face.person_id)
                              .where(Face.forgotten.is_(False), Person.name.is_not(None), Person.hidden.is_(False)),
                              Face.photo_id))
        texts = _texts(s, ids)
        vectors, model_id = _vectors(library, s, ids)
    ids = [i for i in ids if i in times]  # deleted meanwhile
    days = {i: _day(t) for i, (t, source) in times.items() if source != "mtime"}
    days = {i: d for i, d in days.items() if d is not None}
    start, end = (min(days.values()), max(days.values())) if days else (None, None)
    terms = terms_of(texts)
    words = top_words(terms, library_frequencies(library, terms.photos))
    if vectors is not None and len(vectors[0]) >= max(min(len(ids), MAX_PICKS), len(ids) / 2):
        found, matrix = vectors  # at least half the photos: picks from a few early-embedded ones would mislead
        picked = [int(found[i]) for i in k_medoids(matrix, min(MAX_PICKS, len(found)))]
        method = "clip-kmedoids"
    else:
        picked, method, model_id = spread_in_time(ids, days, MAX_PICKS), "time-spread", None
    text = describe(start, end, [n for n, _ in places], [n for n, _ in people], [w for w, _ in words], len(ids))
    return Summary(text, len(ids), start and start.isoformat(), end and end.isoformat(), len(ids) - len(days),
                   places, people, words, picked, method, model_id)


# -- reading -----------------------------------------------------------------------------------------------------
def _rows(s, ids: list[int], query, column, *, pairs: bool = True):
    """The query's rows for the photos in `ids`, in chunks (SQLite caps bound parameters)."""
    for start in range(0, len(ids), CHUNK):
        for row in s.execute(query.where(column.in_(ids[start:start + CHUNK]))):
            yield (row[0], row[1]) if pairs else (row[0], tuple(row[1:]))


def _count(pairs) -> list[tuple[str, int]]:
    """(name, number of distinct photos) most first, then by name."""
    photos: dict[str, set[int]] = {}
    for photo_id, name in pairs:
        if name:
            photos.setdefault(name, set()).add(photo_id)
    return sorted(((n, len(p)) for n, p in photos.items()), key=lambda x: (-x[1], x[0].lower()))


def _texts(s, ids: list[int]) -> dict[int, list[str]]:
    texts: dict[int, list[str]] = {}
    for query, column in ((select(Caption.photo_id, Caption.text), Caption.photo_id),
                          (select(VoiceNote.photo_id, VoiceNote.transcript), VoiceNote.photo_id),
                          (select(PhotoEdit.photo_id, PhotoEdit.title), PhotoEdit.photo_id),
                          (select(PhotoEdit.photo_id, PhotoEdit.description), PhotoEdit.photo_id)):
        for photo_id, value in _rows(s, ids, query, column):
            if value:
                texts.setdefault(photo_id, []).append(value)
    return texts


def _vectors(library: "Library", s, ids: list[int]):
    """((photo ids, unit vectors), model id) of the image model with the most vectors among `ids` (the active
    model on a tie); (None, None) when no photo has one."""
    from app.core.ml.text_minilm import TEXT_MODEL_ID

    counts: Counter = Counter()
    for start in range(0, len(ids), CHUNK):
        counts.update(dict(s.execute(select(Embedding.model_id, func.count()).where(
            Embedding.photo_id.in_(ids[start:start + CHUNK]), Embedding.model_id != TEXT_MODEL_ID)
            .group_by(Embedding.model_id)).all()))
    if not counts:
        return None, None
    active = library.models.active_id()
    best = max(counts, key=lambda m: (counts[m], m == active, m))
    rows = list(_rows(s, ids, select(Embedding.photo_id, Embedding.vector).where(Embedding.model_id == best),
                      Embedding.photo_id))
    rows.sort()
    found = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    matrix = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (found, matrix / np.where(norms > 0, norms, 1)), best


def _day(taken_at: str | None) -> date | None:
    try:
        return date.fromisoformat(taken_at[:10]) if taken_at else None
    except ValueError:
        return None


# -- words -------------------------------------------------------------------------------------------------------
@lru_cache(maxsize=65536)
def normalise(word: str) -> str:
    """A word as the word index keeps it (FTS5 unicode61 remove_diacritics): lower case, accents dropped."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """The words of `text` worth counting, as written: no stop words, numbers or one- and two-letter words."""
    return [t for t in _TOKEN.findall(text) if len(t) > 2 and not t.isdigit() and t.lower() not in STOP_WORDS
            and normalise(t) not in STOP_WORDS]


def shown_as(spellings: Counter) -> str:
    """How a word is shown: in lower case if it was ever written so ("Sunset" opening a sentence is "sunset"),
    else as most often written (a name: "Belém")."""
    lower = [w for w in spellings if w.islower()]
    if lower:
        return max(lower, key=lambda w: (spellings[w], w))
    return max(spellings, key=lambda w: (spellings[w], w))


@dataclass
class Terms:
    """The words of a set of photos: in how many photos each (normalised) word is, and how it is most often
    written there."""

    photos: Counter
    spelled: dict[str, Counter]
    with_text: int  # photos with any text


def terms_of(texts: dict[int, list[str]]) -> Terms:
    photos: Counter = Counter()
    spelled: dict[str, Counter] = {}
    for parts in texts.values():
        seen = set()
        for part in parts:
            for token in tokens(part):
                term = normalise(token)
                spelled.setdefault(term, Counter())[token] += 1
                seen.add(term)
        photos.update(seen)
    return Terms(photos, spelled, len(texts))


def library_frequencies(library: "Library", terms: Iterable[str]) -> tuple[dict[str, int], int]:
    """({term: library photos whose searchable text has it}, photos in the library's word index)."""
    terms = set(terms)
    if not terms:
        return {}, 0
    return library.text_index.document_counts(terms)


def top_words(terms: Terms, frequencies: tuple[dict[str, int], int], limit: int = TOP_WORDS) -> list[tuple[str, float]]:
    """The words that characterise these photos: share of the photos having the word × log of its rarity in
    the library (TF-IDF); a word in more than COMMON_SHARE of the library, or in one photo only of a set of
    several, is left out. Words are shown as written (with their accents; see `shown_as`)."""
    library_df, library_n = frequencies
    if not terms.with_text:
        return []
    n = max(library_n, terms.with_text)
    scored = []
    for term, count in terms.photos.items():
        df = max(library_df.get(term, 0), count)
        if n >= 2 and df / n > COMMON_SHARE or (terms.with_text >= 3 and count < 2):
            continue
        score = count / terms.with_text * math.log((n + 1) / (df + 0.5))
        if score > 0:
            scored.append((shown_as(terms.spelled[term]), score, count))
    scored.sort(key=lambda x: (-x[1], -x[2], x[0]))
    return [(w, s) for w, s, _ in scored[:limit]]


# -- representative photos --------------------------------------------------------------------------------------
def k_medoids(vectors: np.ndarray, k: int, max_iter: int = 50) -> list[int]:
    """Row indices of (up to) k medoids of unit `vectors` under cosine distance, biggest cluster first;
    deterministic. Fewer when the rows hold fewer distinct vectors (copies of one photo are one pick).

    Start: greedy BUILD (each new medoid lowers the total distance most) over up to BUILD_CANDIDATES evenly
    spaced rows. Then alternate: assign every row to its nearest medoid, and move each medoid to its cluster's
    medoid, which for unit vectors is the row with the largest dot product with the cluster's vector sum
    (sum of 1 - x·y is m - x·S), so one pass is O(n·k·d) and a 5,000-photo album takes milliseconds."""
    n = len(vectors)
    k = max(0, min(k, n))
    if k == 0:
        return []
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    candidates = np.unique(np.linspace(0, n - 1, min(n, BUILD_CANDIDATES)).round().astype(np.int64))
    distance = 1.0 - x @ x[candidates].T  # n × candidates
    medoids: list[int] = []
    nearest = np.full(n, np.inf, dtype=np.float32)
    for _ in range(k):
        cost = np.minimum(nearest[:, None], distance).sum(axis=0)
        cost[[int(np.searchsorted(candidates, m)) for m in medoids if m in candidates]] = np.inf
        best = int(np.argmin(cost))
        if not np.isfinite(cost[best]):
            break
        medoids.append(int(candidates[best]))
        nearest = np.minimum(nearest, distance[:, best])
    for _ in range(max_iter):
        labels = np.argmax(x @ x[medoids].T, axis=1)
        moved = []
        for c in range(len(medoids)):
            members = np.flatnonzero(labels == c)
            if len(members) == 0:
                moved.append(medoids[c])
                continue
            scores = x[members] @ x[members].sum(axis=0)
            moved.append(int(members[int(np.argmax(scores))]))  # argmax: the first (lowest row) on a tie
        if moved == medoids:
            break
        medoids = moved
    sizes = np.bincount(np.argmax(x @ x[medoids].T, axis=1), minlength=len(medoids))
    order = sorted(range(len(medoids)), key=lambda c: (-sizes[c], medoids[c]))
    return [medoids[c] for c in order if sizes[c]]  # a medoid nothing is nearest to is a copy of another


def spread_in_time(ids: list[int], days: dict[int, date], k: int) -> list[int]:
    """k photos evenly spread over the set in time order (undated photos last, in their given order)."""
    position = {photo_id: n for n, photo_id in enumerate(ids)}
    ordered = sorted(ids, key=lambda i: (days.get(i) is None, days.get(i) or date.min, position[i]))
    if len(ordered) <= k:
        return ordered
    return [ordered[int((j + 0.5) * len(ordered) / k)] for j in range(k)]


# -- the text ----------------------------------------------------------------------------------------------------
def date_range(start: date | None, end: date | None) -> str:
    """"12 July 2019", "12–19 July 2019", "28 July – 2 August 2019", "30 December 2018 – 2 January 2019"."""
    return "" if start is None or end is None else date_text.date_range(start, end, MONTHS)


def _listed(names: list[str], shown: int, more: str) -> str:
    """"Ana", "Ana and João", "Ana, João and Rui", "Ana, João, Rui and 2 more"."""
    head, rest = names[:shown], len(names) - shown
    if rest > 0:
        return f"{', '.join(head)} and {rest} {more}"
    return head[0] if len(head) == 1 else f"{', '.join(head[:-1])} and {head[-1]}"


def describe(start: date | None, end: date | None, places: list[str], people: list[str], words: list[str],
             count: int) -> str:
    parts = [date_range(start, end)]
    if places:
        parts.append(", ".join(places[:TEXT_PLACES]) + (f" and {len(places) - TEXT_PLACES} more"
                                                         if len(places) > TEXT_PLACES else ""))
    if people:
        parts.append("with " + _listed(people, TEXT_PEOPLE, "others" if len(people) - TEXT_PEOPLE > 1 else "other"))
    if words:
        parts.append(", ".join(words[:TEXT_WORDS]))
    parts = [p for p in parts if p]
    return " · ".join(parts) if parts else (f"{count} photo" if count == 1 else f"{count} photos")
