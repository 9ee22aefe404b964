"""`shoebox tasks worker`, the window's background worker process: it runs the queue, reports as JSON lines,
exits when the queue is empty, and stops cleanly when told to (or when its stdin closes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.bench.gui import write_photos
from app.core.library import Library

ROOT = Path(__file__).resolve().parents[1]


def worker(library_dir: Path, stderr) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "app.cli", "--library", str(library_dir), "tasks", "worker"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)


def events(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_the_worker_runs_the_queue_reports_and_exits_when_it_is_empty(tmp_path):
    write_photos(tmp_path / "photos", 3)
    with Library.open(tmp_path / "library") as library:
        group = library.importer.start_import([tmp_path / "photos"])
    with open(tmp_path / "stderr", "w") as stderr:
        proc = worker(tmp_path / "library", stderr)
        out = proc.stdout.read()  # stdin stays open: the worker ends by itself when the queue is empty
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0, (tmp_path / "stderr").read_text()
    seen = events(out)
    kinds = [e["event"] for e in seen]
    assert kinds[0] == "started" and seen[0]["pid"] == proc.pid
    assert "task_finished" in kinds and "counts" in kinds
    assert any(e["event"] == "group" and e["id"] == group and e["done"] == e["total"] for e in seen)
    assert seen[-1] == {"event": "stopped", "reason": "idle"}
    with Library.open(tmp_path / "library") as library:
        assert library.photos.count() == 3


def test_the_worker_stops_when_told_and_leaves_nothing_running(tmp_path):
    write_photos(tmp_path / "photos", 20, size=(640, 480))
    with Library.open(tmp_path / "library") as library:
        library.importer.start_import([tmp_path / "photos"])
    proc = worker(tmp_path / "library", subprocess.PIPE)
    assert json.loads(proc.stdout.readline())["event"] == "started"
    out, err = proc.communicate("stop\n", timeout=300)
    assert proc.returncode == 0, err
    assert events(out)[-1] == {"event": "stopped", "reason": "stop"}
    with Library.open(tmp_path / "library") as library:
        assert library.tasks.store.counts()["running"] == 0  # tasks in flight went back to the queue
