"""The autouse fixture in conftest.py keeps every test away from the developer's own models and settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REAL_HOME


def _inside(path: Path, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


def test_models_settings_and_default_library_are_private_to_the_test(_private_user_dirs):
    from app.core.ml.registry import shared_models_dir
    from app.core.paths import default_library_dir
    from app.ui.settings import AppSettings

    home = _private_user_dirs
    assert _inside(shared_models_dir(), home)
    assert _inside(default_library_dir(), home)
    settings_file = Path(AppSettings().qsettings.fileName())
    assert _inside(settings_file, home)
    for path in (shared_models_dir(), default_library_dir(), settings_file):
        assert REAL_HOME == home or not _inside(path, REAL_HOME), path


def test_subprocesses_inherit_the_private_folders(_private_user_dirs):
    code = "from app.core.ml.registry import shared_models_dir; print(shared_models_dir())"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert _inside(Path(out.strip()), _private_user_dirs)
