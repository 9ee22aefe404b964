"""A caption the user typed is theirs: flagged edited, kept when a caption task writes meanwhile or later, and its
words reach the word index (the captions triggers of migration 0009, kept in step with search/dirty.py)."""

from __future__ import annotations

import pytest

from test_captions import tiny_blip
from test_search_service import add_photos

pytestmark = pytest.mark.ml


@pytest.fixture(autouse=True)
def _qapplication(qapp):
    yield


def test_an_edit_made_while_the_model_captions_wins(library, tmp_path, monkeypatch):
    from app.core.captions import service

    first, second = add_photos(library, 2)
    library.captions.import_model(tiny_blip(tmp_path / "blip"), "caption:tiny")
    real_load = service.CaptionService.load

    def racing_load(self):
        captioner = real_load(self)

        class Racing:
            def caption(self, images):
                texts = captioner.caption(images)
                library.captions.set(first, "typed while the model ran")
                return texts

        return Racing()

    monkeypatch.setattr(service.CaptionService, "load", racing_load)
    library.captions.schedule()
    library.tasks.run_until_idle()
    mine, theirs = library.captions.get(first), library.captions.get(second)
    assert (mine.text, mine.model, mine.edited) == ("typed while the model ran", None, True)
    assert theirs.model == "caption:tiny" and not theirs.edited


def test_editing_a_model_caption_flags_it_and_updates_the_word_index(library):
    (photo,) = add_photos(library, 1)
    from app.core.db.models import Caption

    with library.db.write_session() as s:
        s.add(Caption(photo_id=photo, text="a dog on a beach", model_id="caption:x", edited=False, created_at=0.0))
    library.text_index.words("dog")  # brings the index up to date
    assert photo in [i for i, _ in library.text_index.words("dog")]
    library.captions.set(photo, "  Rex chasing gulls  ")
    info = library.captions.get(photo)
    assert (info.text, info.model, info.edited) == ("Rex chasing gulls", None, True)
    assert photo in [i for i, _ in library.text_index.words("gulls")]
    assert photo not in [i for i, _ in library.text_index.words("beach")]
