"""What keeps a hybrid query cheap at 100k photos without changing its answers: word phrases found in half the
photos or more are left out when rarer ones remain (FTS5's BM25 gives them no weight), hidden flags are read for
the best hits only, the weights are read at once, and the benchmark's queries are search-box queries."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.core.db.models import Caption, Photo
from tests.speech_audio import make_photos


@pytest.fixture(autouse=True)
def _qapplication(qapp):
    """The task engine must find the QApplication that later window tests need, not make a QCoreApplication."""
    yield


def captioned(library, captions: list[str], folder: str = "a") -> list[int]:
    ids = make_photos(library, [f"{folder}/IMG_{i}.jpg" for i in range(len(captions))])
    with library.db.write_session() as s:
        for photo_id, text in zip(ids, captions):
            s.add(Caption(photo_id=photo_id, text=text, model_id=None, edited=True, created_at=time.time()))
    return ids


CAPTIONS = ["dog on the beach", "beach at noon", "beach with sand", "beach ball", "a dog in the harbour",
            "harbour boats"]


def test_phrases_in_half_the_photos_are_left_out_when_rarer_ones_remain(library, monkeypatch):
    from app.core.search import text_index

    p = captioned(library, CAPTIONS)
    words = library.text_index.words
    everything = words("dog beach")  # a small library keeps every phrase
    assert {i for i, _ in everything} == set(p[:5])
    monkeypatch.setattr(text_index, "COMMON_MIN_ROWS", 1)
    pruned = words("dog beach")  # "beach" is in 4 of 6 photos: left out
    assert {i for i, _ in pruned} == {p[0], p[4]}
    # ... and the photos that still match keep their BM25 score (the left-out phrase weighed 1e-6 of it)
    full = dict(everything)
    for photo_id, score in pruned:
        assert score == pytest.approx(full[photo_id], rel=1e-4)
    assert [i for i, _ in pruned] == [i for i, _ in everything if i in {p[0], p[4]}]
    # Only common words: nothing rarer to rank by, so they are kept.
    assert {i for i, _ in words("beach")} == set(p[:4])
    # The typed prefix counts as its commonest word: "beac" stands for "beach", left out beside "harbour".
    assert {i for i, _ in words("harbour beac")} == {p[4], p[5]}


def test_the_row_count_follows_the_index(library, monkeypatch):
    from app.core.search import text_index

    monkeypatch.setattr(text_index, "COMMON_MIN_ROWS", 1)
    p = captioned(library, ["beach", "beach", "harbour"])
    assert {i for i, _ in library.text_index.words("harbour beach")} == {p[2]}  # beach: 2 of 3
    captioned(library, ["boats", "boats", "boats"], folder="b")  # now beach is in 2 of 6: rare enough to count
    assert {i for i, _ in library.text_index.words("harbour beach")} == set(p)


def test_hidden_photos_are_skipped_page_by_page(library, monkeypatch):
    from app.core.search import hybrid

    p = captioned(library, ["harbour boats"] * 7)
    with library.db.write_session() as s:
        for photo_id in p[:5]:
            s.get(Photo, photo_id).hidden = True
    monkeypatch.setattr(hybrid, "HIDDEN_PAGE", 0)  # pages of `limit` hits: the visible ones are on the third
    hits = hybrid.hybrid_search(library, "harbour", limit=2, weights={"text": 0.0}).hits
    assert sorted(h.photo_id for h in hits) == p[5:]


def test_a_failing_word_query_is_not_swallowed(library, monkeypatch):
    from app.core.search.hybrid import hybrid_search

    captioned(library, ["harbour boats"])

    def broken(*args, **kwargs):
        raise RuntimeError("word index broke")

    monkeypatch.setattr(library.text_index, "words", broken)
    with pytest.raises(RuntimeError, match="word index broke"):
        hybrid_search(library, "harbour", weights={"text": 0.0})


def test_weights_are_read_in_one_go(library):
    from app.core.search.hybrid import weights_of

    library.config.set("search.weight_text", 0.5)
    assert weights_of(library) == {"fts": 1.0, "text": 0.5, "clip": 1.0}
    assert weights_of(library, {"fts": 2.0})["fts"] == 2.0
    assert library.config.get_many(["search.weight_text", "search.weight_fts"]) == {
        "search.weight_text": 0.5, "search.weight_fts": library.config.get("search.weight_fts")}


def test_thread_limits_apply_and_are_restored():
    from threadpoolctl import threadpool_info

    from app.core.ml.threads import limit_threads

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    with limit_threads(1, "blas"):
        assert set(blas_threads()) <= {1}
    assert blas_threads() == before
    import app.core.ml.threads as threads

    with limit_threads(1, "blas"):
        pass
    kept = threads._controller
    with limit_threads(1, "blas"):  # no import since: the same controller, no new scan of the libraries
        pass
    assert threads._controller is kept


def test_bench_queries_are_search_box_queries():
    from app.bench.hybrid import STOP, VOCABULARY, _zipf, queries, vocabulary
    from app.core.search.text_index import STOP_WORDS

    rng = np.random.default_rng(0)
    assert _zipf(rng, 1.3, 50, 10000).max() < 50  # bounded: no lump on the last word
    vocab = vocabulary()
    assert len(set(vocab)) == VOCABULARY and not set(vocab[len(STOP):]) & STOP_WORDS
    typed = queries(vocab, rng, 200)
    for q in typed:
        content = [w for w in q.split() if w not in STOP]
        assert 2 <= len(content) <= 3 and len(set(content)) == len(content)
    assert any(set(q.split()) & set(STOP) for q in typed)  # some with a stop word in between
    raw = queries(vocab, rng, 200, pessimistic=True)
    assert sum(all(w in STOP for w in q.split()) for q in raw) > 50  # the pessimistic row: mostly stop words
