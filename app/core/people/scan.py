"""The `faces` task: find, embed and store the faces of one photo, then queue the people assignment.

One task per photo (BULK priority, one at a time: the model is the bottleneck and holds memory), keyed
`faces:<model>:<photo>`, so a re-queue is a no-op and a killed run resumes with the photos still lacking a
`face_scans` row. Detection runs on the stored 1440 px preview (upright, already decoded), or the original
decoded upright at that size; boxes are scaled back to the photo's upright pixels. A video clip is searched on
each of its keyframes (app.core.keyframes); a face much like one already found on an earlier keyframe of the
same clip (SAME_FACE) is the same person seen again and is not stored twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import TYPE_CHECKING

from PIL import Image
from sqlalchemy import and_, exists, insert, not_, select

from app.core.db.models import Face, FaceScan, Photo, PhotoFile, Task
from app.core.people.backends import chosen_model, face_backend
from app.core.people.switch import carry_corrections
from app.core.ml.errors import ModelMissingError
from app.core.tasks import PermanentError, Priority, TaskContext, task_handler
from app.core.tasks.states import LIVE_STATES

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

TASK_TYPE = "faces"
# Queues the scan of every photo that lacks one, in the process that runs tasks: queue_faces for a library that
# was never scanned reads 100k ids and writes 100k task rows, seconds of Python and ~200 MB that the window's
# process must not spend when a library opens (PeopleService.schedule_in_background).
SCHEDULE_TASK = "faces-schedule"
DETECT_PX = 1440  # the preview's long side: big enough for faces down to ~1/40 of the picture
CROP_PX = 160
CROP_MARGIN = 0.25
SAME_FACE = 0.6  # cosine between two faces of one clip above which they are one person seen twice


def task_key(model_id: str, photo_id: int) -> str:
    return f"faces:{model_id}:{photo_id}"


def _lacking(model_id: str):
    return not_(exists().where(and_(FaceScan.photo_id == Photo.id, FaceScan.model_id == model_id)))


def any_unscanned(library: "Library") -> bool:
    """Whether some photo lacks a scan by the active model (one indexed lookup per photo until one is found)."""
    with library.db.read_session() as s:
        return s.scalar(select(Photo.id).where(Photo.status == "ok", _lacking(chosen_model(library))).limit(1)) \
            is not None


def queue_faces(library: "Library", session=None) -> int:
    """Queue a faces task for every photo not yet scanned by the active model (none twice); returns how many.
    Pass a session to queue in its transaction (the import's last step does)."""
    model_id = chosen_model(library)
    with library.db.read_session() as s:
        photos = list(s.scalars(select(Photo.id).where(Photo.status == "ok", _lacking(model_id)).order_by(Photo.id)))
        if not photos:
            return 0
        live = set(s.scalars(select(Task.dedupe_key).where(Task.type == TASK_TYPE, Task.state.in_(LIVE_STATES))))
    now = time.time()
    store = library.tasks.store
    rows = [
        {
            "type": TASK_TYPE, "payload": json.dumps({"photo_id": pid, "model_id": model_id}),
            "priority": Priority.BULK, "state": "pending", "attempts": 0, "max_attempts": store.default_max_attempts,
            "next_run_at": 0.0, "created_at": now, "progress": 0.0, "dedupe_key": task_key(model_id, pid),
            "cancel_requested": False,
        }
        for pid in photos
        if task_key(model_id, pid) not in live
    ]
    if rows:
        if session is not None:
            session.execute(insert(Task), rows)
        else:
            with library.db.write_session() as s:
                s.execute(insert(Task), rows)
    return len(rows)


def load_upright(library: "Library", photo_id: int, sha256: str, long_side: int | None = None
                 ) -> Image.Image | None:
    """The photo upright, long side at most DETECT_PX: the preview thumbnail when it is that big (or the photo
    is no bigger), else the original decoded upright at that size."""
    from app.core.ingest.thumbnails import open_reduced

    wanted = min(DETECT_PX, long_side or DETECT_PX)
    preview = library.layout.thumbnail(sha256, "preview")
    try:
        with Image.open(preview) as img:
            if max(img.size) >= wanted:
                return img.convert("RGB")
    except (OSError, ValueError):
        pass
    with library.db.read_session() as s:
        paths = list(s.scalars(select(PhotoFile.path).where(PhotoFile.photo_id == photo_id, PhotoFile.missing.is_(False))))
    for path in paths:
        try:
            with Image.open(library.path_map.local(path)) as img:
                return open_reduced(img, DETECT_PX).convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError):
            continue
    return None


def crop_name(sha256: str, model_id: str, index: int) -> str:
    tag = hashlib.sha1(model_id.encode()).hexdigest()[:8]
    return f"{sha256[:2]}/{sha256}-{tag}-{index}.jpg"


def save_crop(library: "Library", image: Image.Image, box, name: str) -> None:
    """A square 160 px thumbnail around the face (written to a temp name, then renamed into place)."""
    x, y, w, h = box
    side = max(w, h) * (1 + 2 * CROP_MARGIN)
    cx, cy = x + w / 2, y + h / 2
    crop = image.crop((int(cx - side / 2), int(cy - side / 2), int(cx + side / 2), int(cy + side / 2)))
    crop = crop.resize((CROP_PX, CROP_PX), Image.Resampling.LANCZOS)
    path = library.layout.faces / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    crop.save(tmp, "JPEG", quality=88)
    tmp.replace(path)


def scan_photo(library: "Library", photo_id: int, model_id: str) -> list[Face] | None:
    """Face rows (not yet added) for one photo; None when the photo is gone or cannot be decoded."""
    with library.db.read_session() as s:
        photo = s.get(Photo, photo_id)
        if photo is None:
            return None
        sha, width, height = photo.sha256, photo.width, photo.height
    from app.core.keyframes import frames_of, load_keyframes

    clip = frames_of(library, [photo_id]).get(photo_id)
    images = [image for _frame, image in load_keyframes(library, sha, clip)] if clip else []
    if not images:
        image = load_upright(library, photo_id, sha, max(width or 0, height or 0) or None)
        if image is None:
            log.warning("photo %s: nothing decodable to find faces in", photo_id)
            return None
        images = [image]
    min_size = float(library.config.get("faces.min_size_px"))
    min_blur = float(library.config.get("faces.min_blur"))
    now = time.time()
    faces = []
    seen: list = []  # the embeddings kept so far (a clip's keyframes show the same people again)
    for image in images:
        scale = (width / image.width) if width else 1.0
        for found in face_backend(model_id, library).analyse(image):
            if len(images) > 1 and any(float(found.embedding @ other) > SAME_FACE for other in seen):
                continue
            seen.append(found.embedding)
            name = crop_name(sha, model_id, len(faces))
            save_crop(library, image, found.box, name)
            size = min(found.box[2], found.box[3])
            x, y, w, h = (v * scale for v in found.box)
            faces.append(
                Face(
                    photo_id=photo_id, model_id=model_id, x=x, y=y, w=w, h=h,
                    landmarks=json.dumps([[px * scale, py * scale] for px, py in found.landmarks]),
                    score=found.score, size_px=size, blur=found.blur,
                    recognisable=size >= min_size and found.blur >= min_blur,
                    embedding=found.embedding.tobytes(), crop=name, person_id=None, confirmed=False, rejected="[]",
                    forgotten=False, created_at=now,
                )
            )
    return faces


@task_handler(TASK_TYPE, max_concurrency=1)
def faces_task(ctx: TaskContext) -> None:
    library = ctx.library
    photo_id = int(ctx.payload["photo_id"])
    model_id = ctx.payload.get("model_id") or chosen_model(library)
    ctx.check_cancelled()
    try:
        faces = scan_photo(library, photo_id, model_id)
    except ModelMissingError as exc:
        raise PermanentError(str(exc)) from exc  # retrying cannot bring the weights back
    ctx.check_cancelled()
    session = ctx.session
    if session.get(Photo, photo_id) is None:
        return  # deleted meanwhile
    if session.get(FaceScan, (photo_id, model_id)) is not None:
        return  # scanned by an earlier attempt that committed
    carry_corrections(session, library, photo_id, model_id, faces or [])  # after a model switch: names stay
    for face in faces or []:
        session.add(face)
    session.add(FaceScan(photo_id=photo_id, model_id=model_id, faces=len(faces or []), scanned_at=time.time()))
    if faces or library.config.get("faces.serving_model_id"):  # mid-switch, the assign task ends the switch
        from app.core.people.cluster_task import submit_assign

        submit_assign(ctx)
    ctx.set_progress(1.0)


@task_handler(SCHEDULE_TASK, max_concurrency=1)
def schedule_task(ctx: TaskContext) -> None:
    ctx.library.people.schedule()
    ctx.set_progress(1.0)
