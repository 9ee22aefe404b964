"""`shoebox worker`: a process of its own, with its own library folder, takes the embed work of a PostgreSQL
library that another process opened, reads the originals through a path map, and writes the vectors back; the
library's own process then searches with them (its FAISS index rebuilt from the rows)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.db.models import Embedding, Photo, PhotoFile
from app.core.library import Library
from ml_tiny_model import TINY_ARCH, sample_images, tiny_checkpoint

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _qt(qapp):
    """The engine's headless loop needs a Qt application; let pytest-qt own it."""


def _photos_seen_elsewhere(library, originals: Path, seen_as: str, n: int) -> list[int]:
    """Photos whose originals the importing machine saw under `seen_as`; here they lie in `originals`, and there
    are no thumbnails on the worker's side, so it must read them through its --map."""
    ids = []
    originals.mkdir(parents=True)
    with library.db.write_session() as s:
        for i, img in enumerate(sample_images(n, seed=3)):
            img.save(originals / f"p{i}.jpg", "JPEG", quality=95)
            photo = Photo(sha256=hashlib.sha256(f"remote-{i}".encode()).hexdigest(), size=1000, width=img.width,
                          height=img.height, status="ok", hidden=False, imported_at=time.time())
            s.add(photo)
            s.flush()
            s.add(PhotoFile(photo_id=photo.id, path=f"{seen_as}/p{i}.jpg", size=1000, mtime_ns=0, missing=False,
                            first_seen=time.time(), last_seen=time.time()))
            ids.append(photo.id)
    return ids


@pytest.mark.ml
def test_a_remote_worker_embeds_for_a_library_another_process_has_open(tmp_path, postgres_url, monkeypatch):
    pytest.importorskip("open_clip")
    monkeypatch.setenv("SHOEBOX_MODELS_DIR", str(tmp_path / "models"))  # the worker's machine has the model too
    checkpoint = tiny_checkpoint(tmp_path / "ckpt", seed=1)
    with Library.open(tmp_path / "laptop", database=postgres_url) as laptop:
        laptop.models.import_path(checkpoint, arch=TINY_ARCH, model_id="clip:tiny/a", shared=True)
        ids = _photos_seen_elsewhere(laptop, tmp_path / "nas" / "photos", "/mnt/laptop/Pictures", 6)
        assert laptop.search.schedule_embedding() is not None

        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        worker = subprocess.run(
            [sys.executable, "-m", "app.cli", "--library", str(tmp_path / "desktop"), "--database", postgres_url,
             "worker", "--types", "embed", "--map", f"/mnt/laptop/Pictures={tmp_path / 'nas' / 'photos'}",
             "--until-idle"],
            env=env, capture_output=True, text=True, timeout=600)
        assert worker.returncode == 0, worker.stderr
        assert "worker stopped after 1 task(s)" in worker.stdout

        with laptop.db.read_session() as s:
            assert s.scalar(select(func.count()).select_from(Embedding)) == len(ids)
        assert laptop.search.status().embedded == len(ids)
        hits = laptop.search.like(ids[0], limit=10)
        assert sorted(h.photo_id for h in hits) == sorted(ids[1:])
        assert laptop.tasks.counts()["done"] == 1 and laptop.tasks.counts()["dead"] == 0
    assert not (tmp_path / "desktop" / "thumbnails" / "preview").exists() or not any(
        (tmp_path / "desktop" / "thumbnails" / "preview").rglob("*.jpg"))


def test_worker_refuses_an_unknown_type(tmp_path, postgres_url, capsys):
    from app.cli import main

    assert main(["--library", str(tmp_path / "w"), "--database", postgres_url, "worker", "--types", "embedd"]) == 2
    assert "unknown task type(s): embedd" in capsys.readouterr().err
