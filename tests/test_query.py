"""The query language: every filter, negation, OR, quotes, errors with positions, live smart albums."""

from __future__ import annotations

import json

import pytest

from test_albums import make_photos, run_cli


@pytest.fixture
def photos(library):
    """Five photos with known fields, a place for two, files named for free words, and a hand-made album."""
    from app.core.db.models import PhotoFile, PhotoPlace

    ids = make_photos(library, [
        dict(taken_at="2019-06-03T10:00:00", camera_make="Canon", camera_model="Canon EOS 5D", format="JPEG",
             gps_lat=35.01, gps_lon=135.76),
        dict(taken_at="2019-08-31T23:59:00", camera_make="Apple", camera_model="iPhone 12", format="HEIF",
             gps_lat=34.69, gps_lon=135.50),
        dict(taken_at="2019-09-01T00:00:00", camera_make="Canon", camera_model="Canon EOS R", format="JPEG"),
        dict(taken_at="2020-01-01T12:00:00", camera_make="NIKON CORPORATION", camera_model="NIKON D750",
             format="PNG"),
        dict(format="JPEG"),  # undated
    ])
    names = ["/p/kyoto trip/temple_1.jpg", "/p/osaka/castle.heic", "/p/home/dog.jpg", "/p/home/old dog.png",
             "/p/scans/100%_cat.jpg"]
    with library.db.write_session() as s:
        for photo_id, path in zip(ids, names):
            s.add(PhotoFile(photo_id=photo_id, path=path, size=1, mtime_ns=0, first_seen=0, last_seen=0))
        s.add(PhotoPlace(photo_id=ids[0], city="Kyoto", region="Kyoto", country="Japan", country_code="JP"))
        s.add(PhotoPlace(photo_id=ids[1], city="Osaka", region="Osaka", country="Japan", country_code="JP"))
    library.albums.create("Summer 2019", [ids[0], ids[2]])
    return ids


CASES = [
    ("place:Kyoto", [0]),
    ("place:japan", [0, 1]),
    ("camera:canon", [0, 2]),
    ("camera:nikon", [3]),
    ("year:2019", [0, 1, 2]),
    ("year:2019..2020", [0, 1, 2, 3]),
    ("date:2019-06..2019-08", [0, 1]),
    ("date:2019-09-01", [2]),
    ("date:..2019-06", [0]),
    ('album:"Summer 2019"', [0, 2]),
    ("has:gps", [0, 1]),
    ("has:place", [0, 1]),
    ("type:heic", [1]),
    ("type:jpg", [0, 2, 4]),
    ("-camera:canon", [1, 3, 4]),  # photos without a camera are not canon
    ("-has:gps year:2019", [2]),
    ("camera:canon OR type:png", [0, 2, 3]),
    ("(place:kyoto OR place:osaka) -type:heic", [0]),
    ("dog", [2, 3]),
    ('"old dog"', [3]),
    ("dog -old", [2]),
    ("home dog", [2, 3]),
    ("100%", [4]),  # LIKE wildcards in words are literal
    ("_cat", [4]),
    ("", [0, 1, 2, 3, 4]),
]


@pytest.mark.parametrize("query,expected", CASES)
def test_every_filter(library, photos, query, expected):
    from app.core.search.query import run_query

    assert sorted(run_query(library, query)) == sorted(photos[i] for i in expected)


@pytest.mark.parametrize("query,message,where", [
    ("dog foo:bar", "unknown filter foo:", "    ^^^^"),
    ("year:19", "year: takes", "     ^^"),
    ("(camera:canon", "never closed", "^"),
    ("a OR", "OR needs a term after it", "  ^^"),
    ('album:"Nope"', "no album named 'Nope'", "^" * 12),
    ("type:raw", "unknown file type", "^" * 8),
    ('"open', "quote is never closed", "^" * 5),
    ("date:2019-08..2019-06", "ends before it starts", "     " + "^" * 16),
])
def test_errors_point_at_the_bad_part(library, photos, query, message, where):
    from app.core.search.errors import QueryError
    from app.core.search.query import run_query

    with pytest.raises(QueryError) as info:
        run_query(library, query)
    text = info.value.describe()
    assert message in str(info.value) and text.splitlines()[-1] == "  " + where


def test_has_voice_finds_photos_with_a_voice_note(library, photos, tmp_path):
    """has:voice was "not available yet" until voice notes existed (issue 12); now it filters on them."""
    from sqlalchemy import select

    from app.core.db.models import VoiceNote
    from app.core.search.query import run_query

    with library.db.write_session() as s:
        s.add(VoiceNote(photo_id=photos[1], audio="x.wav", created_at=0.0))
    assert run_query(library, "has:voice") == [photos[1]]
    assert photos[1] not in run_query(library, "-has:voice")
    with library.db.read_session() as s:
        assert s.scalars(select(VoiceNote.photo_id)).all() == [photos[1]]


def test_smart_album_is_live(library, photos):
    album = library.albums.create("Canon 2019", query="camera:canon year:2019")
    assert sorted(library.albums.get(album).photo_ids) == [photos[0], photos[2]]
    (later,) = make_photos(library, [dict(taken_at="2019-12-24T18:00:00", camera_make="Canon")])
    assert later in library.albums.get(album).photo_ids
    nested = library.albums.create("Canon 2019 away", query='album:"Canon 2019" has:gps')
    assert library.albums.get(nested).photo_ids == [photos[0]]


def test_smart_album_that_names_itself_is_an_error_not_a_hang(library, photos):
    from app.core.search.errors import QueryError

    loop = library.albums.create("Loop", query='album:"Loop" has:gps')
    with pytest.raises(QueryError, match="refers back to itself"):
        library.albums.get(loop)


def test_smart_album_cli_and_bad_query(tmp_path, capsys):
    from app.core.library import Library

    lib = tmp_path / "lib"
    with Library.open(lib) as library:
        ids = make_photos(library, [dict(camera_make="Canon", taken_at="2019-05-05T00:00:00"), dict()])
    code, out, _ = run_cli(capsys, lib, "albums", "create", "C", "--query", "camera:canon year:2019", "--json")
    album = json.loads(out)["id"]
    code, out, _ = run_cli(capsys, lib, "albums", "list", "--json")
    assert json.loads(out) == [{"id": album, "name": "C", "kind": "smart", "query": "camera:canon year:2019",
                                "cover_photo_id": None, "sort": "date", "photo_ids": [ids[0]]}]
    code, _, err = run_cli(capsys, lib, "albums", "create", "D", "--query", "camera:canon yeer:2019")
    assert code == 1 and "unknown filter yeer:" in err and "^^^^^" in err and "Traceback" not in err
    code, out, err = run_cli(capsys, lib, "find", "camera:canon", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [ids[0]]
    code, _, err = run_cli(capsys, lib, "find", "person:Bob")
    assert code == 1 and "there is no person named 'Bob'" in err and "Traceback" not in err


def test_search_ranks_free_words_by_smart_search_within_filters(library, photos, monkeypatch):
    """With a model serving, free words rank by it among the photos that pass the filters (no name matching);
    without one they match names."""
    from app.core.search import query
    from app.core.search.service import SearchHit, SearchStatus

    assert query.search(library, "dog camera:canon") == [photos[2]]  # no model: names
    service = library.search
    monkeypatch.setattr(service, "status", lambda: SearchStatus("m", True, "ready", 5, 5))
    ranked = [photos[i] for i in (3, 0, 1, 2, 4)]
    monkeypatch.setattr(service, "text", lambda text, limit: [SearchHit(p, 1.0 - i / 10) for i, p in enumerate(ranked)])
    assert query.search(library, "temple") == ranked
    assert query.search(library, "temple camera:canon") == [photos[0], photos[2]]
    assert query.search(library, "temple -year:2019", limit=1) == [photos[3]]


def test_completion_of_filter_names_and_values(library, photos):
    from app.core.search.complete import complete

    assert complete(library, "dog ca") == ["camera:"]
    assert complete(library, "pers") == ["person:"]
    assert complete(library, "place:ky") == ["place:Kyoto"]
    assert complete(library, "place:jap") == ["place:Japan"]
    assert complete(library, "-album:sum") == ['-album:"Summer 2019"']
    assert complete(library, "camera:eos") == ['camera:"Canon EOS 5D"', 'camera:"Canon EOS R"']
    assert complete(library, "year:") == ["year:2020", "year:2019"]
    assert complete(library, "has:") == ["has:faces", "has:gps", "has:place", "has:voice"]
    assert complete(library, "dog ") == []
