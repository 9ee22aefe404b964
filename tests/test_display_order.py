"""The grid's id list (PhotoService.ordered_ids): newest first, undated last, read from an index rather than
sorted on every live refresh (migration 0015_gridperf)."""

from __future__ import annotations

from app.bench.gui import generate_library


def test_display_order_is_an_index_scan_with_undated_photos_last(library):
    generate_library(library, 60, thumbnails=0)
    with library.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE photos SET taken_at = NULL WHERE id IN (3, 4)")
        conn.exec_driver_sql("UPDATE photos SET taken_at = (SELECT taken_at FROM photos WHERE id = 10) WHERE id = 11")
        conn.exec_driver_sql("UPDATE photos SET hidden = 1 WHERE id = 20")
        rows = conn.exec_driver_sql("SELECT id, taken_at FROM photos WHERE hidden = 0").fetchall()
    dated = sorted((r for r in rows if r[1] is not None), key=lambda r: (r[1], r[0]), reverse=True)
    expected = [pid for pid, _ in dated] + sorted((pid for pid, taken in rows if taken is None), reverse=True)
    ids = library.photos.ordered_ids()
    assert ids == expected and ids[-2:] == [4, 3] and 20 not in ids
    assert ids.index(11) == ids.index(10) - 1  # the same time: the newer id first
    folder_id = library.photos.folders()[0].id
    assert library.photos.ordered_ids(folder_id=folder_id) == ids  # (read through the driver's cursor)
    assert library.photos.ordered_ids(folder_id=folder_id + 1) == []
    assert 20 in library.photos.ordered_ids(include_hidden=True)

    from sqlalchemy import select
    from sqlalchemy.dialects import sqlite

    from app.core.db.models import Photo
    from app.core.photos import _ORDER

    query = select(Photo.id).where(Photo.hidden.is_(False)).order_by(*_ORDER)
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with library.db.engine.connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "ix_photos_display_order" in plan and "TEMP B-TREE" not in plan, plan


def test_get_many_gives_what_the_object_path_gives(library):
    """get_many reads through the listing's driver cursor now (the grid's pages, off the GUI thread but in its
    process): the same PhotoInfo as the ORM path, files present and missing, edits included, in the order
    asked, unknown ids skipped."""
    from app.core.db.models import PhotoFile

    generate_library(library, 30, thumbnails=0)
    with library.db.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO photo_files (photo_id, folder_id, path, size, mtime_ns, missing,"
                             " first_seen, last_seen) SELECT 5, folder_id, '/elsewhere/copy.jpg', size, mtime_ns,"
                             " 1, first_seen, last_seen FROM photo_files WHERE photo_id = 5")
    assert PhotoFile.__tablename__ == "photo_files"
    library.organise.set_rating([7], 4)
    library.organise.add_tags([7, 9], ["zebra", "Alps", "beach"])
    library.organise.add_tags([11], ["only a tag"])  # tags and no other edit
    library.organise.set_favourite([9], True)
    library.organise.set_rejected([12], True)
    library.organise.set_title([13], "Title")
    library.organise.set_description([13], "What it shows")
    library.organise.rotate([14], 90)
    expected = {info.id: info for info in library.photos.list()}
    ids = [7, 5, 999_999, 1, 5]
    assert library.photos.get_many(ids) == [expected[7], expected[5], expected[1], expected[5]]
    got = {info.id: info for info in library.photos.get_many(list(expected))}
    assert got == expected
    assert got[5].missing_paths == ["/elsewhere/copy.jpg"] and got[7].rating == 4
    assert got[7].tags == ["Alps", "beach", "zebra"] and got[11].tags == ["only a tag"] and got[9].favourite
    assert got[12].rejected and got[13].title == "Title" and got[14].rotation == 90 and got[1].tags == []
    got[1].tags.append("mine")  # each photo has its own list
    assert library.photos.get_many([2])[0].tags == []


def test_grown_groups_match_the_groups_worked_out_again(library):
    """An import's refresh grows the date groups by the photos it added (grown_groups) instead of reading every
    photo's day again: for random sets of added photos (joining days, starting days, undated ones, places),
    the result is what date_groups gives for the whole new list."""
    import random

    from app.core.timeline import Groups, date_groups, grown_groups
    from app.ui.grid_model import plan_sync

    generate_library(library, 400, thumbnails=0)
    with library.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE photos SET taken_at = '2020-05-05T10:00:00' WHERE id BETWEEN 10 AND 40")
        conn.exec_driver_sql("UPDATE photos SET taken_at = '2020-05-07T10:00:00' WHERE id BETWEEN 41 AND 50")
        conn.exec_driver_sql("UPDATE photos SET taken_at = NULL WHERE id BETWEEN 60 AND 64")
        for pid in range(5, 120):
            city = ("Kyoto", "Osaka", "Nara")[pid % 3] if pid % 4 else None
            conn.exec_driver_sql("INSERT INTO photo_places (photo_id, city, country) VALUES (?, ?, 'Japan')",
                                 (pid, city))
    full = library.photos.ordered_ids()
    expected = date_groups(library, full)
    rng = random.Random(5)
    for trial in range(25):
        added = set(rng.sample(full, rng.choice([1, 3, 20, 60])))
        if trial % 5 == 0:
            added |= set(range(10, 41))  # a whole day arrives
        before = [pid for pid in full if pid not in added]
        removals, insertions = plan_sync(before, full)
        assert not removals
        grown = grown_groups(library, date_groups(library, before), full, insertions)
        assert grown == expected, trial
        # Grown twice, from grown groups (columns, as the window keeps them during an import):
        dropped = set(rng.sample(before, 5))
        earlier = [pid for pid in before if pid not in dropped]
        first = grown_groups(library, date_groups(library, earlier), before, plan_sync(earlier, before)[1])
        assert isinstance(first.days, Groups) and first == date_groups(library, before), trial
        assert grown_groups(library, first, full, insertions) == expected, trial
    assert grown_groups(library, date_groups(library, full[:-5]), full, [(0, 3)]) is None  # does not fit
    assert grown_groups(library, date_groups(library, []), full, [(0, len(full))]) == expected  # all new
    assert grown_groups(library, date_groups(library, []), [], []) == date_groups(library, [])


def test_ids_read_as_one_string_keep_the_display_order(library):
    """ordered_ids reads SQLite's ids as one group_concat string (the GIL is held ~4x less on the window's
    reader thread): over thousands of photos with shared times, missing dates and hidden ones, the order is
    the plain query's, row for row; an empty list is []."""
    import random

    from sqlalchemy import select
    from sqlalchemy.dialects import sqlite

    from app.core.db.models import Photo
    from app.core.photos import _ORDER

    assert library.photos.ordered_ids() == []
    generate_library(library, 3000, thumbnails=0)
    rng = random.Random(3)
    with library.db.engine.begin() as conn:
        for pid in range(1, 3001):
            choice = rng.random()
            taken = None if choice < 0.1 else f"2020-0{rng.randint(1, 3)}-01T10:00:00"
            conn.exec_driver_sql("UPDATE photos SET taken_at = ?, hidden = ? WHERE id = ?",
                                 (taken, choice > 0.95, pid))
    query = select(Photo.id).where(Photo.hidden.is_(False)).order_by(*_ORDER)
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with library.db.engine.connect() as conn:
        plain = [r[0] for r in conn.exec_driver_sql(sql)]
    ids = library.photos.ordered_ids()
    assert ids == plain and len(set(ids)) == len(ids) > 2500


def test_ids_parse_the_same_with_numpy_and_json(monkeypatch):
    """_parse_ids uses numpy once the window has loaded it (a fifth of json's time holding the GIL) and json
    before: both give the same plain ints."""
    import sys

    from app.core.photos import _parse_ids

    joined = ",".join(map(str, [9_007_199_254_740_000, 1, 42, 2**31, 100_000]))
    import numpy  # noqa: F401

    with_numpy = _parse_ids(joined)
    monkeypatch.delitem(sys.modules, "numpy", raising=False)
    with_json = _parse_ids(joined)
    assert with_json == [9_007_199_254_740_000, 1, 42, 2**31, 100_000]
    assert with_numpy == with_json and all(type(pid) is int for pid in with_numpy)


def test_date_groups_as_columns_act_as_the_list():
    """Groups (the columns the window keeps thousands of date groups in) index, slice, iterate and compare as
    the list of DateGroup they hold."""
    from app.core.timeline import DateGroup, Groups

    listed = [DateGroup(0, 3, "2020-01-02", "Kyoto"), DateGroup(3, 1, "2020-01-01"), DateGroup(4, 2, "", None)]
    groups = Groups.of(listed)
    assert groups == listed and list(groups) == listed and len(groups) == 3
    assert groups[1] == listed[1] and groups[-1] == listed[-1] and type(groups[0].start) is int
    assert groups[1:] == listed[1:] and isinstance(groups[1:], Groups) and not groups[3:]
    assert groups != listed[:2] and Groups.of(groups) is groups and Groups.of([]) == []
