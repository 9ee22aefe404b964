"""Date groups of an ordered photo list: where each day and each month starts, for the grid's date headers.

The grid shows a header row above each day (or month, when zoomed out) with the date, where the photos were
taken and how many there are. The groups are runs of one capture day in the list as the view ordered it, so
they are worked out here from the list itself, off the GUI thread (two cheap reads and one pass over the ids:
about a tenth of a second at 100,000 photos). A list that is not in date order (sorted by name, search
results) has no date groups.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass
from itertools import groupby, repeat
from typing import TYPE_CHECKING, NamedTuple, Sequence

from sqlalchemy import func, select

from app.core.db.models import Photo, PhotoPlace

if TYPE_CHECKING:
    from app.core.library import Library

_CHUNK = 20_000  # above this many ids one read of the whole table is cheaper than IN (...) lists
_PLACES_SHOWN = 2


class DateGroup(NamedTuple):
    """`count` photos from list position `start` on, taken in `period` ("2019-07-14" or "2019-07"; "" when
    they have no date); `place` names where most of them were taken (None when none has a place).

    A named tuple rather than a frozen dataclass: half the cost to make (0.24 against 0.54 µs), and an import's
    refresh makes thousands on the window's reader thread (every group after the first new photo starts
    further down) while the GUI thread waits for the GIL."""

    start: int
    count: int
    period: str
    place: str | None = None

    @property
    def end(self) -> int:
        return self.start + self.count


class Groups(SequenceABC):
    """Date groups as columns (numpy arrays: first rows, counts, periods, places), a DateGroup made only for the
    one asked for. An import's refresh grows thousands of day groups on the window's reader thread, and making a
    DateGroup for each held the GIL the GUI thread paints with for ~2 ms of the ~8 that growing them took; the
    grid lays them out from `starts` and `counts` and asks only for the few on screen. Compares equal to a list
    of the same DateGroups."""

    __slots__ = ("starts", "counts", "periods", "places")

    def __init__(self, starts, counts, periods, places):
        self.starts, self.counts, self.periods, self.places = starts, counts, periods, places

    @classmethod
    def of(cls, groups: Sequence[DateGroup]) -> "Groups":
        if isinstance(groups, Groups):
            return groups
        import numpy as np

        starts, counts, periods, places = zip(*groups) if groups else ((), (), (), ())
        return cls(np.array(starts, dtype=np.int64), np.array(counts, dtype=np.int64),
                   _objects(periods), _objects(places))

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Groups(self.starts[index], self.counts[index], self.periods[index], self.places[index])
        return DateGroup(int(self.starts[index]), int(self.counts[index]), self.periods[index], self.places[index])

    def __iter__(self):
        columns = self.starts.tolist(), self.counts.tolist(), self.periods.tolist(), self.places.tolist()
        return map(DateGroup, *columns)

    def __eq__(self, other) -> bool:
        return isinstance(other, SequenceABC) and len(self) == len(other) and list(self) == list(other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"Groups({list(self)!r})"


def _objects(values: Sequence):
    """A numpy array of these Python objects (strings, None) as they are."""
    import numpy as np

    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


@dataclass(frozen=True)
class Timeline:
    """The same list grouped two ways: by day (the grid zoomed in) and by month (lists of DateGroup, or Groups)."""

    days: Sequence[DateGroup]
    months: Sequence[DateGroup]


def date_groups(library: "Library", ids: Sequence[int]) -> Timeline | None:
    """Day and month groups of `ids` as ordered, or None when the dated photos are not in date order (either
    direction); photos without a date form their own group."""
    if not ids:
        return Timeline([], [])
    days, places = _read(library, ids)
    # C-speed passes over the 100k ids (map, filter, len(list(run))): Python code per photo held the GIL the
    # window's GUI thread needs for ~100 ms on every refresh during an import; now Python runs per group.
    keys = list(map(days.get, ids, repeat("")))  # "": no date (or not found)
    dated = list(filter(None, keys))
    if dated != sorted(dated, reverse=True) and dated != sorted(dated):  # C-speed checks, not a Python loop
        return None
    day_groups, start = [], 0
    for key, run in groupby(keys):
        count = len(list(run))
        day_groups.append(DateGroup(start, count, key, _place(ids[start:start + count], places)))
        start += count
    month_groups = []
    for month, run in groupby(day_groups, key=lambda g: g.period[:7]):
        run = list(run)
        first, count = run[0].start, sum(g.count for g in run)
        place = run[0].place if len(run) == 1 else _place(ids[first:first + count], places)
        month_groups.append(DateGroup(first, count, month, place))
    return Timeline(day_groups, month_groups)


def grown_groups(library: "Library", timeline: Timeline, ids: Sequence[int],
                 insertions: Sequence[tuple[int, int]]) -> Timeline | None:
    """`timeline` (the groups of the list before an import added photos) brought up to date for `ids`, the
    list with the rows `insertions` ([start, end) ranges in `ids`) added, reading only the new photos and the
    places of the groups they join. The window asks after every refresh of an import: working the whole list
    out again read every photo's day (~170 ms of its reader thread, half of it Python holding the GIL).
    Gives what `date_groups(library, ids)` gives, as Groups; None (work it all out) when `timeline` does not fit.

    numpy does the passes over the old groups (thousands of days at 100k photos) and Python runs per added photo
    and per changed group only: Python per group took ~30 ms of the GIL per refresh, which the GUI thread waited
    for in the frames it painted meanwhile."""
    import numpy as np

    new_rows = np.fromiter((row for start, end in insertions for row in range(start, end)), dtype=np.int64)
    inserted = [ids[row] for row in new_rows.tolist()]
    old = Groups.of(timeline.days)
    total = int(old.counts.sum())
    if len(ids) - len(inserted) != total:
        return None
    if not total:  # every photo is new (the first import into an empty library): nothing to grow
        return date_groups(library, ids)
    days, _ = _read(library, inserted)
    # The list as pieces: the old list cut where photos were added (each added photo comes before the old photo
    # at `before`), and the added photos one by one, in list order; neighbours of one day make one group.
    before = new_rows - np.arange(len(new_rows))
    cuts = np.sort(np.concatenate([old.starts, before[before < total]]))  # (np.union1d hashes: slower)
    cuts = cuts[np.concatenate([[True], cuts[1:] != cuts[:-1]])]
    piece_group = np.searchsorted(old.starts, cuts, side="right") - 1
    piece_count = np.diff(cuts, append=total)
    order = np.argsort(np.concatenate([2 * cuts + 1, 2 * before]), kind="stable")
    period = np.concatenate([old.periods[piece_group], _objects([days.get(pid, "") for pid in inserted])])[order]
    count = np.concatenate([piece_count, np.ones(len(inserted), dtype=np.int64)])[order]
    # The old group a piece is, whole (its place stands); -1 for added photos and pieces of a cut group.
    whole = np.where(piece_count == old.counts[piece_group], piece_group, -1)
    was = np.concatenate([whole, np.full(len(inserted), -1, dtype=np.int64)])[order]
    heads = np.flatnonzero(np.concatenate([[True], period[1:] != period[:-1]]))
    periods = period[heads]
    dated = list(filter(None, periods.tolist()))
    if dated != sorted(dated, reverse=True) and dated != sorted(dated):
        return None
    counts = np.add.reduceat(count, heads)
    starts = np.cumsum(counts) - counts
    kept = np.where(np.diff(heads, append=len(period)) == 1, was[heads], -1)  # the old group as it was, or -1
    changed = np.flatnonzero(kept < 0).tolist()
    month = periods.astype("U7")  # "2019-07-14" -> "2019-07"
    changed_months = {str(month[i]) for i in changed}
    places: dict[int, str] = {}
    if changed and _any_places(library):  # else no group has a place: nothing to read or count
        in_changed = np.isin(month, list(changed_months))
        spans = zip(starts[in_changed].tolist(), counts[in_changed].tolist())
        places = _places(library, [pid for first, size in spans for pid in ids[first:first + size]])
    group_places = old.places[kept]  # (kept -1 picks the last: those are replaced below)
    for i in changed:
        first = int(starts[i])
        group_places[i] = _place(ids[first:first + int(counts[i])], places)
    day_groups = Groups(starts, counts, periods, group_places)

    month_heads = np.flatnonzero(np.concatenate([[True], month[1:] != month[:-1]]))
    month_counts = np.add.reduceat(counts, month_heads)
    month_starts, names = starts[month_heads], month[month_heads].tolist()
    old_places = {group.period: group.place for group in timeline.months}  # (a few hundred)
    lone = (np.diff(month_heads, append=len(month)) == 1).tolist()
    month_places = []
    for head, name, first, size, alone in zip(month_heads.tolist(), names, month_starts.tolist(),
                                              month_counts.tolist(), lone):
        if alone:
            month_places.append(group_places[head])
        elif name not in changed_months and name in old_places:
            month_places.append(old_places[name])
        else:
            month_places.append(_place(ids[first:first + size], places))
    return Timeline(day_groups, Groups(month_starts, month_counts, _objects(names), _objects(month_places)))


def _read(library: "Library", ids: Sequence[int]) -> tuple[dict[int, str], dict[int, str]]:
    """Capture day and place name of each photo (ISO dates compare as text)."""
    day = func.coalesce(func.substr(Photo.taken_at, 1, 10), "")
    place = func.coalesce(PhotoPlace.city, PhotoPlace.region, PhotoPlace.country)
    with library.db.read_session() as s:
        if len(ids) > _CHUNK:
            # Straight through the driver: 100k rows without SQLAlchemy's row processing cost a third of the
            # time, and sqlite3 lets go of the interpreter lock while it steps, so the GUI thread paints meanwhile.
            cursor = s.connection().connection.dbapi_connection.cursor()
            days = dict(cursor.execute("SELECT id, coalesce(substr(taken_at, 1, 10), '') FROM photos").fetchall())
            places = dict(cursor.execute("SELECT photo_id, coalesce(city, region, country) FROM photo_places"
                                         " WHERE coalesce(city, region, country) IS NOT NULL").fetchall())
        else:
            days, places = {}, {}
            for start in range(0, len(ids), 500):
                part = list(ids[start:start + 500])
                days.update(s.execute(select(Photo.id, day).where(Photo.id.in_(part))).all())
                places.update(s.execute(select(PhotoPlace.photo_id, place)
                                        .where(PhotoPlace.photo_id.in_(part), place.is_not(None))).all())
    return days, places


def _places(library: "Library", ids: Sequence[int]) -> dict[int, str]:
    """The place name of each of these photos that has one (one query per 5,000 ids, the ids as a JSON array
    on SQLite)."""
    places: dict[int, str] = {}
    if not ids:
        return places
    with library.db.read_session() as s:
        if s.get_bind().dialect.name == "sqlite":
            cursor = s.connection().connection.dbapi_connection.cursor()
            for start in range(0, len(ids), 5_000):
                places.update(cursor.execute(
                    "SELECT photo_id, coalesce(city, region, country) FROM photo_places WHERE photo_id IN"
                    " (SELECT value FROM json_each(?)) AND coalesce(city, region, country) IS NOT NULL",
                    (json.dumps(list(ids[start:start + 5_000])),)).fetchall())
            return places
    return _read(library, ids)[1]


def _any_places(library: "Library") -> bool:
    """Whether any photo has a place name (a library without GPS has none: no places to read per group)."""
    named = func.coalesce(PhotoPlace.city, PhotoPlace.region, PhotoPlace.country).is_not(None)
    with library.db.read_session() as s:
        return s.execute(select(PhotoPlace.photo_id).where(named).limit(1)).first() is not None


def _place(ids: Sequence[int], places: dict[int, str]) -> str | None:
    """The names of where most of these photos were taken ("Kyoto, Osaka"), None when none has a place."""
    if not places:
        return None
    names = Counter(filter(None, map(places.get, ids)))
    return ", ".join(name for name, _ in names.most_common(_PLACES_SHOWN)) or None


def relabel(library: "Library", ids: Sequence[int], timeline: Timeline) -> Timeline | None:
    """`timeline` (worked out for `ids`) with the places read again, or None when no group's place changed:
    places are named after the import (the background `places` task), so a header first shown without one
    gets it later. The groups stay; only their places are worked out again."""
    places = _read_places(library, ids)

    def again(groups: list[DateGroup]) -> list[DateGroup]:
        named = [_place(ids[g.start:g.end], places) for g in groups]
        return [g if g.place == p else DateGroup(g.start, g.count, g.period, p) for g, p in zip(groups, named)]

    days, months = again(timeline.days), again(timeline.months)
    if (days, months) == (timeline.days, timeline.months):
        return None
    if isinstance(timeline.days, Groups):  # kept as columns, as they came
        return Timeline(Groups.of(days), Groups.of(months))
    return Timeline(days, months)


def places_version(library: "Library") -> tuple:
    """A fingerprint of the place names, cheap enough for every refresh (one pass over photo_places inside the
    database, nothing read into Python): it moves when places are named (the places task adds rows), removed,
    or renamed to a name of another length. `relabel` is worth its cost only when it moved."""
    names = sum(func.length(func.coalesce(c, "")) for c in (PhotoPlace.city, PhotoPlace.region, PhotoPlace.country))
    with library.db.read_session() as s:
        count, last, size = s.execute(select(func.count(), func.max(PhotoPlace.photo_id), func.sum(names))).one()
    return count, last or 0, int(size or 0)


def _read_places(library: "Library", ids: Sequence[int]) -> dict[int, str]:
    """The place name of each of `ids` that has one (city, else region, else country)."""
    place = func.coalesce(PhotoPlace.city, PhotoPlace.region, PhotoPlace.country)
    with library.db.read_session() as s:
        if len(ids) > _CHUNK:
            cursor = s.connection().connection.dbapi_connection.cursor()
            return dict(cursor.execute("SELECT photo_id, coalesce(city, region, country) FROM photo_places"
                                       " WHERE coalesce(city, region, country) IS NOT NULL").fetchall())
        places = {}
        for start in range(0, len(ids), 500):
            part = list(ids[start:start + 500])
            places.update(s.execute(select(PhotoPlace.photo_id, place)
                                    .where(PhotoPlace.photo_id.in_(part), place.is_not(None))).all())
        return places
