"""Album and event summaries (app.core.summaries): the text's parts, words weighed against the library, and
representative photos by k-medoids over image vectors (or spread in time without them)."""

from __future__ import annotations

import json
import time
from datetime import date

import numpy as np
import pytest

from test_albums import make_photos, run_cli


@pytest.fixture(autouse=True)
def _qapplication(qapp):
    """The task engine must find the QApplication that later window tests need, not make a QCoreApplication."""
    yield


def add_texts(library, captions: dict[int, str] = {}, notes: dict[int, str] = {},
              descriptions: dict[int, str] = {}) -> None:
    from app.core.db.models import Caption, PhotoEdit, VoiceNote

    with library.db.write_session() as s:
        s.add_all(Caption(photo_id=i, text=t, model_id="caption:test", edited=False, created_at=time.time())
                  for i, t in captions.items())
        s.add_all(VoiceNote(photo_id=i, audio=f"{i}.wav", transcript=t, created_at=time.time())
                  for i, t in notes.items())
        s.add_all(PhotoEdit(photo_id=i, description=t) for i, t in descriptions.items())


def add_places(library, places: dict[int, str]) -> None:
    from app.core.db.models import PhotoPlace

    with library.db.write_session() as s:
        s.add_all(PhotoPlace(photo_id=i, city=city, country="Portugal") for i, city in places.items())


def add_people(library, people: dict[str, list[int]]) -> None:
    from app.core.db.models import Face, Person

    with library.db.write_session() as s:
        for name, photo_ids in people.items():
            person = Person(name=name, hidden=False, created_at=0.0)
            s.add(person)
            s.flush()
            s.add_all(Face(photo_id=p, model_id="m", x=0, y=0, w=1, h=1, score=1, size_px=50, blur=50,
                           person_id=person.id, created_at=0.0) for p in photo_ids)


def add_vectors(library, vectors: dict[int, np.ndarray], model_id: str = "clip:test") -> None:
    from app.core.db.models import Embedding

    with library.db.write_session() as s:
        s.add_all(Embedding(photo_id=i, model_id=model_id, dim=len(v), vector=np.asarray(v, np.float32).tobytes(),
                            runtime="numpy", device="cpu", created_at=time.time()) for i, v in vectors.items())


def lisbon_trip(library) -> list[int]:
    """Eight photos, 12–19 July 2019, mostly Lisbon, with Ana on most and João on one."""
    ids = make_photos(library, [{"taken_at": f"2019-07-{d}T12:00:00", "taken_at_source": "exif"}
                                for d in (12, 13, 14, 15, 16, 17, 18, 19)])
    add_places(library, {ids[0]: "Lisbon", ids[1]: "Lisbon", ids[2]: "Lisbon", ids[3]: "Sintra", ids[4]: "Lisbon"})
    add_people(library, {"Ana": ids[:5], "João": [ids[2]]})
    add_texts(library, captions={ids[0]: "a photo of a beach at sunset", ids[1]: "a yellow tram in a street",
                                 ids[2]: "a photo of the beach", ids[3]: "a castle on a hill",
                                 ids[4]: "a tram on a hill", ids[5]: "a photo of a beach with people",
                                 ids[7]: "sunset"},
              notes={ids[0]: "the sunset over the beach was amazing", ids[6]: "sunset from the castle"})
    return ids


def test_album_summary_text_names_dates_places_people_and_words(library):
    ids = lisbon_trip(library)
    album = library.albums.create("Lisbon", ids)
    from app.core.summaries import summarise_album

    summary = summarise_album(library, album)
    assert summary.photo_count == 8 and summary.undated == 0
    assert (summary.start, summary.end) == ("2019-07-12", "2019-07-19")
    assert summary.places == [("Lisbon", 4), ("Sintra", 1)]
    assert summary.people == [("Ana", 5), ("João", 1)]
    words = [w for w, _ in summary.words]
    assert words[:2] == ["beach", "sunset"]  # in the most photos (three each)
    assert {"tram", "hill", "castle"} <= set(words)
    assert not {"a", "of", "the", "photo", "on", "in"} & set(words)
    assert summary.text == "12–19 July 2019 · Lisbon, Sintra · with Ana and João · beach, sunset, castle, hill"
    assert summary.to_json()["places"][0] == {"name": "Lisbon", "photos": 4}


def test_words_are_weighed_against_the_library(library):
    """A word most of the library's photos have never characterises an album; a rare word beats a common one."""
    from app.core.summaries import summarise

    album = make_photos(library, [{}] * 4)
    others = make_photos(library, [{}] * 8)
    add_texts(library, captions={
        album[0]: "family beach tram", album[1]: "family beach tram", album[2]: "family dog", album[3]: "family",
        **{o: "family dog" + (" beach" if k < 3 else "") for k, o in enumerate(others)}})
    words = [w for w, _ in summarise(library, album).words]
    assert "family" not in words  # in every photo of the library
    assert "dog" not in words  # in most (9 of 12)
    assert words == ["tram", "beach"]  # both in two album photos; tram nowhere else, beach in three others


def test_a_word_in_one_photo_of_many_is_not_the_album_s_word(library):
    from app.core.summaries import summarise

    ids = make_photos(library, [{}] * 5)
    others = make_photos(library, [{}] * 10)
    add_texts(library, captions={o: "garden" for o in others},
              descriptions={ids[0]: "zeppelin", ids[1]: "harbour boats", ids[2]: "harbour at dawn",
                            ids[3]: "fish market", ids[4]: "harbour lights"})
    assert [w for w, _ in summarise(library, ids).words] == ["harbour"]


def test_stop_words_and_accents(library):
    from app.core.summaries import normalise, tokens

    assert tokens("A photo of the old Tram, in 2019: it's a picture!") == ["old", "Tram"]
    assert normalise("João") == "joao"
    ids = make_photos(library, [{}] * 3)
    others = make_photos(library, [{}] * 6)
    add_texts(library, captions={o: "garden" for o in others},
              notes={ids[0]: "Praça do Comércio, Belém", ids[1]: "a praça at night", ids[2]: "Belém, Belem tower"})
    from app.core.summaries import summarise

    words = [w for w, _ in summarise(library, ids).words]
    assert words == ["Belém", "praça"]  # counted with or without capitals and accents; a name keeps its capital


def clusters(sizes, dim=16, seed=7):
    """Unit vectors around orthogonal centres: per cluster the exact centre, then ± noise pairs (so the centre is
    the point nearest the cluster's mean, hence its cosine medoid). Returns (vectors, index of each centre)."""
    rng = np.random.default_rng(seed)
    rows, centres = [], []
    for c, size in enumerate(sizes):
        centre = np.zeros(dim, np.float32)
        centre[c] = 1.0
        centres.append(len(rows))
        rows.append(centre)
        for _ in range((size - 1) // 2):
            noise = rng.normal(0, 0.15, dim).astype(np.float32)
            noise[c] = 0.0
            rows += [centre + noise, centre - noise]
    vectors = np.array(rows, np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), centres


def test_k_medoids_finds_the_cluster_centres_biggest_first():
    from app.core.summaries import k_medoids

    vectors, centres = clusters([11, 9, 7, 5])
    order = np.random.default_rng(1).permutation(len(vectors))  # shuffled rows: the answer must not depend on order
    shuffled = vectors[order]
    where = {int(old): new for new, old in enumerate(order)}
    picked = k_medoids(shuffled, 4)
    assert picked == [where[c] for c in centres]
    assert k_medoids(shuffled, 4) == picked  # deterministic
    assert k_medoids(shuffled[:1], 4) == [0] and k_medoids(shuffled[:0], 4) == []
    assert k_medoids(np.repeat(shuffled[:1], 6, axis=0), 4) == [0]  # copies of one photo: one pick
    big = np.repeat(shuffled, 160, axis=0)  # ~5,000 rows: still one answer per cluster
    assert len(set(np.argmax(big[k_medoids(big, 4)], axis=1))) == 4


def test_representatives_from_vectors_and_fallback_in_time(library):
    from app.core.summaries import summarise

    vectors, centres = clusters([7, 5, 5, 3])
    ids = make_photos(library, [{"taken_at": f"2020-01-{d + 1:02d}T10:00:00"} for d in range(len(vectors))])
    without = summarise(library, ids)
    assert without.method == "time-spread" and without.model_id is None
    assert without.representatives == [ids[2], ids[7], ids[12], ids[17]]  # evenly over the 20 days
    add_vectors(library, {ids[0]: vectors[0], ids[7]: vectors[7]})
    assert summarise(library, ids).method == "time-spread"  # too few vectors yet to stand for the photos
    add_vectors(library, {i: v for k, (i, v) in enumerate(zip(ids, vectors)) if k not in (0, 7)})
    add_vectors(library, {i: np.ones(8) for i in ids}, model_id="text:all-MiniLM-L6-v2")  # never a picture's
    summary = summarise(library, ids)
    assert summary.method == "clip-kmedoids" and summary.model_id == "clip:test"
    assert summary.representatives == [ids[c] for c in centres]
    assert summarise(library, ids[:3]).representatives == ids[:3]  # k = n: every photo, in order


def test_empty_smart_and_undated_albums(library):
    from app.core.summaries import summarise, summarise_album

    empty = summarise_album(library, library.albums.create("Nothing yet"))
    assert (empty.text, empty.photo_count, empty.method, empty.representatives) == ("no photos", 0, "none", [])
    assert empty.start is None and empty.words == []

    canon = make_photos(library, [{"camera_make": "Canon", "taken_at": "2018-12-30T10:00:00"},
                                  {"camera_make": "Canon", "taken_at": "2019-01-02T10:00:00"}])
    make_photos(library, [{"camera_make": "Nikon", "taken_at": "2019-05-01T10:00:00"}])
    smart = summarise_album(library, library.albums.create("Canon", query="camera:canon"))
    assert smart.photo_count == 2 and smart.text == "30 December 2018 – 2 January 2019"
    assert sorted(smart.representatives) == sorted(canon)

    undated = make_photos(library, [{}, {"taken_at": "2001-01-01T00:00:00", "taken_at_source": "mtime"}])
    summary = summarise(library, undated)
    assert summary.undated == 2 and summary.start is None and summary.places == []
    assert summary.text == "2 photos" and summary.method == "time-spread" and len(summary.representatives) == 2


@pytest.mark.parametrize("start,end,text", [
    (date(2019, 7, 12), date(2019, 7, 12), "12 July 2019"),
    (date(2019, 7, 12), date(2019, 7, 19), "12–19 July 2019"),
    (date(2019, 7, 28), date(2019, 8, 2), "28 July – 2 August 2019"),
    (date(2018, 12, 30), date(2019, 1, 2), "30 December 2018 – 2 January 2019"),
])
def test_date_ranges(start, end, text):
    from app.core.summaries import date_range

    assert date_range(start, end) == text


def test_text_lists_many_places_and_people_briefly():
    from app.core.summaries import describe

    text = describe(None, None, ["A", "B", "C", "D", "E"], ["Ana", "Rui", "Eva", "Zé"], ["x"], 9)
    assert text == "A, B, C and 2 more · with Ana, Rui, Eva and 1 other · x"


def test_event_summary(library):
    from app.core.events.service import EventError
    from app.core.summaries import summarise_event

    ids = lisbon_trip(library)
    library.events.rebuild()
    events = library.events.list()
    event = next(e for e in events if ids[0] in e.photo_ids)
    summary = summarise_event(library, event.id)
    assert summary.photo_count == len(event.photo_ids) and summary.start == event.start[:10]
    assert "Lisbon" in summary.text
    with pytest.raises(EventError):
        summarise_event(library, 9999)


def test_summary_cli(tmp_path, capsys):
    from app.core.library import Library

    lib = tmp_path / "lib"
    with Library.open(lib) as library:
        ids = lisbon_trip(library)
        album = library.albums.create("Lisbon", ids)
        library.events.rebuild()
        event = library.events.list()[0].id
    code, out, _ = run_cli(capsys, lib, "albums", "summary", str(album), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["text"].startswith("12–19 July 2019 · Lisbon, Sintra · with Ana and João")
    assert data["places"][0] == {"name": "Lisbon", "photos": 4} and data["method"] == "time-spread"
    assert data["start"] == "2019-07-12" and len(data["representatives"]) == 4
    assert {"text", "photo_count", "start", "end", "undated", "places", "people", "words", "representatives",
            "method", "model_id"} == set(data)
    code, out, _ = run_cli(capsys, lib, "albums", "summary", str(album))
    assert code == 0 and out.splitlines()[0] == data["text"] and "representative photos:" in out
    code, out, _ = run_cli(capsys, lib, "events", "summary", str(event), "--json")
    assert code == 0 and json.loads(out)["photo_count"] >= 1
    code, _, err = run_cli(capsys, lib, "albums", "summary", "999")
    assert code == 1 and "no album 999" in err
    code, _, err = run_cli(capsys, lib, "events", "summary", "999")
    assert code == 1 and "no event 999" in err


def test_summaries_bench_runs_small(capsys):
    from app.cli import main

    assert main(["bench", "summaries", "--library", "300", "--album", "120", "--rounds", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["album"] == 120 and data["method"] == "clip-kmedoids" and data["picks"] == 4
    assert data["distinct_groups"] >= 3 and data["summary_s"] > 0
