"""Albums: edits, undo of each, deletion that never touches photos or files, and the CLI."""

from __future__ import annotations

import json
import time

import pytest

from app.core.db.models import Photo


def make_photos(library, rows) -> list[int]:
    """Photo rows from dicts of Photo columns (taken_at, camera_make, gps_lat, ...)."""
    ids = []
    with library.db.write_session() as s:
        for i, row in enumerate(rows):
            photo = Photo(sha256=f"{len(ids)}-{i}-{time.time_ns()}".ljust(64, "0")[:64], size=10, status="ok",
                          hidden=False, imported_at=time.time(), **row)
            s.add(photo)
            s.flush()
            ids.append(photo.id)
    return ids


def test_album_edits_and_undo_each(library):
    from app.core.albums.service import AlbumError

    a, b, c = make_photos(library, [{"taken_at": "2019-06-0%dT10:00:00" % d} for d in (3, 1, 2)])
    albums, undo = library.albums, library.undo
    album = albums.create("Summer", [a, b])
    assert albums.get(album).photo_ids == [b, a]  # by date

    albums.add(album, [c, a])  # a is already there
    assert albums.get(album).photo_ids == [b, c, a]
    undo.undo_last()
    assert albums.get(album).photo_ids == [b, a]

    albums.remove(album, [b])
    assert albums.get(album).photo_ids == [a]
    undo.undo_last()
    assert albums.get(album).photo_ids == [b, a]

    albums.rename(album, "Summer 2019")
    assert albums.get(album).name == "Summer 2019"
    undo.undo_last()
    assert albums.get(album).name == "Summer"

    albums.set_cover(album, a)
    assert albums.get(album).cover_photo_id == a
    undo.undo_last()
    assert albums.get(album).cover_photo_id is None

    albums.set_order(album, [a, b])
    assert albums.get(album).photo_ids == [a, b] and albums.get(album).sort == "manual"
    undo.undo_last()
    assert albums.get(album).photo_ids == [b, a] and albums.get(album).sort == "date"

    albums.set_cover(album, b)
    albums.delete(album)
    assert albums.list() == [] and library.photos.count() == 3
    undo.undo_last()  # the cover undo is older; delete comes back first, with photos and cover
    restored = albums.get(album)
    assert restored.photo_ids == [b, a] and restored.cover_photo_id == b and restored.name == "Summer"

    undo.undo_last()  # the cover
    undo.undo_last()  # the creation
    assert albums.list() == []
    with pytest.raises(AlbumError, match="no album"):
        albums.add(album, [a])
    with pytest.raises(AlbumError, match="no photo 999"):
        albums.create("x", [999])
    with pytest.raises(AlbumError, match="needs a name"):
        albums.create("  ")


def test_undo_delete_when_the_id_was_reused(library):
    (p,) = make_photos(library, [{}])
    old = library.albums.create("Old", [p])
    library.albums.delete(old)
    library.albums.create("Newer")  # SQLite may hand out the freed id again
    library.undo.undo_last()  # the creation of "Newer"
    library.undo.undo_last()  # the deletion of "Old"
    assert [(a.name, a.photo_ids) for a in library.albums.list()] == [("Old", [p])]
    library.albums.create("Again")
    library.albums.delete(library.albums.list()[0].id)  # SQLite reused the id (newer == old), Postgres does not
    assert library.undo.undo_last().startswith("delete album")


def test_undo_survives_reopening(tmp_path):
    from app.core.library import Library

    with Library.open(tmp_path / "lib") as lib:
        (p,) = make_photos(lib, [{}])
        album = lib.albums.create("Keep", [p])
        lib.albums.rename(album, "Renamed")
    with Library.open(tmp_path / "lib") as lib:
        assert "rename" in lib.undo.undo_last()
        assert lib.albums.get(album).name == "Keep"


def test_deleting_an_album_keeps_photo_files(library, tmp_path):
    from app.core.db.models import PhotoFile

    (p,) = make_photos(library, [{}])
    f = tmp_path / "a.jpg"
    f.write_bytes(b"jpeg")
    with library.db.write_session() as s:
        s.add(PhotoFile(photo_id=p, path=str(f), size=4, mtime_ns=0, first_seen=0, last_seen=0))
    album = library.albums.create("A", [p])
    library.albums.delete(album)
    assert f.read_bytes() == b"jpeg" and library.photos.get(p) is not None


def run_cli(capsys, lib, *argv):
    from app.cli import main

    code = main(["--library", str(lib), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_albums_cli(tmp_path, capsys):
    from app.core.library import Library

    lib = tmp_path / "lib"
    with Library.open(lib) as library:
        ids = make_photos(library, [{"taken_at": f"2019-01-0{i}T00:00:00"} for i in (1, 2, 3)])
    code, out, _ = run_cli(capsys, lib, "albums", "create", "Trip", "--photos", ",".join(map(str, ids[:2])), "--json")
    assert code == 0
    album = json.loads(out)["id"]
    assert run_cli(capsys, lib, "albums", "add", str(album), "--photos", str(ids[2]))[0] == 0
    assert run_cli(capsys, lib, "albums", "remove", str(album), "--photos", str(ids[0]))[0] == 0
    code, out, _ = run_cli(capsys, lib, "albums", "list", "--json")
    (row,) = json.loads(out)
    assert row["id"] == album and row["name"] == "Trip" and row["kind"] == "manual" and "query" not in row
    assert row["photo_ids"] == ids[1:]
    code, _, err = run_cli(capsys, lib, "albums", "add", "77", "--photos", "1")
    assert code == 1 and "no album 77" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, lib, "albums", "add", str(album), "--photos", "1,x")
    assert exit_.value.code == 2 and "'x' is not a photo id" in capsys.readouterr().err
