"""What the user does to people (rename, merge, split, not-this-person, hide, forget) and undo of it.

Every operation except forget first writes a snapshot of the faces and people it is about to change into the
`person_ops` log, in the same transaction, so `undo` restores exactly that state, also after a restart.
Forget is final on purpose (it deletes face vectors and crops for privacy): it cannot be undone, and undo
entries that mention the forgotten person are dropped.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from sqlalchemy import func, select, update

from app.core.db.models import Face, Person, PersonOp, Photo
from app.core.people.backends import active_model
from app.core.tasks.store import Priority

if TYPE_CHECKING:
    from app.core.library import Library


class PeopleError(ValueError):
    """A person operation that cannot be done (unknown id, nothing to undo); the message says why."""


@dataclass(frozen=True)
class PersonCard:
    """What the People view shows for one person: the best face crop (a file path), name, counts."""

    id: int
    name: str | None
    face_count: int
    photo_count: int
    hidden: bool
    crop: str | None


@dataclass(frozen=True)
class FaceInfo:
    """One face as the UI shows it: where it is (upright-photo pixels), its crop file, whose it is."""

    id: int
    photo_id: int
    person_id: int | None
    person_name: str | None
    box: tuple[float, float, float, float]
    crop: str | None
    recognisable: bool
    confirmed: bool


class PeopleService:
    def __init__(self, library: "Library"):
        self._library = library
        self._indexes: dict = {}

    def face_index(self, model_id: str | None = None):
        """The persisted FAISS index of a face model's vectors (app/core/people/face_index.py)."""
        from app.core.people.face_index import FaceIndex

        model_id = model_id or active_model(self._library)
        if model_id not in self._indexes:
            self._indexes[model_id] = FaceIndex(self._library, model_id)
        return self._indexes[model_id]

    def close(self) -> None:
        """Flush the face indexes' pending saves."""
        for index in self._indexes.values():
            index.close()

    def schedule(self) -> int:
        """Queue the face scan of photos that lack one (and the assignment of faces still without a person);
        call when a library opens. Returns how many photos were queued."""
        from app.core.people.scan import queue_faces

        queued = queue_faces(self._library)
        self._assign_waiting()
        return queued

    def _assign_waiting(self) -> int | None:
        """Queue the assignment of faces still without a person, if any."""
        from app.core.people.cluster_task import ASSIGN

        with self._library.db.read_session() as s:
            waiting = s.scalar(select(Face.id).where(Face.person_id.is_(None), Face.recognisable.is_(True),
                                                     Face.forgotten.is_(False)).limit(1)) is not None
        if waiting:
            return self._library.tasks.submit(ASSIGN, {}, priority=Priority.BULK, dedupe_key=ASSIGN)
        return None

    def schedule_in_background(self) -> int | None:
        """`schedule()` for the window: when photos lack a scan, one task that the worker process runs queues
        them (see SCHEDULE_TASK); otherwise only the assignment, as `schedule()` does. Returns the task's id,
        or None when nothing was queued (so opening a scanned library starts no worker for nothing)."""
        from app.core.people.scan import SCHEDULE_TASK, any_unscanned

        if any_unscanned(self._library):
            return self._library.tasks.submit(SCHEDULE_TASK, {}, priority=Priority.BULK, dedupe_key=SCHEDULE_TASK)
        return self._assign_waiting()

    def recluster(self) -> int | None:
        """Queue the full recluster (cancellable, with progress); None when one is already queued."""
        from app.core.people.cluster_task import RECLUSTER

        return self._library.tasks.submit(RECLUSTER, {}, priority=Priority.NORMAL, dedupe_key=RECLUSTER)

    def set_model(self, model_id: str) -> int:
        """Choose the face model (re-scans in the background; names and corrections carried over by box
        overlap, see app/core/people/switch.py). Returns how many photos were queued."""
        from app.core.people.switch import switch_model

        return switch_model(self._library, model_id)

    def model_status(self) -> dict:
        """{"model": chosen, "serving": shown meanwhile, "scanned": photos scanned by the chosen, "photos"}."""
        from app.core.people.switch import switch_status

        return switch_status(self._library)

    # -- reading -------------------------------------------------------------------------------------------
    def faces(self, *, person_id: int | None = None) -> list[dict]:
        """Faces of the active model as the CLI prints them (forgotten faces are not listed)."""
        model_id = active_model(self._library)
        query = select(Face).where(Face.model_id == model_id, Face.forgotten.is_(False)).order_by(Face.id)
        if person_id is not None:
            query = query.where(Face.person_id == person_id)
        with self._library.db.read_session() as s:
            return [
                {"id": f.id, "photo_id": f.photo_id, "person_id": f.person_id,
                 "box": [round(f.x), round(f.y), round(f.w), round(f.h)], "score": round(f.score, 4),
                 "model": f.model_id, "recognisable": f.recognisable, "confirmed": f.confirmed}
                for f in s.scalars(query)
            ]

    def people(self, *, include_hidden: bool = True) -> list[dict]:
        """People with their face count and photos: named first (by name), then unnamed by size."""
        with self._library.db.read_session() as s:
            people = {p.id: p for p in s.scalars(select(Person))}
            photos: dict[int, set[int]] = {pid: set() for pid in people}
            counts: dict[int, int] = {pid: 0 for pid in people}
            for person_id, photo_id in s.execute(
                select(Face.person_id, Face.photo_id).where(Face.person_id.is_not(None), Face.forgotten.is_(False),
                                                            Face.model_id == active_model(self._library))
            ):
                counts[person_id] = counts.get(person_id, 0) + 1
                photos.setdefault(person_id, set()).add(photo_id)
        out = [
            {"id": p.id, "name": p.name, "face_count": counts.get(p.id, 0), "photo_ids": sorted(photos.get(p.id, ())),
             "hidden": p.hidden}
            for p in people.values()
            if include_hidden or not p.hidden
        ]
        out.sort(key=lambda p: (p["name"] is None, (p["name"] or "").casefold(), -p["face_count"], p["id"]))
        return out

    def cards(self, *, include_hidden: bool = True) -> list[PersonCard]:
        """Every person with the face that shows them best (confirmed, recognisable, biggest), in the order of
        `people()`: named by name, then unnamed by size."""
        best: dict[int, tuple] = {}
        faces: dict[int, int] = {}
        photos: dict[int, set[int]] = {}
        with self._library.db.read_session() as s:
            people = list(s.scalars(select(Person)))
            covers = {p.cover_face_id for p in people if p.cover_face_id is not None}
            for face_id, person_id, photo_id, crop, size, confirmed, recognisable in s.execute(
                select(Face.id, Face.person_id, Face.photo_id, Face.crop, Face.size_px, Face.confirmed,
                       Face.recognisable)
                .where(Face.person_id.is_not(None), Face.forgotten.is_(False),
                       Face.model_id == active_model(self._library))
            ):
                faces[person_id] = faces.get(person_id, 0) + 1
                photos.setdefault(person_id, set()).add(photo_id)
                chosen = face_id in covers and crop is not None  # the user's cover beats any rank
                rank = (chosen, crop is not None, bool(confirmed), bool(recognisable), size or 0.0)
                if person_id not in best or rank > best[person_id][0]:
                    best[person_id] = (rank, crop)
        out = [
            PersonCard(p.id, p.name, faces.get(p.id, 0), len(photos.get(p.id, ())), bool(p.hidden),
                       self._crop_path(best.get(p.id, (None, None))[1]))
            for p in people if include_hidden or not p.hidden
        ]
        out.sort(key=lambda c: (c.name is None, (c.name or "").casefold(), -c.face_count, c.id))
        return out

    def summary(self) -> tuple[int, list[tuple[int, str]]]:
        """For the sidebar, cheaply (no face rows read): how many people are shown, and the named ones."""
        with self._library.db.read_session() as s:
            rows = s.execute(select(Person.id, Person.name).where(Person.hidden.is_(False))).all()
        named = sorted(((i, n) for i, n in rows if n), key=lambda r: (r[1].casefold(), r[0]))
        return len(rows), named

    def names(self) -> list[str]:
        """Names in use, for completion."""
        with self._library.db.read_session() as s:
            return sorted(set(s.scalars(select(Person.name).where(Person.name.is_not(None)))), key=str.casefold)

    def find_named(self, name: str, *, other_than: int | None = None) -> int | None:
        """The person already called `name` (case-insensitive), if any: renaming to it is a merge."""
        with self._library.db.read_session() as s:
            query = select(Person.id).where(func.lower(Person.name) == name.strip().lower())
            if other_than is not None:
                query = query.where(Person.id != other_than)
            return s.scalars(query.order_by(Person.id)).first()

    def photo_ids(self, person_id: int) -> list[int]:
        """A person's photos in the library's display order (newest first), hidden photos left out."""
        from app.core.photos import _ORDER

        mine = select(Face.photo_id).where(Face.person_id == person_id, Face.forgotten.is_(False))
        with self._library.db.read_session() as s:
            return list(s.scalars(select(Photo.id).where(Photo.id.in_(mine), Photo.hidden.is_(False)).order_by(*_ORDER)))

    def face_infos(self, *, person_id: int | None = None, photo_id: int | None = None) -> list[FaceInfo]:
        """The faces of a person (their face grid) or of a photo (the viewer's boxes), forgotten ones left out."""
        query = (select(Face, Person.name).outerjoin(Person, Person.id == Face.person_id)
                 .where(Face.model_id == active_model(self._library), Face.forgotten.is_(False)))
        if person_id is not None:
            query = query.where(Face.person_id == person_id)
        if photo_id is not None:
            query = query.where(Face.photo_id == photo_id)
        with self._library.db.read_session() as s:
            return [
                FaceInfo(f.id, f.photo_id, f.person_id, name, (f.x, f.y, f.w, f.h), self._crop_path(f.crop),
                         bool(f.recognisable), bool(f.confirmed))
                for f, name in s.execute(query.order_by(Face.photo_id, Face.x))
            ]

    def _crop_path(self, crop: str | None) -> str | None:
        return str(self._library.layout.faces / crop) if crop else None

    # -- operations ----------------------------------------------------------------------------------------
    def rename(self, person_id: int, name: str) -> None:
        """Naming says "these faces are this person": they become anchors a recluster keeps."""
        name = name.strip()
        if not name:
            raise PeopleError("a name cannot be empty")
        with self._library.db.write_session() as s:
            self._person(s, person_id)
            self._log(s, "rename", [person_id], self._face_ids(s, person=[person_id]))
            s.execute(update(Person).where(Person.id == person_id).values(name=name))
            s.execute(update(Face).where(Face.person_id == person_id).values(confirmed=True))

    def merge(self, from_id: int, into_id: int) -> None:
        if from_id == into_id:
            raise PeopleError("cannot merge a person into themselves")
        with self._library.db.write_session() as s:
            source, target = self._person(s, from_id), self._person(s, into_id)
            self._log(s, "merge", [from_id, into_id], self._face_ids(s, person=[from_id, into_id]))
            if target.name is None and source.name is not None:
                target.name = source.name
            s.execute(update(Face).where(Face.person_id.in_([from_id, into_id])).values(person_id=into_id, confirmed=True))
            s.delete(source)

    def split(self, person_id: int, face_ids: Iterable[int]) -> int:
        """Move faces to a new person (the id returned); they will not go back to the old one."""
        face_ids = sorted(set(face_ids))
        with self._library.db.write_session() as s:
            self._person(s, person_id)
            mine = set(s.scalars(select(Face.id).where(Face.id.in_(face_ids), Face.person_id == person_id)))
            if not face_ids or mine != set(face_ids):
                raise PeopleError(f"faces {sorted(set(face_ids) - mine)} are not faces of person {person_id}")
            new = Person(name=None, hidden=False, created_at=time.time())
            s.add(new)
            s.flush()
            self._log(s, "split", [person_id, new.id], face_ids, created=[new.id])
            self._reject(s, face_ids, person_id)
            s.execute(update(Face).where(Face.id.in_(face_ids)).values(person_id=new.id, confirmed=True))
            return new.id

    def remove_faces(self, face_ids: Iterable[int]) -> None:
        """"Not this person": the faces leave their person and never join them again."""
        face_ids = sorted(set(face_ids))
        with self._library.db.write_session() as s:
            rows = s.execute(select(Face.id, Face.person_id).where(Face.id.in_(face_ids))).all()
            if len(rows) != len(face_ids):
                raise PeopleError(f"no such faces: {sorted(set(face_ids) - {r[0] for r in rows})}")
            people = sorted({r[1] for r in rows if r[1] is not None})
            self._log(s, "remove", people, face_ids)
            for face_id, person_id in rows:
                if person_id is not None:
                    self._reject(s, [face_id], person_id)
            s.execute(update(Face).where(Face.id.in_(face_ids)).values(person_id=None, confirmed=False))

    def assign(self, assignments: dict[int, int]) -> None:
        """"This is X": each face (id -> person id) goes to that person, confirmed; one undo step for all (a
        bulk "Yes" to suggestions). A face taken from another person will not go back to them, and an unnamed
        person left without faces is removed (undo brings them back)."""
        assignments = {int(f): int(p) for f, p in assignments.items()}
        if not assignments:
            return
        with self._library.db.write_session() as s:
            for person_id in set(assignments.values()):
                self._person(s, person_id)
            rows = dict(s.execute(select(Face.id, Face.person_id).where(Face.id.in_(list(assignments)))).all())
            missing = sorted(set(assignments) - set(rows))
            if missing:
                raise PeopleError(f"no such faces: {missing}")
            self._move(s, assignments, rows)

    def name_faces(self, face_ids: Iterable[int], name: str) -> int:
        """"These faces are <name>": they go to the person of that name, or to a new person named so (the
        viewer's face boxes). One undo step; returns the person's id."""
        name, face_ids = name.strip(), sorted(set(face_ids))
        if not name:
            raise PeopleError("a name cannot be empty")
        existing = self.find_named(name)
        if existing is not None:
            self.assign({f: existing for f in face_ids})
            return existing
        with self._library.db.write_session() as s:
            rows = dict(s.execute(select(Face.id, Face.person_id).where(Face.id.in_(face_ids))).all())
            if not face_ids or len(rows) != len(face_ids):
                raise PeopleError(f"no such faces: {sorted(set(face_ids) - set(rows))}")
            new = Person(name=name, hidden=False, created_at=time.time())
            s.add(new)
            s.flush()
            self._log(s, "name", sorted({p for p in rows.values() if p is not None}), face_ids, created=[new.id])
            self._move(s, {f: new.id for f in face_ids}, rows, log=False)
            return new.id

    def _move(self, s, assignments: dict[int, int], rows: dict[int, int | None], *, log: bool = True) -> None:
        previous = {p for p in rows.values() if p is not None}
        if log:
            self._log(s, "assign", sorted(previous | set(assignments.values())), sorted(assignments))
        for face in s.scalars(select(Face).where(Face.id.in_(list(assignments)))):
            target = assignments[face.id]
            rejected = set(json.loads(face.rejected or "[]")) - {target}
            if face.person_id is not None and face.person_id != target:
                rejected.add(face.person_id)
            face.person_id, face.confirmed, face.rejected = target, True, json.dumps(sorted(rejected))
        s.flush()
        self._drop_empty_unnamed(s, previous - set(assignments.values()))

    def reject(self, rejections: dict[int, int]) -> None:
        """"This is not X" for faces that are not X's (a "No" to a suggestion): each face (id -> person id)
        records the person as rejected, so it is never suggested or assigned to them again; one undo step."""
        rejections = {int(f): int(p) for f, p in rejections.items()}
        if not rejections:
            return
        with self._library.db.write_session() as s:
            self._log(s, "reject", sorted(set(rejections.values())), sorted(rejections))
            for face in s.scalars(select(Face).where(Face.id.in_(list(rejections)))):
                face.rejected = json.dumps(sorted(set(json.loads(face.rejected or "[]")) | {rejections[face.id]}))

    def set_cover(self, person_id: int, photo_id: int) -> None:
        """Show the person's face in `photo_id` on their card (their biggest there); undone like the others."""
        with self._library.db.write_session() as s:
            self._person(s, person_id)
            face = s.scalars(select(Face).where(Face.person_id == person_id, Face.photo_id == photo_id,
                                                Face.forgotten.is_(False)).order_by(Face.size_px.desc())).first()
            if face is None:
                raise PeopleError(f"photo {photo_id} shows no face of this person")
            self._log(s, "cover", [person_id], [])
            s.execute(update(Person).where(Person.id == person_id).values(cover_face_id=face.id))

    def hide(self, person_id: int, hidden: bool = True) -> None:
        with self._library.db.write_session() as s:
            person = self._person(s, person_id)
            self._log(s, "hide", [person_id], [])
            person.hidden = hidden

    def forget(self, person_id: int) -> int:
        """Delete a person's face vectors, crops and name (the photos stay); not undoable. Returns the face count."""
        with self._library.db.write_session() as s:
            self._person(s, person_id)
            faces = list(s.scalars(select(Face).where(Face.person_id == person_id)))
            crops = [f.crop for f in faces if f.crop]
            for f in faces:
                f.embedding, f.crop, f.person_id, f.forgotten, f.confirmed = None, None, None, True, False
            s.delete(s.get(Person, person_id))
            for op in s.scalars(select(PersonOp).where(PersonOp.undone.is_(False))):
                if person_id in json.loads(op.before)["people"]:
                    op.undone = True  # undoing it would bring the name or grouping back
        for name in crops:
            (self._library.layout.faces / name).unlink(missing_ok=True)
        return len(faces)

    def undo(self) -> str | None:
        """Undo the last operation not yet undone; returns its name, or None when there is nothing to undo."""
        with self._library.db.write_session() as s:
            op = s.scalars(select(PersonOp).where(PersonOp.undone.is_(False)).order_by(PersonOp.id.desc()).limit(1)).first()
            if op is None:
                return None
            before = json.loads(op.before)
            for p in before["people_rows"]:
                person = s.get(Person, p["id"])
                if person is None:
                    s.add(Person(**p))
                else:
                    person.name, person.hidden = p["name"], p["hidden"]
                    person.cover_face_id = p.get("cover_face_id")
            s.flush()
            for f in before["faces"]:
                s.execute(update(Face).where(Face.id == f["id"]).values(
                    person_id=f["person_id"], confirmed=f["confirmed"], rejected=f["rejected"]))
            for person_id in before["created"]:
                s.execute(update(Face).where(Face.person_id == person_id).values(person_id=None))
                person = s.get(Person, person_id)
                if person is not None:
                    s.delete(person)
            op.undone = True
            return op.op

    def can_undo(self) -> bool:
        with self._library.db.read_session() as s:
            return bool(s.scalar(select(func.count(PersonOp.id)).where(PersonOp.undone.is_(False))))

    # -- helpers -------------------------------------------------------------------------------------------
    @staticmethod
    def _person(s, person_id: int) -> Person:
        person = s.get(Person, person_id)
        if person is None:
            raise PeopleError(f"no such person: {person_id} (see `shoebox people list`)")
        return person

    @staticmethod
    def _drop_empty_unnamed(s, people: set[int]) -> None:
        for person_id in people:
            person = s.get(Person, person_id)
            if person is not None and person.name is None and not s.scalar(
                    select(func.count(Face.id)).where(Face.person_id == person_id)):
                s.delete(person)

    @staticmethod
    def _face_ids(s, *, person: list[int]) -> list[int]:
        return list(s.scalars(select(Face.id).where(Face.person_id.in_(person))))

    @staticmethod
    def _reject(s, face_ids: list[int], person_id: int) -> None:
        for face in s.scalars(select(Face).where(Face.id.in_(face_ids))):
            rejected = set(json.loads(face.rejected or "[]")) | {person_id}
            face.rejected = json.dumps(sorted(rejected))

    @staticmethod
    def _log(s, op: str, people: list[int], face_ids: list[int], *, created: list[int] = ()) -> None:
        """Snapshot what the operation is about to change (people rows, faces' person/flags)."""
        people_rows = [
            {"id": p.id, "name": p.name, "hidden": p.hidden, "created_at": p.created_at,
             "cover_face_id": p.cover_face_id}
            for p in s.scalars(select(Person).where(Person.id.in_(people), Person.id.not_in(list(created))))
        ]
        faces = [
            {"id": f.id, "person_id": f.person_id, "confirmed": f.confirmed, "rejected": f.rejected}
            for f in s.scalars(select(Face).where(Face.id.in_(face_ids)))
        ]
        before = {"people": sorted(set(people) | set(created)), "people_rows": people_rows, "faces": faces, "created": list(created)}
        s.add(PersonOp(op=op, before=json.dumps(before), created_at=time.time(), undone=False))
