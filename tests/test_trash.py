"""Move to trash: files wait beside their folder (undo puts them back), then go to the OS trash, never deleted;
a photo whose file cannot be moved stays as it was; rescans never bring trashed photos back."""

from __future__ import annotations

import os
from pathlib import Path

from app.bench.gui import write_photos


def _import(library, folder):
    library.importer.import_paths([folder], progress=False)
    return {Path(p.path).name: p.id for p in library.photos.list(include_hidden=True)}


def test_trash_then_undo_puts_everything_back(library, tmp_path):
    folder = tmp_path / "photos"
    write_photos(folder, 3)
    ids = _import(library, folder)
    name = sorted(ids)[0]
    result = library.trash.move_to_trash([ids[name]])
    assert (result.photos, result.files, result.failed) == (1, 1, [])
    assert not (folder / name).exists()
    assert len(list((folder / ".shoebox-trash").iterdir())) == 1
    assert library.photos.count() == 2
    _import(library, folder)  # a rescan meanwhile does not bring it back (hidden folders are not imported)
    assert library.photos.count() == 2

    assert library.trash.undo(result.batch) == 1
    assert (folder / name).exists() and not (folder / ".shoebox-trash").exists()
    assert library.photos.count() == 3 and library.trash.pending() == 0
    assert all(p.status == "ok" for p in library.photos.list())


def test_empty_sends_files_to_the_os_trash_and_the_photos_leave(library, tmp_path, _private_user_dirs):
    folder = tmp_path / "photos"
    write_photos(folder, 3)
    ids = _import(library, folder)
    doomed = sorted(ids)[:2]
    library.trash.move_to_trash([ids[n] for n in doomed])
    assert library.trash.empty() == 2
    trash = Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files"
    in_trash = sorted(p.name.split("-", 1)[1] for p in trash.iterdir())
    assert in_trash == doomed  # in the OS trash, where the user can still restore them
    assert library.photos.count(include_hidden=True) == 1 and library.trash.pending() == 0
    assert not (folder / ".shoebox-trash").exists()
    _import(library, folder)
    assert library.photos.count(include_hidden=True) == 1


def test_a_file_that_cannot_be_moved_leaves_its_photo_as_it_was(library, tmp_path, monkeypatch):
    import app.core.trash as trash_module

    folder = tmp_path / "photos"
    write_photos(folder, 2)
    ids = _import(library, folder)
    real_rename = os.rename

    def refuse(src, dst):
        if str(src).endswith(sorted(ids)[1]):
            raise PermissionError(13, "Permission denied", str(src))
        return real_rename(src, dst)

    monkeypatch.setattr(trash_module.os, "rename", refuse)
    result = library.trash.move_to_trash(list(ids.values()))
    assert result.photos == 1 and result.failed == [(str(folder / sorted(ids)[1]), "Permission denied")]
    assert (folder / sorted(ids)[1]).exists() and library.photos.count() == 1


def test_empty_before_keeps_this_sessions_moves(library, tmp_path):
    folder = tmp_path / "photos"
    write_photos(folder, 2)
    ids = _import(library, folder)
    library.trash.move_to_trash([ids[sorted(ids)[0]]])
    assert library.trash.empty(before=0.0) == 0  # only moves older than the window's start are finished
    assert library.trash.pending() == 1
