"""The word index (SQLite FTS5, BM25) and the text-meaning vectors of every photo's searchable text.

Both are derived data, like the FAISS indexes: the word index is its own SQLite file in the library's index/
folder (`text.sqlite`, rebuilt from the database when missing or damaged), the meaning vectors are rows of
`embeddings` under the text model's id with their own FAISS index. `sync_words()` runs before every word query
and indexes the photos that triggers marked in `search_dirty`; `sync_meaning()` embeds the titles, descriptions,
notes and captions of marked photos (a few inline so a new note is found at once, the rest by the BULK
`text-embed` chain).

Columns of the word index (BM25 weights in COLUMN_WEIGHTS): file and folder names, camera, place names, people's
names, album and event titles, voice-note transcripts, captions, the user's titles and descriptions.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from pathlib import PurePath
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import delete, select, text, update

from app.core.db.models import (Album, AlbumPhoto, Caption, Embedding, Event, EventPhoto, Face, Person, Photo,
                                PhotoEdit, PhotoFile, PhotoPlace, SearchDirty, VoiceNote)
from app.core.search.dirty import ensure_triggers
from app.core.search.postings import TOKENIZER, Postings, Tokens, release_freed_memory

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

COLUMNS = ("names", "camera", "places", "people", "albums", "notes", "captions", "descriptions")
COLUMN_WEIGHTS = (2.0, 1.0, 3.0, 4.0, 3.0, 5.0, 3.0, 5.0)
CHUNK = 2000  # photos per transaction when catching up
PENDING_MAX = 20_000  # photos indexed during a postings build beyond which the build is given up (a bulk change)
INLINE_MEANING = 64  # photos embedded inline before a query; more go to the text-embed task
SCHEMA_VERSION = "2"  # 2: titles and descriptions
COMMON_MIN_ROWS = 1000  # below this many photos every phrase of a word query is kept (see _discriminating)
_TOKEN = re.compile(r"\w+", re.UNICODE)
# Words that match nearly every note or caption: left out of word queries (unless the query is only these), so
# that "a dog at the beach" does not rank by "a", "at" and "the". Meaning search still sees the whole query.
STOP_WORDS = frozenset("""a an and are as at be but by for from has have he her his i in is it its me my no not of
on or our she so that the their them there they this to was we were what when where which who will with you your
""".split())


def fts_phrases(words: str, *, prefix_last: bool = True) -> list[str]:
    """The FTS5 phrases of a word query: each word, and the last one also as a prefix so that results come while
    typing. Any of them may match (BM25 ranks photos with more and rarer ones first)."""
    tokens = _TOKEN.findall(words.lower())
    if not tokens:
        return []
    tokens = [t for t in tokens if t not in STOP_WORDS] or tokens
    phrases = [f'"{t}"' for t in tokens]
    if prefix_last and len(tokens[-1]) >= 2:
        phrases.append(f'"{tokens[-1]}" *')
    return phrases


def fts_query(words: str, *, prefix_last: bool = True) -> str | None:
    """An FTS5 MATCH expression: any of the phrases of `fts_phrases`. None when there is no word."""
    return " OR ".join(fts_phrases(words, prefix_last=prefix_last)) or None


class TextIndex:
    def __init__(self, library: "Library"):
        self._library = library
        self.path = library.layout.index / "text.sqlite"
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._vectors = None
        self._vectors_lock = threading.Lock()  # not _lock: a word query may hold that while meaning is searched
        self._triggers_checked = False
        self._rows: int | None = None  # photos in the word index, counted once per change
        # Resident postings (app.core.search.postings): built in the background from a process's second word query
        # on (a one-shot CLI search keeps FTS5, which answers one query sooner than the postings are read).
        self.postings_enabled = True
        self._postings: Postings | None = None
        self._postings_version: int | None = None  # the word index file's data_version they were read at
        self._tokens: Tokens | None = None
        self._builder: threading.Thread | None = None
        self._pending: list[tuple[list[int], dict]] | None = None  # indexed while postings are being built
        self._pending_count = 0
        self._build_version: int | None = None
        self._postings_failed = False
        self._closing = False
        self._word_queries = 0
        self.last_word_source: str | None = None  # "postings" or "fts5": what answered the last word query

    # -- the word index file ---------------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None and self._library.read_only:
            self._conn = self._in_memory()
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            try:
                version = self._version(conn)
            except sqlite3.DatabaseError:
                conn.close()
                log.warning("word index %s is damaged; rebuilding it", self.path)
                self.path.unlink(missing_ok=True)
                conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                version = None
            if version != SCHEMA_VERSION:
                self._create(conn)
            self._conn = conn
            self._rows = None
        return self._conn

    def _in_memory(self) -> sqlite3.Connection:
        """A library the user cannot write gets a word index in memory, built from the database once (nothing
        is written to its folder, and its marks cannot be cleared)."""
        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        conn.execute(f"CREATE VIRTUAL TABLE words USING fts5({', '.join(COLUMNS)}, "
                     f"tokenize = '{TOKENIZER}', prefix = '2 3')")
        with self._library.db.read_session() as s:
            ids = list(s.scalars(select(Photo.id).order_by(Photo.id)))
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start:start + CHUNK]
                docs = documents(s, chunk)
                conn.executemany(f"INSERT INTO words (rowid, {', '.join(COLUMNS)}) VALUES (?{', ?' * len(COLUMNS)})",
                                 [(i, *docs[i]) for i in chunk if i in docs])
        return conn

    @staticmethod
    def _version(conn: sqlite3.Connection) -> str | None:
        row = conn.execute("SELECT name FROM sqlite_master WHERE name = 'meta'").fetchone()
        if row is None:
            return None
        row = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return row[0] if row else None

    def _create(self, conn: sqlite3.Connection) -> None:
        """A new (or outdated) word index: empty, and every photo marked so that it is filled again."""
        conn.execute("DROP TABLE IF EXISTS words")
        conn.execute("DROP TABLE IF EXISTS meta")
        conn.execute(f"CREATE VIRTUAL TABLE words USING fts5({', '.join(COLUMNS)}, "
                     f"tokenize = '{TOKENIZER}', prefix = '2 3')")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('version', ?)", (SCHEMA_VERSION,))
        if not self._library.read_only:
            with self._library.db.write_session() as s:
                s.execute(text("INSERT INTO search_dirty (photo_id, words, meaning) SELECT id, true, false FROM photos "
                               "WHERE true ON CONFLICT (photo_id) DO UPDATE SET words = true"))

    # -- keeping it up to date ---------------------------------------------------------------------------------
    def sync_words(self) -> int:
        """Index every photo marked since the last call; returns how many were (re)indexed."""
        if self._library.read_only:
            with self._lock:
                self._connection()  # built once from the database
            return 0
        done = 0
        with self._lock:
            conn = self._connection()
            if not self._triggers_checked:  # tables are rebuilt only by migrations, which run before opening
                with self._library.db.write_session() as s:
                    ensure_triggers(s)
                self._triggers_checked = True
            with self._library.db.read_session() as s:  # the common case, nothing marked: no write lock taken
                if s.scalar(select(SearchDirty.photo_id).where(SearchDirty.words.is_(True)).limit(1)) is None:
                    return 0
            while True:
                with self._library.db.write_session() as s:
                    ids = list(s.scalars(select(SearchDirty.photo_id).where(SearchDirty.words.is_(True))
                                         .order_by(SearchDirty.photo_id).limit(CHUNK)))
                    if not ids:
                        return done
                    docs = documents(s, ids)
                    conn.execute("BEGIN")
                    try:
                        conn.executemany("DELETE FROM words WHERE rowid = ?", [(i,) for i in ids])
                        conn.executemany(f"INSERT INTO words (rowid, {', '.join(COLUMNS)}) VALUES "
                                         f"(?{', ?' * len(COLUMNS)})",
                                         [(i, *docs[i]) for i in ids if i in docs])
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    finally:
                        self._rows = None
                    self._indexed(ids, docs)
                    # Cleared in the same main-database transaction that read them: a trigger cannot mark a photo
                    # between the read and the clear (the write lock is held), so no change is lost.
                    s.execute(update(SearchDirty).where(SearchDirty.photo_id.in_(ids)).values(words=False))
                    s.execute(delete(SearchDirty).where(SearchDirty.photo_id.in_(ids), SearchDirty.meaning.is_(False)))
                done += len(ids)

    def meaning_pending(self) -> int:
        with self._library.db.read_session() as s:
            return s.scalar(select(text("count(*)")).select_from(SearchDirty).where(SearchDirty.meaning.is_(True))) or 0

    def sync_meaning(self, limit: int | None = INLINE_MEANING, check=lambda: None) -> int:
        """Embed the meaning text (title, description, notes, caption) of up to `limit` marked photos; returns how many."""
        from app.core.ml.text_minilm import TEXT_MODEL_ID, load_text_encoder

        if self._library.read_only:
            return 0
        with self._library.db.read_session() as s:
            query = select(SearchDirty.photo_id).where(SearchDirty.meaning.is_(True)).order_by(SearchDirty.photo_id)
            ids = list(s.scalars(query.limit(limit) if limit else query))
            if not ids:
                return 0
            texts = meaning_texts(s, ids)
        encoder = load_text_encoder()
        with_text = [i for i in ids if texts.get(i)]
        vectors = encoder.encode([texts[i] for i in with_text]) if with_text else np.zeros((0, 384), np.float32)
        check()
        now = time.time()
        with self._library.db.write_session() as s:
            # Only photos whose text is still what was embedded are cleared (a trigger may have marked one again).
            current = meaning_texts(s, ids)
            fresh = [i for i in ids if current.get(i) == texts.get(i)]
            s.execute(delete(Embedding).where(Embedding.model_id == TEXT_MODEL_ID, Embedding.photo_id.in_(fresh)))
            alive = set(s.scalars(select(Photo.id).where(Photo.id.in_(fresh))))
            for i, vector in zip(with_text, vectors):
                if i in alive and i in fresh:
                    s.add(Embedding(photo_id=i, model_id=TEXT_MODEL_ID, dim=vector.shape[0], vector=vector.tobytes(),
                                    runtime="numpy", device="cpu", created_at=now))
            s.execute(update(SearchDirty).where(SearchDirty.photo_id.in_(fresh)).values(meaning=False))
            s.execute(delete(SearchDirty).where(SearchDirty.photo_id.in_(fresh), SearchDirty.words.is_(False)))
        return len(ids)

    def schedule_meaning(self) -> int | None:
        """Queue the BULK text-embed chain for photos whose notes or captions changed (None: none or live)."""
        from app.core.search.meaning_task import TASK_TYPE
        from app.core.tasks import Priority

        if self._library.read_only or not self.meaning_pending():
            return None
        return self._library.tasks.submit(TASK_TYPE, {}, priority=Priority.BULK, dedupe_key=TASK_TYPE)

    # -- queries -----------------------------------------------------------------------------------------------
    def words(self, query: str, limit: int = 1000) -> list[tuple[int, float]]:
        """(photo id, BM25 score, higher is better) of photos whose words match any of the query's words."""
        phrases = fts_phrases(query)
        if not phrases:
            return []
        self.sync_words()
        weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
        with self._lock:
            conn = self._connection()
            self._word_queries += 1
            if self._postings is not None and self._data_version(conn) != self._postings_version:
                log.info("the word index was changed by another process: its postings are read again")
                self._postings = None
            if self.postings_enabled:
                found = self._from_postings(phrases, limit)
                if found is not None:
                    self.last_word_source = "postings"
                    return found
                if self._word_queries >= 2 and not self._postings_failed:
                    self.build_postings()
            self.last_word_source = "fts5"
            match = " OR ".join(self._discriminating(conn, phrases))
            rows = conn.execute(f"SELECT rowid, -bm25(words, {weights}) AS score FROM words WHERE words MATCH ? "
                                "ORDER BY score DESC LIMIT ?", (match, limit)).fetchall()
        return [(int(i), float(s)) for i, s in rows]

    # -- resident postings -------------------------------------------------------------------------------------
    def _from_postings(self, phrases: list[str], limit: int) -> list[tuple[int, float]] | None:
        """The word query answered from the resident postings (None: not built yet, or a word FTS5 makes
        several terms of, a phrase the postings cannot match)."""
        if self._postings is None:
            return None
        words = [p.split('"')[1] for p in phrases]
        terms = self._postings.terms_of(words)
        if any(len(t) != 1 for t in terms):
            return None
        return self._postings.search([(t[0], p.endswith("*")) for t, p in zip(terms, phrases)], limit,
                                     COMMON_MIN_ROWS)

    def build_postings(self, wait: bool = False) -> bool:
        """Build the resident postings on a background thread (unless built or building); `wait` for them.
        True when they serve word queries."""
        with self._lock:
            if self._postings is None and self._builder is None and not self._closing:
                self._connection()
                self._tokenizer()
                self._pending, self._pending_count = [], 0
                self._build_version = self._data_version(self._conn)
                self._builder = threading.Thread(target=self._build, name="word-postings", daemon=True)
                self._builder.start()
            builder = self._builder
        if wait and builder is not None:
            builder.join()
        return self._postings is not None

    def _build(self) -> None:
        def read(sql: str, params: tuple) -> list:
            with self._lock:  # per chunk: word queries and sync_words go on between chunks
                conn = self._connection()
                conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.words_instance USING "
                             "fts5vocab(main, words, instance)")
                return conn.execute(sql, params).fetchall()

        started = time.perf_counter()
        try:
            postings = Postings.build(read, self._tokenizer(), dict(zip(COLUMNS, COLUMN_WEIGHTS)),
                                      lambda: self._closing or self._pending_count > PENDING_MAX)
        except Exception:  # word queries keep FTS5; no new attempt by itself
            log.exception("building the word index's resident postings failed")
            postings, self._postings_failed = None, True
        release_freed_memory()
        with self._lock:
            pending, self._pending, self._builder = self._pending or [], None, None
            if postings is None or self._closing or self._pending_count > PENDING_MAX:
                return
            for ids, docs in pending:  # photos indexed while the chunks were read
                postings.update(ids, docs)
            if not postings.needs_rebuild() and self._data_version(self._connection()) == self._build_version:
                self._postings, self._postings_version = postings, self._build_version
                log.info("word index postings: %d photos, %.1f MB, %.2f s", postings.rows, postings.nbytes() / 2**20,
                         time.perf_counter() - started)

    @staticmethod
    def _data_version(conn: sqlite3.Connection) -> int:
        """Changes when another connection (another process: a CLI search, the worker) commits to the word index;
        this one's own writes reach the postings through `_indexed`."""
        return int(conn.execute("PRAGMA data_version").fetchone()[0])

    def _tokenizer(self) -> Tokens:
        with self._lock:
            if self._tokens is None:
                self._tokens = Tokens(COLUMNS)
            return self._tokens

    def _indexed(self, ids: list[int], docs: dict) -> None:
        """Photos `ids` were (re)indexed with `docs` (under the lock): the postings follow, or are dropped for a
        new build when their delta grew too large (a bulk change; FTS5 answers until then). A build under way
        replays them at its end, or is given up after PENDING_MAX photos."""
        if self._pending is not None:
            self._pending_count += len(ids)
            if self._pending_count > PENDING_MAX:  # the build is given up: kept no longer
                self._pending.clear()
            else:
                self._pending.append((ids, docs))
        if self._postings is not None:
            self._postings.update(ids, docs)
            if self._postings.needs_rebuild():
                self._postings = None

    def _discriminating(self, conn: sqlite3.Connection, phrases: list[str]) -> list[str]:
        """The phrases less those found in at least half of the photos, unless that leaves none.

        FTS5's BM25 gives such a phrase no weight: its IDF, log((N - n + 0.5) / (n + 0.5)), is <= 0 there and
        FTS5 floors it at 1e-6. Ranking their tens of thousands of matches was most of a word query's time at
        100k photos (BM25 is computed for every match before the LIMIT), for an order that changes by 1e-6 at
        most, and photos that matched only them had a part of ~1e-6. Small libraries keep every phrase (cheap,
        and there such a photo is still listed)."""
        n = self._row_count(conn)
        if n < COMMON_MIN_ROWS:
            return phrases
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.words_vocab USING fts5vocab(main, words, row)")
        # Counted under the term FTS5 matches ("café" is indexed as "cafe"); a word FTS5 makes several terms of
        # (a phrase) is kept.
        terms = self._tokenizer().words([p.split('"')[1] for p in phrases])
        kept = [p for p, t in zip(phrases, terms) if len(t) != 1 or 2 * self._matches_at_least(conn, t[0], p) < n]
        return kept or phrases

    def _row_count(self, conn: sqlite3.Connection) -> int:
        if self._rows is None:
            self._rows = int(conn.execute("SELECT count(*) FROM words_docsize").fetchone()[0])
        return self._rows

    @staticmethod
    def _matches_at_least(conn: sqlite3.Connection, term: str, phrase: str) -> int:
        """How many photos a phrase matches at least: its term's count, or a prefix's commonest term's."""
        if phrase.endswith("*"):
            row = conn.execute("SELECT max(doc) FROM temp.words_vocab WHERE term >= ? AND term < ?",
                               (term, term + "\U0010ffff")).fetchone()
        else:
            row = conn.execute("SELECT doc FROM temp.words_vocab WHERE term = ?", (term,)).fetchone()
        return int(row[0] or 0) if row else 0

    def vectors(self):
        """The FAISS index of the text vectors (app.core.index.manager), synced on each search."""
        from app.core.index.manager import IndexManager
        from app.core.ml.text_minilm import TEXT_MODEL_ID

        with self._vectors_lock:
            if self._vectors is None:
                self._vectors = IndexManager(self._library, TEXT_MODEL_ID)
            return self._vectors

    def meaning(self, vector: np.ndarray, limit: int = 200) -> list[tuple[int, float]]:
        """Nearest text vectors; one query is searched on one OpenMP thread (as the query encoder, see
        app.core.ml.text_minilm: threads spin-waiting for each other cost more than they bring on one vector)."""
        from app.core.ml.threads import limit_threads

        with limit_threads(1, "openmp"):
            return self.vectors().search(vector, limit)

    def terms(self, prefix: str, limit: int = 10) -> list[str]:
        """Indexed words starting with `prefix`, most frequent first (for suggestions while typing)."""
        prefix = prefix.lower().strip()
        if len(prefix) < 2:
            return []
        self.sync_words()
        with self._lock:
            conn = self._connection()
            conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.words_vocab USING fts5vocab(main, words, row)")
            rows = conn.execute("SELECT term FROM temp.words_vocab WHERE term >= ? AND term < ? "
                                "ORDER BY cnt DESC LIMIT ?", (prefix, prefix + "\uffff", limit)).fetchall()
        return [r[0] for r in rows]

    def document_counts(self, terms) -> tuple[dict[str, int], int]:
        """({term: indexed photos having it}, indexed photos): the library-wide document frequencies that album
        and event summaries weigh their words by (app.core.summaries)."""
        self.sync_words()
        terms = sorted(set(terms))
        counts: dict[str, int] = {}
        with self._lock:
            conn = self._connection()
            conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.words_vocab USING fts5vocab(main, words, row)")
            for start in range(0, len(terms), 500):
                chunk = terms[start:start + 500]
                counts.update(conn.execute(f"SELECT term, doc FROM temp.words_vocab WHERE term IN "
                                           f"({', '.join('?' * len(chunk))})", chunk).fetchall())
            total = conn.execute("SELECT count(*) FROM words").fetchone()[0]
        return {t: int(c) for t, c in counts.items()}, int(total)

    def close(self) -> None:
        self._closing = True
        builder = self._builder
        if builder is not None:
            builder.join()
        with self._lock, self._vectors_lock:
            if self._vectors is not None:
                self._vectors.close()
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._tokens is not None:
                self._tokens.close()
                self._tokens = None
            self._postings = None
            self._word_queries = 0
            self._closing = False


def _join(values) -> str:
    return " ".join(v for v in values if v)


def documents(s, ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Each existing photo's text per word-index column (deleted photos are absent)."""
    parts: dict[int, dict[str, list[str]]] = {}
    for photo_id, make, model, lens in s.execute(
            select(Photo.id, Photo.camera_make, Photo.camera_model, Photo.lens).where(Photo.id.in_(ids))):
        parts[photo_id] = {c: [] for c in COLUMNS}
        parts[photo_id]["camera"] += [make, model, lens]

    def add(column, rows):
        for photo_id, *values in rows:
            if photo_id in parts:
                parts[photo_id][column] += values

    for photo_id, path in s.execute(select(PhotoFile.photo_id, PhotoFile.path).where(PhotoFile.photo_id.in_(ids))):
        if photo_id in parts:
            p = PurePath(path)
            parts[photo_id]["names"] += [p.stem, *p.parent.parts[-3:]]
    add("places", s.execute(select(PhotoPlace.photo_id, PhotoPlace.city, PhotoPlace.region, PhotoPlace.country)
                            .where(PhotoPlace.photo_id.in_(ids))))
    add("people", s.execute(select(Face.photo_id, Person.name).join(Person, Person.id == Face.person_id)
                            .where(Face.photo_id.in_(ids), Face.forgotten.is_(False), Person.name.is_not(None))))
    add("albums", s.execute(select(AlbumPhoto.photo_id, Album.name).join(Album, Album.id == AlbumPhoto.album_id)
                            .where(AlbumPhoto.photo_id.in_(ids))))
    add("albums", s.execute(select(EventPhoto.photo_id, Event.title).join(Event, Event.id == EventPhoto.event_id)
                            .where(EventPhoto.photo_id.in_(ids))))
    add("notes", s.execute(select(VoiceNote.photo_id, VoiceNote.transcript).where(VoiceNote.photo_id.in_(ids))))
    add("captions", s.execute(select(Caption.photo_id, Caption.text).where(Caption.photo_id.in_(ids))))
    add("descriptions", s.execute(select(PhotoEdit.photo_id, PhotoEdit.title, PhotoEdit.description)
                                  .where(PhotoEdit.photo_id.in_(ids))))
    return {i: tuple(_join(dict.fromkeys(p[c])) for c in COLUMNS) for i, p in parts.items()}


def meaning_texts(s, ids: list[int]) -> dict[int, str]:
    """The text whose meaning is embedded per photo: its title and description, its notes' transcripts and its
    caption."""
    texts: dict[int, list[str]] = {}
    for photo_id, title, description in s.execute(select(PhotoEdit.photo_id, PhotoEdit.title, PhotoEdit.description)
                                                  .where(PhotoEdit.photo_id.in_(ids))):
        texts[photo_id] = [t for t in (title, description) if t]
    for photo_id, transcript in s.execute(select(VoiceNote.photo_id, VoiceNote.transcript)
                                          .where(VoiceNote.photo_id.in_(ids)).order_by(VoiceNote.id)):
        if transcript:
            texts.setdefault(photo_id, []).append(transcript)
    for photo_id, caption in s.execute(select(Caption.photo_id, Caption.text).where(Caption.photo_id.in_(ids))):
        if caption:
            texts.setdefault(photo_id, []).append(caption)
    return {i: ". ".join(t) for i, t in texts.items()}
