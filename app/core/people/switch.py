"""Switching face models without losing anyone's name or corrections.

Choosing another face model (`shoebox people model ID`, the settings) re-scans every photo in the background
with the ordinary resumable `faces` tasks, while People keeps showing the previous model's faces (it stays the
*serving* model). Each new face takes over what the user said about the face it re-finds: the previous model's
face on the same photo whose box overlaps it most (IoU >= CARRY_IOU) gives it its person, its confirmed flag and
its rejected people, and a forgotten face stays forgotten (no vector, no crop). When every photo has been scanned
by the new model, it becomes the serving one. Switching to a model used before scans again with it, so the
corrections made since are carried over rather than its stale faces coming back.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from app.core.db.models import Face, FaceScan, Photo, Setting, Task
from app.core.people.backends import DEFAULT_ALIASES, DEFAULT_MODEL, active_model, chosen_model
from app.core.tasks.states import LIVE_STATES

if TYPE_CHECKING:
    from app.core.library import Library

# Two detectors' boxes for one face overlap by 0.6-0.9 IoU (different box conventions: YuNet's box includes
# the forehead less than SCRFD's); two different faces in one photo rarely overlap by more than 0.3.
CARRY_IOU = 0.5


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = min(ax + aw, bx + bw) - max(ax, bx)
    h = min(ay + ah, by + bh) - max(ay, by)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (aw * ah + bw * bh - inter)


def _pairs(new_boxes: list, old_boxes: list) -> list[tuple[int, int]]:
    """One-to-one (new, old) index pairs overlapping by at least CARRY_IOU, best overlap first."""
    ranked = sorted(((iou(n, o), i, j) for i, n in enumerate(new_boxes) for j, o in enumerate(old_boxes)),
                    reverse=True)
    used_new, used_old, out = set(), set(), []
    for overlap, i, j in ranked:
        if overlap < CARRY_IOU:
            break
        if i not in used_new and j not in used_old:
            used_new.add(i)
            used_old.add(j)
            out.append((i, j))
    return out


def _take_over(library: "Library", new: Face, before) -> None:
    """What the user said about `before` (a Face or a row with the same fields) now holds for `new`."""
    if before.forgotten:
        if new.crop:
            (library.layout.faces / new.crop).unlink(missing_ok=True)
        new.embedding, new.crop, new.person_id, new.confirmed, new.forgotten = None, None, None, False, True
    else:
        new.person_id, new.confirmed, new.rejected = before.person_id, before.confirmed, before.rejected or "[]"


def carry_corrections(session, library: "Library", photo_id: int, model_id: str, faces: list[Face]) -> int:
    """Give new faces (not yet added) of `model_id` the person and corrections of the serving model's faces
    they overlap, one to one, best overlap first. Returns how many faces took something over."""
    serving = active_model(library)
    if serving == model_id or not faces:
        return 0
    old = list(session.scalars(select(Face).where(Face.photo_id == photo_id, Face.model_id == serving)))
    pairs = _pairs([(n.x, n.y, n.w, n.h) for n in faces], [(o.x, o.y, o.w, o.h) for o in old])
    for i, j in pairs:
        _take_over(library, faces[i], old[j])
    return len(pairs)


def carry_all(session, library: "Library", model_id: str, serving: str) -> int:
    """Carry over again, for every photo, what the user changed on the serving model's faces while the switch
    ran (a photo scanned early missed the corrections made after its scan). Only photos where the user said
    something (a person, a confirmation, a rejection, a forgotten face) are read; returns faces changed."""
    said = (Face.person_id.is_not(None)) | Face.confirmed.is_(True) | (Face.rejected != "[]") | Face.forgotten.is_(True)
    photos = select(Face.photo_id).where(Face.model_id == serving, said)
    columns = (Face.id, Face.photo_id, Face.x, Face.y, Face.w, Face.h, Face.person_id, Face.confirmed,
               Face.rejected, Face.forgotten)
    rows: dict[tuple[int, str], list] = {}
    for model, *row in session.execute(select(Face.model_id, *columns).where(
            Face.model_id.in_([model_id, serving]), Face.photo_id.in_(photos)).order_by(Face.id)):
        rows.setdefault((row[1], model), []).append(row)
    changed = 0
    for (photo_id, model), old in rows.items():
        if model != serving or (photo_id, model_id) not in rows:
            continue
        new = rows[(photo_id, model_id)]
        for i, j in _pairs([tuple(r[2:6]) for r in new], [tuple(r[2:6]) for r in old]):
            n, o = new[i], old[j]
            if (n[6], bool(n[7]), n[8] or "[]", bool(n[9])) == (o[6], bool(o[7]), o[8] or "[]", bool(o[9])):
                continue
            face = session.get(Face, n[0])
            _take_over(library, face, session.get(Face, o[0]))
            changed += 1
    return changed


def normalise_model_id(library: "Library", model_id: str) -> str:
    """The stored id for what the user typed: the built-in model by any of its names, or an installed pack."""
    from app.core.ml.errors import ModelMissingError
    from app.core.ml.faces_insightface import PREFIX

    if model_id in DEFAULT_ALIASES:
        return DEFAULT_MODEL
    if not model_id.startswith(PREFIX):
        model_id = PREFIX + model_id
    if library.models.folder(model_id) is None:
        raise ModelMissingError(f"the face model {model_id} is not installed: `shoebox models install {model_id}` "
                                "when online, or `shoebox models import PATH` with the pack's folder or .zip")
    return model_id


def switch_model(library: "Library", model_id: str) -> int:
    """Choose another face model: re-scan in the background, names carried over. Returns the photos queued."""
    from app.core.people.scan import queue_faces

    model_id = normalise_model_id(library, model_id)
    if model_id == chosen_model(library):
        return 0
    serving = active_model(library)
    crops = []
    with library.db.write_session() as s:
        if model_id != serving:
            # A model used before scans again, so that the corrections made since carry over to it.
            crops = list(s.scalars(select(Face.crop).where(Face.model_id == model_id, Face.crop.is_not(None))))
            s.execute(delete(Face).where(Face.model_id == model_id))
            s.execute(delete(FaceScan).where(FaceScan.model_id == model_id))
        given_up = [t.id for t in s.scalars(select(Task).where(Task.type == "faces", Task.state.in_(LIVE_STATES)))
                    if json.loads(t.payload or "{}").get("model_id") != model_id]
    for task_id in given_up:  # scans for a model no longer chosen
        library.tasks.cancel(task_id)
    for name in crops:
        (library.layout.faces / name).unlink(missing_ok=True)
    library.config.set("faces.serving_model_id", None if model_id == serving else serving)
    library.config.set("faces.model_id", None if model_id == DEFAULT_MODEL else model_id)
    queued = queue_faces(library)
    finish_if_scanned(library)
    return queued


def finish_if_scanned(library: "Library", session=None) -> bool:
    """Make the chosen model the serving one once every photo has its scan; True when it (now) serves.
    Inside a task, pass its session (the task holds the write lock)."""
    serving, chosen = library.config.get("faces.serving_model_id"), chosen_model(library)
    if not serving or serving == chosen:
        return True
    scanned = select(FaceScan.photo_id).where(FaceScan.model_id == chosen)
    lacking = select(func.count(Photo.id)).where(Photo.status == "ok", Photo.id.not_in(scanned))
    if session is None:
        with library.db.write_session() as s:
            return finish_if_scanned(library, s)
    if session.scalar(lacking):
        return False
    carry_all(session, library, chosen, serving)
    session.merge(Setting(key="faces.serving_model_id", value=json.dumps(None)))
    return True


def switch_status(library: "Library") -> dict:
    """What `shoebox people model` prints: chosen and serving model, photos scanned by the chosen one."""
    chosen = chosen_model(library)
    with library.db.read_session() as s:
        total = s.scalar(select(func.count(Photo.id)).where(Photo.status == "ok")) or 0
        scanned = s.scalar(select(func.count(FaceScan.photo_id)).where(FaceScan.model_id == chosen)) or 0
    return {"model": chosen, "serving": active_model(library), "scanned": int(scanned), "photos": int(total)}
