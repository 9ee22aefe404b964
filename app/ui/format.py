"""How photo facts read in the window: dates, sizes, places (plain functions, easy to test)."""

from __future__ import annotations

from datetime import date, datetime

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def month_label(taken_at: str | None) -> str:
    """'2021-03-14T10:00:00' or '2021-03' -> 'March 2021'; no date -> 'No date'."""
    if not taken_at or len(taken_at) < 7:
        return "No date"
    try:
        return f"{MONTHS[int(taken_at[5:7]) - 1]} {taken_at[:4]}"
    except (ValueError, IndexError):
        return taken_at[:7]


def date_time(taken_at: str | None, tz_offset: str | None = None) -> str:
    if not taken_at:
        return "Unknown"
    try:
        text = datetime.fromisoformat(taken_at).strftime("%a %d %b %Y, %H:%M:%S")
    except ValueError:
        text = taken_at
    return f"{text} {tz_offset}" if tz_offset else text


def file_size(n: int | None) -> str:
    if n is None:
        return "Unknown"
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def position(lat: float | None, lon: float | None, alt: float | None = None) -> str:
    if lat is None or lon is None:
        return "No location"
    text = f"{abs(lat):.5f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.5f}° {'E' if lon >= 0 else 'W'}"
    return f"{text}, {alt:.0f} m" if alt is not None else text


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def duration(seconds: float | None) -> str:
    """A clip's length as players show it: 0:06, 12:34, 1:02:03 ("" when unknown)."""
    if seconds is None or seconds < 0:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _short_day(day: str) -> str:
    return f"{int(day[8:10])} {month_label(day)}" if day[8:10].isdigit() else day


def period_label(period: str) -> str:
    """A date header's title: '2019-07' -> 'July 2019'; '2019-07-14' -> 'Sunday 14 July 2019'; '2019' (a year
    chosen in the sidebar) -> '2019'; '' -> 'No date'."""
    if len(period) == 4 and period.isdigit():
        return period
    if ".." in period:  # a range from the filter bar: '2019-06-03..2019-08-01' -> '3 June 2019 – 1 August 2019'
        return " – ".join(_short_day(part) if len(part) == 10 else period_label(part) if part else "…"
                          for part in period.split("..", 1))
    if len(period) == 10:
        try:
            day = date.fromisoformat(period)  # (strptime: 20 µs a header, every paint of the grid)
        except ValueError:
            return period
        return f"{WEEKDAYS[day.weekday()]} {day.day} {month_label(period)}"
    return month_label(period)
