"""What the background work is doing, for the Activity view and `shoebox metrics`: throughput per minute and
run times by task type, failures and dead letters with their reasons, library growth, and the index files.

Everything is read from the database (and the index folder), so any process sees the same picture, including
work done by another process or a remote worker."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from app.core.db.models import Embedding, Person, Photo, Task
from app.core.db.sql import local_day
from app.core.tasks.states import TaskState

if TYPE_CHECKING:
    from app.core.library import Library

WINDOW_MINUTES = 60
RECENT_RUNS = 2000  # run times per type come from the latest finished tasks


@dataclass
class TypeTimes:
    type: str
    count: int
    p50_s: float
    p95_s: float


@dataclass
class Failure:
    type: str
    state: str  # failed (will retry) or dead
    error_class: str
    message: str
    count: int


@dataclass
class IndexFile:
    name: str
    bytes: int
    saved_at: float


@dataclass
class Activity:
    now: float
    per_minute: dict[str, list[int]] = field(default_factory=dict)  # type -> WINDOW_MINUTES counts, oldest first
    times: list[TypeTimes] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    growth: list[tuple[str, int]] = field(default_factory=list)  # (YYYY-MM-DD, photos in the library that day)
    index_files: list[IndexFile] = field(default_factory=list)
    photos: int = 0
    embeddings: int = 0
    people: int = 0
    pending: int = 0
    running: int = 0

    def to_json(self) -> dict:
        return {
            "now": self.now, "per_minute": self.per_minute,
            "times": [t.__dict__ for t in self.times], "failures": [f.__dict__ for f in self.failures],
            "growth": self.growth, "index_files": [i.__dict__ for i in self.index_files],
            "photos": self.photos, "embeddings": self.embeddings, "people": self.people,
            "pending": self.pending, "running": self.running,
        }


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def read_activity(library: "Library", now: float | None = None) -> Activity:
    now = time.time() if now is None else now
    activity = Activity(now=now)
    start = now - WINDOW_MINUTES * 60
    with library.db.read_session() as s:
        per_minute: dict[str, list[int]] = defaultdict(lambda: [0] * WINDOW_MINUTES)
        rows = s.execute(select(Task.type, Task.finished_at).where(
            Task.state == TaskState.DONE, Task.finished_at >= start, Task.finished_at <= now))
        for type_, finished in rows:
            per_minute[type_][min(WINDOW_MINUTES - 1, int((finished - start) // 60))] += 1
        activity.per_minute = dict(sorted(per_minute.items()))

        runs: dict[str, list[float]] = defaultdict(list)
        recent = (select(Task.type, Task.finished_at - Task.started_at)
                  .where(Task.state == TaskState.DONE, Task.started_at.is_not(None), Task.finished_at.is_not(None))
                  .order_by(Task.finished_at.desc()).limit(RECENT_RUNS * 4))
        for type_, seconds in s.execute(recent):
            if len(runs[type_]) < RECENT_RUNS:
                runs[type_].append(max(0.0, seconds))
        activity.times = [TypeTimes(t, len(v), percentile(sorted(v), 0.5), percentile(sorted(v), 0.95))
                          for t, v in sorted(runs.items())]

        failures = s.execute(
            select(Task.type, Task.state, Task.error_class, Task.error_message, func.count())
            .where(Task.state.in_((TaskState.FAILED, TaskState.DEAD)))
            .group_by(Task.type, Task.state, Task.error_class, Task.error_message)
            .order_by(func.count().desc()).limit(50))
        activity.failures = [Failure(t, st, ec or "", (m or "").splitlines()[0][:200] if m else "", n)
                             for t, st, ec, m, n in failures]

        day = local_day(Photo.imported_at)
        total = 0
        for d, n in s.execute(select(day, func.count()).group_by(day).order_by(day)):
            total += n
            activity.growth.append((d, total))
        activity.photos = total
        activity.embeddings = s.scalar(select(func.count()).select_from(Embedding)) or 0
        activity.people = s.scalar(select(func.count()).select_from(Person)) or 0
        for state, n in s.execute(select(Task.state, func.count()).where(
                Task.state.in_((TaskState.PENDING, TaskState.RUNNING))).group_by(Task.state)):
            if state == TaskState.PENDING:
                activity.pending = n
            else:
                activity.running = n
    folder = library.layout.index
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                st = path.stat()
                activity.index_files.append(IndexFile(path.name, st.st_size, st.st_mtime))
    return activity


def describe_age(seconds_ago: float) -> str:
    if seconds_ago < 90:
        return "just now"
    if seconds_ago < 3600 * 1.5:
        return f"{round(seconds_ago / 60)} min ago"
    if seconds_ago < 86400 * 1.5:
        return f"{round(seconds_ago / 3600)} h ago"
    return datetime.fromtimestamp(time.time() - seconds_ago).strftime("%Y-%m-%d")
