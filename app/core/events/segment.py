"""Cutting a photo timeline into events, with a gap that depends on where the photos were taken.

A fixed gap (LibrePhotos splits at 36 hours) either merges a Saturday and a Sunday outing at home or breaks a
trip at every night. Here:

1. Home is the place with photos on the most distinct days (a city name, or a ~10 km grid cell without names).
2. Each photo is *away* when it was taken more than AWAY_KM from home. Photos without GPS take the state of the
   nearest photo in time that has one (a camera without GPS on a trip is on the trip).
3. Consecutive photos (in true time: the camera's local time minus its UTC offset when known) stay together when
   the gap is below the context's limit: HOME_GAP between photos at home, AWAY_GAP (spanning nights and a
   photoless day) between photos away. Leaving or coming home (away next to home) splits after TRANSITION_GAP.

Photos without a capture time (or whose time is only the file's modification time) are left out of events.
This module is pure (records in, groups out); app.core.events.service reads and writes the database.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from app.core import date_text

HOME_GAP = timedelta(hours=6)
AWAY_GAP = timedelta(hours=48)
TRANSITION_GAP = timedelta(hours=2)
AWAY_KM = 50.0
GRID_DEG = 0.1  # home cell when places have no names


@dataclass(frozen=True)
class Shot:
    """One dated photo as segmentation sees it."""

    id: int
    local: datetime  # wall-clock time where it was taken (for titles)
    instant: datetime  # local minus the UTC offset when known (for ordering and gaps)
    lat: Optional[float] = None
    lon: Optional[float] = None
    city: Optional[str] = None
    country: Optional[str] = None


def parse_time(taken_at: str, tz_offset: Optional[str]) -> tuple[datetime, datetime] | None:
    """(local, instant) from the stored ISO time and "+09:00"-style offset; None when unreadable."""
    try:
        local = datetime.fromisoformat(taken_at[:19])
    except ValueError:
        return None
    instant = local
    if tz_offset:
        try:
            sign = -1 if tz_offset.strip().startswith("-") else 1
            hours, _, minutes = tz_offset.strip().lstrip("+-").partition(":")
            instant = local - sign * timedelta(hours=int(hours), minutes=int(minutes or 0))
        except ValueError:
            pass
    return local, instant.replace(tzinfo=None)


def km_between(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dp, dl = p2 - p1, math.radians(b_lon - a_lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _place_key(shot: Shot):
    if shot.city:
        return (shot.city, shot.country)
    if shot.lat is not None and shot.lon is not None:
        return (round(shot.lat / GRID_DEG), round(shot.lon / GRID_DEG))
    return None


def find_home(shots: list[Shot]) -> tuple[float, float] | None:
    """The centre of the place with photos on the most distinct days (None without any GPS)."""
    days: dict[object, set] = {}
    for s in shots:
        key = _place_key(s)
        if key is not None and s.lat is not None:
            days.setdefault(key, set()).add(s.local.date())
    if not days:
        return None
    home = max(days, key=lambda k: (len(days[k]), str(k)))
    points = [(s.lat, s.lon) for s in shots if s.lat is not None and _place_key(s) == home]
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def _away_flags(shots: list[Shot], home: tuple[float, float] | None) -> list[bool]:
    """Away or not per photo (time order); photos without GPS copy their nearest located neighbour in time."""
    known: list[Optional[bool]] = [
        None if s.lat is None or s.lon is None or home is None else km_between(s.lat, s.lon, *home) > AWAY_KM
        for s in shots
    ]
    located = [i for i, k in enumerate(known) if k is not None]
    if not located:
        return [False] * len(shots)
    flags, j = [], 0
    for i, k in enumerate(known):
        if k is not None:
            flags.append(k)
            continue
        while j + 1 < len(located) and located[j + 1] < i:
            j += 1
        before = located[j] if located[j] < i else None
        after = next((x for x in located[j:] if x > i), None)
        if before is None or (after is not None and
                              shots[after].instant - shots[i].instant < shots[i].instant - shots[before].instant):
            flags.append(bool(known[after]))
        else:
            flags.append(bool(known[before]))
    return flags


def split_after(gap: timedelta, away_a: bool, away_b: bool) -> bool:
    if away_a and away_b:
        return gap > AWAY_GAP
    if away_a != away_b:
        return gap > TRANSITION_GAP
    return gap > HOME_GAP


def segment(shots: list[Shot]) -> list[list[Shot]]:
    """Groups of photos in time order, one per event."""
    shots = sorted(shots, key=lambda s: (s.instant, s.id))
    if not shots:
        return []
    away = _away_flags(shots, find_home(shots))
    groups = [[shots[0]]]
    for i in range(1, len(shots)):
        if split_after(shots[i].instant - shots[i - 1].instant, away[i - 1], away[i]):
            groups.append([])
        groups[-1].append(shots[i])
    return groups


def fixed_gap(shots: list[Shot], gap: timedelta = timedelta(hours=36)) -> list[list[Shot]]:
    """The baseline (LibrePhotos): split wherever the gap exceeds a fixed limit, on local time as stored."""
    shots = sorted(shots, key=lambda s: (s.local, s.id))
    groups: list[list[Shot]] = []
    for i, s in enumerate(shots):
        if i == 0 or s.local - shots[i - 1].local > gap:
            groups.append([])
        groups[-1].append(s)
    return groups


# -- titles ----------------------------------------------------------------------------------------------------
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def date_range(first: datetime, last: datetime) -> str:
    """"3 Apr 2019", "3–7 Apr 2019", "30 Mar – 2 Apr 2019", "30 Dec 2019 – 2 Jan 2020"."""
    return date_text.date_range(first.date(), last.date(), MONTHS)


def place_name(group: list[Shot]) -> Optional[str]:
    """The city the photos name; "Paris & London" when two cities each hold a quarter or more (in the order
    visited); the country for a tour of more; None without place names. `group` is in time order."""
    cities = Counter(s.city for s in group if s.city)
    if not cities:
        return None
    total = sum(cities.values())
    main = [city for city, n in cities.most_common() if n * 4 >= total]
    if len(main) == 1:
        return main[0]
    if len(main) == 2:
        first, second = sorted(main, key=lambda c: next(i for i, s in enumerate(group) if s.city == c))
        return f"{first} & {second}"  # in the order they were visited
    countries = Counter(s.country for s in group if s.country)
    return countries.most_common(1)[0][0] if countries else main[0]


def title(group: list[Shot]) -> str:
    """"Kyoto · 3–7 Apr 2019", or the dates alone without a place."""
    dates = date_range(min(s.local for s in group), max(s.local for s in group))
    place = place_name(group)
    return f"{place} · {dates}" if place else dates
