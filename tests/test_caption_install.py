"""`shoebox models install caption:...`: a BLIP model from the hub becomes the caption model through the same
loading path as an imported folder; offline it fails in seconds with a message that says what to do instead."""

from __future__ import annotations

import fnmatch
import json
import shutil
from pathlib import Path

import pytest

from test_search_service import add_photos

MODEL = "caption:Salesforce/blip-image-captioning-base"


@pytest.fixture(autouse=True)
def _qapplication(qapp):
    """The task engine must find the QApplication that later window tests need, not make a QCoreApplication."""
    yield


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    from app.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_install_offline_fails_at_once_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    from app.core.ml import registry

    monkeypatch.setattr(registry, "DOWNLOAD_HOST", "download.invalid")  # never resolves, online or not
    code, _, err = run_cli(capsys, "--library", str(tmp_path / "lib"), "models", "install", MODEL)
    assert code == 1 and "cannot reach" in err and "shoebox captions import FOLDER" in err
    assert not any((tmp_path / "lib" / "models").iterdir())
    code, out, _ = run_cli(capsys, "--library", str(tmp_path / "lib"), "captions", "status")
    assert "no caption model is installed" in out and f"models install {MODEL}" in out


def test_models_list_shows_the_caption_models_to_install(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "--library", str(tmp_path / "lib"), "models", "list", "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert code == 0 and rows[MODEL]["kind"] == "caption" and not rows[MODEL]["installed"]


def test_a_bad_caption_id_is_refused(library):
    from app.core.ml.errors import ModelError

    with pytest.raises(ModelError, match="not a caption model id"):
        library.models.install("caption:no-owner")


@pytest.mark.ml
def test_install_downloads_one_copy_of_the_weights_and_captions_with_it(tmp_path, capsys, monkeypatch):
    """The hub is played by a folder holding a tiny random BLIP with every file a real repository has; the rest
    (load check, manifest, active model, caption chain) is the real path."""
    import huggingface_hub

    from app.core.library import Library
    from app.core.ml import registry
    from test_captions import tiny_blip

    hub = tiny_blip(tmp_path / "hub")
    (hub / "tf_model.h5").write_bytes(b"weights for another framework")
    asked = []

    def snapshot_download(repo_id, local_dir, allow_patterns):
        asked.append(repo_id)
        for f in hub.iterdir():
            if any(fnmatch.fnmatch(f.name, p) for p in allow_patterns):
                shutil.copy2(f, Path(local_dir) / f.name)
        (Path(local_dir) / ".cache").mkdir(exist_ok=True)  # the hub client's bookkeeping
        return local_dir

    monkeypatch.setattr(registry, "check_online", lambda hint="": None)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    root = tmp_path / "lib"
    with Library.open(root) as library:
        ids = add_photos(library, 2)
    code, out, err = run_cli(capsys, "--library", str(root), "models", "install", MODEL)
    assert code == 0, err
    assert asked == ["Salesforce/blip-image-captioning-base"] and "~990 MB" in err
    folder = root / "models" / registry.model_slug(MODEL)
    assert f"installed {MODEL} in {folder}" in out
    assert not (folder / "tf_model.h5").exists() and not (folder / ".cache").exists()
    assert json.loads((folder / "model.json").read_text())["kind"] == "caption"
    code, out, _ = run_cli(capsys, "--library", str(root), "captions", "run")
    assert code == 0 and f"captions ready ({MODEL})" in out
    with Library.open(root) as library:
        captions = library.captions.list()
        assert [c.photo_id for c in captions] == ids and all(c.model == MODEL and c.text for c in captions)
        assert any(m.id == MODEL and m.installed for m in library.models.list())


@pytest.mark.ml
def test_a_download_that_does_not_load_changes_nothing(library, tmp_path, monkeypatch):
    import huggingface_hub

    from app.core.ml import registry
    from app.core.ml.errors import ModelError

    def snapshot_download(repo_id, local_dir, allow_patterns):
        (Path(local_dir) / "config.json").parent.mkdir(parents=True, exist_ok=True)
        (Path(local_dir) / "config.json").write_text("{}")
        (Path(local_dir) / "model.safetensors").write_bytes(b"not weights")

    monkeypatch.setattr(registry, "check_online", lambda hint="": None)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    with pytest.raises(ModelError, match="cannot load caption model"):
        library.models.install(MODEL)
    assert library.captions.model_id() is None and not any(library.layout.models.iterdir())
