"""Kill -9 an import at random moments, again and again: after finishing, every file is in the library exactly
once and no task is left stuck. This is the proof that a task's effect and its state change commit together."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from app.core.db.models import Photo, PhotoFile, Task
from app.core.library import Library

ROOT = Path(__file__).resolve().parents[1]
FILES = 300
KILLS = 12


def _make_photos(folder: Path, count: int, seed: int = 7) -> None:
    """1600x1200 JPEGs (~250 KB) upscaled from random 80x60 noise: each file has its own bytes and pHash."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for i in range(count):
        small = (rng.random((60, 80, 3)) * 255).astype(np.uint8)
        Image.fromarray(small).resize((1600, 1200), Image.BILINEAR).save(folder / f"img_{i:04d}.jpg", quality=85)


def _query(library_dir: Path, sql: str) -> int:
    """One number from the library database, read from outside like any other process would."""
    db = library_dir / "shoebox.db"
    if not db.exists():
        return 0
    with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
        try:
            return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:  # killed before the schema was created, or it is being created
            return 0


def _photo_count(library_dir: Path) -> int:
    return _query(library_dir, "SELECT count(*) FROM photos")


def _scanning(library_dir: Path) -> bool:
    return _query(library_dir, "SELECT count(*) FROM tasks WHERE type = 'scan' AND state = 'running'") > 0


def _wait_until(proc: subprocess.Popen, condition, deadline_s: float = 240) -> bool:
    """Poll until `condition()` holds (True) or the import ended by itself (False)."""
    deadline = time.monotonic() + deadline_s
    while proc.poll() is None:
        if condition():
            return True
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the import made no progress within {deadline_s} s")
        time.sleep(0.02)
    return False


def _import_cmd(library: Path, photos: Path) -> list[str]:
    return [sys.executable, "-m", "app.cli", "--library", str(library), "import", str(photos)]


@pytest.mark.slow
def test_sigkill_mid_import_loses_and_duplicates_nothing(tmp_path):
    photos = tmp_path / "photos"
    _make_photos(photos, FILES)
    library_dir = tmp_path / "library"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    rng = random.Random(1234)
    outcomes = []
    progress = []  # photos in the library after each kill
    for round_ in range(KILLS):
        # Kill relative to observed progress, not to the clock (start-up alone takes 0.7-2 s on a busy
        # machine): while the first scan runs, right after the first commit a run makes, or after a random
        # number of further photos.
        before = _photo_count(library_dir)
        target = before + (1 if round_ % 3 == 1 else rng.randint(2, 15))
        if round_ == 0:
            condition = lambda: _scanning(library_dir) or _photo_count(library_dir) > 0  # noqa: E731
        else:
            condition = lambda: _photo_count(library_dir) >= target  # noqa: E731
        proc = subprocess.Popen(
            _import_cmd(library_dir, photos), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if _wait_until(proc, condition):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            outcomes.append("killed")
            progress.append(_photo_count(library_dir))
        else:
            outcomes.append(f"finished rc={proc.returncode}")
    assert outcomes.count("killed") >= 10, outcomes
    assert sum(1 for n in progress if 0 < n < FILES) >= 5, progress  # most kills landed mid-import
    print("photos after each kill:", progress)

    # The timeout only guards against a hang: finishing ~250 photos took over 300 s on a 2-core machine at load 18.
    final = subprocess.run(_import_cmd(library_dir, photos), env=env, capture_output=True, text=True, timeout=1200)
    assert final.returncode == 0, final.stderr

    with Library.open(library_dir) as library:
        with library.db.read_session() as s:
            assert s.scalar(select(func.count(Photo.id))) == FILES
            paths = list(s.scalars(select(PhotoFile.path)))
            stuck = s.scalar(select(func.count(Task.id)).where(Task.state.in_(("pending", "running", "failed"))))
            dead = s.scalar(select(func.count(Task.id)).where(Task.state == "dead"))
        assert sorted(paths) == sorted(str(p) for p in photos.iterdir())  # each file exactly once
        assert stuck == 0 and dead == 0
        assert library.importer.errors() == []
        for photo in library.photos.list():
            assert Path(photo.thumbnail).is_file()
            with Image.open(photo.thumbnail) as thumb:
                thumb.load()  # a thumbnail cut short by a kill would fail to decode here
