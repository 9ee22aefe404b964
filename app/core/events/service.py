"""`library.events`: the computed events, their re-segmentation, and the user's edits to them.

Events are recomputed from scratch (app.core.events.segment) after imports, then the user's edits are replayed
in the order they were made: a split cuts the event holding its photo before that photo, a merge joins the
events holding its two photos, a rename titles the event holding its photo. Edits are anchored on photos, not
on event ids, so they survive any re-segmentation; event ids are kept for events that mostly hold the same
photos as before, so an id seen in the GUI or the CLI stays valid across imports.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.core.db.models import Event, EventEdit, EventPhoto, Photo, PhotoPlace
from app.core.events.segment import Shot, parse_time, place_name, segment, title
from app.core.undo import record, undoer

if TYPE_CHECKING:
    from app.core.library import Library


class EventError(Exception):
    """An event edit that cannot be done (unknown event, photo not in it); the message is for the user."""


@dataclass(frozen=True)
class EventInfo:
    id: int
    title: str
    start: str
    end: str
    place: Optional[str]
    cover_photo_id: Optional[int]
    photo_ids: list[int]

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "start": self.start, "end": self.end, "place": self.place,
                "cover_photo_id": self.cover_photo_id, "photo_ids": self.photo_ids}


def load_shots(session: Session) -> list[Shot]:
    """Visible photos with a real capture time (a file's modification time is not one)."""
    rows = session.execute(
        select(Photo.id, Photo.taken_at, Photo.tz_offset, Photo.gps_lat, Photo.gps_lon, PhotoPlace.city,
               PhotoPlace.country)
        .outerjoin(PhotoPlace, PhotoPlace.photo_id == Photo.id)
        .where(Photo.taken_at.is_not(None), Photo.hidden.is_(False),
               func.coalesce(Photo.taken_at_source, "") != "mtime")
    )
    shots = []
    for photo_id, taken_at, offset, lat, lon, city, country in rows:
        times = parse_time(taken_at, offset)
        if times is not None:
            shots.append(Shot(photo_id, times[0], times[1], lat, lon, city, country))
    return shots


def _apply_edits(groups: list[list[Shot]], edits: list[EventEdit]) -> tuple[list[list[Shot]], dict[int, str]]:
    """Replay splits and merges in order; returns the groups and {index of group: user title}."""
    def where(photo_id: int) -> int | None:
        return next((i for i, g in enumerate(groups) if any(s.id == photo_id for s in g)), None)

    renames = []
    for edit in edits:
        i = where(edit.photo_id)
        if i is None:
            continue
        if edit.kind == "split":
            at = next(k for k, s in enumerate(groups[i]) if s.id == edit.photo_id)
            if at:
                groups[i:i + 1] = [groups[i][:at], groups[i][at:]]
        elif edit.kind == "merge":
            j = where(edit.other_photo_id) if edit.other_photo_id is not None else None
            if j is not None and j != i:
                merged = sorted(groups[i] + groups[j], key=lambda s: (s.instant, s.id))
                groups = [g for k, g in enumerate(groups) if k not in (i, j)] + [merged]
                groups.sort(key=lambda g: (g[0].instant, g[0].id))
        elif edit.kind == "rename":
            renames.append(edit)
    titles = {}
    for edit in renames:  # after the cuts, so a rename follows its photo; newer renames win
        i = where(edit.photo_id)
        if i is not None:
            titles[i] = edit.title
    return groups, titles


def rebuild(session: Session, check_cancelled: Callable[[], None] = lambda: None, *, rewrite_all: bool = False) -> int:
    """Recompute every event in this write session; returns how many there are.

    Segmenting the whole library is cheap (0.1 s for 14k photos); writing it is not. So the new events are
    compared with the stored ones and only the differences are written (photos that joined or left an event,
    events whose title, place, dates or cover changed, new and vanished events): after an import of a few
    photos into a big library a handful of rows change, and the write lock is held that much shorter. `rewrite_all` writes everything (the former behaviour; the
    benchmark compares the two)."""
    shots = load_shots(session)
    check_cancelled()
    groups = segment(shots)
    edits = list(session.scalars(select(EventEdit).order_by(EventEdit.id)))
    groups, titles = _apply_edits(groups, edits)
    check_cancelled()
    old = dict(session.execute(select(EventPhoto.photo_id, EventPhoto.event_id)).all())
    taken: set[int] = set()
    plans = []
    for index, group in enumerate(groups):
        votes = Counter(old[s.id] for s in group if s.id in old)
        keep = next((eid for eid, n in votes.most_common() if n * 2 > len(group) and eid not in taken), None)
        if keep is not None:
            taken.add(keep)
        plans.append((keep, index, group))
    next_id = max(taken | set(old.values()) | {0}) + 1
    events, members = {}, {}
    for keep, index, group in plans:
        event_id = keep if keep is not None else next_id
        next_id = max(next_id, event_id + 1)
        events[event_id] = {"id": event_id, "title": titles.get(index) or title(group), "place": place_name(group),
                            "start": min(s.local for s in group).isoformat(),
                            "end": max(s.local for s in group).isoformat(), "cover_photo_id": group[len(group) // 2].id}
        members[event_id] = frozenset(s.id for s in group)
    new_of = {p: eid for eid, photos in members.items() for p in photos}
    if rewrite_all:
        session.execute(delete(EventPhoto))
        session.execute(delete(Event))
        stored, old = {}, {}
    else:
        stored = {row["id"]: dict(row) for row in session.execute(
            select(Event.id, Event.title, Event.place, Event.start, Event.end, Event.cover_photo_id)).mappings()}
    moved_out = [p for p, eid in old.items() if new_of.get(p) != eid]
    moved_in = [{"photo_id": p, "event_id": eid} for p, eid in new_of.items() if old.get(p) != eid]
    gone = [eid for eid in stored if eid not in events]
    for ids, column in ((moved_out, EventPhoto.photo_id), (gone, None)):
        for start in range(0, len(ids), 500):  # SQLite caps the bound parameters of one statement
            chunk = ids[start:start + 500]
            if column is not None:
                session.execute(delete(EventPhoto).where(column.in_(chunk)))
            else:
                session.execute(delete(Event).where(Event.id.in_(chunk)))
    for eid, row in events.items():
        if eid in stored and stored[eid] != row:
            session.execute(update(Event).where(Event.id == eid).values(
                {k: v for k, v in row.items() if k != "id"}))
    added = [row for eid, row in events.items() if eid not in stored]
    if added:  # bulk inserts: the write lock is held for as short a time as possible
        session.execute(insert(Event), added)
    if moved_in:
        session.execute(insert(EventPhoto), moved_in)
    return len(groups)


class EventService:
    def __init__(self, library: "Library"):
        self._library = library

    def rebuild(self) -> int:
        with self._library.db.write_session() as s:
            return rebuild(s)

    def list(self) -> list[EventInfo]:
        with self._library.db.read_session() as s:
            events = list(s.scalars(select(Event).order_by(Event.start, Event.id)))
            members: dict[int, list[tuple[str, int]]] = {}
            for event_id, photo_id, taken_at in s.execute(
                    select(EventPhoto.event_id, EventPhoto.photo_id, Photo.taken_at)
                    .join(Photo, Photo.id == EventPhoto.photo_id)):
                members.setdefault(event_id, []).append((taken_at or "", photo_id))
        return [EventInfo(e.id, e.title, e.start, e.end, e.place, e.cover_photo_id,
                          [p for _, p in sorted(members.get(e.id, []))]) for e in events]

    def years(self) -> list[tuple[str, int]]:
        """(year, number of events) newest first: the sidebar's cheap summary (no photo rows read)."""
        with self._library.db.read_session() as s:
            year = func.substr(Event.start, 1, 4)
            rows = s.execute(select(year, func.count()).group_by(year).order_by(year))
            return [(year, count) for year, count in rows][::-1]

    def photo_ids(self, event_id: int) -> list[int]:
        """The event's photos in time order ([] for an unknown event: it was merged or re-segmented away)."""
        with self._library.db.read_session() as s:
            return list(s.scalars(select(EventPhoto.photo_id).join(Photo, Photo.id == EventPhoto.photo_id)
                                  .where(EventPhoto.event_id == event_id).order_by(Photo.taken_at, Photo.id)))

    def get(self, event_id: int) -> EventInfo:
        found = next((e for e in self.list() if e.id == event_id), None)
        if found is None:
            raise EventError(f"there is no event {event_id} (see `shoebox events list`)")
        return found

    # -- edits: each is an EventEdit row (anchored on photos) plus a rebuild; undo removes the row -----------------
    def rename(self, event_id: int, new_title: str) -> None:
        new_title = (new_title or "").strip()
        if not new_title:
            raise EventError("an event needs a title")
        event = self.get(event_id)
        self._edit("rename", event.photo_ids[0], None, new_title[:256], f"rename event {event.title!r}")

    def merge(self, event_id: int, other_id: int) -> None:
        a, b = self.get(event_id), self.get(other_id)
        if a.id == b.id:
            raise EventError("an event cannot be merged with itself")
        self._edit("merge", a.photo_ids[0], b.photo_ids[0], None, f"merge {a.title!r} and {b.title!r}")

    def split(self, event_id: int, photo_id: int) -> None:
        """Cut the event before `photo_id` (which starts the new event)."""
        event = self.get(event_id)
        if photo_id not in event.photo_ids:
            raise EventError(f"photo {photo_id} is not in event {event_id}")
        with self._library.db.read_session() as s:
            shots = {sh.id: sh for sh in load_shots(s) if sh.id in set(event.photo_ids)}
        if photo_id in shots and min(shots.values(), key=lambda sh: (sh.instant, sh.id)).id == photo_id:
            raise EventError(f"photo {photo_id} already starts event {event_id}")
        self._edit("split", photo_id, None, None, f"split {event.title!r}")

    def _edit(self, kind: str, photo_id: int, other: int | None, new_title: str | None, label: str) -> None:
        with self._library.db.write_session() as s:
            edit = EventEdit(kind=kind, photo_id=photo_id, other_photo_id=other, title=new_title,
                             created_at=time.time())
            s.add(edit)
            s.flush()
            record(s, "event.edit", {"edit_id": edit.id}, label)
            rebuild(s)


@undoer("event.edit")
def _undo_edit(s: Session, payload: dict) -> None:
    s.execute(delete(EventEdit).where(EventEdit.id == payload["edit_id"]))
    rebuild(s)
