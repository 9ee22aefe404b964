"""The window's first frame waits only for Qt, SQLAlchemy and its own modules: numpy, Pillow, the ML runtimes
and QtMultimedia load later, when something needs them (start-up time to a painted window, packaging/README.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.core.library import Library

ROOT = Path(__file__).resolve().parents[1]
LATER = ["numpy", "PIL", "scipy", "faiss", "onnxruntime", "av", "alembic", "PySide6.QtMultimedia"]

PROBE = """
import json, sys
from app.ui.application import create_app, create_main_window
app = create_app(["shoebox"])
window, _ = create_main_window(sys.argv[1], remember=False)
window.show()
app.processEvents()
loaded = [name for name in json.loads(sys.argv[2]) if name in sys.modules]
window.close()
print("LOADED", json.dumps(loaded))
"""


def test_window_opens_without_numpy_pillow_or_the_ml_runtimes(tmp_path):
    library = tmp_path / "lib"
    Library.open(library, log_to_file=False).close()  # made and migrated here: the probe opens an existing one
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
           "XDG_CACHE_HOME": str(home / ".cache")}
    out = subprocess.run([sys.executable, "-c", PROBE, str(library), json.dumps(LATER)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    line = next(line for line in out.stdout.splitlines() if line.startswith("LOADED"))
    assert json.loads(line.split(" ", 1)[1]) == []


def test_people_backends_names_the_default_face_model_as_faces_yunet_does():
    from app.core.ml.faces_yunet import MODEL_ID
    from app.core.people.backends import YUNET_SFACE

    assert YUNET_SFACE == MODEL_ID


def test_start_up_runs_without_garbage_collection_until_the_window_settles():
    """run() pauses the collector while the window's modules load; settle_after_start_up() freezes what start-up
    made and turns collection back on (a window left without it would grow without bound)."""
    import gc

    from app.ui.application import pause_collection_for_start_up, settle_after_start_up

    threshold, interval = gc.get_threshold(), sys.getswitchinterval()
    try:
        pause_collection_for_start_up()
        assert not gc.isenabled()
        settle_after_start_up()
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()
        gc.set_threshold(*threshold)
        sys.setswitchinterval(interval)
