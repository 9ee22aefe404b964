"""Voice-note audio leaves with its photo: emptying the trash or removing a folder deletes the notes' audio files
(after the commit), and `shoebox verify` finds (and with --remove-orphan-audio deletes) audio no note refers to."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from app.bench.gui import write_photos
from tests.voice_audio import tone


def _import(library, folder):
    library.importer.import_paths([folder], progress=False)
    return sorted(p.id for p in library.photos.list(include_hidden=True))


def _note(library, photo_id, tmp_path) -> Path:
    note_id = library.voice.add(photo_id, tone(tmp_path / f"n{photo_id}.wav"), transcribe=False)
    return library.voice.get(note_id).audio


def test_emptying_the_trash_deletes_the_photos_voice_audio(library, tmp_path):
    folder = tmp_path / "photos"
    write_photos(folder, 2)
    doomed, kept = _import(library, folder)
    gone_audio, kept_audio = _note(library, doomed, tmp_path), _note(library, kept, tmp_path)
    library.trash.move_to_trash([doomed])
    assert gone_audio.is_file()  # still waiting: undo could bring the photo back with its note
    assert library.trash.empty() == 1
    assert [n.photo_id for n in library.voice.list()] == [kept]
    assert not gone_audio.exists()
    assert kept_audio.is_file()


def test_removing_a_folder_deletes_its_photos_voice_audio(library, tmp_path):
    folder = tmp_path / "photos"
    write_photos(folder, 1)
    (photo,) = _import(library, folder)
    audio = _note(library, photo, tmp_path)
    ((folder_id, _path),) = library.folders.watched()
    assert library.folders.remove(folder_id) == 1
    assert library.voice.list() == [] and not audio.exists()
    assert folder.is_dir() and any(folder.iterdir())  # the photo files themselves stay


def _orphan(library, name: str, age_s: float) -> Path:
    library.layout.voice.mkdir(parents=True, exist_ok=True)
    path = library.layout.voice / name
    path.write_bytes(b"RIFF")
    old = time.time() - age_s
    os.utime(path, (old, old))
    return path


def test_orphans_are_found_and_removed_but_young_files_and_notes_stay(library, tmp_path):
    from app.core.voice import audio_files

    folder = tmp_path / "photos"
    write_photos(folder, 1)
    (photo,) = _import(library, folder)
    audio = _note(library, photo, tmp_path)
    os.utime(audio, (0, 0))  # an old note's audio is still its note's
    old = _orphan(library, "7-old.wav", 2 * audio_files.ORPHAN_GRACE_S)
    young = _orphan(library, "8-young.wav", 5)  # maybe a note being added right now
    hidden = _orphan(library, ".9-copy.wav.part", 2 * audio_files.ORPHAN_GRACE_S)
    assert audio_files.orphans(library) == [old]
    assert audio_files.remove_orphans(library) == [old]
    assert not old.exists() and young.exists() and hidden.exists() and audio.exists()


def test_verify_reports_then_removes_orphan_audio(library, tmp_path, capsys):
    from app.cli import main
    from app.core.voice import audio_files

    old = _orphan(library, "7-old.wav", 2 * audio_files.ORPHAN_GRACE_S)
    assert main(["--library", str(library.root), "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["orphan_audio"] == [str(old)]
    assert old.exists()
    assert main(["--library", str(library.root), "verify"]) == 0
    assert "1 voice-note audio file belongs to no note" in capsys.readouterr().out
    assert main(["--library", str(library.root), "verify", "--remove-orphan-audio"]) == 0
    assert "removed 1 voice-note audio file" in capsys.readouterr().out
    assert not old.exists()


def test_audio_kept_for_undo_is_an_orphan_once_its_photo_is_gone(library, tmp_path):
    from app.core.voice import audio_files

    folder = tmp_path / "photos"
    write_photos(folder, 2)
    doomed, kept = _import(library, folder)
    parked, notes = [], []
    for photo in (doomed, kept):
        note_id = library.voice.add(photo, tone(tmp_path / f"n{photo}.wav"), transcribe=False)
        notes.append(note_id)
        library.voice.remove(note_id)  # its audio waits in voice/removed/ for an undo
        (path,) = [p for p in (library.layout.voice / "removed").iterdir() if p.name.startswith(f"{photo}-")]
        os.utime(path, (0, 0))
        parked.append(path)
    assert audio_files.orphans(library) == []  # both can still be undone
    library.trash.move_to_trash([doomed])
    library.trash.empty()
    assert audio_files.orphans(library) == [parked[0]]  # no undo can bring back a note of a photo that left
    assert audio_files.remove_orphans(library) == [parked[0]]
    assert parked[1].exists()
    assert library.undo.undo_last() == f"remove voice note {notes[1]}"  # the kept photo's note comes back whole
    assert [n.photo_id for n in library.voice.list()] == [kept] and library.voice.get(notes[1]).audio.is_file()


def test_undoing_a_note_removal_after_its_photo_was_deleted_for_good_drops_that_entry(library, tmp_path):
    """The reverser's insert fails on the foreign key; the entry must not stay the newest and block older undos."""
    from app.core.undo import NothingToUndo

    folder = tmp_path / "photos"
    write_photos(folder, 2)
    doomed, kept = _import(library, folder)
    album = library.albums.create("Trip")
    library.albums.rename(album, "Summer trip")
    audio = _note(library, doomed, tmp_path)
    note_id = library.voice.list(photo_id=doomed)[0].id
    library.voice.remove(note_id)
    library.trash.move_to_trash([doomed])
    assert library.trash.empty() == 1

    try:
        library.undo.undo_last()
    except NothingToUndo as exc:
        assert "deleted for good" in str(exc)
    else:
        raise AssertionError("undoing the removal of a deleted photo's note succeeded")
    assert library.voice.list() == [] and not audio.exists()
    assert library.undo.undo_last().startswith("rename album")  # the older edit is still reachable
    assert [a.name for a in library.albums.list()] == ["Trip"]
