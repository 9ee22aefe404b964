"""Export: byte-exact originals, hostile names, collisions, re-export, zip, sidecars read back, full disk."""

from __future__ import annotations

import errno
import hashlib
import json
import zipfile

import pytest
from PIL import Image

from test_albums import run_cli


def add_files(library, tmp_path, specs) -> list[int]:
    """Real JPEG files with photo rows as the importer leaves them; specs: (relative path, Photo columns)."""
    from app.core.db.models import Photo, PhotoFile

    ids = []
    with library.db.write_session() as s:
        for n, (rel, columns) in enumerate(specs):
            path = tmp_path / "originals" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (64 + n, 48), (n * 40 % 255, 90, 160)).save(path, "JPEG")
            data = path.read_bytes()
            photo = Photo(sha256=hashlib.sha256(data).hexdigest(), size=len(data), status="ok", hidden=False,
                          imported_at=0, format="JPEG", **columns)
            s.add(photo)
            s.flush()
            s.add(PhotoFile(photo_id=photo.id, path=str(path), size=len(data), mtime_ns=0, first_seen=0, last_seen=0))
            ids.append(photo.id)
    return ids


@pytest.fixture
def exported(library, tmp_path):
    ids = add_files(library, tmp_path, [
        ("a/IMG_1.jpg", dict(taken_at="2019-06-03T10:00:00", tz_offset="+09:00", gps_lat=35.0116, gps_lon=135.7681)),
        ("b/IMG_1.jpg", dict(taken_at="2019-06-03T11:00:00")),  # same name, same day: a collision
        ("c/img_1.JPG", dict(taken_at="2019-06-03T12:00:00")),  # differs only in case
        ("d/CON.jpg", dict()),  # a reserved Windows name, undated
        ("e/what?: a <name>.jpg", dict(taken_at="2020-01-01T00:00:00", gps_lat=-33.86, gps_lon=-151.2)),
    ])
    return ids


def files_in(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_folder_export_is_byte_exact_safe_and_rerunnable(library, tmp_path, exported):
    from app.core.exchange.export import Exporter

    album = library.albums.create("../../x", exported)
    dest = tmp_path / "out"
    summary = Exporter(library, template="{album}/{date}_{name}", album_name="../../x").export(exported, dest)
    assert not summary.failed and len(summary.written) == 5
    names = files_in(dest)
    assert names == ["_.._x/2019-06-03_IMG_1 (2).jpg", "_.._x/2019-06-03_IMG_1.jpg",
                     "_.._x/2019-06-03_img_1 (3).JPG", "_.._x/2020-01-01_what__ a _name_.jpg",
                     "_.._x/undated_CON.jpg"]
    assert not any(p.name.startswith(".") for p in tmp_path.rglob("*"))  # no temp files left
    assert not (tmp_path / "x").exists()
    originals = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "originals").rglob("*.*")}
    assert {hashlib.sha256((dest / n).read_bytes()).hexdigest() for n in names} == originals

    again = Exporter(library, template="{album}/{date}_{name}", album_name="../../x").export(exported, dest)
    assert again.written == [] and len(again.unchanged) == 5 and files_in(dest) == names

    (dest / names[0]).write_bytes(b"mine")  # someone else's file under an exported name is never overwritten
    third = Exporter(library, template="{album}/{date}_{name}", album_name="../../x").export(exported, dest)
    assert (dest / names[0]).read_bytes() == b"mine" and len(third.written) == 1 and len(third.unchanged) == 4
    assert third.written[0] not in names
    assert library.albums.get(album).photo_ids  # the album is untouched


@pytest.mark.parametrize("raw,safe", [
    ("../../etc/passwd", "_.._etc_passwd"),
    ("CON.jpg", "_CON.jpg"),
    ("con.tar.gz", "_con.tar.gz"),
    ("a/b\\c", "a_b_c"),
    ("lpt1", "_lpt1"),
    ("a:b|c?.jpg", "a_b_c_.jpg"),
    ("trailing. ", "trailing"),
    ("..", "photo"),
    (".hidden.jpg", "hidden.jpg"),
    ("x" * 400 + ".jpeg", "x" * 145 + ".jpeg"),
    ("é" * 200 + ".jpg", "é" * 73 + ".jpg"),
])
def test_safe_component(raw, safe):
    from app.core.exchange.names import render, safe_component

    assert safe_component(raw) == safe
    assert ".." not in render("{album}/{name}", {"album": "../..", "name": raw})[:-1]


def test_zip_with_sidecars_read_back(library, tmp_path, exported):
    from app.core.exchange.export import Exporter
    from app.core.exchange.xmp import read_xmp

    dest = tmp_path / "out" / "trip.zip"
    summary = Exporter(library, sidecars=True, album_name="Kyoto & Osaka").export(exported, dest)
    assert len(summary.written) == 5 and summary.sidecars == 5 and files_in(tmp_path / "out") == ["trip.zip"]
    with zipfile.ZipFile(dest) as archive:
        names = archive.namelist()
        first = read_xmp(archive.read("2019-06-03_IMG_1.xmp"))
        south = read_xmp(archive.read("2020-01-01_what__ a _name_.xmp"))
        data = archive.read("2019-06-03_IMG_1.jpg")
    assert len(names) == 10 and hashlib.sha256(data).hexdigest() in {
        hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "originals").rglob("*.*")}
    assert first.taken_at == "2019-06-03T10:00:00+09:00" and first.keywords == ["Kyoto & Osaka"]
    assert first.gps_lat == pytest.approx(35.0116, abs=1e-6) and first.gps_lon == pytest.approx(135.7681, abs=1e-6)
    assert south.gps_lat == pytest.approx(-33.86, abs=1e-6) and south.gps_lon == pytest.approx(-151.2, abs=1e-6)
    # sidecars never collide: IMG_1.jpg and img_1.JPG are numbered apart, so their .xmp files are too
    assert "2019-06-03_img_1 (3).xmp" in names


def test_resized_export(library, tmp_path, exported):
    from app.core.exchange.export import Exporter

    summary = Exporter(library, max_size=32).export(exported[:2], tmp_path / "small")
    assert len(summary.written) == 2
    for name in summary.written:
        with Image.open(tmp_path / "small" / name) as image:
            assert image.format == "JPEG" and max(image.size) <= 32
    assert Exporter(library, max_size=32).export(exported[:2], tmp_path / "small").written == []


def test_full_disk_leaves_no_file_under_a_final_name(library, tmp_path, exported, monkeypatch, capsys):
    from app.core.exchange import export

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export.os, "fsync", full)
    with pytest.raises(export.ExportError, match="is full"):
        export.Exporter(library).export(exported, tmp_path / "out")
    assert files_in(tmp_path / "out") == []


def test_export_cli(tmp_path, capsys):
    from app.core.library import Library

    lib = tmp_path / "lib"
    with Library.open(lib) as library:
        ids = add_files(library, tmp_path, [("IMG_9.jpg", dict(taken_at="2021-02-03T04:05:06"))])
        album = library.albums.create("A", ids)
    code, out, err = run_cli(capsys, lib, "export", "--album", str(album), str(tmp_path / "out"), "--json")
    assert code == 0 and json.loads(out)["verified"] == 1 and files_in(tmp_path / "out") == ["2021-02-03_IMG_9.jpg"]
    (tmp_path / "file").write_text("x")
    code, out, err = run_cli(capsys, lib, "export", "--photos", str(ids[0]), str(tmp_path / "file" / "sub"))
    assert code == 1 and "cannot write to" in err and "Traceback" not in err
    code, out, err = run_cli(capsys, lib, "export", "--album", "99", str(tmp_path / "o2"))
    assert code == 1 and "no album 99" in err


def test_cancel_stops_between_files_and_says_so(library, tmp_path, exported):
    from app.core.exchange.export import Exporter

    done = []
    summary = Exporter(library, progress=lambda n, total: done.append(n), cancelled=lambda: len(done) >= 2).export(
        exported, tmp_path / "out")
    assert summary.cancelled and len(summary.written) == 2 and len(files_in(tmp_path / "out")) == 2
    assert "cancelled" in summary.text()


def test_sidecars_name_the_people_in_each_photo(library, tmp_path, exported):
    """Issue 11: sidecars carry people as keywords (named, shown people; a forgotten face names nobody)."""
    from app.core.db.models import Face, Person
    from app.core.exchange.export import Exporter
    from app.core.exchange.xmp import read_xmp

    with library.db.write_session() as s:
        alice, bob, hidden = (Person(name=n, hidden=h, created_at=0) for n, h in (("Alice", False), ("Bob", False),
                                                                                 ("Eve", True)))
        unnamed = Person(name=None, hidden=False, created_at=0)
        s.add_all([alice, bob, hidden, unnamed])
        s.flush()
        box = dict(model_id="m", x=0, y=0, w=1, h=1, score=1, size_px=40, blur=100, created_at=0)
        s.add_all([Face(photo_id=exported[0], person_id=bob.id, **box), Face(photo_id=exported[0], person_id=alice.id, **box),
                   Face(photo_id=exported[0], person_id=hidden.id, **box),
                   Face(photo_id=exported[1], person_id=unnamed.id, **box),
                   Face(photo_id=exported[1], person_id=alice.id, forgotten=True, **box)])
    dest = tmp_path / "out"
    Exporter(library, sidecars=True, album_name="Trip").export(exported[:2], dest)
    first = read_xmp((dest / "2019-06-03_IMG_1.xmp").read_bytes())
    second = read_xmp((dest / "2019-06-03_IMG_1 (2).xmp").read_bytes())
    assert first.keywords == ["Trip", "Alice", "Bob"]
    assert second.keywords == ["Trip"]
