"""Kill -9 workers that share a PostgreSQL queue, again and again: an import and two `shoebox worker`
processes claim the same ingest tasks (FOR UPDATE SKIP LOCKED); one of the three dies at a random moment
(chosen by observed progress, never by the clock) and is started again. Afterwards every file is in the library
exactly once, every task finished exactly once, and nothing is left stuck."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import create_engine, func, select, text

from app.core.db.models import Photo, PhotoFile, Task
from app.core.db.postgres import driver_url
from app.core.library import Library

ROOT = Path(__file__).resolve().parents[1]
FILES = 120
KILLS = 9


def _make_photos(folder: Path, count: int, seed: int = 11) -> None:
    """800x600 JPEGs upscaled from random 40x30 noise: each with its own bytes and pHash, quick to import."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for i in range(count):
        small = (rng.random((30, 40, 3)) * 255).astype(np.uint8)
        Image.fromarray(small).resize((800, 600), Image.BILINEAR).save(folder / f"img_{i:04d}.jpg", quality=85)


class _Queue:
    """Reads the shared database from outside, as any other process would."""

    def __init__(self, url: str):
        self._engine = create_engine(driver_url(url), pool_size=1)

    def number(self, sql: str) -> int:
        try:
            with self._engine.connect() as conn:
                return conn.execute(text(sql)).scalar() or 0
        except Exception:  # noqa: BLE001 - the schema is not there yet
            return 0

    def photos(self) -> int:
        return self.number("SELECT count(*) FROM photos")

    def close(self) -> None:
        self._engine.dispose()


@pytest.mark.slow
def test_sigkill_workers_sharing_a_postgres_queue(tmp_path, postgres_url):
    photos = tmp_path / "photos"
    _make_photos(photos, FILES)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}

    def command(name: str) -> list[str]:
        base = [sys.executable, "-m", "app.cli", "--library", str(tmp_path / name), "--database", postgres_url]
        if name == "importer":
            return [*base, "import", str(photos)]
        return [*base, "worker", "--types", "ingest", "--workers", "2"]

    def start(name: str) -> subprocess.Popen:
        return subprocess.Popen(command(name), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    queue = _Queue(postgres_url)
    names = ["importer", "worker-a", "worker-b"]
    procs = {name: start(name) for name in names}
    rng = random.Random(4321)
    kills = []
    try:
        for _ in range(KILLS):
            target = queue.photos() + rng.randint(1, 12)
            deadline = time.monotonic() + 240
            while queue.photos() < target and procs["importer"].poll() is None:
                assert time.monotonic() < deadline, "the import made no progress within 240 s"
                time.sleep(0.02)
            if procs["importer"].poll() is not None and queue.photos() >= FILES:
                break  # all imported: nothing left to interrupt
            victim = rng.choice(names)
            procs[victim].send_signal(signal.SIGKILL)
            procs[victim].wait()
            kills.append((victim, queue.photos()))
            procs[victim] = start(victim)
        assert len(kills) >= KILLS - 2, kills
        assert sum(1 for _, n in kills if 0 < n < FILES) >= 4, kills  # most kills landed mid-import
        print("kills (who, photos by then):", kills)

        # A last import finishes what the killed ones left (as a user would run it again).
        procs["importer"].wait(timeout=600)
        final = subprocess.run(command("importer"), env=env, capture_output=True, text=True, timeout=600)
        assert final.returncode == 0, final.stderr
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        queue.close()

    with Library.open(tmp_path / "check", database=postgres_url) as library:
        with library.db.read_session() as s:
            assert s.scalar(select(func.count(Photo.id))) == FILES
            paths = list(s.scalars(select(PhotoFile.path)))
            states = dict(s.execute(select(Task.state, func.count()).group_by(Task.state)).all())
            ingest_keys = list(s.scalars(select(Task.dedupe_key).where(Task.type == "ingest", Task.state == "done")))
            dead = s.execute(select(Task.type, Task.error_class, Task.error_message).where(Task.state == "dead")).all()
        assert sorted(paths) == sorted(str(p) for p in photos.iterdir())  # each file exactly once
        assert set(states) <= {"done", "cancelled"}, (states, dead[:5])  # nothing pending, running, failed or dead
        # Each file's ingest finished once: a file imported by two workers at once would have two done tasks.
        assert len(ingest_keys) == len(set(ingest_keys))
