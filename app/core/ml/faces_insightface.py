"""The insightface face backend: a model pack such as `buffalo_l` (SCRFD detector + ArcFace 512-d recogniser),
run by the real `insightface` package code (FaceAnalysis: its SCRFD post-processing, its 5-point alignment,
its ArcFace pre-processing) on onnxruntime.

A pack is a folder of ONNX files in insightface's layout, installed as a model folder with a `model.json`
(kind `face`) under the library's or the user's models folder, id `faces:<pack>`. Only the detector and the
recogniser are kept (buffalo_l's landmark and age/gender models are not used). `shoebox models install
faces:buffalo_l` downloads the pack from insightface's model zoo with a progress bar; offline, `shoebox models
import PATH` takes the pack's folder or its .zip.

insightface is installed with `pip install --no-deps insightface==2.1` (see pyproject.toml's `insightface`
extra): its metadata asks for opencv-python, which is OpenCV 5 and would replace the headless OpenCV 4 that the
default YuNet/SFace backend needs. Nothing here imports insightface, onnx or cv2 until a pack is used.
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import threading
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlparse

import numpy as np
from PIL import Image

from app.core.ml.errors import ModelError, ModelMissingError
from app.core.ml.faces_yunet import DetectedFace

if TYPE_CHECKING:
    from app.core.ml.registry import ModelRegistry

PREFIX = "faces:"
KIND = "face"
ZOO = "https://github.com/deepinsight/insightface/releases/download"
PACKS = {
    # insightface 2.1's model-zoo release (what insightface.utils.storage downloads), then the older v0.7
    # release that Immich and others fetch the same zip from; ~275 MB.
    "buffalo_l": ([f"{ZOO}/model-zoo/buffalo_l.zip", f"{ZOO}/v0.7/buffalo_l.zip"], 275),
}
# SCRFD's own default cut-off is 0.5; Immich uses 0.7 for buffalo_l. The quality rules (size, blur) decide
# which faces are recognisable, as with YuNet, so a lower cut-off only keeps more candidates visible.
DETECT_SCORE = 0.5
DETECT_SIZE = (640, 640)  # buffalo_l's training size; insightface 2.1 would also run a 128 px pass by default
ALIGNED_PX = 112


def is_face_model(model_id: str | None) -> bool:
    return bool(model_id) and model_id.startswith(PREFIX)


def pack_name(model_id: str) -> str:
    return model_id[len(PREFIX):] if is_face_model(model_id) else model_id


# -- what is in a pack ------------------------------------------------------------------------------------------
def _onnx_role(path: Path) -> str | None:
    """"detection" or "recognition" by the graph's shape, as insightface's ModelRouter decides (five or more
    outputs: SCRFD; one square >= 112 px input with one output: ArcFace), read without building a session."""
    import onnx

    try:
        graph = onnx.load_model(str(path), load_external_data=False).graph
    except Exception:  # noqa: BLE001 - not an ONNX file we can read: not part of the pack
        return None
    if len(graph.output) >= 5:
        return "detection"
    dims = [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim] if graph.input else []
    if len(graph.output) == 1 and len(dims) == 4 and dims[2] == dims[3] and dims[2] >= 112 and dims[2] % 16 == 0:
        return "recognition"
    return None


def pack_files(folder: Path) -> dict[str, Path]:
    """The detector and recogniser ONNX files of a pack folder (first of each, by name, as insightface does)."""
    found: dict[str, Path] = {}
    for path in sorted(Path(folder).glob("*.onnx")):
        role = _onnx_role(path)
        if role and role not in found:
            found[role] = path
    return found


def _recognizer_dim(path: Path) -> int | None:
    import onnx

    dims = onnx.load_model(str(path), load_external_data=False).graph.output[0].type.tensor_type.shape.dim
    return int(dims[-1].dim_value) or None


def looks_like_pack(path: Path) -> bool:
    """A folder (or .zip) holding insightface ONNX files rather than a CLIP export (which has onnx.json)."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith(".onnx") for name in archive.namelist())
    return path.is_dir() and not (path / "onnx.json").is_file() and any(path.rglob("*.onnx"))


# -- installing -------------------------------------------------------------------------------------------------
def _check_online(url: str) -> None:
    host = urlparse(url).hostname or ""
    port = urlparse(url).port or (443 if url.startswith("https") else 80)
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise ModelError(
            f"cannot reach {host} to download the face models ({exc}). Offline, download {url} on another "
            "machine, copy it here and run `shoebox models import buffalo_l.zip` (or the unpacked folder)."
        ) from exc


def _download(url: str, target: Path, say: Callable[[str], None]) -> None:
    """Stream a file with a tqdm progress bar on stderr (the CLI's console), to a temporary name first."""
    from tqdm import tqdm

    tmp = target.with_name(target.name + ".partial")
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - the fixed https model-zoo URL
        total = int(response.headers.get("Content-Length") or 0) or None
        with open(tmp, "wb") as out, tqdm(total=total, unit="B", unit_scale=True, desc=target.name,
                                           mininterval=0.5) as bar:
            while chunk := response.read(1 << 20):
                out.write(chunk)
                bar.update(len(chunk))
    tmp.replace(target)
    say(f"downloaded {target.name} ({target.stat().st_size / 1e6:.0f} MB)")


def _unpack(source: Path, into: Path) -> Path:
    """A folder with the pack's files: the folder itself, or the .zip extracted under `into` (insightface's
    zips hold the files at the top or in one folder named after the pack)."""
    if source.is_dir():
        return source
    with zipfile.ZipFile(source) as archive:
        archive.extractall(into)
    onnx_dirs = {p.parent for p in into.rglob("*.onnx")}
    if len(onnx_dirs) != 1:
        raise ModelError(f"{source} does not hold one folder of ONNX files")
    return onnx_dirs.pop()


def install_pack(registry: "ModelRegistry", source: Path, model_id: str, *, shared: bool = False,
                 description: str = "", say: Callable[[str], None] = lambda m: None):
    """Copy a pack's detector and recogniser into a model folder with its manifest (written last)."""
    with tempfile.TemporaryDirectory(prefix="shoebox-faces-") as scratch:
        folder = _unpack(Path(source), Path(scratch))
        files = pack_files(folder)
        missing = {"detection", "recognition"} - set(files)
        if missing:
            raise ModelError(f"{source} is not an insightface pack: no {' or '.join(sorted(missing))} model "
                             "(expected e.g. det_10g.onnx and w600k_r50.onnx)")
        target = registry._target(model_id, shared)
        partial = registry._partial(target)
        try:
            for path in files.values():
                say(f"copying {path.name}")
                shutil.copy2(path, partial / path.name)
            manifest = {"id": model_id, "kind": KIND, "dim": _recognizer_dim(files["recognition"]),
                        "source": f"insightface pack from {source}", "description": description,
                        "files": {role: path.name for role, path in files.items()}}
            return registry._finish_install(partial, target, manifest)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise


def download_pack(registry: "ModelRegistry", model_id: str, *, shared: bool = False,
                  say: Callable[[str], None] = lambda m: None):
    """`shoebox models install faces:buffalo_l`: download the zip (progress bar), then install it."""
    name = pack_name(model_id)
    if name not in PACKS:
        raise ModelError(f"unknown face model {model_id}; known: {', '.join(PREFIX + p for p in PACKS)}")
    urls, size_mb = PACKS[name]
    _check_online(urls[0])
    cache = registry._target(model_id, shared).parent / ".download-cache"
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"{name}.zip"
    try:
        say(f"downloading insightface {name} (~{size_mb} MB) from {urlparse(urls[0]).hostname}")
        for i, url in enumerate(urls):
            try:
                _download(url, archive, say)
                break
            except urllib.error.HTTPError as exc:
                if i == len(urls) - 1:
                    raise ModelError(f"downloading {url} failed: {exc}") from exc
        return install_pack(registry, archive, model_id, shared=shared,
                            description="insightface SCRFD detector + ArcFace 512-d recogniser", say=say)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


# -- running ----------------------------------------------------------------------------------------------------
class InsightFaceBackend:
    """insightface's FaceAnalysis over one pack folder; calls are serialised (one model in use at a time)."""

    def __init__(self, folder: Path, model_id: str):
        self.folder = Path(folder)
        self.model_id = model_id
        manifest = self.folder / "model.json"
        self.dim = json.loads(manifest.read_text()).get("dim") if manifest.is_file() else None
        self._app = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._app is not None:
            return
        try:
            from insightface.app import FaceAnalysis
        except ImportError as exc:
            raise ModelMissingError(
                f"{self.model_id} needs the insightface package: `pip install --no-deps insightface==2.1 "
                "scikit-image onnx` (see the README)"
            ) from exc
        # scikit-image 0.26 deprecates the call insightface's alignment makes; nothing for a user to act on.
        warnings.filterwarnings("ignore", message=".*`estimate` is deprecated", category=FutureWarning)
        if not self.folder.is_dir():
            raise ModelMissingError(f"the face models of {self.model_id} are missing ({self.folder})")
        app = FaceAnalysis(name=str(self.folder), allowed_modules=["detection", "recognition"],
                           providers=["CPUExecutionProvider"])
        if "recognition" not in app.models:
            raise ModelError(f"{self.folder} has no recognition model insightface recognises")
        app.prepare(ctx_id=-1, det_thresh=DETECT_SCORE, det_size=DETECT_SIZE)
        self._app = app
        self.dim = self.dim or int(app.models["recognition"].output_shape[-1])

    def analyse(self, image: Image.Image) -> list[DetectedFace]:
        """Detect, align and embed every face in an upright RGB picture (boxes clipped to the picture)."""
        import cv2
        from insightface.utils import face_align

        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        height, width = bgr.shape[:2]
        out = []
        with self._lock:
            self._load()
            for face in self._app.get(bgr):
                x1, y1, x2, y2 = (float(v) for v in face.bbox[:4])
                x1, y1 = max(0.0, x1), max(0.0, y1)
                x2, y2 = min(float(width), x2), min(float(height), y2)
                if x2 <= x1 or y2 <= y1 or face.embedding is None:
                    continue
                vector = np.asarray(face.embedding, dtype=np.float32).reshape(-1)
                vector /= max(float(np.linalg.norm(vector)), 1e-12)
                aligned = face_align.norm_crop(bgr, landmark=face.kps, image_size=ALIGNED_PX)
                blur = float(cv2.Laplacian(cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())
                out.append(DetectedFace(
                    box=(x1, y1, x2 - x1, y2 - y1),
                    landmarks=[(float(px), float(py)) for px, py in face.kps],
                    score=float(face.det_score), blur=blur, embedding=vector,
                ))
        return out
