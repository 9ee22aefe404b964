"""The persisted FAISS index of face vectors: written beside the CLIP index by incremental assignment, read back
after a restart without a rebuild, rebuilt from the database rows when deleted or stale, and used to give a
new face its person."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from people_library import (ALICE, FACES, faces_library_built, faces_root, main_faces,  # noqa: F401
                            needs_faces, person_of)

pytestmark = needs_faces


@pytest.fixture(autouse=True)
def _qapplication(qapp):
    """The task engine must find the QApplication that later window tests need, not make a QCoreApplication."""
    yield


def _open(root):
    from app.core.library import Library

    return Library.open(root)


def _queries(lib):
    """Every indexed face's vector and id, to compare answers before and after."""
    from sqlalchemy import select

    from app.core.db.models import Face

    with lib.db.read_session() as s:
        rows = s.execute(select(Face.id, Face.embedding).where(
            Face.recognisable.is_(True), Face.embedding.is_not(None)).order_by(Face.id)).all()
    return np.array([r[0] for r in rows]), np.stack([np.frombuffer(r[1], np.float32) for r in rows])


def test_face_index_is_kept_across_restarts_and_rebuilt_when_deleted(faces_root):
    with _open(faces_root) as lib:
        index = lib.people.face_index()
        assert index.path.parent == lib.layout.index and index.path.name.startswith("faces-")
        assert index.path.is_file() and index.meta_path.is_file()  # written by the import's assignment
        ids, vectors = _queries(lib)
        answer, _ = index.nearest(vectors)
        assert index.rebuilds == 0  # the file was read, not rebuilt
        assert (answer[:, 0] == ids).all()  # each face's nearest is itself
    with _open(faces_root) as lib:
        index = lib.people.face_index()
        again, _ = index.nearest(vectors)
        assert index.rebuilds == 0 and (again == answer).all()
        index.path.unlink()
    with _open(faces_root) as lib:
        index = lib.people.face_index()
        rebuilt, _ = index.nearest(vectors)
        assert index.rebuilds == 1 and index.path.is_file()
        assert (rebuilt == answer).all()


def test_forgotten_faces_leave_the_index(faces_root):
    with _open(faces_root) as lib:
        person = person_of(lib, ALICE)
        gone = {f["id"] for f in lib.people.faces(person_id=person)}
        lib.people.forget(person)
        ids, vectors = _queries(lib)
        found, _ = lib.people.face_index().nearest(vectors)
        assert not gone & set(found.reshape(-1).tolist())


def test_a_new_face_finds_its_person_through_the_persisted_index(faces_root, tmp_path):
    from sqlalchemy import func, select

    from app.core.db.models import Face

    with _open(faces_root) as lib:
        alice = person_of(lib, ALICE)
        with lib.db.read_session() as s:
            before = s.scalar(select(func.count(Face.id)))
        more = tmp_path / "more"
        more.mkdir()
        shutil.copy(FACES / "img6.jpg", more / "img6.jpg")  # Alice again (master.csv), not in the library yet
        lib.importer.import_paths([more], progress=False)
        lib.tasks.run_until_idle()
        index = lib.people.face_index()
        assert index.rebuilds == 0  # the new faces were added to the file's index as a delta
        (face,) = main_faces(lib, ["img6.jpg"])
        assert face["person_id"] == alice
        with lib.db.read_session() as s:
            assert s.scalar(select(func.count(Face.id))) > before
