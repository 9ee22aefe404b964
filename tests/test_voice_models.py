"""Speech model set-up (app/core/voice/models.py): a downloaded or imported Whisper folder becomes the speech model
through the real loading path, and notes that waited for one are transcribed with it."""

from __future__ import annotations

import shutil

import pytest

from tests.speech_audio import make_photos, speak, speech_model_or_skip


@pytest.fixture(autouse=True)
def _qapplication(qapp):
    """The task engine must find the QApplication that later window tests need, not make a QCoreApplication."""
    yield


def test_models_install_speech_downloads_into_the_library_and_is_used(library, tmp_path, capsys, monkeypatch):
    """faster-whisper's downloader is played by the shipped tiny.en folder; the rest is the real path."""
    speech_model_or_skip()
    import faster_whisper.utils

    from app.cli import main
    from app.core.ml import registry, speech
    from app.core.voice import models

    shipped = speech.default_model_folder()
    asked = []

    def download_model(name, output_dir):
        asked.append(name)
        shutil.copytree(shipped, output_dir)
        return output_dir

    monkeypatch.setattr(registry, "check_online", lambda hint="": None)
    monkeypatch.setattr(faster_whisper.utils, "download_model", download_model)
    monkeypatch.setattr(speech, "default_model_folder", lambda: None)  # as without the wheel
    (photo,) = make_photos(library, ["lake.jpg"])
    note = library.voice.add(photo, speak("The red boat sailed across the quiet lake at sunset", tmp_path / "n.wav"))
    assert models.missing(library) is not None
    root = str(library.root)
    library.close()
    assert main(["--library", root, "models", "install", "speech:whisper-tiny.en/ct2"]) == 0
    out, err = capsys.readouterr()
    assert asked == ["tiny.en"] and "~75 MB" in err and "installed speech:whisper-tiny.en/ct2" in out
    from app.core.library import Library

    with Library.open(root) as lib:
        assert models.missing(lib) is None
        assert models.model_folder(lib) == lib.layout.models / "speech_whisper-tiny.en_ct2"
        lib.tasks.run_until_idle()
        assert "sunset" in lib.voice.get(note).transcript.lower()


def test_unknown_speech_download_is_refused(library):
    from app.core.ml.errors import ModelError

    with pytest.raises(ModelError, match="not a speech model Shoebox can download"):
        library.models.install("speech:whisper-enormous/ct2")
