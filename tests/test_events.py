"""Events on a synthetic life timeline with known true events; titles; edits that survive re-segmentation."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from test_albums import make_photos, run_cli


def load_timeline(library):
    """The synthetic year in the library (place names written as the places task would); {photo id: truth}."""
    from app.bench.life_timeline import life_timeline
    from app.core.db.models import PhotoPlace

    timeline = life_timeline()
    ids = make_photos(library, [dict(taken_at=p.taken_at, taken_at_source=p.taken_at_source, tz_offset=p.tz_offset,
                                     gps_lat=p.gps_lat, gps_lon=p.gps_lon) for p in timeline])
    with library.db.write_session() as s:
        s.add_all(PhotoPlace(photo_id=i, city=p.city, country=p.country) for i, p in zip(ids, timeline) if p.city)
    return dict(zip(ids, (p.truth for p in timeline)))


def test_timeline_events_match_the_true_ones(library):
    from app.bench.life_timeline import pairwise_scores

    truth = load_timeline(library)
    library.events.rebuild()
    events = library.events.list()
    scores = pairwise_scores(truth, [e.photo_ids for e in events])
    assert scores["undated_in_events"] == 0  # scans and file-time-only photos are in no event
    assert scores["f1"] >= 0.98 and scores["exact"] >= scores["true_events"] - 1
    titles = {e.title for e in events}
    assert {"Kyoto · 3–7 Apr 2019", "Paris & London · 10–15 Jul 2019", "Barnstable · 24 Aug 2019",
            "Los Angeles · 2–4 Nov 2019", "Boston · 16–17 Jun 2019"} <= titles
    kyoto = next(e for e in events if e.title.startswith("Kyoto"))
    assert kyoto.place == "Kyoto" and kyoto.cover_photo_id in kyoto.photo_ids
    assert kyoto.start.startswith("2019-04-03") and kyoto.end.startswith("2019-04-07")


@pytest.mark.parametrize("rows,expected", [
    # two outings at home a day apart are two events
    ([("2019-05-04T10:00:00", 1), ("2019-05-04T11:00:00", 1), ("2019-05-05T10:00:00", 1)], [[0, 1], [2]]),
    # a trip far from home spans nights (and a photoless day)
    ([("2019-05-03T10:00:00", 0), ("2019-05-04T10:30:00", 9), ("2019-05-05T20:00:00", 9),
      ("2019-05-07T09:00:00", 9)], [[0], [1, 2, 3]]),
    # time zones: 20:00 in Boston (-04:00) and 03:30 on a phone set to UTC are 3.5 h apart, not 7.5 h
    ([("2019-05-04T20:00:00-04:00", 1), ("2019-05-05T03:30:00+00:00", 1)], [[0, 1]]),
])
def test_context_gap(library, rows, expected):
    """Photo places: 0 home without a name, 1 home (Boston), 9 Tokyo; home is where most days are."""
    from app.core.db.models import PhotoPlace

    places = {0: (42.36, -71.06, None), 1: (42.36, -71.06, "Boston"), 9: (35.68, 139.69, "Tokyo")}
    filler = [dict(taken_at=f"2018-0{m}-01T12:00:00", gps_lat=42.36, gps_lon=-71.06) for m in range(1, 6)]
    make_photos(library, filler)  # home: Boston has the most days
    photos = []
    for taken, where in rows:
        lat, lon, _ = places[where]
        photos.append(dict(taken_at=taken[:19], tz_offset=taken[19:] or None, gps_lat=lat, gps_lon=lon))
    ids = make_photos(library, photos)
    with library.db.write_session() as s:
        s.add_all(PhotoPlace(photo_id=i, city=places[w][2]) for i, (_, w) in zip(ids, rows) if places[w][2])
    library.events.rebuild()
    groups = [e.photo_ids for e in library.events.list() if set(e.photo_ids) & set(ids)]
    index = {pid: n for n, pid in enumerate(ids)}
    assert [sorted(index[p] for p in g) for g in groups] == expected


def test_date_ranges_and_titles_without_place():
    from app.core.events.segment import Shot, date_range, title

    d = datetime.fromisoformat
    assert date_range(d("2019-04-03T09:00"), d("2019-04-07T20:00")) == "3–7 Apr 2019"
    assert date_range(d("2019-03-30T09:00"), d("2019-04-02T20:00")) == "30 Mar – 2 Apr 2019"
    assert date_range(d("2019-12-30T09:00"), d("2020-01-02T20:00")) == "30 Dec 2019 – 2 Jan 2020"
    assert title([Shot(1, d("2019-04-03T09:00"), d("2019-04-03T09:00"))]) == "3 Apr 2019"


def test_edits_survive_resegmentation_and_undo(library):
    events = library.events
    a = make_photos(library, [dict(taken_at=f"2019-05-0{d}T{h}:00:00") for d in (4, 6) for h in (10, 11, 12)])
    events.rebuild()
    first, second = events.list()
    events.rename(first.id, "Garden party")
    events.split(second.id, a[4])
    events.merge(first.id, second.id)
    listing = events.list()
    assert [e.photo_ids for e in listing] == [a[:4], a[4:]] and listing[0].title == "Garden party"

    make_photos(library, [dict(taken_at="2019-05-04T13:00:00"), dict(taken_at="2019-05-20T10:00:00")])
    events.rebuild()  # new photos arrive: the edits are replayed
    listing = events.list()
    assert listing[0].title == "Garden party" and listing[0].id == first.id and len(listing[0].photo_ids) == 5
    assert listing[1].photo_ids == a[4:] and len(listing) == 3

    library.undo.undo_last()  # the merge
    assert [len(e.photo_ids) for e in events.list()] == [4, 1, 2, 1]
    library.undo.undo_last()  # the split
    library.undo.undo_last()  # the rename
    assert [e.title for e in events.list()] == ["4 May 2019", "6 May 2019", "20 May 2019"]


def test_events_after_import_task_and_cli(tmp_path, capsys):
    from app.core.library import Library

    lib = tmp_path / "lib"
    with Library.open(lib) as library:
        ids = make_photos(library, [dict(taken_at="2019-04-03T10:00:00", gps_lat=35.0116, gps_lon=135.7681),
                                    dict(taken_at="2019-04-03T12:00:00", gps_lat=35.0116, gps_lon=135.7681),
                                    dict()])
        library.tasks.submit("places")  # what an import queues last; it queues the events task
        library.tasks.run_until_idle()
        assert [e.photo_ids for e in library.events.list()] == [ids[:2]]
    code, out, _ = run_cli(capsys, lib, "events", "list", "--json")
    (event,) = json.loads(out)
    assert code == 0 and event["title"] == "Kyoto · 3 Apr 2019" and event["place"] == "Kyoto"
    assert event["photo_ids"] == ids[:2] and event["start"] == "2019-04-03T10:00:00"
    assert run_cli(capsys, lib, "events", "rename", str(event["id"]), "Temples")[0] == 0
    code, out, _ = run_cli(capsys, lib, "events", "list", "--json")
    assert json.loads(out)[0]["title"] == "Temples"
    code, _, err = run_cli(capsys, lib, "events", "split", str(event["id"]), "--at", str(ids[0]))
    assert code == 1 and "already starts" in err
    code, out, err = run_cli(capsys, lib, "export", "--event", str(event["id"]), str(tmp_path / "out"))
    assert code == 1 and "none of its files is on disk" in out  # these test photos have no files
    code, _, err = run_cli(capsys, lib, "export", "--event", "99", str(tmp_path / "out"))
    assert code == 1 and "no event 99" in err and "unexpected" not in err


def test_resegmentation_rewrites_only_the_events_that_changed(library):
    """Photos arriving in a big library change a few events: only those rows are written (the write lock is
    held that much shorter), and the result is exactly what rewriting everything gives."""
    from app.core.events.service import rebuild

    load_timeline(library)
    library.events.rebuild()
    before = {e.id: e for e in library.events.list()}
    kyoto = next(e for e in before.values() if e.title.startswith("Kyoto"))
    make_photos(library, [dict(taken_at="2019-04-05T12:00:00", tz_offset="+09:00", gps_lat=35.0, gps_lon=135.77),
                          dict(taken_at="2020-03-01T10:00:00", gps_lat=42.36, gps_lon=-71.06)])

    if library.db.is_postgres:
        pytest.skip("counts changed rows with SQLite's connection counter (total_changes)")

    def changes(**kwargs) -> int:
        with library.db.write_session() as s:
            raw = s.connection().connection.driver_connection
            start = raw.total_changes
            rebuild(s, **kwargs)
            return raw.total_changes - start

    written = changes()
    after = library.events.list()
    assert written < 20  # Kyoto grew by one photo, one new outing: a few rows, not the ~500 of the library
    assert len(after) == len(before) + 1
    assert {e.id for e in after} >= set(before)  # ids kept
    assert len(next(e for e in after if e.id == kyoto.id).photo_ids) == len(kyoto.photo_ids) + 1
    assert changes(rewrite_all=True) > 400
    assert library.events.list() == after  # the same events either way
    assert changes() == 0  # nothing changed: nothing written
