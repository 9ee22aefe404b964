"""A span of days as people write it, shared by event titles ("3–7 Apr 2019") and album and event summaries
("12–19 July 2019"), which differ only in how a month is named."""

from __future__ import annotations

from datetime import date
from typing import Sequence


def date_range(start: date, end: date, months: Sequence[str]) -> str:
    """"3 Apr 2019", "3–7 Apr 2019", "30 Mar – 2 Apr 2019", "30 Dec 2019 – 2 Jan 2020" (`months`: the twelve
    names)."""
    if start == end:
        return f"{start.day} {months[start.month - 1]} {start.year}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {months[end.month - 1]} {end.year}"
    if start.year == end.year:
        return f"{start.day} {months[start.month - 1]} – {end.day} {months[end.month - 1]} {end.year}"
    return f"{start.day} {months[start.month - 1]} {start.year} – {end.day} {months[end.month - 1]} {end.year}"
