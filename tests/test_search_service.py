"""SearchService end to end on a tiny real model: embed task, index, text and like search, model switch."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from ml_tiny_model import TINY_ARCH, sample_images, tiny_checkpoint


def add_photos(library, n: int, seed: int = 0) -> list[int]:
    """Photo rows with preview thumbnails, as the importer would leave them."""
    from app.core.db.models import Photo

    ids = []
    images = sample_images(n, seed=seed)
    with library.db.write_session() as s:
        for i, img in enumerate(images):
            sha = hashlib.sha256(f"{seed}-{i}".encode()).hexdigest()
            path = library.layout.thumbnail(sha, "preview")
            path.parent.mkdir(parents=True, exist_ok=True)
            img.save(path, "JPEG", quality=95)
            photo = Photo(sha256=sha, size=1000, width=img.width, height=img.height, status="ok",
                          hidden=False, imported_at=time.time())
            s.add(photo)
            s.flush()
            ids.append(photo.id)
    return ids


def count_vectors(library, model_id: str) -> int:
    from app.core.db.models import Embedding

    with library.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(Embedding).where(Embedding.model_id == model_id))


@pytest.fixture
def isolated_models(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOEBOX_MODELS_DIR", str(tmp_path / "shared-models"))


def test_no_model_says_so(library, isolated_models):
    from app.core.search.service import ModelMissingError

    add_photos(library, 2)
    status = library.search.status()
    assert not status.model_available and status.model_id is None
    assert "shoebox models install" in status.message and status.total == 2 and status.embedded == 0
    with pytest.raises(ModelMissingError, match="models install"):
        library.search.text("dog")
    with pytest.raises(ModelMissingError):
        library.search.like(1)
    assert library.search.schedule_embedding() is None


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    pytest.importorskip("open_clip")
    root = tmp_path_factory.mktemp("ckpt")
    return tiny_checkpoint(root, seed=1), tiny_checkpoint(root, seed=2)


@pytest.mark.ml
def test_embed_then_search(library, isolated_models, checkpoints):
    info = library.models.import_path(checkpoints[0], arch=TINY_ARCH, model_id="clip:tiny/a")
    assert info.installed and set(info.runtimes) == {"torch", "onnx-fp32", "onnx-int8"}
    assert library.models.active_id() == "clip:tiny/a"
    ids = add_photos(library, 10)
    assert library.search.status().embedded == 0
    task_id = library.search.schedule_embedding()
    assert task_id is not None and library.search.schedule_embedding() is None  # no second chain
    library.tasks.run_until_idle(progress=False)

    status = library.search.status()
    assert (status.embedded, status.total, status.model_available) == (10, 10, True)
    from app.core.db.models import Embedding

    with library.db.read_session() as s:
        row = s.scalars(select(Embedding)).first()
    assert (row.model_id, row.dim, row.runtime, row.device) == ("clip:tiny/a", 32, "onnx-int8", "cpu")
    assert np.linalg.norm(np.frombuffer(row.vector, np.float32)) == pytest.approx(1.0, abs=1e-4)

    hits = library.search.text("a colourful gradient", limit=5)
    assert len(hits) == 5 and hits == sorted(hits, key=lambda h: -h.score)
    assert all(h.photo_id in ids for h in hits)
    like = library.search.like(ids[3], limit=20)
    assert ids[3] not in [h.photo_id for h in like] and len(like) == 9
    # The index file was written next to the database and agrees with it on reopen.
    assert list(library.layout.index.glob("*.faiss"))


@pytest.mark.ml
def test_hidden_photos_are_not_returned(library, isolated_models, checkpoints):
    from app.core.db.models import Photo

    library.models.import_path(checkpoints[0], arch=TINY_ARCH, model_id="clip:tiny/a")
    ids = add_photos(library, 6)
    library.search.schedule_embedding()
    library.tasks.run_until_idle(progress=False)
    with library.db.write_session() as s:
        s.get(Photo, ids[0]).hidden = True
    assert ids[0] not in [h.photo_id for h in library.search.like(ids[1])]


@pytest.mark.ml
def test_model_change_reembeds_resumably_and_swaps_when_complete(tmp_path, isolated_models, checkpoints, monkeypatch):
    from app.core.library import Library
    from app.core.ml import embed
    from app.core.tasks.runner import run_pending

    monkeypatch.setattr(embed, "CHUNK", 4)
    root = tmp_path / "lib"
    with Library.open(root) as library:
        library.models.import_path(checkpoints[0], arch=TINY_ARCH, model_id="clip:tiny/a")
        library.models.import_path(checkpoints[1], arch=TINY_ARCH, model_id="clip:tiny/b")
        library.models.set_active("clip:tiny/a")
        ids = add_photos(library, 10)
        library.search.schedule_embedding()
        library.tasks.run_until_idle(progress=False)
        before = [h.photo_id for h in library.search.like(ids[0], limit=3)]

        library.models.set_active("clip:tiny/b")
        assert library.search.schedule_embedding() is not None
        run_pending(library, library.tasks.store, max_tasks=1)  # one chunk of 4, then the process "dies"
        assert count_vectors(library, "clip:tiny/b") == 4

    with Library.open(root) as library:  # reopen: old vectors still serve, the chain resumes
        assert library.search.serving_model_id() == "clip:tiny/a"
        assert [h.photo_id for h in library.search.like(ids[0], limit=3)] == before
        assert library.search.status().embedded == 4  # status reports the active model's progress
        assert library.search.schedule_embedding() is None  # the pending follow-up already covers it
        library.tasks.run_until_idle(progress=False)
        assert count_vectors(library, "clip:tiny/b") == 10
        assert library.search.serving_model_id() == "clip:tiny/b"
        assert len(library.search.text("anything", limit=10)) == 10


@pytest.mark.ml
def test_undecodable_thumbnail_is_skipped_not_fatal(library, isolated_models, checkpoints):
    from app.core.db.models import Photo

    library.models.import_path(checkpoints[0], arch=TINY_ARCH, model_id="clip:tiny/a")
    ids = add_photos(library, 3)
    with library.db.read_session() as s:
        sha = s.get(Photo, ids[1]).sha256
    library.layout.thumbnail(sha, "preview").write_bytes(b"not a jpeg")
    library.search.schedule_embedding()
    library.tasks.run_until_idle(progress=False)
    assert library.search.status().embedded == 2
    assert library.tasks.counts()["dead"] == 0


@pytest.mark.ml
def test_import_schedules_embedding_outside_its_group(library, isolated_models, checkpoints, tmp_path):
    """Photos imported while a model is installed become searchable without anyone asking."""
    library.models.import_path(checkpoints[0], arch=TINY_ARCH, model_id="clip:tiny/a")
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for i in range(6):
        Image.fromarray((rng.random((48, 64, 3)) * 255).astype(np.uint8)).resize((320, 240)).save(folder / f"{i}.jpg")
    summary = library.importer.import_paths([folder], progress=False)
    assert summary.imported == 6
    assert library.search.status().embedded == 6
    embed_tasks = [t for t in library.tasks.list_tasks() if t.type == "embed"]
    assert embed_tasks and all(t.group_id is None and t.state == "done" for t in embed_tasks)
    assert len(library.search.text("photo", limit=3)) == 3


def _break_preview(library, photo_id: int) -> str:
    from app.core.db.models import Photo

    with library.db.read_session() as s:
        sha = s.get(Photo, photo_id).sha256
    library.layout.thumbnail(sha, "preview").write_bytes(b"not a jpeg")
    return sha


@pytest.mark.ml
def test_model_switch_completes_despite_an_undecodable_photo(library, isolated_models, checkpoints):
    """Regression: with one photo that cannot be decoded the switch never happened and every start scheduled a
    new chain. Its failure is recorded per (photo, model), reported, and retried once its preview changes."""
    library.models.import_path(checkpoints[0], arch=TINY_ARCH, model_id="clip:tiny/a")
    library.models.import_path(checkpoints[1], arch=TINY_ARCH, model_id="clip:tiny/b")
    library.models.set_active("clip:tiny/a")
    ids = add_photos(library, 4)
    sha = _break_preview(library, ids[2])
    library.search.schedule_embedding()
    library.tasks.run_until_idle(progress=False)
    assert library.search.serving_model_id() == "clip:tiny/a"

    library.models.set_active("clip:tiny/b")
    assert library.search.schedule_embedding() is not None
    library.tasks.run_until_idle(progress=False)
    assert library.search.serving_model_id() == "clip:tiny/b"
    assert library.search.schedule_embedding() is None  # a start or an import schedules nothing more
    status = library.search.status()
    assert (status.embedded, status.failed, status.total) == (3, 1, 4)
    assert "ready" in status.message and "1 photo could not be analysed" in status.message
    assert [f.photo_id for f in library.search.failures()] == [ids[2]]

    # The preview is regenerated: the failure is retried by the next chain and succeeds.
    sample_images(1, seed=9)[0].save(library.layout.thumbnail(sha, "preview"), "JPEG")
    assert library.search.schedule_embedding() is not None
    library.tasks.run_until_idle(progress=False)
    status = library.search.status()
    assert (status.embedded, status.failed) == (4, 0)
    assert library.tasks.counts()["dead"] == 0


@pytest.mark.ml
def test_failures_are_retried_on_explicit_request(library, isolated_models, checkpoints):
    library.models.import_path(checkpoints[0], arch=TINY_ARCH, model_id="clip:tiny/a")
    ids = add_photos(library, 3)
    _break_preview(library, ids[0])
    library.search.schedule_embedding()
    library.tasks.run_until_idle(progress=False)
    assert library.search.status().failed == 1
    assert library.search.schedule_embedding() is None
    forgotten, task_id = library.search.retry_failed()
    assert forgotten == 1 and task_id is not None
    library.tasks.run_until_idle(progress=False)
    status = library.search.status()
    assert (status.embedded, status.failed) == (2, 1)  # still undecodable: recorded again, no loop


@pytest.mark.ml
def test_a_non_ascii_model_id_never_starts_a_second_chain(library, isolated_models, checkpoints, monkeypatch):
    """Regression: the live-chain check matched the model id in the JSON payload, where non-ASCII is escaped."""
    from app.core.ml import embed
    from app.core.tasks.runner import run_pending

    monkeypatch.setattr(embed, "CHUNK", 4)
    model_id = "clip:tiny/Bäume-日本"
    library.models.import_path(checkpoints[0], arch=TINY_ARCH, model_id=model_id)
    add_photos(library, 10)
    assert library.search.schedule_embedding() is not None
    run_pending(library, library.tasks.store, max_tasks=1)  # the first chunk is done, its follow-up pending
    assert count_vectors(library, model_id) == 4
    assert embed.live_embed_task(library, model_id) is not None
    assert library.search.schedule_embedding() is None
    library.tasks.run_until_idle(progress=False)
    assert count_vectors(library, model_id) == 10
    assert embed.live_embed_task(library, "clip:tiny") is None  # a prefix of the id is another model


def test_the_live_chain_lookup_reads_the_dedupe_key_index(library):
    from sqlalchemy import text

    from app.core.ml.embed import chain_key, chain_tasks

    if library.db.is_postgres:
        pytest.skip("SQLite's query plan")
    statement = chain_tasks(chain_key("clip:tiny/Bäume")).compile(compile_kwargs={"literal_binds": True})
    with library.db.read_session() as s:
        plan = " ".join(str(row[-1]) for row in s.execute(text(f"EXPLAIN QUERY PLAN {statement}")))
    assert "USING INDEX ix_tasks_dedupe_key" in plan, plan
