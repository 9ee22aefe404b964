"""`photos --json` is streamed (chunked query, item-by-item JSON) and writes exactly the bytes the whole-list
writer wrote; `--limit/--offset/--since` select a window."""

from __future__ import annotations

import json
import os
import time

import pytest

from app.commands.output import print_json
from app.core.db.models import Photo, PhotoFile, TaskGroup
from tests.pg import library_args


def _fill(library, count: int, *, at: float) -> list[int]:
    with library.db.write_session() as s:
        ids = []
        for i in range(count):
            photo = Photo(
                sha256=f"{int(at) * 1000 + i:064x}", size=100 + i, width=64, height=48, format="JPEG",
                phash=f"{i:016x}", status="ok", hidden=i % 7 == 3, imported_at=at,
                taken_at=None if i % 5 == 0 else f"2021-0{1 + i % 9}-1{i % 10} 12:00:00", camera_make="Cam é",
            )
            s.add(photo)
            s.flush()
            names = [f"/photos/{at:.0f}/p{i}.jpg"] + ([f"/photos/{at:.0f}/copy/p{i}.jpg"] if i % 4 == 0 else [])
            if i == 2:
                names = [os.fsdecode(b"/photos/caf\xe9%d.jpg" % at)]  # a name that is not UTF-8
            for n, name in enumerate(names):
                s.add(PhotoFile(photo_id=photo.id, path=name, size=1, mtime_ns=1, missing=n == 1 and i % 8 == 0,
                                first_seen=at, last_seen=at))
            ids.append(photo.id)
    return ids


def _cli(capsysbinary, library, *argv) -> bytes:
    from app.cli import main

    library.close()
    assert main([*library_args(library), "photos", *argv]) == 0
    return capsysbinary.readouterr().out


def _old_bytes(capsysbinary, library, *, include_hidden: bool) -> bytes:
    print_json([p.to_json() for p in library.photos.list(include_hidden=include_hidden)])
    return capsysbinary.readouterr().out


@pytest.mark.parametrize("flags", [(), ("--all",)])
def test_streamed_json_has_the_same_bytes_as_the_whole_list(library, capsysbinary, flags):
    _fill(library, 45, at=1000.0)
    expected = _old_bytes(capsysbinary, library, include_hidden=bool(flags))
    out = _cli(capsysbinary, library, "--json", *flags)
    assert out == expected
    assert len(json.loads(out)) == (45 if flags else 45 - 6)


def test_small_chunks_give_the_same_photos_in_the_same_order(library):
    _fill(library, 30, at=1000.0)
    whole = [p.to_json() for p in library.photos.list(include_hidden=True)]
    assert [p.to_json() for p in library.photos.iter_photos(include_hidden=True, chunk=4)] == whole


def test_empty_library_prints_an_empty_array(library, capsysbinary):
    expected = _old_bytes(capsysbinary, library, include_hidden=False)
    assert _cli(capsysbinary, library, "--json") == expected == b"[]\n"


def test_limit_offset_and_since(library, capsysbinary):
    _fill(library, 20, at=1000.0)
    with library.db.write_session() as s:
        s.add(TaskGroup(kind="import", label="later", created_at=2000.0))
    later = _fill(library, 5, at=3000.0)
    everything = [p["id"] for p in json.loads(_cli(capsysbinary, library, "--json", "--all"))]
    window = [p["id"] for p in json.loads(_cli(capsysbinary, library, "--json", "--all", "--offset", "3", "--limit", "4"))]
    assert window == everything[3:7]
    for since in ("2500", "import:1", "1970-01-01T00:41:40+00:00"):
        got = [p["id"] for p in json.loads(_cli(capsysbinary, library, "--json", "--all", "--since", since))]
        assert sorted(got) == sorted(later), since
    from app.cli import main

    with pytest.raises(SystemExit, match="no import 99"):
        main([*library_args(library), "photos", "--since", "import:99"])


@pytest.mark.parametrize(
    "item",
    [
        {"a": 1, "b": 2.5, "c": None, "d": True, "e": "é\udce9\n\"x", "f": [], "g": ["x", 1.0e-7, float("nan")]},
        {"nested": {"x": [1, {"y": 2}]}, "z": 1},
        {},
        [1, 2],
        {"big": 10**20, "neg": -0.0, "inf": float("inf")},
    ],
)
def test_the_fast_item_writer_matches_json_dumps(item):
    from app.commands.output import _dumps_item

    assert _dumps_item(item) == json.dumps(item, indent=2, ensure_ascii=False, default=str)


def test_edits_tags_places_and_missing_files_keep_the_same_bytes(library, capsysbinary):
    """The listing's fast path (plain tuples, one C-encoder call per chunk) against the whole-list writer, with
    every kind of value a photo has: edits, tags (sorted by name), GPS floats, missing files, a name that is
    not UTF-8, text with quotes, percent signs and control characters."""
    ids = _fill(library, 12, at=1000.0)
    with library.db.write_session() as s:
        for n, photo in enumerate(s.query(Photo).order_by(Photo.id)):
            photo.gps_lat, photo.gps_lon, photo.gps_alt = 48.8566 + n / 7, -2.35 * n, None if n % 2 else 0.1
            photo.lens = 'a "50%" lens\t\x01' if n == 3 else None
            photo.orientation = n % 8 or None
    organise = library.organise
    organise.set_favourite(ids[:3], True)
    organise.set_rating([ids[1]], 4)
    organise.rotate([ids[2]], 90)
    organise.set_title([ids[4]], "Title with ü and \\ and %s")
    organise.set_rejected([ids[5]], True)
    organise.add_tags([ids[1], ids[6]], ["zebra", "Alpha", "mid/dle"])
    expected = _old_bytes(capsysbinary, library, include_hidden=True)
    assert _cli(capsysbinary, library, "--json", "--all") == expected
    listing = json.loads(expected)
    tagged = next(p for p in listing if p["id"] == ids[6])
    assert tagged["tags"] == ["Alpha", "mid/dle", "zebra"] and tagged["favourite"] is False
    assert any(p["missing_paths"] for p in listing)


@pytest.mark.parametrize("buffered", [True, False])
def test_the_record_writer_matches_json_dumps(capsys, monkeypatch, buffered):
    import io
    import sys

    from app.commands.output import print_json_records

    names = ("a", "list", "b", "c", "more")
    rows = [
        ("x\udce9y", ["p\udcff", "q"], 1.5, None, []),
        ("%d %s", [], float("nan"), True, ["é"]),
        ("", ["\n\"", "\\"], 10**20, False, []),
        ("\x00", [], -0.0, 7, ["a", "b"]),
    ]
    expected = json.dumps([dict(zip(names, r)) for r in rows], indent=2, ensure_ascii=False)
    expected = expected.replace("\udce9", "\\udce9").replace("\udcff", "\\udcff") + "\n"
    if not buffered:
        monkeypatch.setattr(sys, "stdout", io.StringIO())
    print_json_records(names, [rows[:1], [], rows[1:]], lists=("list", "more"))
    out = sys.stdout.getvalue() if not buffered else capsys.readouterr().out
    assert out == expected
    assert json.loads(out)[0]["a"] == "x\udce9y"
    if buffered:
        print_json_records(names, [[], []], lists=("list", "more"))
        assert capsys.readouterr().out == "[]\n"
