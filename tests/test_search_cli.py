"""`shoebox search` and `shoebox models` as a user runs them."""

from __future__ import annotations

import json

import pytest

from ml_tiny_model import TINY_ARCH, tiny_checkpoint
from test_search_service import add_photos


@pytest.fixture(autouse=True)
def isolated_models(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOEBOX_MODELS_DIR", str(tmp_path / "shared-models"))


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    from app.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_without_model_ranks_by_words_and_says_image_search_is_off(tmp_path, capsys):
    """Issue 12: with no CLIP model, search still answers (words and meaning) and says once why images are off."""
    code, out, err = run_cli(capsys, "--library", str(tmp_path / "lib"), "search", "dog")
    assert code == 0 and err.count("image search is off") == 1 and "shoebox models install" in err
    assert "0 results" in out
    code, out, err = run_cli(capsys, "--library", str(tmp_path / "lib"), "search", "--like", "1")
    assert code == 1 and "shoebox models install" in err  # "more like this" needs image vectors


def test_models_list_json_shows_catalogue(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "--library", str(tmp_path / "lib"), "models", "list", "--json")
    rows = json.loads(out)
    assert code == 0 and any(r["id"] == "clip:ViT-B-32/laion2b_s34b_b79k" and not r["installed"] for r in rows)


def test_install_offline_fails_with_a_clear_message(tmp_path, capsys, monkeypatch):
    from app.core.ml import registry

    monkeypatch.setattr(registry, "DOWNLOAD_HOST", "download.invalid")  # never resolves, online or not
    code, _, err = run_cli(capsys, "--library", str(tmp_path / "lib"), "models", "install", "clip:ViT-B-32/openai")
    assert code == 1 and "cannot reach" in err and "models import" in err
    assert not any((tmp_path / "lib" / "models").iterdir())


def test_import_needs_arch_for_a_checkpoint_file(tmp_path, capsys):
    f = tmp_path / "x.pt"
    f.write_bytes(b"x")
    code, _, err = run_cli(capsys, "--library", str(tmp_path / "lib"), "models", "import", str(f))
    assert code == 1 and "--arch" in err


@pytest.mark.ml
def test_import_search_like_and_remove(tmp_path, capsys):
    from app.core.library import Library

    lib = tmp_path / "lib"
    checkpoint = tiny_checkpoint(tmp_path / "ckpt", seed=4)
    code, out, err = run_cli(capsys, "--library", str(lib), "models", "import", str(checkpoint), "--arch", TINY_ARCH,
                             "--id", "clip:tiny/cli")
    assert code == 0, err
    with Library.open(lib) as library:
        ids = add_photos(library, 5)
    code, out, err = run_cli(capsys, "--library", str(lib), "search", "red flowers", "--limit", "3", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 3 and {"id", "path", "score"} <= set(rows[0]) and rows[0]["id"] in ids
    code, out, err = run_cli(capsys, "--library", str(lib), "search", "--like", str(ids[0]), "--json")
    assert code == 0 and ids[0] not in [r["id"] for r in json.loads(out)]
    code, out, err = run_cli(capsys, "--library", str(lib), "search", "--like", "9999")
    assert code == 1 and "not been analysed" in err

    # An exported ONNX folder imports without torch being needed, under its recorded id.
    onnx_copy = tmp_path / "exported"
    import shutil

    shutil.copytree(lib / "models" / "clip_tiny_cli", onnx_copy)
    for name in ("open_clip_config.json", "open_clip_pytorch_model.bin"):
        (onnx_copy / name).unlink()
    (onnx_copy / "model.json").unlink()
    code, out, err = run_cli(capsys, "--library", str(tmp_path / "lib2"), "models", "import", str(onnx_copy),
                             "--id", "clip:tiny/onnx")
    assert code == 0 and "onnx-int8" in out, err

    code, out, err = run_cli(capsys, "--library", str(lib), "models", "remove", "clip:tiny/cli")
    assert code == 0
    code, out, err = run_cli(capsys, "--library", str(lib), "search", "red flowers")
    assert code == 0 and "image search is off" in err and "models install" in err


@pytest.mark.ml
def test_models_status_lists_photos_that_could_not_be_analysed(tmp_path, capsys):
    from app.core.db.models import Photo
    from app.core.library import Library

    lib = tmp_path / "lib"
    checkpoint = tiny_checkpoint(tmp_path / "ckpt", seed=4)
    code, out, err = run_cli(capsys, "--library", str(lib), "models", "import", str(checkpoint), "--arch", TINY_ARCH,
                             "--id", "clip:tiny/cli")
    assert code == 0, err
    with Library.open(lib) as library:
        ids = add_photos(library, 3)
        with library.db.read_session() as s:
            sha = s.get(Photo, ids[1]).sha256
        library.layout.thumbnail(sha, "preview").write_bytes(b"broken")
    code, out, err = run_cli(capsys, "--library", str(lib), "search", "anything", "--json")
    assert code == 0, err
    code, out, err = run_cli(capsys, "--library", str(lib), "models", "status", "--json")
    status = json.loads(out)
    assert (status["embedded"], status["failed"], status["total"]) == (2, 1, 3)
    assert [f["id"] for f in status["failures"]] == [ids[1]]
    code, out, err = run_cli(capsys, "--library", str(lib), "models", "status")
    assert code == 0 and "could not be analysed" in out and "models retry" in out
    code, out, err = run_cli(capsys, "--library", str(lib), "models", "retry")
    assert code == 0 and "1 photo will be analysed again" in out


_NO_TORCH = """
import os, sys

class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "open_clip"):
            sys.stderr.write("imported " + name + "\\n")
            sys.stderr.flush()
            os._exit(7)
        return None

sys.meta_path.insert(0, _Block())
from app.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.ml
def test_search_does_not_import_torch_when_the_onnx_files_exist(tmp_path, capsys):
    """The model came from a torch checkpoint (its weights are kept), but a search on a machine without a GPU
    must pick the ONNX runtime without importing torch (seconds of start-up) just to look for one."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from app.core.library import Library

    lib = tmp_path / "lib"
    checkpoint = tiny_checkpoint(tmp_path / "ckpt", seed=5)
    code, _, err = run_cli(capsys, "--library", str(lib), "models", "import", str(checkpoint), "--arch", TINY_ARCH,
                           "--id", "clip:tiny/notorch")
    assert code == 0, err
    with Library.open(lib) as library:
        ids = add_photos(library, 4)
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", _NO_TORCH, "--library", str(lib), "search", "a dog", "--json"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    if os.path.exists("/proc/driver/nvidia/version"):
        pytest.skip("this machine has a GPU: torch is the right runtime here")
    assert result.returncode == 0, result.stderr
    assert {row["id"] for row in json.loads(result.stdout)} <= set(ids)
