"""Voice notes: audio kept in the library, transcribed by the bundled Whisper, hand edits kept, undoable removal."""

from __future__ import annotations

import json

import pytest

from tests.speech_audio import make_photos, speak, speech_model_or_skip

SENTENCE = "The red boat sailed across the quiet lake at sunset"


@pytest.fixture(autouse=True)
def _qapplication(qapp):
    """The task engine must find the QApplication that later window tests need, not make a QCoreApplication."""
    yield


def words(text: str) -> set[str]:
    return {w.strip(".,!?").lower() for w in (text or "").split()}


def test_note_is_stored_in_the_library_and_transcribed(library, tmp_path):
    speech_model_or_skip()
    (photo,) = make_photos(library, ["lake.jpg"])
    wav = speak(SENTENCE, tmp_path / "note.wav")
    note_id = library.voice.add(photo, wav)
    library.tasks.run_until_idle()
    info = library.voice.get(note_id)
    assert info.audio.parent == library.layout.voice and info.audio.is_file()
    assert info.audio.read_bytes() == wav.read_bytes()
    assert {"quiet", "lake", "sunset"} <= words(info.transcript)
    assert info.model == "speech:whisper-tiny.en/ct2" and info.language == "en"
    assert 2.0 < info.duration_s < 6.0
    assert [n.id for n in library.voice.list(photo)] == [note_id]


def test_hand_edit_is_never_overwritten(library, tmp_path):
    speech_model_or_skip()
    (photo,) = make_photos(library, ["a.jpg"])
    note_id = library.voice.add(photo, speak("hello world", tmp_path / "a.wav"), transcribe=False)
    library.voice.edit_transcript(note_id, "Grandma's garden in June")
    assert library.voice.schedule() is None  # nothing left to transcribe
    from app.core.voice.transcribe import TASK_TYPE

    library.tasks.submit(TASK_TYPE, {"after": 0})  # a stray re-transcription changes nothing
    library.tasks.run_until_idle()
    info = library.voice.get(note_id)
    assert info.transcript == "Grandma's garden in June" and info.transcript_edited


def test_edit_during_transcription_wins(library, tmp_path, monkeypatch):
    """The transcript is written only where the note is still unedited when the task commits."""
    speech_model_or_skip()
    from app.core.voice import transcribe

    (photo,) = make_photos(library, ["a.jpg"])
    note_id = library.voice.add(photo, speak("hello world", tmp_path / "a.wav"), transcribe=False)
    real = transcribe.load_backend

    def backend_that_races(lib):
        inner = real(lib)

        class Racing:
            model_id = inner.model_id

            def transcribe(self, audio):
                result = inner.transcribe(audio)
                library.voice.edit_transcript(note_id, "my words")
                return result

        return Racing()

    monkeypatch.setattr(transcribe, "load_backend", backend_that_races)
    library.voice.schedule()
    library.tasks.run_until_idle()
    assert library.voice.get(note_id).transcript == "my words"


def test_remove_and_undo_restore_note_and_audio(library, tmp_path):
    speech_model_or_skip()
    (photo,) = make_photos(library, ["a.jpg"])
    note_id = library.voice.add(photo, speak("one two three", tmp_path / "a.wav"))
    library.tasks.run_until_idle()
    before = library.voice.get(note_id)
    library.voice.remove(note_id)
    assert library.voice.list() == [] and not before.audio.exists()
    assert library.undo.undo_last() == f"remove voice note {note_id}"
    after = library.voice.get(note_id)
    assert after == before and after.audio.is_file()


def test_bad_input_is_refused_and_leaves_nothing(library, tmp_path):
    from app.core.voice.service import VoiceError

    (photo,) = make_photos(library, ["a.jpg"])
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all" * 100)
    with pytest.raises(VoiceError, match="cannot read audio"):
        library.voice.add(photo, junk)
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(VoiceError, match="not an audio file"):
        library.voice.add(photo, tmp_path / "x.txt")
    with pytest.raises(VoiceError, match="no audio file"):
        library.voice.add(photo, tmp_path / "missing.wav")
    wav = speak("hello", tmp_path / "ok.wav")
    with pytest.raises(VoiceError, match="no photo 999"):
        library.voice.add(999, wav)
    assert library.voice.list() == []
    assert not library.layout.voice.exists() or not any(library.layout.voice.iterdir())


def test_several_notes_per_photo_in_one_chain(library, tmp_path):
    speech_model_or_skip()
    from app.core.voice import transcribe

    (photo,) = make_photos(library, ["a.jpg"])
    ids = [library.voice.add(photo, speak(text, tmp_path / f"{i}.wav"), transcribe=False)
           for i, text in enumerate([
               "the dog runs in the park", "we ate bananas on the beach", "my sister plays the piano",
               "snow fell on the mountain", "the train left the station"])]
    assert len(ids) > transcribe.BATCH  # the chain continues with a follow-up task
    library.voice.schedule()
    library.tasks.run_until_idle()
    notes = library.voice.list(photo)
    assert [n.id for n in notes] == ids and all(n.transcript for n in notes)
    assert {"beach"} <= words(notes[1].transcript) and {"mountain"} <= words(notes[3].transcript)


def test_cli_add_list_remove(library, tmp_path, capsys):
    speech_model_or_skip()
    from app.cli import main

    (photo,) = make_photos(library, ["a.jpg"])
    root = str(library.root)
    library.close()
    wav = speak(SENTENCE, tmp_path / "n.wav")
    assert main(["--library", root, "voice", "add", str(photo), str(wav), "--json"]) == 0
    added = json.loads(capsys.readouterr().out)
    assert set(added) == {"id", "photo_id", "transcript", "language", "model", "duration_s"}
    assert added["photo_id"] == photo and "lake" in words(added["transcript"])
    assert main(["--library", root, "voice", "list", "--photo", str(photo), "--json"]) == 0
    assert [n["id"] for n in json.loads(capsys.readouterr().out)] == [added["id"]]
    assert main(["--library", root, "voice", "remove", str(added["id"])]) == 0
    capsys.readouterr()
    assert main(["--library", root, "voice", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["--library", root, "voice", "add", "999", str(wav)]) == 1
    assert "no photo 999" in capsys.readouterr().err


@pytest.mark.ml
def test_openai_whisper_backend_loads_a_local_checkpoint(tmp_path):
    """The torch runtime through the same interface, on a tiny random checkpoint (words are noise)."""
    torch = pytest.importorskip("torch")
    whisper = pytest.importorskip("whisper")
    from dataclasses import asdict

    from app.core.ml.speech import load_speech

    torch.manual_seed(0)
    dims = whisper.model.ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=32, n_audio_head=2,
                                         n_audio_layer=1, n_vocab=51864, n_text_ctx=32, n_text_state=32,
                                         n_text_head=2, n_text_layer=1)
    checkpoint = tmp_path / "tiny.pt"
    torch.save({"dims": asdict(dims), "model_state_dict": whisper.model.Whisper(dims).state_dict()}, checkpoint)
    backend = load_speech("speech:whisper-tiny-random/torch", tmp_path)
    result = backend.transcribe(speak("hello there", tmp_path / "a.wav"))
    assert result.model_id == "speech:whisper-tiny-random/torch" and isinstance(result.text, str)
    assert 0.5 < result.duration_s < 3.0
