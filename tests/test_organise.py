"""Organising photos (issue 14 core): edits and undo on many photos, what files carry arriving on import (XMP as
exiftool writes it, IPTC, Windows EXIF), the query filters, and export sidecars carrying it all back out."""

from __future__ import annotations

import json
from pathlib import Path

import piexif
import pytest
from PIL import Image

from app.core.exchange.xmp import read_xmp
from organise_files import exiftool_xmp, iptc_block, write_jpeg
from test_albums import make_photos
from tests.pg import library_args


@pytest.fixture(autouse=True)
def _qt(qapp):
    """The engine's headless loop needs a Qt application; let pytest-qt own it."""


def test_edits_on_many_photos_and_undo_of_each(library):
    from app.core.organise.service import OrganiseError

    a, b, c = make_photos(library, [{"taken_at": f"2020-01-0{d}T10:00:00"} for d in (1, 2, 3)])
    org, undo = library.organise, library.undo

    org.rotate([a, b], 90)
    org.rotate([b], 90)
    assert {p: e.rotation for p, e in org.edits([a, b, c]).items()} == {a: 90, b: 180, c: 0}
    undo.undo_last()
    assert org.edits([b])[b].rotation == 90
    org.rotate([a], -90)
    assert org.edits([a])[a].rotation == 0

    assert org.set_favourite([a, b]) is True  # toggles as one
    assert org.set_favourite([a, c]) is True  # not all were: all become favourites
    assert [org.edits([p])[p].favourite for p in (a, b, c)] == [True, True, True]
    assert org.set_favourite([a, b, c]) is False
    undo.undo_last()
    assert all(e.favourite for e in org.edits([a, b, c]).values())

    org.set_rating([a, b], 4)
    org.set_rating([b], 2)
    assert [org.edits([p])[p].rating for p in (a, b, c)] == [4, 2, 0]
    assert undo.undo_last() == "rate 2"
    assert org.edits([b])[b].rating == 4
    with pytest.raises(OrganiseError):
        org.set_rating([a], 6)

    org.set_rejected([c], True)
    assert org.edits([c])[c].rejected
    undo.undo_last()
    assert not org.edits([c])[c].rejected

    org.set_title([a], "  Beach  ")
    org.set_description([a, b], "Summer")
    assert org.edits([a])[a].title == "Beach" and org.edits([b])[b].description == "Summer"
    undo.undo_last()
    assert org.edits([b])[b].description is None

    assert org.add_tags([a, b], ["Places|Japan", "dog"]) == 4
    assert org.add_tags([a, c], ["DOG"]) == 1  # names compare case-insensitively: only c is new
    assert org.edits([a])[a].tags == ["dog", "Places/Japan"]
    assert [(t.name, t.count) for t in org.tags()] == [("dog", 3), ("Places/Japan", 2)]
    undo.undo_last()
    assert org.edits([c])[c].tags == []
    assert org.remove_tags([a, b], ["places/japan"]) == 2
    assert [t.name for t in org.tags()] == ["dog"]  # a tag on no photo is forgotten
    undo.undo_last()
    assert org.edits([b])[b].tags == ["dog", "Places/Japan"]

    with pytest.raises(OrganiseError):
        org.rotate([a, 99999], 90)
    assert org.edits([a])[a].rotation == 0  # nothing done
    info = library.photos.get(a)
    assert (info.title, info.tags, info.rating, info.favourite) == ("Beach", ["dog", "Places/Japan"], 4, True)


def test_ratings_tags_and_titles_arrive_from_files(library, tmp_path):
    folder = tmp_path / "photos"
    write_jpeg(folder / "xmp.jpg", seed=1, xmp=exiftool_xmp())
    write_jpeg(folder / "iptc.jpg", seed=2, iptc=iptc_block(["Strand", "Sommer"], "Am Meer", "Wellen ü"),
               exif={piexif.ImageIFD.ImageDescription: b"OLYMPUS DIGITAL CAMERA         ", 0x4746: 3})
    write_jpeg(folder / "windows.jpg", seed=3, exif={
        piexif.ImageIFD.ImageDescription: b"A walk in the park", 0x4749: 75,
        piexif.ImageIFD.XPKeywords: tuple("dog;park".encode("utf-16-le") + b"\0\0")})
    write_jpeg(folder / "rejected.jpg", seed=4, xmp=exiftool_xmp(rating=-1, title="Blurred", subjects=(), tagslist=(),
                                                                 hierarchical=()))
    write_jpeg(folder / "plain.jpg", seed=5, exif={piexif.ImageIFD.ImageDescription: b"SONY DSC"})
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    library.importer.import_paths([folder], progress=False)

    by_name = {Path(p.path).name: p for p in library.photos.list()}
    xmp = by_name["xmp.jpg"]
    assert (xmp.rating, xmp.title, xmp.description) == (4, "Golden Pavilion", "Autumn at Kinkaku-ji")
    assert xmp.tags == ["Places/Japan/Kyoto", "temple"]  # "Kyoto" and "Japan" are parts of the hierarchy
    iptc = by_name["iptc.jpg"]
    assert (iptc.rating, iptc.title, iptc.description, iptc.tags) == (3, "Am Meer", "Wellen ü", ["Sommer", "Strand"])
    windows = by_name["windows.jpg"]
    assert (windows.rating, windows.description, windows.tags) == (4, "A walk in the park", ["dog", "park"])
    assert by_name["rejected.jpg"].rejected and by_name["rejected.jpg"].rating == 0
    plain = by_name["plain.jpg"]
    assert (plain.description, plain.rating, plain.tags) == (None, 0, [])  # camera boilerplate is not a description
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # originals untouched

    # The query language finds them.
    search = lambda q: {Path(p.path).name for p in library.photos.get_many(library_query(library, q))}  # noqa: E731
    assert search("tag:kyoto") == {"xmp.jpg"}
    assert search("tag:places") == {"xmp.jpg"}
    assert search('tag:"Places/Japan"') == {"xmp.jpg"}
    assert search("rating:>=3") == {"xmp.jpg", "iptc.jpg", "windows.jpg"}
    assert search("rating:4..5") == {"xmp.jpg", "windows.jpg"}
    assert search("rating:0") == {"rejected.jpg", "plain.jpg"}
    assert search("is:rejected") == {"rejected.jpg"}
    assert search("pavilion") == {"xmp.jpg"}  # titles, descriptions and tags are searchable as text
    assert search("wellen") == {"iptc.jpg"}
    library.organise.set_favourite([plain.id], True)
    assert search("is:favourite") == {"plain.jpg"}
    assert search("-is:favourite rating:<1") == {"rejected.jpg"}


def library_query(library, query: str) -> list[int]:
    from app.core.search.query import run_query

    return run_query(library, query)


def test_bad_rating_and_is_values_say_so():
    from app.core.search.errors import QueryError
    from app.core.search.parse import parse

    for bad in ("rating:6", "rating:>=x", "is:pretty", "rating:.."):
        with pytest.raises(QueryError):
            parse(bad)
    parse("rating:>=4 is:favourite tag:dog")


def test_export_sidecar_and_resized_copy_carry_the_edits(library, tmp_path):
    from app.core.exchange.export import Exporter

    folder = tmp_path / "photos"
    write_jpeg(folder / "tall.jpg", seed=1, size=(320, 240), orientation=6)
    library.importer.import_paths([folder], progress=False)
    [photo] = library.photos.list()
    org = library.organise
    org.set_rating([photo.id], 5)
    org.add_tags([photo.id], ["Places/Japan/Kyoto", "dog"])
    org.set_title([photo.id], "Tall & wide")
    org.set_description([photo.id], "A <test>")
    org.rotate([photo.id], 90)

    Exporter(library, sidecars=True).export([photo.id], tmp_path / "out")
    [xmp] = (tmp_path / "out").rglob("*.xmp")
    sidecar = read_xmp(xmp.read_bytes())
    assert (sidecar.rating, sidecar.title, sidecar.description) == (5, "Tall & wide", "A <test>")
    assert sidecar.hierarchical == ["Places/Japan/Kyoto"] and set(sidecar.keywords) == {"Kyoto", "dog"}
    assert sidecar.orientation == 3  # EXIF 6 (90° right) and the user's 90° right: upside down
    [copy] = [p for p in (tmp_path / "out").rglob("*.jpg")]
    assert copy.read_bytes() == (folder / "tall.jpg").read_bytes()  # an original stays byte for byte

    Exporter(library, max_size=100).export([photo.id], tmp_path / "small")
    [small] = (tmp_path / "small").rglob("*.jpg")
    with Image.open(small) as image:
        assert image.size == (100, 75)  # stored 320x240, EXIF turns it tall, the user turns it wide again


def test_cli_edit_commands(library, tmp_path, capsys):
    from app.cli import main

    a, b = make_photos(library, [{"taken_at": "2020-01-01T10:00:00"}, {"taken_at": "2020-01-02T10:00:00"}])

    def run(*args):
        capsys.readouterr()
        code = main([*library_args(library), *map(str, args)])
        return code, capsys.readouterr()

    assert run("edit", "rotate", a, b, "--right")[0] == 0
    code, out = run("edit", "rate", 4, a, "--json")
    assert code == 0 and json.loads(out.out)[str(a)]["rating"] == 4 and json.loads(out.out)[str(a)]["rotation"] == 90
    assert run("edit", "favourite", a, b)[0] == 0
    assert run("edit", "reject", b)[0] == 0
    assert run("edit", "title", "Dune", a)[0] == 0
    assert run("edit", "describe", "Sand", a)[0] == 0
    assert run("edit", "tag", "add", "-t", "Trips/Sahara", "-t", "sand", a, b)[0] == 0
    assert run("edit", "tag", "remove", "-t", "sand", b)[0] == 0
    code, out = run("edit", "show", a, b, "--json")
    shown = json.loads(out.out)
    assert shown[str(a)] == {"rotation": 90, "favourite": True, "rating": 4, "rejected": False, "title": "Dune",
                             "description": "Sand", "tags": ["sand", "Trips/Sahara"]}
    assert shown[str(b)]["tags"] == ["Trips/Sahara"] and shown[str(b)]["rejected"]
    code, out = run("tags", "--json")
    assert json.loads(out.out) == [{"name": "sand", "count": 1}, {"name": "Trips/Sahara", "count": 2}]
    assert run("undo")[0] == 0
    assert library.organise.edits([b])[b].tags == ["sand", "Trips/Sahara"]
    code, out = run("edit", "rotate", 12345, "--left")
    assert code == 1 and "no photo 12345" in out.err
    assert library.organise.edits([a])[a].rotation == 90


def test_refine_filters_by_query_and_sorts(library):
    import time as _time

    from app.core.browse import refine
    from app.core.db.models import Photo, PhotoFile

    a, b, c, d = make_photos(library, [{"taken_at": f"2020-01-0{n}T10:00:00", "format": fmt}
                                       for n, fmt in ((4, "JPEG"), (3, "PNG"), (2, "JPEG"), (1, "JPEG"))])
    with library.db.write_session() as s:
        for photo_id, name, imported in ((a, "zebra.jpg", 1.0), (b, "Apple.png", 3.0), (c, "mango.jpg", 2.0),
                                         (d, "kiwi.jpg", 4.0)):
            s.add(PhotoFile(photo_id=photo_id, path=f"/p/{name}", size=1, mtime_ns=0, first_seen=_time.time(),
                            last_seen=_time.time()))
            s.get(Photo, photo_id).imported_at = imported
    org = library.organise
    org.set_rating([b], 2)
    org.set_rating([c, d], 5)
    org.set_favourite([a, c], True)
    ids = library.photos.ordered_ids()
    assert ids == [a, b, c, d]
    assert refine(library, ids) == ids
    assert refine(library, ids, sort="name") == [b, d, c, a]
    assert refine(library, ids, sort="imported") == [d, b, c, a]
    assert refine(library, ids, sort="rating") == [c, d, b, a]  # ties keep the date order
    assert refine(library, ids, query="is:favourite") == [a, c]
    assert refine(library, ids, sort="rating", query="rating:>=2 type:jpeg") == [c, d]
    assert refine(library, [d, a], query="is:favourite") == [a]  # only what the view shows
    with pytest.raises(ValueError):
        refine(library, ids, sort="colour")


def test_xmp_sidecars_of_lightroom_and_digikam_win_over_the_file(library, tmp_path):
    folder = tmp_path / "photos"
    write_jpeg(folder / "lr.jpg", seed=1, xmp=exiftool_xmp(rating=2, title="Old title"))
    (folder / "lr.xmp").write_bytes(exiftool_xmp(rating=5, title="New title", description="From Lightroom",
                                                 subjects=("sea",), tagslist=(), hierarchical=("Trips|Norway",)))
    write_jpeg(folder / "dk.jpg", seed=2)
    (folder / "dk.jpg.xmp").write_bytes(exiftool_xmp(rating=-1, subjects=("Anna",), tagslist=("People/Anna",),
                                                     hierarchical=()))
    (folder / "broken.jpg.xmp").write_bytes(b"<x:xmpmeta>not xml")
    write_jpeg(folder / "broken.jpg", seed=3, xmp=exiftool_xmp(rating=3, subjects=("kept",), tagslist=(),
                                                               hierarchical=()))
    summary = library.importer.import_paths([folder], progress=False)
    by_name = {Path(p.path).name: p for p in library.photos.list()}
    assert set(by_name) == {"lr.jpg", "dk.jpg", "broken.jpg"}  # sidecars are not photos
    lr = by_name["lr.jpg"]
    assert (lr.rating, lr.title, lr.description, lr.tags) == (5, "New title", "From Lightroom", ["sea", "Trips/Norway"])
    dk = by_name["dk.jpg"]
    assert dk.rejected and dk.tags == ["People/Anna"]
    assert (by_name["broken.jpg"].rating, by_name["broken.jpg"].tags) == (3, ["kept"])
    assert not library.importer.errors(), summary


def test_what_another_tool_wrote_survives_shoebox_and_back(library, tmp_path):
    """digiKam/Lightroom's rating, keywords, title and description, plus edits made here, go out in the export's
    sidecar and arrive again when the export is imported into another library (the whole round trip)."""
    from app.core.exchange.export import Exporter
    from app.core.library import Library

    folder = tmp_path / "photos"
    write_jpeg(folder / "kyoto.jpg", seed=1, xmp=exiftool_xmp(rating=4, title="Golden", description="Autumn",
                                                              subjects=("temple",), tagslist=("Places/Japan/Kyoto",),
                                                              hierarchical=()))
    write_jpeg(folder / "plain.jpg", seed=2)
    library.importer.import_paths([folder], progress=False)
    by_name = {Path(p.path).name: p for p in library.photos.list()}
    plain = by_name["plain.jpg"]
    library.organise.set_rating([plain.id], 2)
    library.organise.add_tags([plain.id], ["Trips/Norway"])
    library.organise.set_title([plain.id], "Fjord")
    write_jpeg(folder / "dull.jpg", seed=3)
    library.importer.import_paths([folder], progress=False)
    by_name = {Path(p.path).name: p for p in library.photos.list()}
    library.organise.set_rejected([by_name["dull.jpg"].id], True)  # xmp:Rating -1 (a rejected photo's stars: lost)
    Exporter(library, sidecars=True).export([p.id for p in by_name.values()], tmp_path / "out")

    def facts(photo):
        return photo.rating, photo.title, photo.description, sorted(photo.tags), photo.rejected

    with Library.open(tmp_path / "other", log_to_file=False) as other:
        other.importer.import_paths([tmp_path / "out"], progress=False)
        arrived = {Path(p.path).name.split("_", 1)[1]: p for p in other.photos.list()}  # exports prefix the date
        assert facts(arrived["kyoto.jpg"]) == facts(by_name["kyoto.jpg"]) == (
            4, "Golden", "Autumn", ["Places/Japan/Kyoto", "temple"], False)
        assert facts(arrived["plain.jpg"]) == facts(library.photos.get(plain.id)) == (
            2, "Fjord", None, ["Trips/Norway"], False)
        assert facts(arrived["dull.jpg"]) == (0, None, None, [], True)
