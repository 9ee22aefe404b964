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
