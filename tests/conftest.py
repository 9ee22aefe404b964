"""Shared fixtures: a fresh library per test, the sample corpus when present, offscreen Qt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@pytest.fixture
def library(tmp_path):
    from app.core.library import Library

    lib = Library.open(tmp_path / "library")
    yield lib
    lib.close()


@pytest.fixture
def corpus() -> Path:
    """The real camera files in ../shared/corpus; tests using it skip where the folder is absent."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS


def pytest_collection_modifyitems(config, items):
    """Tests marked `ml` need torch and open_clip (the `ml` extra); skip them cleanly when it is missing."""
    try:
        import open_clip  # noqa: F401
        import torch  # noqa: F401

        return
    except Exception:
        pass
    skip = pytest.mark.skip(reason="needs the `ml` extra: pip install -e '.[ml]'")
    for item in items:
        if "ml" in item.keywords:
            item.add_marker(skip)
