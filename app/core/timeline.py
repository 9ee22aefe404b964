"""Date groups of an ordered photo list: where each day and each month starts, for the grid's date headers.

The grid shows a header row above each day (or month, when zoomed out) with the date, where the photos were
taken and how many there are. The groups are runs of one capture day in the list as the view ordered it, so
they are worked out here from the list itself, off the GUI thread (two cheap reads and one pass over the ids:
about a tenth of a second at 100,000 photos). A list that is not in date order (sorted by name, search
results) has no date groups.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import Counter
from itertools import accumulate, groupby, repeat
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Timeline:
    """The same list grouped two ways: by day (the grid zoomed in) and by month."""

    days: list[DateGroup]
    months: list[DateGroup]


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
    Gives what `date_groups(library, ids)` gives; None (work it all out) when `timeline` does not fit."""
    inserted = [pid for start, end in insertions for pid in ids[start:end]]
    if len(ids) - len(inserted) != sum(g.count for g in timeline.days):
        return None
    days, _ = _read(library, inserted)
    old_days = timeline.days
    # [period, count, old group index or None when photos were added to it]: per old group, not per photo, and
    # whole old groups copied in one step (they follow each other with distinct periods, so only a piece at
    # either end of a copy can join its neighbour); this runs on the window's reader thread, holding the GIL.
    runs: list[list] = []

    def add(period: str, count: int, group: int | None) -> None:
        if runs and runs[-1][0] == period:
            runs[-1][1] += count
            runs[-1][2] = None  # two pieces made one group: not an old group as it was
        else:
            runs.append([period, count, group])

    old, used = 0, 0  # the old group being copied, and how many of its photos are copied already

    def copy(count: int) -> None:
        nonlocal old, used
        if count and used:  # the rest of a group an insertion split
            group = old_days[old]
            take = min(count, group.count - used)
            add(group.period, take, None)
            used, count = used + take, count - take
            if used == group.count:
                old, used = old + 1, 0
        if not count:
            return
        whole = bisect_right(ends, copied_before[old] + count) - 1  # the last old group that fits whole
        if whole >= old:
            first = old_days[old]
            add(first.period, first.count, old)
            runs.extend([g.period, g.count, i] for i, g in enumerate(old_days[old + 1:whole + 1], old + 1))
            count -= ends[whole] - copied_before[old]
            old = whole + 1
        if count:  # the first part of a group an insertion splits
            add(old_days[old].period, count, None)
            used = count

    ends = list(accumulate(g.count for g in old_days))  # photos of the old groups up to each one's end
    copied_before = [0, *ends]
    position = 0
    for start, end in insertions:
        copy(start - position)
        for pid in ids[start:end]:
            add(days.get(pid, ""), 1, None)
        position = end
    copy(len(ids) - position)
    dated = [run[0] for run in runs if run[0]]
    if dated != sorted(dated, reverse=True) and dated != sorted(dated):
        return None
    starts = [0, *accumulate(run[1] for run in runs)]
    old_months = {g.period: g for g in timeline.months}
    changed_months = {run[0][:7] for run in runs if run[2] is None}
    wanted = [pid for (period, count, _group), first in zip(runs, starts) if period[:7] in changed_months
              for pid in ids[first:first + count]]
    places = _places(library, wanted)
    day_groups = [(old_days[group] if old_days[group].start == first else
                   DateGroup(first, count, period, old_days[group].place)) if group is not None
                  else DateGroup(first, count, period, _place(ids[first:first + count], places))
                  for (period, count, group), first in zip(runs, starts)]
    month_groups = []
    for month, run in groupby(day_groups, key=lambda g: g.period[:7]):
        run = list(run)
        first, count = run[0].start, sum(g.count for g in run)
        if len(run) == 1:
            place = run[0].place
        elif month not in changed_months and month in old_months:
            place = old_months[month].place
        else:
            place = _place(ids[first:first + count], places)
        month_groups.append(DateGroup(first, count, month, place))
    return Timeline(day_groups, month_groups)


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
    return None if (days, months) == (timeline.days, timeline.months) else Timeline(days, months)


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
