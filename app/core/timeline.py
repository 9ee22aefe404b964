"""Date groups of an ordered photo list: where each day and each month starts, for the grid's date headers.

The grid shows a header row above each day (or month, when zoomed out) with the date, where the photos were
taken and how many there are. The groups are runs of one capture day in the list as the view ordered it, so
they are worked out here from the list itself, off the GUI thread (two cheap reads and one pass over the ids:
about a tenth of a second at 100,000 photos). A list that is not in date order (sorted by name, search
results) has no date groups.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from sqlalchemy import func, select

from app.core.db.models import Photo, PhotoPlace

if TYPE_CHECKING:
    from app.core.library import Library

_CHUNK = 20_000  # above this many ids one read of the whole table is cheaper than IN (...) lists
_PLACES_SHOWN = 2


@dataclass(frozen=True)
class DateGroup:
    """`count` photos from list position `start` on, taken in `period` ("2019-07-14" or "2019-07"; "" when
    they have no date); `place` names where most of them were taken (None when none has a place)."""

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
    keys = [days.get(pid) or "" for pid in ids]
    if not _in_date_order(keys):
        return None
    day_groups = _runs(keys, lambda key: key, ids, places)
    month_groups = _runs(keys, lambda key: key[:7], ids, places)
    return Timeline(day_groups, month_groups)


def _read(library: "Library", ids: Sequence[int]) -> tuple[dict[int, str], dict[int, str]]:
    """Capture day and place name of each photo (ISO dates compare as text)."""
    day = func.substr(Photo.taken_at, 1, 10)
    place = func.coalesce(PhotoPlace.city, PhotoPlace.region, PhotoPlace.country)
    with library.db.read_session() as s:
        if len(ids) > _CHUNK:
            days = dict(s.execute(select(Photo.id, day)).all())
            places = dict(s.execute(select(PhotoPlace.photo_id, place)).all())
        else:
            days, places = {}, {}
            for start in range(0, len(ids), 500):
                part = list(ids[start:start + 500])
                days.update(s.execute(select(Photo.id, day).where(Photo.id.in_(part))).all())
                places.update(s.execute(select(PhotoPlace.photo_id, place).where(PhotoPlace.photo_id.in_(part))).all())
    return days, {k: v for k, v in places.items() if v}


def _in_date_order(keys: list[str]) -> bool:
    dated = [k for k in keys if k]
    return (all(a >= b for a, b in zip(dated, dated[1:])) or all(a <= b for a, b in zip(dated, dated[1:])))


def _runs(keys: list[str], period_of, ids: Sequence[int], places: dict[int, str]) -> list[DateGroup]:
    groups: list[DateGroup] = []
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or period_of(keys[i]) != period_of(keys[start]):
            names = Counter(places[pid] for pid in ids[start:i] if pid in places)
            place = ", ".join(name for name, _ in names.most_common(_PLACES_SHOWN)) or None
            groups.append(DateGroup(start, i - start, period_of(keys[start]), place))
            start = i
    return groups
