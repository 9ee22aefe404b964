"""People: real faces from ../shared/faces through the whole pipeline (import -> faces -> people), the
corrections and their undo (also after reopening), forgetting, recluster anchors and the CLI's JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "faces"
ALICE = ["img1.jpg", "img2.jpg", "img4.jpg", "img5.jpg"]  # one person (labelled pairs in master.csv)
BOB = ["img13.jpg", "img14.jpg", "img15.jpg"]  # another
OTHERS = ["img20.jpg", "img16.jpg", "img22.jpg"]  # three more people, one photo each

pytestmark = pytest.mark.skipif(not FACES.is_dir(), reason="../shared/faces is not present")


def _import(root: Path, folder: Path):
    from app.core.library import Library

    lib = Library.open(root)
    lib.importer.import_paths([folder], progress=False)
    lib.tasks.run_until_idle()
    return lib


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A library of 10 real photos, scanned and clustered once for the module (copied per test)."""
    folder = tmp_path_factory.mktemp("photos")
    for name in ALICE + BOB + OTHERS:
        shutil.copy(FACES / name, folder / name)
    root = tmp_path_factory.mktemp("lib") / "library"
    _import(root, folder).close()
    return root


@pytest.fixture
def lib_root(built, tmp_path) -> Path:
    root = tmp_path / "library"
    shutil.copytree(built, root)
    return root


@pytest.fixture
def lib(lib_root):
    from app.core.library import Library

    library = Library.open(lib_root)
    yield library
    library.close()


def _open(root):
    from app.core.library import Library

    return Library.open(root)


def _photo_ids(library) -> dict[str, int]:
    from sqlalchemy import select

    from app.core.db.models import PhotoFile

    with library.db.read_session() as s:
        return {Path(p).name: i for p, i in s.execute(select(PhotoFile.path, PhotoFile.photo_id))}


def _person_of(library, names) -> set:
    ids = _photo_ids(library)
    wanted = {ids[n] for n in names}
    people = set()
    for f in library.people.faces():
        if f["photo_id"] in wanted and f["box"][2] > 100:  # the main face of each portrait
            people.add(f["person_id"])
    return people


def test_real_faces_are_found_and_grouped_by_person(lib):
    faces = lib.people.faces()
    ids = _photo_ids(lib)
    assert {f["photo_id"] for f in faces} == set(ids.values())  # every photo shows a face
    alice, bob = _person_of(lib, ALICE), _person_of(lib, BOB)
    assert len(alice) == 1 and None not in alice
    assert len(bob) == 1 and None not in bob
    assert alice != bob
    # Single photos of three other people: fewer than the minimum of 3, so nobody new, and not Alice or Bob.
    assert _person_of(lib, OTHERS) == {None}
    assert {f["model"] for f in faces} == {"yunet-2023mar+sface-2021dec-int8"}


def test_boxes_are_in_upright_pixels_of_rotated_and_big_photos(tmp_path):
    """img13 is 2048 px wide (detected on the 1440 px preview); a copy stored sideways with EXIF orientation 6
    must give the same box in upright pixels."""
    import piexif
    from PIL import Image

    folder = tmp_path / "photos"
    folder.mkdir()
    upright = Image.open(FACES / "img13.jpg").convert("RGB")
    upright.save(folder / "upright.jpg", quality=92)
    # Orientation 6 means "rotate 90 degrees clockwise to display": store the pixels turned the other way.
    upright.transpose(Image.Transpose.ROTATE_90).save(
        folder / "sideways.jpg", quality=92, exif=piexif.dump({"0th": {piexif.ImageIFD.Orientation: 6}})
    )
    library = _import(tmp_path / "library", folder)
    try:
        ids = _photo_ids(library)
        boxes = {}
        for f in library.people.faces():
            for name, pid in ids.items():
                if f["photo_id"] == pid:
                    boxes.setdefault(name, []).append(f["box"])
    finally:
        library.close()
    assert len(boxes["upright.jpg"]) == 1 and len(boxes["sideways.jpg"]) == 1
    # The same face found directly on the full-size upright picture, by the backend itself.
    from app.core.people.backends import DEFAULT_MODEL, face_backend

    direct = max(face_backend(DEFAULT_MODEL).analyse(upright), key=lambda f: f.box[2])
    for name in ("upright.jpg", "sideways.jpg"):
        x, y, w, h = boxes[name][0]
        dx, dy, dw, dh = direct.box
        assert abs(x + w / 2 - (dx + dw / 2)) < 0.1 * dw and abs(y + h / 2 - (dy + dh / 2)) < 0.1 * dh, name
        assert 0.8 < w / dw < 1.25, name


def test_corrections_survive_a_recluster(lib):
    people = lib.people
    (alice,) = _person_of(lib, ALICE)
    (bob,) = _person_of(lib, BOB)
    people.rename(alice, "Alice")
    alice_faces = [f["id"] for f in people.faces(person_id=alice)]
    bob_faces = [f["id"] for f in people.faces(person_id=bob)]
    split_off = people.split(alice, [alice_faces[0]])
    people.remove_faces([bob_faces[0]])  # "not Bob"

    people.recluster()
    lib.tasks.run_until_idle()

    after = {f["id"]: f["person_id"] for f in people.faces()}
    assert all(after[f] == alice for f in alice_faces[1:])  # named person kept with their faces
    assert after[alice_faces[0]] == split_off  # the split stays split
    assert after[bob_faces[0]] != bob  # a rejected face never goes back
    names = {p["id"]: p["name"] for p in people.people()}
    assert names[alice] == "Alice"
    assert all(after[f] == after[bob_faces[1]] for f in bob_faces[1:])  # Bob's other faces still together


def test_undo_works_after_reopening_the_library(lib_root):
    with _open(lib_root) as lib:
        (alice,) = _person_of(lib, ALICE)
        (bob,) = _person_of(lib, BOB)
        before = {f["id"]: f["person_id"] for f in lib.people.faces()}
        lib.people.rename(alice, "Alice")
        lib.people.merge(bob, alice)
    reopened = _open(lib_root)
    try:
        assert reopened.people.undo() == "merge"
        assert {f["id"]: f["person_id"] for f in reopened.people.faces()} == before
        names = {p["id"]: p["name"] for p in reopened.people.people()}
        assert names[alice] == "Alice" and names[bob] is None
        assert reopened.people.undo() == "rename"
        assert {p["id"]: p["name"] for p in reopened.people.people()}[alice] is None
        assert reopened.people.undo() is None
    finally:
        reopened.close()


def test_forget_deletes_face_data_and_keeps_photos(lib):
    from sqlalchemy import func, select

    from app.core.db.models import Face, Photo

    (alice,) = _person_of(lib, ALICE)
    crops = [lib.layout.faces / c for c in _crops(lib, alice)]
    assert crops and all(c.exists() for c in crops)
    lib.people.rename(alice, "Alice")
    n = lib.people.forget(alice)
    assert n == len(crops)
    assert not any(c.exists() for c in crops)
    assert alice not in {p["id"] for p in lib.people.people()}
    with lib.db.read_session() as s:
        assert s.scalar(select(func.count(Face.id)).where(Face.forgotten.is_(True), Face.embedding.is_not(None))) == 0
        assert s.scalar(select(func.count(Photo.id))) == 10
    assert lib.people.undo() is None  # the rename mentioned Alice: it cannot bring her name back
    lib.people.schedule()
    lib.tasks.run_until_idle()
    assert all(f["person_id"] != alice for f in lib.people.faces())
    assert not any(c.exists() for c in crops)  # the photos are not scanned again


def _crops(library, person_id):
    from sqlalchemy import select

    from app.core.db.models import Face

    with library.db.read_session() as s:
        return list(s.scalars(select(Face.crop).where(Face.person_id == person_id)))


def _cli(root, *args):
    env_root = Path(__file__).resolve().parents[1]
    return subprocess.run([sys.executable, "-m", "app.cli", "--library", str(root), *args], capture_output=True,
                          text=True, cwd=env_root, check=False)


def _main(capsys, root, *args):
    """Run the CLI in this process; returns (returncode, stdout, stderr) like subprocess.run."""
    from types import SimpleNamespace

    from app.cli import main

    capsys.readouterr()
    code = main(["--library", str(root), *args])
    out = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)


def test_cli_json_shapes_and_verbs(lib_root, capsys):
    """In-process (app.cli.main), so the ten commands cost milliseconds, not interpreter starts."""
    root = lib_root
    with _open(root) as lib:
        (alice,) = _person_of(lib, ALICE)
    faces = json.loads(_main(capsys, root, "faces", "list", "--json").stdout)
    assert faces and set(faces[0]) == {"id", "photo_id", "person_id", "box", "score", "model"}
    assert len(faces[0]["box"]) == 4
    people = json.loads(_main(capsys, root, "people", "list", "--json").stdout)
    assert people and set(people[0]) == {"id", "name", "face_count", "photo_ids"}
    assert _main(capsys, root, "people", "rename", str(alice), "Alice").returncode == 0
    mine = [f["id"] for f in faces if f["person_id"] == alice]
    split = _main(capsys, root, "people", "split", str(alice), "--faces", str(mine[0]))
    new_id = int(split.stdout.strip())
    people = {p["id"]: p for p in json.loads(_main(capsys, root, "people", "list", "--json").stdout)}
    assert people[alice]["name"] == "Alice" and people[new_id]["face_count"] == 1
    assert _main(capsys, root, "people", "undo").stdout.strip() == "undid split"
    assert new_id not in {p["id"] for p in json.loads(_main(capsys, root, "people", "list", "--json").stdout)}
    bad = _main(capsys, root, "people", "merge", "999", str(alice))
    assert bad.returncode == 1 and "no such person: 999" in bad.stderr
    assert _main(capsys, root, "people", "recluster").returncode == 0
    assert _main(capsys, root, "people", "forget", str(alice)).returncode == 0


def test_density_groups_on_synthetic_identities():
    """Many people with few faces, a few with many, and noise: pairwise precision and recall stay high."""
    from app.core.people.cluster import density_groups
    from app.core.people.synthetic import identity_vectors, pairwise_scores

    vectors, truth = identity_vectors(1500, dim=128, seed=1)
    labels = density_groups(vectors, min_size=3, distance=0.5)
    precision, recall = pairwise_scores(labels, truth)
    assert precision >= 0.99 and recall >= 0.9, (precision, recall)


def test_tasks_run_scans_photos_that_lack_faces(lib_root):
    """A library whose photos were never searched for faces (imported before faces existed) gets them from
    `shoebox tasks run`."""
    from sqlalchemy import delete, func, select

    from app.core.db.models import Face, FaceScan, Person

    with _open(lib_root) as lib:
        ids = _photo_ids(lib)
        gone = [ids[n] for n in BOB]
        with lib.db.write_session() as s:
            s.execute(delete(Face).where(Face.photo_id.in_(gone)))
            s.execute(delete(FaceScan).where(FaceScan.photo_id.in_(gone)))
            s.execute(delete(Person).where(Person.id.not_in(select(Face.person_id).where(Face.person_id.is_not(None)))))
    run = _cli(lib_root, "tasks", "run")
    assert run.returncode == 0, run.stderr
    with _open(lib_root) as lib:
        with lib.db.read_session() as s:
            assert s.scalar(select(func.count(FaceScan.photo_id)).where(FaceScan.photo_id.in_(gone))) == 3
        bob = _person_of(lib, BOB)
        assert len(bob) == 1 and None not in bob  # Bob is found and grouped again


def test_bench_faces_json_keys():
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "bench", "faces", "--sizes", "400", "--assign", "20", "--json"],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], check=True,
    )
    (row,) = json.loads(result.stdout)
    assert {"n_faces", "recluster_s", "assign_p95_ms", "pairwise_f1", "peak_rss_mb"} <= set(row)
    assert row["n_faces"] == 400 and row["pairwise_f1"] > 0.9


def test_face_scans_can_be_cancelled_and_resume(lib):
    """Cancelled faces tasks scan nothing; the next schedule() queues the photos again and finishes them."""
    from sqlalchemy import delete, func, select

    from app.core.db.models import Face, FaceScan

    gone = [_photo_ids(lib)[n] for n in BOB]
    with lib.db.write_session() as s:
        s.execute(delete(Face).where(Face.photo_id.in_(gone)))
        s.execute(delete(FaceScan).where(FaceScan.photo_id.in_(gone)))

    def scanned() -> int:
        with lib.db.read_session() as s:
            return s.scalar(select(func.count(FaceScan.photo_id)).where(FaceScan.photo_id.in_(gone)))

    assert lib.people.schedule() == 3
    assert lib.people.schedule() == 0  # queued once, not twice
    lib.tasks.cancel_all()
    lib.tasks.run_until_idle()
    assert scanned() == 0
    assert lib.people.schedule() == 3
    lib.tasks.run_until_idle()
    assert scanned() == 3


def test_a_small_preview_is_not_used_for_detection(tmp_path):
    """With previews set to 320 px, faces are found on the original decoded at 1440 px, and boxes are still
    in the photo's pixels."""
    from app.core.library import Library

    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(FACES / "img13.jpg", folder / "img13.jpg")  # 2048 x 1364
    library = Library.open(tmp_path / "library")
    try:
        library.config.set("thumbnails.preview_px", 320)
        library.importer.import_paths([folder], progress=False)
        library.tasks.run_until_idle()
        (face,) = [f for f in library.people.faces() if f["box"][2] > 100]
    finally:
        library.close()
    from PIL import Image

    from app.core.people.backends import DEFAULT_MODEL, face_backend

    direct = max(face_backend(DEFAULT_MODEL).analyse(Image.open(FACES / "img13.jpg").convert("RGB")),
                 key=lambda f: f.box[2])
    assert abs(face["box"][2] - direct.box[2]) < 0.1 * direct.box[2]
    from sqlalchemy import select

    from app.core.db.models import Face

    with Library.open(tmp_path / "library") as again, again.db.read_session() as s:
        assert max(s.scalars(select(Face.size_px))) > 150  # seen at 1440 px, not at 320


def test_the_window_queues_the_face_scan_through_one_task(lib):
    """The window used to run schedule() itself when a library opened: for a never-scanned 100k library that
    is seconds of Python and ~200 MB in the window's process. It now queues one faces-schedule task, which the
    worker runs: that task queues the photos lacking a scan (once, however often the window asks)."""
    from sqlalchemy import delete, func, select

    from app.core.db.models import Face, FaceScan, Task
    from app.core.people.scan import SCHEDULE_TASK, TASK_TYPE

    gone = [_photo_ids(lib)[n] for n in BOB]
    with lib.db.write_session() as s:
        s.execute(delete(Face).where(Face.photo_id.in_(gone)))
        s.execute(delete(FaceScan).where(FaceScan.photo_id.in_(gone)))

    def count(task_type: str) -> int:
        with lib.db.read_session() as s:
            return s.scalar(select(func.count(Task.id)).where(Task.type == task_type, Task.state == "pending"))

    assert lib.people.schedule_in_background() is not None
    assert lib.people.schedule_in_background() is None  # one is waiting already
    assert count(SCHEDULE_TASK) == 1 and count(TASK_TYPE) == 0  # nothing queued per photo by the caller
    lib.tasks.run_until_idle()
    with lib.db.read_session() as s:
        assert s.scalar(select(func.count(FaceScan.photo_id)).where(FaceScan.photo_id.in_(gone))) == 3
    # Every photo scanned: no schedule task (and no worker started for it), only the assignment of faces that
    # still have no person, as before.
    from app.core.people.cluster_task import ASSIGN

    lib.people.schedule_in_background()
    assert count(SCHEDULE_TASK) == 0 and count(TASK_TYPE) == 0 and count(ASSIGN) <= 1
