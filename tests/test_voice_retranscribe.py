"""Changing the speech model: notes another model transcribed can be transcribed again with the new one (the
same background chain), hand-edited transcripts never are; `shoebox voice retranscribe` and `models use speech:`."""

from __future__ import annotations

import json

import pytest

from app.core.ml.speech import Transcript
from tests.speech_audio import make_photos
from tests.voice_audio import tone


@pytest.fixture
def fake_speech(monkeypatch):
    """Every model "transcribes" a note as the words `heard by MODEL`; records what it was asked to do."""
    from app.core.voice import transcribe

    calls = []

    def load(library):
        model_id = library.voice.model_id()

        class Fake:
            def transcribe(self, audio):
                calls.append((model_id, audio.name))
                return Transcript(f"heard by {model_id}", "en", 0.5, model_id)

        fake = Fake()
        fake.model_id = model_id
        return fake

    monkeypatch.setattr(transcribe, "load_backend", load)
    return calls


def _notes(library, tmp_path, count: int) -> list[int]:
    (photo,) = make_photos(library, ["a.jpg"])
    return [library.voice.add(photo, tone(tmp_path / f"{i}.wav"), transcribe=False) for i in range(count)]


def test_notes_of_the_old_model_are_requeued_and_hand_edits_kept(library, tmp_path, fake_speech):
    from app.core.voice import transcribe

    library.config.set("voice.model_id", "speech:old")
    ids = _notes(library, tmp_path, transcribe.BATCH + 2)  # more than one task of the chain
    library.voice.schedule()
    library.tasks.run_until_idle()
    assert {n.transcript for n in library.voice.list()} == {"heard by speech:old"}
    library.voice.edit_transcript(ids[1], "my own words")
    assert library.voice.outdated() == 0 and library.voice.retranscribe() == 0

    library.config.set("voice.model_id", "speech:new")
    assert library.voice.schedule() is None  # a model change alone re-transcribes nothing
    assert library.voice.outdated() == len(ids) - 1
    fake_speech.clear()
    assert library.voice.retranscribe() == len(ids) - 1
    library.tasks.run_until_idle()
    notes = {n.id: n for n in library.voice.list()}
    assert notes[ids[1]].transcript == "my own words" and notes[ids[1]].transcript_edited
    assert all(notes[i].transcript == "heard by speech:new" and notes[i].model == "speech:new"
               for i in ids if i != ids[1])
    assert len(fake_speech) == len(ids) - 1  # the edited note's audio was not even transcribed
    assert library.voice.outdated() == 0 and library.voice.retranscribe() == 0
    assert library.voice.retranscribe(all_notes=True) == len(ids) - 1  # --all: every unedited note again


def test_a_failed_note_is_tried_again_with_the_new_model(library, tmp_path, fake_speech):
    from sqlalchemy import update

    from app.core.db.models import VoiceNote

    (note,) = _notes(library, tmp_path, 1)
    with library.db.write_session() as s:
        s.execute(update(VoiceNote).values(error="the old model choked"))
    library.config.set("voice.model_id", "speech:new")
    assert library.voice.outdated() == 1 and library.voice.retranscribe() == 1
    library.tasks.run_until_idle()
    info = library.voice.get(note)
    assert info.transcript == "heard by speech:new" and info.error is None


def test_a_chain_for_a_model_no_longer_chosen_does_nothing(library, tmp_path, fake_speech):
    library.config.set("voice.model_id", "speech:old")
    _notes(library, tmp_path, 2)
    library.voice.schedule()
    library.tasks.run_until_idle()
    library.config.set("voice.model_id", "speech:new")
    assert library.voice.retranscribe() == 2
    library.config.set("voice.model_id", "speech:third")  # changed again before the chain ran
    fake_speech.clear()
    library.tasks.run_until_idle()
    assert fake_speech == [] and {n.model for n in library.voice.list()} == {"speech:old"}


def test_cli_retranscribe_and_models_hint(library, tmp_path, fake_speech, capsys):
    from app.cli import main
    from app.core.ml.speech import DEFAULT_SPEECH_MODEL, default_model_folder

    library.config.set("voice.model_id", "speech:old")
    ids = _notes(library, tmp_path, 2)
    library.voice.schedule()
    library.tasks.run_until_idle()
    library.voice.edit_transcript(ids[0], "kept")
    library.config.set("voice.model_id", "speech:new")
    root = str(library.root)
    assert main(["--library", root, "models", "list"]) == 0
    assert "1 voice note was transcribed by another speech model" in capsys.readouterr().err
    assert main(["--library", root, "voice", "retranscribe", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"queued": 1, "model": "speech:new", "transcribed": 1,
                                                   "failed": 0}
    assert [n.transcript for n in library.voice.list()] == ["kept", "heard by speech:new"]
    assert main(["--library", root, "voice", "retranscribe"]) == 0
    assert "already transcribed by speech:new" in capsys.readouterr().out
    assert main(["--library", root, "models", "use", "speech:nowhere"]) == 1
    assert "not on this computer" in capsys.readouterr().err
    if default_model_folder() is not None:  # the bundled default can always be chosen again
        assert main(["--library", root, "models", "use", DEFAULT_SPEECH_MODEL]) == 0
        out = capsys.readouterr()
        assert "now transcribes voice notes" in out.out and "`shoebox voice retranscribe`" in out.err
        assert library.voice.model_id() == DEFAULT_SPEECH_MODEL
