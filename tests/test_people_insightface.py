"""The insightface backend (buffalo_l's layout, driven through the real insightface code with a tiny random pack
built here), installing packs (download with progress, offline message, import of a folder or .zip), and
switching face models with names and corrections carried over by box overlap."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from face_pack import build_pack, squares_photo

pytest.importorskip("insightface",
                    reason="the insightface backend needs `pip install --no-deps insightface==2.1` (README)")
pytest.importorskip("onnx", reason="the insightface extra (onnx) is not installed")


@pytest.fixture(autouse=True)
def _qapplication(qapp):
    """The task engine must find the QApplication that later window tests need, not make a QCoreApplication."""
    yield


@pytest.fixture(autouse=True)
def _own_models_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOEBOX_MODELS_DIR", str(tmp_path / "shared-models"))


@pytest.fixture
def pack(tmp_path) -> Path:
    return build_pack(tmp_path / "buffalo_l")


def _library(root: Path):
    from app.core.library import Library

    return Library.open(root, create=True)


def test_insightface_backend_runs_a_pack_through_insightface(tmp_path, pack):
    from insightface.model_zoo.arcface_onnx import ArcFaceONNX
    from insightface.model_zoo.scrfd import SCRFD

    from app.core.ml.faces_insightface import install_pack
    from app.core.people.backends import face_backend

    with _library(tmp_path / "lib") as lib:
        info = install_pack(lib.models, pack, "faces:buffalo_l")
        assert info.kind == "face" and info.dim == 512
        assert sorted(p.name for p in Path(info.folder).glob("*.onnx")) == ["det_10g.onnx", "w600k_r50.onnx"]
        backend = face_backend("faces:buffalo_l", lib)
        photo = squares_photo(tmp_path / "two.jpg", [(5, 5), (12, 9)], size=1280)
        with Image.open(photo) as img:
            found = backend.analyse(img.convert("RGB"))
        assert isinstance(backend._app.det_model, SCRFD)
        assert isinstance(backend._app.models["recognition"], ArcFaceONNX)
    assert len(found) == 2
    for face in found:
        x, y, w, h = face.box
        assert 0 <= x and 0 <= y and x + w <= 1280 and y + h <= 1280 and w > 50 and h > 50
        assert len(face.landmarks) == 5 and all(x <= px <= x + w and y <= py <= y + h for px, py in face.landmarks)
        assert face.embedding.shape == (512,) and face.embedding.dtype == np.float32
        assert abs(float(np.linalg.norm(face.embedding)) - 1.0) < 1e-4
        assert 0.5 <= face.score <= 1.0 and face.blur > 0


def test_unknown_or_missing_pack_is_a_clear_error(tmp_path):
    from app.core.ml.errors import ModelMissingError
    from app.core.people.backends import face_backend

    with _library(tmp_path / "lib") as lib:
        with pytest.raises(ModelMissingError, match="models install faces:buffalo_l"):
            face_backend("faces:buffalo_l", lib)
        with pytest.raises(ModelMissingError, match="not installed"):
            lib.people.set_model("faces:buffalo_l")
        assert lib.people.model_status()["model"] == "yunet-2023mar+sface-2021dec-int8"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_models_install_downloads_the_pack_with_progress(tmp_path, pack, monkeypatch, capsys):
    from app.cli import main
    from app.core.ml import faces_insightface

    served = tmp_path / "served"
    served.mkdir()
    with zipfile.ZipFile(served / "buffalo_l.zip", "w") as archive:  # the real zip holds the files at the top
        for path in pack.glob("*.onnx"):
            archive.write(path, path.name)
    handler = lambda *a, **k: _Quiet(*a, directory=str(served), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        monkeypatch.setitem(faces_insightface.PACKS, "buffalo_l", ([f"{url}/missing.zip", f"{url}/buffalo_l.zip"], 1))
        root = tmp_path / "lib"
        _library(root).close()
        assert main(["--library", str(root), "models", "install", "faces:buffalo_l"]) == 0
    finally:
        server.shutdown()
        thread.join()
    out, err = capsys.readouterr()
    assert "installed faces:buffalo_l" in out
    assert "buffalo_l.zip" in err and "100%" in err  # tqdm's bar on stderr
    assert main(["--library", str(root), "models", "list", "--json"]) == 0
    listed = {m["id"]: m for m in json.loads(capsys.readouterr().out)}
    assert listed["faces:buffalo_l"]["installed"] and listed["faces:buffalo_l"]["kind"] == "face"
    assert not list((root / "models").glob(".download-cache"))


def test_models_install_offline_says_so_and_how_to_import(tmp_path, pack, monkeypatch, capsys):
    from app.cli import main
    from app.core.ml import faces_insightface

    monkeypatch.setitem(faces_insightface.PACKS, "buffalo_l", (["http://127.0.0.1:9/buffalo_l.zip"], 275))
    root = tmp_path / "lib"
    _library(root).close()
    assert main(["--library", str(root), "models", "install", "faces:buffalo_l"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach 127.0.0.1" in err and "shoebox models import buffalo_l.zip" in err
    # ... and the offered way works: a zip (or folder) from disk.
    archive = tmp_path / "buffalo_l.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in pack.glob("*.onnx"):
            z.write(path, f"buffalo_l/{path.name}")
    assert main(["--library", str(root), "models", "import", str(archive)]) == 0
    assert "installed faces:buffalo_l" in capsys.readouterr().out
    not_a_pack = tmp_path / "empty"
    not_a_pack.mkdir()
    (not_a_pack / "notes.onnx").write_bytes(b"not onnx")
    assert main(["--library", str(root), "models", "import", str(not_a_pack), "--id", "faces:empty"]) == 1
    assert "not an insightface pack" in capsys.readouterr().err


# -- switching models ----------------------------------------------------------------------------------------
CELLS = {"one.jpg": [(5, 5), (14, 12)], "two.jpg": [(8, 3)], "three.jpg": [(3, 12), (12, 4)]}


def _faces_by_photo(lib, model: str) -> dict[int, list]:
    from sqlalchemy import select

    from app.core.db.models import Face

    with lib.db.read_session() as s:
        rows = list(s.scalars(select(Face).where(Face.model_id == model).order_by(Face.photo_id, Face.x)))
        out: dict[int, list] = {}
        for f in rows:
            out.setdefault(f.photo_id, []).append(
                {"id": f.id, "person": f.person_id, "confirmed": f.confirmed, "rejected": json.loads(f.rejected),
                 "forgotten": f.forgotten, "box": (f.x, f.y, f.w, f.h), "vector": f.embedding is not None})
        return out


def _photo_ids(lib) -> dict[str, int]:
    from sqlalchemy import select

    from app.core.db.models import PhotoFile

    with lib.db.read_session() as s:
        return {Path(p).name: i for p, i in s.execute(select(PhotoFile.path, PhotoFile.photo_id))}


def test_switching_face_models_rescans_and_keeps_names(tmp_path):
    """Two packs (the second's boxes 7 % bigger, so IoU ~0.87 with the first's): a named face, a face
    taken out of a person, a forgotten face and a face named while the switch ran all keep what the user
    said after the switch."""
    from app.core.ml.faces_insightface import install_pack

    photos = tmp_path / "photos"
    photos.mkdir()
    for i, (name, cells) in enumerate(CELLS.items()):
        squares_photo(photos / name, cells, seed=i)
    root = tmp_path / "lib"
    with _library(root) as lib:
        install_pack(lib.models, build_pack(tmp_path / "pack-a", seed=1), "faces:tiny_a")
        install_pack(lib.models, build_pack(tmp_path / "pack-b", seed=2, box_half=1.6), "faces:tiny_b")
        lib.people.set_model("tiny_a")
        lib.importer.import_paths([photos], progress=False)
        lib.tasks.run_until_idle()
        before = _faces_by_photo(lib, "faces:tiny_a")
        assert sum(len(v) for v in before.values()) == 5
        ids = _photo_ids(lib)
        one, two, three = ids["one.jpg"], ids["two.jpg"], ids["three.jpg"]
        alice = lib.people.name_faces([before[one][0]["id"], before[two][0]["id"]], "Alice")
        bob = lib.people.name_faces([before[three][0]["id"]], "Bob")
        lib.people.reject({before[one][1]["id"]: bob})
        carol = lib.people.name_faces([before[three][1]["id"]], "Carol")
        lib.people.forget(carol)

        queued = lib.people.set_model("faces:tiny_b")
        assert queued == 3
        status = lib.people.model_status()
        assert status == {"model": "faces:tiny_b", "serving": "faces:tiny_a", "scanned": 0, "photos": 3}
        assert {p["name"] for p in lib.people.people() if p["name"]} == {"Alice", "Bob"}  # shown meanwhile
        # A correction made after a photo was re-scanned, before the switch ends, is carried over too.
        lib.tasks.run_until_idle(stop_when=lambda: one in _faces_by_photo(lib, "faces:tiny_b"))
        assert lib.people.model_status()["serving"] == "faces:tiny_a"
        dave = lib.people.name_faces([before[one][1]["id"]], "Dave")
    with _library(root) as lib:  # resumable: the queued scans survive a restart
        assert lib.people.model_status()["serving"] == "faces:tiny_a"
        lib.tasks.run_until_idle()
        assert lib.people.model_status() == {"model": "faces:tiny_b", "serving": "faces:tiny_b", "scanned": 3,
                                             "photos": 3}
        after = _faces_by_photo(lib, "faces:tiny_b")
        assert [len(after[p]) for p in (one, two, three)] == [2, 1, 2]
        assert after[one][0]["box"] != before[one][0]["box"]  # really re-detected
        assert after[one][0]["person"] == alice and after[one][0]["confirmed"]
        assert after[two][0]["person"] == alice
        assert after[three][0]["person"] == bob
        assert bob in after[one][1]["rejected"] and after[one][1]["person"] == dave
        assert after[three][1]["forgotten"] and not after[three][1]["vector"]  # forgotten stays forgotten
        people = {p["name"]: p for p in lib.people.people()}
        assert people["Alice"]["face_count"] == 2 and people["Bob"]["face_count"] == 1
        assert people["Dave"]["face_count"] == 1
        assert {f["model"] for f in lib.people.faces()} == {"faces:tiny_b"}


def test_people_model_cli_switches_back_to_the_default(tmp_path, capsys):
    from app.cli import main
    from app.core.ml.faces_insightface import install_pack

    root = tmp_path / "lib"
    with _library(root) as lib:
        install_pack(lib.models, build_pack(tmp_path / "pack"), "faces:buffalo_l")
    assert main(["--library", str(root), "people", "model", "faces:buffalo_l", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "faces:buffalo_l"
    assert main(["--library", str(root), "people", "model", "default", "--wait"]) == 0
    assert "face model: yunet-2023mar+sface-2021dec-int8" in capsys.readouterr().out
    assert main(["--library", str(root), "people", "model", "faces:nope"]) == 1
    assert "not installed" in capsys.readouterr().err
