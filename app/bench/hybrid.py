"""Hybrid rows of `shoebox bench search`: latency of a whole hybrid query on a generated library with captions.

The library is real (a Shoebox library folder, its database, the FTS5 word index, the FAISS index of text
vectors); its contents are generated: photos with file names in folders, a caption of 8-14 words drawn from a
Zipf(1.3) vocabulary of 5,000 words whose 12 commonest are English stop words (as in real captions, where "a",
"of", "the", "on" ... are about half of the words), and a 384-d unit text vector per caption (random: the index
cost does not depend on the values). There is no CLIP model, so the CLIP part is off (as on a new machine).

Queries are what people type into a search box: 2-3 different words people search for (Zipf(1.6) over the
vocabulary without its stop words: common subjects are searched more often), half of them with a stop word in between
("dog on beach"), which the search drops. The query's own MiniLM encoding is real and included. A pessimistic
row draws each query word from Zipf(1.6) over the whole vocabulary, stop words included: most of those queries
are only stop words or words found in most captions, which the search must then rank by BM25 over nearly every
photo.

Word queries are answered from the word index's resident postings (app.core.search.postings), built before the
timing as in a session that has searched before; the FTS5 rows time the same queries as a process's first word
query answers them (FTS5's own bm25()).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

VOCABULARY = 5000
STOP = ("a", "of", "the", "on", "in", "with", "and", "at", "is", "to", "an", "its")  # the commonest caption words


def _word(i: int) -> str:
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    out = ""
    i += 1
    while i:
        i, r = divmod(i, 70)
        out += consonants[r % 14] + vowels[r // 14]
    return out


def vocabulary() -> list[str]:
    """The stop words, then made-up words (none of which is a stop word of the search) by frequency rank."""
    from app.core.search.text_index import STOP_WORDS

    words, i = list(STOP), 0
    taken = STOP_WORDS | set(STOP)
    while len(words) < VOCABULARY:
        word, i = _word(i), i + 1
        if word not in taken:
            words.append(word)
    return words


def _zipf(rng, s: float, n: int, size, replace: bool = True) -> np.ndarray:
    """Ranks 0..n-1 with P(rank r) proportional to (r + 1)^-s (numpy's zipf is unbounded; clamping its tail onto
    the last word would put that word into half of the captions)."""
    p = np.arange(1, n + 1, dtype=np.float64) ** -s
    return rng.choice(n, size=size, p=p / p.sum(), replace=replace)


def queries(vocab: list[str], rng, count: int, *, pessimistic: bool = False) -> list[str]:
    """Search-box queries (see the module docstring)."""
    out = []
    for _ in range(count):
        size = int(rng.integers(2, 4))
        if pessimistic:
            out.append(" ".join(vocab[r] for r in _zipf(rng, 1.6, len(vocab), size)))
            continue
        words = [vocab[len(STOP) + r] for r in _zipf(rng, 1.6, len(vocab) - len(STOP), size, False)]
        if rng.random() < 0.5:
            words.insert(1, STOP[int(rng.integers(len(STOP)))])
        out.append(" ".join(words))
    return out


def build(root: Path, n: int, seed: int = 0):
    from sqlalchemy import text

    from app.core.library import Library
    from app.core.ml.text_minilm import TEXT_MODEL_ID

    rng = np.random.default_rng(seed)
    vocab = vocabulary()
    ranks = _zipf(rng, 1.3, VOCABULARY, n * 14)
    library = Library.open(root, log_to_file=False)
    now = time.time()
    started = time.perf_counter()
    with library.db.write_session() as s:
        conn = s.connection()
        conn.execute(text("INSERT INTO photos (id, sha256, size, status, hidden, imported_at) VALUES "
                          "(:id, :sha, 1, 'ok', 0, :now)"),
                     [{"id": i + 1, "sha": f"{i:064x}", "now": now} for i in range(n)])
        conn.execute(text("INSERT INTO photo_files (photo_id, path, size, mtime_ns, missing, first_seen, last_seen) "
                          "VALUES (:id, :path, 1, 0, 0, :now, :now)"),
                     [{"id": i + 1, "path": f"/photos/{vocab[i % 200]}/IMG_{i:06d}.jpg", "now": now} for i in range(n)])
        lengths = rng.integers(8, 15, size=n)
        pos, captions = 0, []
        for i in range(n):
            captions.append({"id": i + 1, "text": " ".join(vocab[r] for r in ranks[pos:pos + lengths[i]]), "now": now})
            pos += lengths[i]
        conn.execute(text("INSERT INTO captions (photo_id, text, model_id, edited, created_at) "
                          "VALUES (:id, :text, 'caption:bench', 0, :now)"), captions)
        vectors = rng.standard_normal((n, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        conn.execute(text("INSERT INTO embeddings (photo_id, model_id, dim, vector, runtime, device, created_at) "
                          "VALUES (:id, :model, 384, :v, 'numpy', 'cpu', :now)"),
                     [{"id": i + 1, "model": TEXT_MODEL_ID, "v": vectors[i].tobytes(), "now": now} for i in range(n)])
        conn.execute(text("UPDATE search_dirty SET meaning = 0"))  # the vectors above stand for the embedding
    insert_s = time.perf_counter() - started
    started = time.perf_counter()
    library.text_index.sync_words()
    words_s = time.perf_counter() - started
    started = time.perf_counter()
    library.text_index.vectors().background = False
    library.text_index.vectors().sync(force=True)
    vectors_s = time.perf_counter() - started
    return library, vocab, rng, {"insert_s": insert_s, "word_index_s": words_s, "vector_index_s": vectors_s}


ROWS = (  # label, weights, raw Zipf queries?, resident postings?
    ("hybrid words+meaning", None, False, True),
    ("words only (postings BM25)", {"text": 0.0}, False, True),
    ("meaning only (MiniLM+FAISS)", {"fts": 0.0}, False, True),
    ("hybrid, raw Zipf words", None, True, True),
    ("hybrid, FTS5 words", None, False, False),
    ("words only (FTS5 BM25)", {"text": 0.0}, False, False),
)


def measure(n: int, count: int = 200) -> list[dict]:
    """The rows of ROWS. Word queries are answered from the resident postings as in a session that has searched
    before (built once, timed as `postings_s`), and from FTS5 as a process's first query does (the `FTS5` rows).
    The rows take turns query by query, so that a busy machine slows them alike. `cpu_*`: the process's CPU time
    per query (both threads; a busy machine inflates it less than the wall time)."""
    from app.core.ml.text_minilm import load_text_encoder
    from app.core.search.hybrid import hybrid_search

    load_text_encoder()  # loaded once per process, not part of a query
    with tempfile.TemporaryDirectory() as tmp:
        library, vocab, rng, build_times = build(Path(tmp) / "lib", n)
        try:
            index = library.text_index
            started = time.perf_counter()
            index.build_postings(wait=True)
            build_times["postings_s"] = time.perf_counter() - started
            postings_mb = index._postings.nbytes() / 2**20
            typed = queries(vocab, rng, count)
            raw = queries(vocab, rng, count, pessimistic=True)
            times: dict[str, list[float]] = {label: [] for label, *_ in ROWS}
            cpu: dict[str, list[float]] = {label: [] for label, *_ in ROWS}
            for turn in range(-1, count):  # turn -1 warms the caches
                for label, weights, pessimistic, postings in ROWS:
                    q = (raw if pessimistic else typed)[max(turn, 0)]
                    index.postings_enabled = postings
                    start, start_cpu = time.perf_counter(), time.process_time()
                    hybrid_search(library, q, limit=50, weights=weights)
                    if turn >= 0:
                        times[label].append(time.perf_counter() - start)
                        cpu[label].append(time.process_time() - start_cpu)
                    if weights is None or weights.get("fts", 1.0) > 0:  # the row measured what it says
                        assert index.last_word_source == ("postings" if postings else "fts5"), (label, q)
            index.postings_enabled = True
        finally:
            library.close()
    return [{"n": n, "query": label, "p50_ms": round(float(np.percentile(times[label], 50)) * 1e3, 2),
             "p95_ms": round(float(np.percentile(times[label], 95)) * 1e3, 2),
             "cpu_p50_ms": round(float(np.percentile(cpu[label], 50)) * 1e3, 2),
             "cpu_p95_ms": round(float(np.percentile(cpu[label], 95)) * 1e3, 2),
             **{k: round(v, 2) for k, v in build_times.items()}, "postings_mb": round(postings_mb, 1)}
            for label, *_ in ROWS]
