"""Kill -9 an import of many small files while its scan is queueing them in batches, again and again: a final
import leaves every file in the library exactly once, no task stuck, and its summary adds up (what it imported
plus what earlier runs had imported). Kills follow observed progress (a new batch queued, a new photo stored),
never wall-clock guesses, so a slow start on a busy machine cannot make them all land before any work."""

from __future__ import annotations

import json
import os
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
FOLDERS, PER_FOLDER = 3, 500  # 1,500 files: three scan batches
KILLS = 4
DEADLINE_S = 300  # generous: a condition that never comes fails the test instead of hanging it


def _make_small_photos(folder: Path) -> list[Path]:
    rng = np.random.default_rng(5)
    paths = []
    for f in range(FOLDERS):
        sub = folder / f"roll{f}"
        sub.mkdir(parents=True)
        for i in range(PER_FOLDER):
            noise = (rng.random((12, 16, 3)) * 255).astype(np.uint8)
            path = sub / f"s{i:04d}.jpg"
            Image.fromarray(noise).resize((64, 48)).save(path, quality=80)
            paths.append(path)
    return paths


def _counts(library_dir: Path) -> tuple[int, int]:
    """(ingest tasks queued, photos stored) as committed, or zeros before the schema exists."""
    db = library_dir / "shoebox.db"
    if not db.exists():
        return 0, 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
            tasks = conn.execute("SELECT count(*) FROM tasks WHERE type = 'ingest'").fetchone()[0]
            photos = conn.execute("SELECT count(*) FROM photos").fetchone()[0]
            return tasks, photos
    except sqlite3.OperationalError:  # mid-creation
        return 0, 0


def _import_cmd(library: Path, photos: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", "--library", str(library), "import", str(photos), *extra]


@pytest.mark.slow
def test_sigkill_during_batched_scan_loses_and_duplicates_nothing(tmp_path):
    photos = tmp_path / "photos"
    files = _make_small_photos(photos)
    library_dir = tmp_path / "library"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    kills = []
    for run in range(KILLS):
        tasks_before, photos_before = _counts(library_dir)
        proc = subprocess.Popen(
            _import_cmd(library_dir, photos), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + DEADLINE_S
        while proc.poll() is None and time.monotonic() < deadline:
            tasks_now, photos_now = _counts(library_dir)
            # Even runs: right after a batch of the scan is committed; odd runs: once photos are being stored.
            if (tasks_now > tasks_before) if run % 2 == 0 else (photos_now > photos_before):
                break
            time.sleep(0.01)  # polling a condition, not waiting for time to pass
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills.append(_counts(library_dir))
        proc.wait()
    print("(queued, photos) after each kill:", kills)
    assert len(kills) >= 2, kills
    assert any(0 < queued < len(files) for queued, _ in kills), kills  # at least one kill mid-scan

    _, photos_before_final = _counts(library_dir)
    final = subprocess.run(
        _import_cmd(library_dir, photos, "--json"), env=env, capture_output=True, text=True, timeout=DEADLINE_S
    )
    assert final.returncode == 0, final.stderr
    summary = json.loads(final.stdout)
    assert summary["failed"] == 0 and summary["duplicates"] == 0
    # Honest counts: this run's new photos plus those earlier runs stored, nothing twice.
    assert summary["imported"] == len(files) - photos_before_final
    assert summary["imported"] + summary["skipped"] == len(files)

    with Library.open(library_dir) as library:
        with library.db.read_session() as s:
            assert s.scalar(select(func.count(Photo.id))) == len(files)
            paths = list(s.scalars(select(PhotoFile.path)))
            live = s.scalar(select(func.count(Task.id)).where(Task.state.in_(("pending", "running", "failed"))))
            dead = s.scalar(select(func.count(Task.id)).where(Task.state == "dead"))
        assert sorted(paths) == sorted(str(p) for p in files)  # each file exactly once
        assert live == 0 and dead == 0
        assert library.importer.errors() == []
