"""Resident postings of the word index: FTS5's BM25 ranking computed with numpy over postings held in memory.

Why: FTS5 computes bm25() for every row that matches a query before it can keep the best `limit` (~0.75 us a
row; a 2-3 word query matches 20-30k of 100k captions, ~16 of its ~22 ms). Here each term's postings (row ids
and column-weighted term frequencies) are numpy arrays, read once from the word index itself (its fts5vocab
`instance` table, so the terms are exactly FTS5's), and a query scores its matches in a few vector operations.

The scores are FTS5's bm25() with the word index's column weights (SQLite's fts5_aux.c), in the same floating
point operations: for each phrase, IDF = log((N - n + 0.5) / (n + 0.5)), floored at 1e-6 (n: rows matching the
phrase), f = the sum of the column weights of the phrase's instances in the row, D = the row's tokens in all
columns, avgdl = all tokens / N; score = sum over phrases of IDF * (f * (k1 + 1)) / (f + k1 * (1 - b + b * D /
avgdl)), k1 = 1.2, b = 0.75. A prefix phrase matches every term that starts with it. Ties are broken by
ascending row id, as FTS5's rowid-ordered scan feeds SQLite's stable sorter.

Changes: rows re-indexed after the build (`update`, with the text `sync_words` wrote) are masked out of the base
arrays and held in a small delta of their own, tokenised by FTS5 on a scratch in-memory table. The owner builds
new postings when the delta outgrows `needs_rebuild`.
"""

from __future__ import annotations

import ctypes
import math
import sqlite3
import sys
from bisect import bisect_left
from typing import Callable, Iterable

import numpy as np

K1, B = 1.2, 0.75
TOKENIZER = "unicode61 remove_diacritics 2"  # the word index's, and the scratch table's that tokenises like it
BUILD_CHUNK = 50_000  # instance rows read at a time while building (the word index's lock is held per chunk)
QUERY_CACHE = 4096  # query words whose FTS5 tokens are remembered
_LAST = "\U0010ffff"  # sorts after every character: the end of a prefix's range of terms


def release_freed_memory() -> None:
    """Give the heap freed by a build back to the system (glibc keeps a thread's freed chunks: at 100k photos
    the process stayed ~35 MB larger than the postings need, +77 instead of +43 MB)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # another C library
            pass


class Tokens:
    """FTS5's own tokenizer, run on a scratch in-memory FTS5 table with the word index's columns: a word or a
    photo's text is inserted, its terms read back from an fts5vocab `instance` table, and the rows deleted."""

    def __init__(self, columns: tuple[str, ...]):
        self.columns = columns
        self._conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._conn.execute(f"CREATE VIRTUAL TABLE t USING fts5({', '.join(columns)}, tokenize = '{TOKENIZER}')")
        self._conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
        self._words: dict[str, tuple[str, ...]] = {}

    def words(self, words: list[str]) -> list[tuple[str, ...]]:
        """The terms FTS5 makes of each word of a query (usually one; none or several for odd words)."""
        todo = [w for w in dict.fromkeys(words) if w not in self._words]
        if todo:
            if len(self._words) + len(todo) > QUERY_CACHE:
                self._words.clear()
            self._conn.executemany(f"INSERT INTO t (rowid, {self.columns[0]}) VALUES (?, ?)", enumerate(todo))
            rows = self._conn.execute("SELECT doc, offset, term FROM v").fetchall()
            self._conn.execute("DELETE FROM t")
            terms: dict[int, list[tuple[int, str]]] = {}
            for doc, offset, term in rows:
                terms.setdefault(doc, []).append((offset, term))
            for i, word in enumerate(todo):
                self._words[word] = tuple(term for _, term in sorted(terms.get(i, ())))
        return [self._words[w] for w in words]

    def documents(self, docs: dict[int, tuple[str, ...]]) -> list[tuple[str, int, str]]:
        """(term, row id, column) of every token of the given rows' text, one per instance."""
        if not docs:
            return []
        self._conn.executemany(f"INSERT INTO t (rowid, {', '.join(self.columns)}) VALUES "
                               f"(?{', ?' * len(self.columns)})", [(i, *text) for i, text in docs.items()])
        rows = self._conn.execute("SELECT term, doc, col FROM v").fetchall()
        self._conn.execute("DELETE FROM t")
        return rows

    def close(self) -> None:
        self._conn.close()


class _Lists:
    """Postings in compressed-row form: `terms` sorted, the postings of terms[i] at offsets[i]:offsets[i + 1] of
    `rows` (ascending row ids) and `freqs` (column-weighted term frequency in that row)."""

    __slots__ = ("terms", "offsets", "rows", "freqs")

    def __init__(self, vocab: list[str], term_ids: np.ndarray, rows: np.ndarray, weights: np.ndarray):
        """From instances (or partial postings) in any order: term ids into `vocab`, row ids and weights."""
        order = sorted(range(len(vocab)), key=vocab.__getitem__)
        if all(a < b for a, b in zip(order, order[1:])):  # a build: fts5vocab lists terms in order
            ranks = term_ids.astype(np.int32, copy=False)
        else:
            rank = np.empty(len(vocab), np.int32)
            rank[order] = np.arange(len(vocab), dtype=np.int32)
            ranks = rank[term_ids]
        if not _ascending(ranks, rows):  # the fts5vocab table lists terms in order: no sort for a build
            by = np.lexsort((rows, ranks))
            ranks, rows, weights = ranks[by], rows[by], weights[by]
        ranks, self.rows, self.freqs = _summed(ranks, rows, weights)
        first = np.flatnonzero(np.r_[True, ranks[1:] != ranks[:-1]]) if len(ranks) else np.zeros(0, np.int64)
        # Copies: the strings read from SQLite sit among a build's freed rows and would keep their memory (100k
        # photos: +46 instead of +34 MB resident).
        self.terms = [vocab[order[r]].encode().decode() for r in ranks[first].tolist()]
        self.offsets = np.r_[first, len(ranks)].astype(np.int64)

    def span(self, term: str, prefix: bool) -> tuple[int, int]:
        """The range of terms equal to `term`, or starting with it."""
        lo = bisect_left(self.terms, term)
        if prefix:
            return lo, bisect_left(self.terms, term + _LAST, lo)
        return lo, lo + (lo < len(self.terms) and self.terms[lo] == term)

    def nbytes(self) -> int:
        return self.offsets.nbytes + self.rows.nbytes + self.freqs.nbytes + sum(49 + len(t) for t in self.terms)


def _ascending(ranks: np.ndarray, rows: np.ndarray) -> bool:
    """Sorted by term, then row?"""
    if len(ranks) < 2:
        return True
    step = np.diff(ranks)
    return bool(np.all((step > 0) | ((step == 0) & (np.diff(rows) >= 0))))


def _summed(term_ids: np.ndarray, rows: np.ndarray, weights: np.ndarray):
    """Neighbouring instances of the same term in the same row made one posting with their weights summed."""
    if not len(rows):
        return term_ids.astype(np.int32), rows.astype(np.int32), weights.astype(np.float32)
    new = np.ones(len(rows), bool)
    new[1:] = (term_ids[1:] != term_ids[:-1]) | (rows[1:] != rows[:-1])
    if new.all():  # nothing to sum (a build's postings are summed chunk by chunk)
        return term_ids.astype(np.int32, copy=False), rows.astype(np.int32, copy=False), \
            weights.astype(np.float32, copy=False)
    starts = np.flatnonzero(new)
    return (term_ids[starts].astype(np.int32), rows[starts].astype(np.int32),
            np.add.reduceat(weights, starts).astype(np.float32))


def _instances(rows: Iterable[tuple[str, int, str]], vocab: dict[str, int], weights: dict[str, float]):
    """Term ids (new terms added to `vocab`), row ids and column weights of fts5vocab instance rows."""
    rows = list(rows)
    if not rows:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32)
    terms, ids, cols = zip(*rows)
    term_ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in terms), np.int32, len(terms))
    return term_ids, np.array(ids, np.int32), np.fromiter(map(weights.__getitem__, cols), np.float32, len(cols))


class Postings:
    """The word index's postings in memory; `search` ranks as FTS5's bm25() with the given column weights."""

    def __init__(self, base: _Lists, lengths: np.ndarray, present: np.ndarray, tokens: Tokens,
                 weights: dict[str, float]):
        self._base = base
        self._lengths = lengths  # tokens of each row id (0: no row, or a row without words)
        self._present = present  # row ids in the word index
        self._stale = np.zeros(len(present), bool)  # rows whose base postings are outdated (the delta has them)
        self._tokens = tokens
        self._weights = weights
        self._delta_vocab: dict[str, int] = {}
        self._delta = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32))
        self._delta_rows: set[int] = set()
        self._delta_lists = _Lists([], *self._delta)
        self._count()

    # -- building and updating -----------------------------------------------------------------------------
    @classmethod
    def build(cls, read: Callable[[str, tuple], list], tokens: Tokens, weights: dict[str, float],
              cancelled: Callable[[], bool] = lambda: False) -> "Postings | None":
        """Postings from the word index's fts5vocab instance table `temp.words_instance`, read by `read(sql,
        params)` in chunks of BUILD_CHUNK instances (the owner holds its lock per chunk, so queries and writes go
        on meanwhile; a chunk's rows as Python tuples are ~10 MB). The chunks are not one snapshot: rows that
        change during the build must be given to `update` afterwards. None when cancelled."""
        vocab: dict[str, int] = {}
        parts, after, chunk = [], ("", 0), BUILD_CHUNK
        counts = np.zeros(0, np.int64)
        while True:
            if cancelled():
                return None
            # From (term, row) on: fts5vocab seeks to the term, and lists a term's rows in ascending order.
            rows = read("SELECT term, doc, col FROM temp.words_instance WHERE term >= ? AND (term > ? OR doc >= ?) "
                        "LIMIT ?", (after[0], after[0], after[1], chunk))
            done = len(rows) < chunk
            if not done:  # the last row's instances may go on in the next chunk: read again from its start there
                after = rows[-1][:2]
                rows = [r for r in rows if r[:2] != after]
                if not rows:  # one row holds more instances of a term than a chunk
                    chunk *= 2
                    continue
            term_ids, ids, column_weights = _instances(rows, vocab, weights)
            size = max(len(counts), int(ids.max(initial=0)) + 1)
            counts = np.r_[counts, np.zeros(size - len(counts), np.int64)] + np.bincount(ids, minlength=size)
            parts.append(_summed(term_ids, ids, column_weights))  # ~20% fewer entries than instances
            if done:
                break
        term_ids, ids, freqs = (np.concatenate(p) for p in zip(*parts))
        del parts
        present = np.array([r[0] for r in read("SELECT id FROM words_docsize", ())], np.int64)
        size = int(max(len(counts), present.max(initial=0) + 1))
        lengths = np.r_[counts, np.zeros(size - len(counts), np.int64)].astype(np.float64)  # tokens per row
        mask = np.zeros(size, bool)
        mask[present] = True
        lengths[~mask] = 0  # deleted during the build (and given to `update` as well)
        return cls(_Lists(list(vocab), term_ids, ids, freqs), lengths, mask, tokens, weights)

    def update(self, ids: list[int], docs: dict[int, tuple[str, ...]]) -> None:
        """Rows `ids` were re-indexed with `docs` (ids without text were deleted)."""
        if not ids:
            return
        self._grow(max(ids) + 1)
        ids_array = np.array(ids, np.int32)
        self._stale[ids_array] = True
        self._present[ids_array] = False
        self._lengths[ids_array] = 0
        term_ids, rows, column_weights = self._delta
        keep = ~np.isin(rows, ids_array)
        new = _instances(self._tokens.documents({i: docs[i] for i in ids if i in docs}), self._delta_vocab,
                         self._weights)
        self._delta = tuple(np.concatenate((old[keep], fresh)) for old, fresh in zip(self._delta, new))
        self._delta_rows.update(ids)
        for i in ids:
            if i in docs:
                self._present[i] = True
        np.add.at(self._lengths, new[1], 1.0)
        self._delta_lists = _Lists(self._delta_vocab_list(), *self._delta)
        self._count()

    def needs_rebuild(self) -> bool:
        """The delta holds more than a tenth of the rows (and more than 1,000): time for new base postings."""
        return len(self._delta_rows) > max(1000, self.rows // 10)

    def _delta_vocab_list(self) -> list[str]:
        vocab = [""] * len(self._delta_vocab)
        for term, i in self._delta_vocab.items():
            vocab[i] = term
        return vocab

    def _grow(self, size: int) -> None:
        if size > len(self._present):
            extra = size - len(self._present)
            self._present = np.r_[self._present, np.zeros(extra, bool)]
            self._stale = np.r_[self._stale, np.zeros(extra, bool)]
            self._lengths = np.r_[self._lengths, np.zeros(extra)]

    def _count(self) -> None:
        self.rows = int(self._present.sum())
        self._tokens_total = float(self._lengths.sum())
        self._any_stale = bool(self._stale.any())

    def nbytes(self) -> int:
        """Memory held by the arrays and terms (an estimate for the terms: CPython's str header + ASCII)."""
        return (self._base.nbytes() + self._delta_lists.nbytes() + self._lengths.nbytes + self._present.nbytes
                + self._stale.nbytes + sum(a.nbytes for a in self._delta))

    # -- queries ---------------------------------------------------------------------------------------------
    def terms_of(self, words: list[str]) -> list[tuple[str, ...]]:
        return self._tokens.words(words)

    def phrase(self, term: str, prefix: bool) -> tuple[np.ndarray, np.ndarray, int]:
        """(row ids, frequencies, rows its commonest term is in) of a one-term phrase, or of a prefix phrase
        (frequencies summed over its terms in each row)."""
        rows, freqs = [], []
        base, delta = self._base, self._delta_lists
        lo, hi = base.span(term, prefix)
        counts = np.diff(base.offsets[lo:hi + 1])  # rows of each term
        if lo < hi:
            start, end = base.offsets[lo], base.offsets[hi]
            r, f = base.rows[start:end], base.freqs[start:end]
            if self._any_stale:
                live = ~self._stale[r]
                counts = np.add.reduceat(live, base.offsets[lo:hi] - start, dtype=np.int64)
                r, f = r[live], f[live]
            rows.append(r)
            freqs.append(f)
        most = int(counts.max(initial=0))
        d_lo, d_hi = delta.span(term, prefix)
        if d_lo < d_hi:
            start, end = delta.offsets[d_lo], delta.offsets[d_hi]
            rows.append(delta.rows[start:end])
            freqs.append(delta.freqs[start:end])
            for t, n in zip(delta.terms[d_lo:d_hi], np.diff(delta.offsets[d_lo:d_hi + 1]).tolist()):
                j = bisect_left(base.terms, t, lo, hi)  # the same term's live rows in the base
                most = max(most, n + (int(counts[j - lo]) if j < hi and base.terms[j] == t else 0))
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.float64), 0
        ids = np.concatenate(rows).astype(np.int64)
        weights = np.concatenate(freqs).astype(np.float64)
        if prefix and (hi - lo) + (d_hi - d_lo) > 1:  # summed per row over a dense array (a sort costs more)
            summed = np.bincount(ids, weights=weights, minlength=len(self._present))
            ids = np.flatnonzero(np.bincount(ids, minlength=len(self._present)))
            weights = summed[ids]
        return ids, weights, most

    def search(self, phrases: list[tuple[str, bool]], limit: int, common_min_rows: int) -> list[tuple[int, float]]:
        """(row id, BM25, higher is better) of the best `limit` rows matching any phrase (term, is prefix), as
        the word index's FTS5 query. Phrases in at least half of the rows are left out first when rarer ones
        remain (see TextIndex._discriminating; a prefix counts as its commonest term)."""
        n_rows = self.rows
        if n_rows == 0 or not phrases:
            return []
        found = [self.phrase(term, prefix) for term, prefix in phrases]
        if n_rows >= common_min_rows:
            found = [f for f in found if 2 * f[2] < n_rows] or found
        avgdl = self._tokens_total / n_rows
        rows, scores = [], []
        for ids, freqs, _ in found:
            hits = len(ids)
            idf = math.log((n_rows - hits + 0.5) / (hits + 0.5))
            if idf <= 0.0:
                idf = 1e-6
            length = self._lengths[ids]
            rows.append(ids)
            scores.append(idf * ((freqs * (K1 + 1.0)) / (freqs + K1 * (1 - B + B * length / avgdl))))
        ids = np.concatenate(rows)
        if not len(ids):
            return []
        # bincount adds in input order, phrase after phrase, as bm25() does: the same sums to the last bit
        total = np.bincount(ids, weights=np.concatenate(scores), minlength=len(self._present))
        matched = np.flatnonzero(np.bincount(ids, minlength=len(self._present)))
        total = total[matched]
        if len(matched) > limit:
            best = np.argpartition(-total, limit - 1)[:limit]
            cut = total[best].min()
            best = np.flatnonzero(total >= cut)  # every row tied with the last one kept, then by id
        else:
            best = np.arange(len(matched))
        order = best[np.lexsort((matched[best], -total[best]))][:limit]
        return list(zip(matched[order].tolist(), total[order].tolist()))
