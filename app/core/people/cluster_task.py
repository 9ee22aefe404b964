"""Applying clustering to a library: incremental assignment after face scans, and the full recluster.

Both compute a plan on a read snapshot (seconds at 100,000 faces) and take the write lock only to apply it,
so imports and user corrections are never blocked by clustering. Manual work is an anchor: a confirmed face keeps its person, a face never goes to a person it was rejected
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
from app.core.people.backends import active_model, match_distance, pair_distance
from app.core.people.cluster import density_groups, join_by_neighbours, normalise
from app.core.tasks import Priority, TaskContext, task_handler
from app.core.tasks.states import LIVE_STATES

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


def load_faces(session, model_id: str, *, unassigned_only: bool = False) -> FaceSet:
    """Every recognisable face of a model (or only those without a person) with its vector (unit float32)."""
    query = select(Face.id, Face.person_id, Face.confirmed, Face.rejected, Face.embedding).where(
        Face.model_id == model_id, Face.recognisable.is_(True), Face.forgotten.is_(False),
        Face.embedding.is_not(None),
    )
    if unassigned_only:
        query = query.where(Face.person_id.is_(None))
    rows = session.execute(query.order_by(Face.id)).all()
    if not rows:
        return FaceSet(np.zeros(0, int), np.zeros(0, int), np.zeros(0, bool), [], np.zeros((0, 1), np.float32))
    return FaceSet(
        ids=np.array([r[0] for r in rows]),
        person=np.array([r[1] if r[1] is not None else -1 for r in rows]),
        confirmed=np.array([bool(r[2]) for r in rows]),
        rejected=[set(json.loads(r[3] or "[]")) for r in rows],
        vectors=normalise(np.stack([np.frombuffer(r[4], dtype=np.float32) for r in rows])),
    )


# Labels from here up stand for people a plan creates; apply_plan() turns them into new person rows.
NEW = 1 << 40


def _respect_rejections(faces: FaceSet, labels: np.ndarray) -> np.ndarray:
    return np.array([l if l < 0 or l not in faces.rejected[i] else -1 for i, l in enumerate(labels)], dtype=np.int64)


def _new_groups(faces: FaceSet, labels: np.ndarray, pool: np.ndarray, min_size: int, distance: float,
                existing: set[int] | None, pairs: float = 0.0) -> np.ndarray:
    """Dense groups (and tight pairs) among the `pool` faces become people: with `existing`, a group re-uses
    the unnamed person most of its members had; otherwise it gets a NEW+g placeholder."""
    groups = density_groups(faces.vectors[pool], min_size=min_size, distance=distance, pair_distance=pairs)
    taken = set(labels[labels >= 0].tolist())
    for g in np.unique(groups[groups >= 0]):
        members = pool[groups == g]
        previous = faces.person[members]
        previous = previous[previous >= 0]
        person = NEW + int(g)
        if existing is not None and len(previous):
            candidate = int(np.bincount(previous).argmax())
            if candidate not in taken and candidate in existing:
                person = candidate
        taken.add(person)
        labels[members] = person
    return labels


@dataclass
class Plan:
    """Who each face should be, computed from a read snapshot; applied in one short write transaction."""

    faces: FaceSet
    labels: np.ndarray
    recluster: bool


def plan_assign(library: "Library", model_id: str) -> Plan:
    """Unassigned faces join a person when their nearest assigned faces agree and are close enough (searched in
    the persisted face index, so a batch never re-reads or re-indexes every face); the rest that form dense
    groups become new people."""
    from app.core.people.face_index import nearest_people

    with library.db.read_session() as s:
        faces = load_faces(s, model_id, unassigned_only=True)
        person_of = {}
        if len(faces.ids):  # who every face with a person belongs to now (the index holds only vectors)
            person_of = dict(s.execute(select(Face.id, Face.person_id).where(
                Face.model_id == model_id, Face.person_id.is_not(None), Face.forgotten.is_(False))).all())
    distance = match_distance(library, model_id)
    labels = faces.person.astype(np.int64).copy()
    if len(labels):
        index = library.people.face_index(model_id)
        labels = _respect_rejections(faces, nearest_people(index, faces.ids, faces.vectors, person_of, distance))
        pool = np.flatnonzero(labels < 0)
        min_size = int(library.config.get("faces.min_cluster_size"))
        labels = _new_groups(faces, labels, pool, min_size, distance, existing=None,
                             pairs=pair_distance(library, model_id))
    return Plan(faces, labels, recluster=False)


def plan_recluster(library: "Library", model_id: str, progress=lambda value: None) -> Plan:
    """Regroup every face that is not an anchor (confirmed faces stay where they are)."""
    with library.db.read_session() as s:
        faces = load_faces(s, model_id)
        unnamed = set(s.scalars(select(Person.id).where(Person.name.is_(None))))
    distance = match_distance(library, model_id)
    min_size = int(library.config.get("faces.min_cluster_size"))
    labels = np.where(faces.confirmed, faces.person, -1).astype(np.int64)
    # Every face's nearest faces, from the persisted face index (no index is built here).
    dist, found = _neighbour_positions(library, model_id, faces)
    # Faces close to an anchor's faces join that person first; the rest regroup by density.
    labels = _respect_rejections(faces, join_by_neighbours(labels, dist, found, distance))
    progress(0.1)
    pool = np.flatnonzero(labels < 0)
    labels = _new_groups(faces, labels, pool, min_size, distance, existing=unnamed,
                         pairs=pair_distance(library, model_id))
    progress(0.7)
    labels = _respect_rejections(faces, join_by_neighbours(labels, dist, found, distance))
    return Plan(faces, labels, recluster=True)


def _neighbour_positions(library: "Library", model_id: str, faces: FaceSet) -> tuple[np.ndarray, np.ndarray]:
    """Cosine distances and positions in `faces` (-1: none or itself) of each face's nearest indexed faces."""
    if len(faces.ids) == 0:
        return np.zeros((0, 1)), np.full((0, 1), -1)
    ids, sims = library.people.face_index(model_id).nearest(faces.vectors)
    pos = np.clip(np.searchsorted(faces.ids, ids), 0, len(faces.ids) - 1)
    ok = (ids >= 0) & (faces.ids[pos] == ids) & (pos != np.arange(len(faces.ids))[:, None])
    return 1.0 - sims, np.where(ok, pos, -1)


def apply_plan(session, plan: Plan) -> dict:
    """Write a plan: new people for its placeholders, and the faces whose person changed. A face the user
    confirmed meanwhile is left alone, and so (for an assignment) is one that got a person meanwhile."""
    faces, labels = plan.faces, plan.labels.copy()
    now = time.time()
    for placeholder in np.unique(labels[labels >= NEW]):
        person = Person(name=None, hidden=False, created_at=now)
        session.add(person)
        session.flush()
        labels[labels == placeholder] = person.id
    live = set(session.scalars(select(Person.id)))
    labels = np.where((labels >= 0) & ~np.isin(labels, list(live)), -1, labels)  # deleted meanwhile
    changed = labels != faces.person
    for face_id, person in zip(faces.ids[changed], labels[changed]):
        query = update(Face).where(Face.id == int(face_id), Face.confirmed.is_(False))
        if not plan.recluster:
            query = query.where(Face.person_id.is_(None))
        session.execute(query.values(person_id=None if person < 0 else int(person)))
    removed = 0
    if plan.recluster:
        # Unnamed people left without faces are gone; named ones stay (the user named them).
        used = select(Face.person_id).where(Face.person_id.is_not(None))
        removed = session.execute(delete(Person).where(Person.name.is_(None), Person.id.not_in(used))).rowcount
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
    plan = plan_assign(ctx.library, model_id)
    ctx.check_cancelled()
    apply_plan(ctx.session, plan)
    if ctx.library.config.get("faces.serving_model_id"):
        from app.core.people.switch import finish_if_scanned

        finish_if_scanned(ctx.library, ctx.session)


@task_handler(RECLUSTER, max_concurrency=1)
def recluster_task(ctx: TaskContext) -> None:
    model_id = ctx.payload.get("model_id") or active_model(ctx.library)
    ctx.check_cancelled()

    def progress(value: float) -> None:  # computed on a read snapshot: the write lock is taken only to apply
        ctx.check_cancelled()
        ctx.set_progress(value)

    from app.core.ingest.tasks import record_result

    plan = plan_recluster(ctx.library, model_id, progress)
    ctx.check_cancelled()
    record_result(ctx, **apply_plan(ctx.session, plan))
    ctx.set_progress(1.0)
