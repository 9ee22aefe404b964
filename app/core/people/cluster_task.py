"""Applying clustering to a library: incremental assignment after face scans, and the full recluster.

Manual work is an anchor: a confirmed face keeps its person, a face never goes to a person it was rejected
from, named people are never deleted, and a recluster re-uses the ids of the unnamed people it finds again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import delete, func, select, update

from app.core.db.models import Face, Person, Task
from app.core.people.backends import active_model, match_distance
from app.core.people.cluster import density_groups, join_nearest_members, normalise
from app.core.tasks import Priority, TaskContext, task_handler
from app.core.tasks.store import LIVE_STATES

if TYPE_CHECKING:
    from app.core.library import Library

ASSIGN = "faces-assign"
RECLUSTER = "faces-recluster"
ASSIGN_POLL_S = 0.05


@dataclass
class FaceSet:
    ids: np.ndarray
    person: np.ndarray  # -1: none
    confirmed: np.ndarray
    rejected: list[set[int]]
    vectors: np.ndarray


def load_faces(session, model_id: str) -> FaceSet:
    """Every recognisable face of a model with its vector (unit float32)."""
    rows = session.execute(
        select(Face.id, Face.person_id, Face.confirmed, Face.rejected, Face.embedding).where(
            Face.model_id == model_id, Face.recognisable.is_(True), Face.forgotten.is_(False),
            Face.embedding.is_not(None),
        ).order_by(Face.id)
    ).all()
    if not rows:
        return FaceSet(np.zeros(0, int), np.zeros(0, int), np.zeros(0, bool), [], np.zeros((0, 1), np.float32))
    return FaceSet(
        ids=np.array([r[0] for r in rows]),
        person=np.array([r[1] if r[1] is not None else -1 for r in rows]),
        confirmed=np.array([bool(r[2]) for r in rows]),
        rejected=[set(json.loads(r[3] or "[]")) for r in rows],
        vectors=normalise(np.stack([np.frombuffer(r[4], dtype=np.float32) for r in rows])),
    )


def _new_person(session) -> int:
    person = Person(name=None, hidden=False, created_at=time.time())
    session.add(person)
    session.flush()
    return person.id


def _respect_rejections(faces: FaceSet, labels: np.ndarray) -> np.ndarray:
    return np.array([l if l < 0 or l not in faces.rejected[i] else -1 for i, l in enumerate(labels)])


def _write(session, faces: FaceSet, labels: np.ndarray, changed: np.ndarray) -> None:
    for face_id, person in zip(faces.ids[changed], labels[changed]):
        session.execute(update(Face).where(Face.id == int(face_id)).values(person_id=None if person < 0 else int(person)))


def _new_groups(session, faces: FaceSet, labels: np.ndarray, pool: np.ndarray, min_size: int, distance: float,
                reuse: bool) -> np.ndarray:
    """Dense groups among the `pool` faces become people (re-using an unnamed person most members had)."""
    groups = density_groups(faces.vectors[pool], min_size=min_size, distance=distance)
    taken = set(labels[labels >= 0].tolist())
    for g in np.unique(groups[groups >= 0]):
        members = pool[groups == g]
        previous = faces.person[members]
        previous = previous[previous >= 0]
        person = None
        if reuse and len(previous):
            candidate = int(np.bincount(previous).argmax())
            if candidate not in taken and session.get(Person, candidate) is not None:
                person = candidate
        if person is None:
            person = _new_person(session)
        taken.add(person)
        labels[members] = person
    return labels


def assign_new(session, library: "Library", model_id: str) -> int:
    """Unassigned faces join a person when their nearest assigned faces agree and are close enough; the rest
    that form dense groups become new people. Returns how many faces got a person."""
    faces = load_faces(session, model_id)
    if len(faces.ids) == 0:
        return 0
    distance = match_distance(library, model_id)
    labels = faces.person.copy()
    pool = np.flatnonzero(labels < 0)
    labels = _respect_rejections(faces, join_nearest_members(faces.vectors, labels, pool, distance))
    pool = np.flatnonzero(labels < 0)
    min_size = int(library.config.get("faces.min_cluster_size"))
    labels = _new_groups(session, faces, labels, pool, min_size, distance, reuse=False)
    changed = labels != faces.person
    _write(session, faces, labels, changed)
    return int(changed.sum())


def recluster(session, library: "Library", model_id: str, progress=lambda value: None) -> dict:
    """Regroup every face that is not an anchor; anchors (confirmed faces) stay, named people stay."""
    faces = load_faces(session, model_id)
    distance = match_distance(library, model_id)
    min_size = int(library.config.get("faces.min_cluster_size"))
    labels = np.where(faces.confirmed, faces.person, -1)
    # Faces close to an anchor's faces join that person first; the rest regroup by density.
    pool = np.flatnonzero(labels < 0)
    labels = _respect_rejections(faces, join_nearest_members(faces.vectors, labels, pool, distance))
    progress(0.1)
    pool = np.flatnonzero(labels < 0)
    labels = _new_groups(session, faces, labels, pool, min_size, distance, reuse=True)
    progress(0.7)
    pool = np.flatnonzero(labels < 0)
    labels = _respect_rejections(faces, join_nearest_members(faces.vectors, labels, pool, distance))
    changed = labels != faces.person
    _write(session, faces, labels, changed)
    # Unnamed people left without faces are gone; named ones stay (the user named them).
    used = select(Face.person_id).where(Face.person_id.is_not(None))
    removed = session.execute(delete(Person).where(Person.name.is_(None), Person.id.not_in(used))).rowcount
    progress(1.0)
    return {"faces": int(len(faces.ids)), "moved": int(changed.sum()), "people_removed": int(removed or 0),
            "people": int(session.scalar(select(func.count(Person.id))) or 0)}


def submit_assign(ctx: TaskContext) -> None:
    ctx.submit(ASSIGN, {"model_id": ctx.payload.get("model_id")}, priority=Priority.BULK, group_id=None,
               dedupe_key=ASSIGN)


def _faces_live(library: "Library") -> bool:
    with library.db.read_session() as s:
        return bool(s.scalar(select(func.count(Task.id)).where(Task.type == "faces", Task.state.in_(LIVE_STATES))))


@task_handler(ASSIGN, max_concurrency=1)
def assign_task(ctx: TaskContext) -> None:
    """Runs once the face scans of a batch are done (defers while any is live), then assigns their faces."""
    if _faces_live(ctx.library):
        ctx.defer(ASSIGN_POLL_S)
    model_id = ctx.payload.get("model_id") or active_model(ctx.library)
    assign_new(ctx.session, ctx.library, model_id)


@task_handler(RECLUSTER, max_concurrency=1)
def recluster_task(ctx: TaskContext) -> None:
    model_id = ctx.payload.get("model_id") or active_model(ctx.library)
    ctx.check_cancelled()

    def progress(value: float) -> None:
        ctx.check_cancelled()
        ctx.set_progress(value)

    from app.core.ingest.tasks import record_result

    record_result(ctx, **recluster(ctx.session, ctx.library, model_id, progress))
