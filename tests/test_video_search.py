"""A clip is found by what is in any of its scenes: each keyframe is embedded (tiny real CLIP model, loaded
through the real model path) and a search hit is the clip's best keyframe; faces are found on keyframes too."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from ml_tiny_model import TINY_ARCH, tiny_checkpoint
from people_library import FACES, needs_faces
from video_clips import checker, picture, solid, write_clip

pytest.importorskip("av")

RED, GREEN, GREY, BLUE, YELLOW = (200, 30, 30), (30, 200, 30), (128, 128, 128), (30, 30, 200), (230, 220, 40)


@pytest.fixture
def tiny_model(library, tmp_path, monkeypatch):
    pytest.importorskip("open_clip")
    monkeypatch.setenv("SHOEBOX_MODELS_DIR", str(tmp_path / "shared-models"))
    checkpoint = tiny_checkpoint(tmp_path / "ckpt", seed=3)
    library.models.import_path(checkpoint, arch=TINY_ARCH, model_id="clip:tiny/video")
    return "clip:tiny/video"


@pytest.mark.ml
def test_a_clip_is_found_by_the_scene_in_its_middle(library, tiny_model, tmp_path):
    from app.core.db.models import Embedding, KeyframeEmbedding

    src = tmp_path / "src"
    middle = checker(BLUE, YELLOW)
    write_clip(src / "walk.mp4", [solid(RED), middle, solid(RED)])  # only its middle scene is blue and yellow
    write_clip(src / "park.mp4", [solid(GREEN), solid(GREY)])
    write_clip(src / "wall.webm", [checker(GREY, RED), solid(GREY)])
    for i, colour in enumerate((RED, GREEN, YELLOW)):
        Image.fromarray(solid(colour, (200, 150))).save(src / f"still-{i}.jpg", quality=92)
    summary = library.importer.import_paths([src], progress=False)
    assert summary.imported == 6 and summary.failed == 0
    library.tasks.run_until_idle(progress=False)

    ids = {p.path.rsplit("/", 1)[-1]: p.id for p in library.photos.list()}
    with library.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Embedding).where(Embedding.model_id == tiny_model)) == 6
        frames = s.scalar(select(func.count()).select_from(KeyframeEmbedding)
                          .where(KeyframeEmbedding.photo_id == ids["walk.mp4"]))
        mean = np.frombuffer(s.scalar(select(Embedding.vector).where(Embedding.photo_id == ids["walk.mp4"])),
                             np.float32)
    assert frames == 3
    assert library.search.status().embedded == 6

    encoder = library.models.load_clip(tiny_model)
    query = encoder.encode_images([Image.fromarray(middle).resize((320, 240))])[0]
    hits = library.search.index(tiny_model).search(query, 10)
    assert hits[0][0] == ids["walk.mp4"]
    assert len({photo_id for photo_id, _ in hits}) == len(hits) == 6  # each clip once, keyframes folded in
    # The hit is the middle keyframe's, closer than the clip's mean vector would be.
    assert hits[0][1] > float(mean @ query) + 1e-4

    # "More like this" of the clip never returns the clip itself; the like search uses its mean vector.
    assert ids["walk.mp4"] not in [h.photo_id for h in library.search.like(ids["walk.mp4"])]


@pytest.mark.ml
def test_index_reloads_and_forgets_a_deleted_clip(library, tiny_model, tmp_path):
    from app.core.db.models import Photo

    src = tmp_path / "src"
    write_clip(src / "a.mp4", [solid(RED), checker(BLUE, YELLOW)])
    write_clip(src / "b.mp4", [solid(GREEN)])
    library.importer.import_paths([src], progress=False)
    library.tasks.run_until_idle(progress=False)
    manager = library.search.index(tiny_model)
    manager.background = False
    query = library.models.load_clip(tiny_model).encode_images([Image.fromarray(checker(BLUE, YELLOW))])[0]
    first = manager.search(query, 5)
    assert len(first) == 2
    ids = {p.path.rsplit("/", 1)[-1]: p.id for p in library.photos.list()}
    with library.db.write_session() as s:
        s.delete(s.get(Photo, ids["a.mp4"]))
    after = manager.sync(force=True)
    assert after.size == 2  # b's clip vector and its one keyframe
    assert [pid for pid, _ in manager.search(query, 5)] == [ids["b.mp4"]]


@needs_faces
def test_faces_are_found_on_keyframes_and_one_person_is_kept_once(library, tmp_path):
    from app.core.db.models import Face, FaceScan

    size = (480, 360)
    face = picture(FACES / "img1.jpg", size)
    write_clip(tmp_path / "src" / "visit.mp4", [solid(GREY, size), face, solid(GREEN, size), face], fps=5)
    library.importer.import_paths([tmp_path / "src"], progress=False)
    library.tasks.run_until_idle(progress=False)
    (clip,) = library.photos.list()
    with library.db.read_session() as s:
        faces = list(s.scalars(select(Face).where(Face.photo_id == clip.id)))
        scanned = s.scalar(select(FaceScan.faces).where(FaceScan.photo_id == clip.id))
    assert scanned == len(faces) == 1  # seen on two keyframes, stored once
    assert 0 <= faces[0].x < 480 and 0 <= faces[0].y < 360 and (library.layout.faces / faces[0].crop).is_file()
