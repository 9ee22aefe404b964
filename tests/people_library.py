"""A small library of real faces from ../shared/faces, imported and clustered once per test session, copied
per test (the People view's and the suggestions' tests share it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "faces"
ALICE = ["img1.jpg", "img2.jpg", "img4.jpg", "img5.jpg"]  # one person (labelled pairs in master.csv)
BOB = ["img13.jpg", "img14.jpg", "img15.jpg"]  # another
OTHERS = ["img20.jpg", "img16.jpg", "img22.jpg"]  # three more people, one photo each

needs_faces = pytest.mark.skipif(not FACES.is_dir(), reason="../shared/faces is not present")


@pytest.fixture(scope="session")
def faces_library_built(qapp, tmp_path_factory) -> Path:  # qapp first: the tasks would make a QCoreApplication
    from app.core.library import Library

    folder = tmp_path_factory.mktemp("face-photos")
    for name in ALICE + BOB + OTHERS:
        shutil.copy(FACES / name, folder / name)
    root = tmp_path_factory.mktemp("face-lib") / "library"
    with Library.open(root, create=True) as lib:
        lib.importer.import_paths([folder], progress=False)
        lib.tasks.run_until_idle()
    return root


@pytest.fixture
def faces_root(faces_library_built, tmp_path) -> Path:
    root = tmp_path / "library"
    shutil.copytree(faces_library_built, root)
    return root


def photo_ids(library) -> dict[str, int]:
    from sqlalchemy import select

    from app.core.db.models import PhotoFile

    with library.db.read_session() as s:
        return {Path(p).name: i for p, i in s.execute(select(PhotoFile.path, PhotoFile.photo_id))}


def main_faces(library, names) -> list[dict]:
    """The main face (box wider than 100 px) of each of these photos."""
    ids = photo_ids(library)
    wanted = {ids[n] for n in names}
    return [f for f in library.people.faces() if f["photo_id"] in wanted and f["box"][2] > 100]


def person_of(library, names) -> int:
    (person,) = {f["person_id"] for f in main_faces(library, names)}
    return person
