"""`library.models`: which models are known, which are installed, which one is active, and loading them.

A model is named by a stable id (`clip:ViT-B-32/laion2b_s34b_b79k`) that is stored with every vector, so a model
change is detected and re-embedded. Each installed model is a folder under the library's models folder (or the
user's shared models folder) with `model.json`, open_clip's checkpoint layout and/or the exported ONNX towers.
Nothing here downloads anything except `install()`, which the user asks for explicitly.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import platformdirs

from app.core.ml.errors import ModelError, ModelMissingError

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

MANIFEST = "model.json"
IMAGE_TEXT = "image-text"  # kinds: image-text, face, caption, speech
ACTIVE_KEY = "search.model_id"
RUNTIME_KEY = "search.runtime"  # auto | torch | onnx-fp32 | onnx-int8
RUNTIMES = ("torch", "onnx-fp32", "onnx-int8")


@dataclass(frozen=True)
class CatalogEntry:
    """A model Shoebox knows how to download (with `shoebox models install ID`)."""

    id: str
    kind: str
    arch: str
    tag: str
    dim: int
    size_mb: int
    source: str
    description: str


CATALOG: list[CatalogEntry] = [
    CatalogEntry(
        "clip:ViT-B-32/laion2b_s34b_b79k", IMAGE_TEXT, "ViT-B-32", "laion2b_s34b_b79k", 512, 605,
        "open_clip pretrained tag (Hugging Face laion/CLIP-ViT-B-32-laion2B-s34B-b79K)",
        "default: good recall at ViT-B-32 cost",
    ),
    CatalogEntry(
        "clip:ViT-B-32/openai", IMAGE_TEXT, "ViT-B-32", "openai", 512, 605,
        "open_clip pretrained tag (OpenAI CLIP weights)", "the original CLIP",
    ),
    # Caption models (app/core/captions): installed through library.captions, which makes them the caption model.
    CatalogEntry(
        "caption:Salesforce/blip-image-captioning-base", "caption", "BLIP", "base", 0, 990,
        "Hugging Face Salesforce/blip-image-captioning-base (BSD-3-Clause)", "photo captions (BLIP base)",
    ),
    CatalogEntry(
        "caption:Salesforce/blip-image-captioning-large", "caption", "BLIP", "large", 0, 1880,
        "Hugging Face Salesforce/blip-image-captioning-large (BSD-3-Clause)", "better photo captions, ~3x slower",
    ),
    CatalogEntry(
        "clip:ViT-B-16/laion2b_s34b_b88k", IMAGE_TEXT, "ViT-B-16", "laion2b_s34b_b88k", 512, 599,
        "open_clip pretrained tag (Hugging Face laion/CLIP-ViT-B-16-laion2B-s34B-b88K)",
        "better recall, about 4x the compute of ViT-B-32",
    ),
]
DEFAULT_MODEL_ID = CATALOG[0].id


@dataclass(frozen=True)
class ModelInfo:
    id: str
    kind: str
    installed: bool
    active: bool
    folder: str | None
    dim: int | None
    runtimes: list[str] = field(default_factory=list)
    source: str = ""
    description: str = ""

    def to_json(self) -> dict:
        return asdict(self)


def model_slug(model_id: str) -> str:
    """A folder name for a model id (ids contain ':' and '/')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model_id).strip("_")


def shared_models_dir() -> Path:
    """Models shared by all of a user's libraries; SHOEBOX_MODELS_DIR overrides it."""
    env = os.environ.get("SHOEBOX_MODELS_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir("Shoebox", appauthor=False)) / "models"


def _runtimes_in(folder: Path) -> list[str]:
    from app.core.ml.clip_onnx import has_onnx_export
    from app.core.ml.clip_torch import CONFIG_FILE, WEIGHTS_FILE

    found = []
    if (folder / CONFIG_FILE).is_file() and (folder / WEIGHTS_FILE).is_file():
        found.append("torch")
    if has_onnx_export(folder, "fp32"):
        found.append("onnx-fp32")
    if has_onnx_export(folder, "int8"):
        found.append("onnx-int8")
    return found


DOWNLOAD_HOST = "huggingface.co"


def gpu_likely() -> bool:
    """Whether a GPU torch could use is probably present, found without importing torch: an NVIDIA driver,
    onnxruntime built with CUDA or ROCm whose provider is available, or Apple silicon (MPS)."""
    import platform

    if os.path.exists("/proc/driver/nvidia/version") or (sys.platform == "darwin" and platform.machine() == "arm64"):
        return True
    try:
        import onnxruntime
    except Exception:  # noqa: BLE001 - not installed or broken: no evidence of a GPU
        return False
    return bool({"CUDAExecutionProvider", "ROCMExecutionProvider"} & set(onnxruntime.get_available_providers()))


OFFLINE_CLIP = ("Offline, copy an open_clip checkpoint to this machine and run `shoebox models import FILE "
                "--arch ARCH` (or import an exported ONNX folder).")


def _export_in_child() -> bool:
    """A child process only helps a process that has not loaded torch; a frozen bundle (no spawn entry point) and
    an install without torch (the in-process path's error says what to install) keep the in-process path."""
    import importlib.util

    return "torch" not in sys.modules and not getattr(sys, "frozen", False) and (
        importlib.util.find_spec("torch") is not None
    )


def check_online(offline_hint: str = OFFLINE_CLIP) -> None:
    """Fail in seconds with a clear message, instead of after the hub client's minute of retries."""
    import socket

    try:
        socket.create_connection((DOWNLOAD_HOST, 443), timeout=5).close()
    except OSError as exc:
        raise ModelError(f"cannot reach {DOWNLOAD_HOST} to download the model ({exc}). {offline_hint}") from exc


class ModelRegistry:
    def __init__(self, library: "Library"):
        self._library = library
        self._lock = threading.Lock()
        self._loaded: dict[tuple[str, str], object] = {}

    # -- where models live -----------------------------------------------------------------------------------
    def model_dirs(self) -> list[Path]:
        """Searched in order: the library's own models folder, then the user's shared one."""
        return [self._library.layout.models, shared_models_dir()]

    def _manifests(self) -> list[tuple[Path, dict]]:
        found, seen = [], set()
        for base in self.model_dirs():
            if not base.is_dir():
                continue
            for manifest in sorted(base.glob(f"*/{MANIFEST}")):
                try:
                    data = json.loads(manifest.read_text())
                except (OSError, ValueError) as exc:
                    log.warning("ignoring unreadable model manifest %s: %s", manifest, exc)
                    continue
                if data.get("id") and data["id"] not in seen:
                    seen.add(data["id"])
                    found.append((manifest.parent, data))
        return found

    def folder(self, model_id: str) -> Path | None:
        for folder, data in self._manifests():
            if data["id"] == model_id:
                return folder
        return None

    # -- listing and choosing --------------------------------------------------------------------------------
    def list(self) -> list[ModelInfo]:
        """Installed models first, then catalogue entries that are not installed."""
        active = self.active_id()
        infos = []
        installed_ids = set()
        for folder, data in self._manifests():
            installed_ids.add(data["id"])
            infos.append(
                ModelInfo(
                    id=data["id"], kind=data.get("kind", IMAGE_TEXT), installed=True, active=data["id"] == active,
                    folder=str(folder), dim=data.get("dim"), runtimes=_runtimes_in(folder),
                    source=data.get("source", ""), description=data.get("description", ""),
                )
            )
        for entry in CATALOG:
            if entry.id not in installed_ids:
                infos.append(
                    ModelInfo(
                        id=entry.id, kind=entry.kind, installed=False, active=entry.id == active, folder=None,
                        dim=entry.dim, source=entry.source, description=f"{entry.description}; ~{entry.size_mb} MB",
                    )
                )
        from app.core.ml.faces_insightface import KIND as FACE, PACKS, PREFIX

        for name, (urls, size_mb) in PACKS.items():  # face packs (chosen with `shoebox people model`)
            if PREFIX + name not in installed_ids:
                infos.append(ModelInfo(id=PREFIX + name, kind=FACE, installed=False, active=False, folder=None,
                                       dim=512, source=urls[0], description=f"insightface SCRFD + ArcFace; ~{size_mb} MB"))
        return infos

    def installed_ids(self, kind: str = IMAGE_TEXT) -> list[str]:
        return [d["id"] for _, d in self._manifests() if d.get("kind", IMAGE_TEXT) == kind]

    def active_id(self) -> str | None:
        """The chosen image-text model; without a choice, the first installed one (the catalogue default first)."""
        chosen = self._library.config.get(ACTIVE_KEY)
        if chosen:
            return chosen
        installed = self.installed_ids()
        if DEFAULT_MODEL_ID in installed:
            return DEFAULT_MODEL_ID
        return installed[0] if installed else None

    def set_active(self, model_id: str | None) -> None:
        if model_id is not None and self.folder(model_id) is None:
            raise ModelMissingError(f"model {model_id} is not installed")
        self._library.config.set(ACTIVE_KEY, model_id)

    def missing_message(self, model_id: str | None = None) -> str:
        wanted = model_id or DEFAULT_MODEL_ID
        return (
            f"No image-text model is installed ({wanted}). Run `shoebox models install {wanted}` when online, "
            "or `shoebox models import PATH --arch ARCH` with a local open_clip checkpoint or exported ONNX folder."
        )

    # -- loading ---------------------------------------------------------------------------------------------
    def runtime_for(self, model_id: str) -> str:
        """The configured runtime, else torch on a GPU, else ONNX int8, then fp32, then torch eager."""
        folder = self.folder(model_id)
        if folder is None:
            raise ModelMissingError(self.missing_message(model_id))
        available = _runtimes_in(folder)
        wanted = self._library.config.get(RUNTIME_KEY) or "auto"
        if wanted != "auto":
            if wanted not in available:
                raise ModelError(f"runtime {wanted} is not available for {model_id} (has: {', '.join(available)})")
            return wanted
        onnx = [r for r in available if r != "torch"]
        # Torch only on a GPU; importing it just to look for one costs seconds, so when ONNX files exist a
        # GPU must first show without torch (a driver, onnxruntime's providers).
        if "torch" in available and (not onnx or gpu_likely()):
            from app.core.ml.clip_torch import torch_available

            if torch_available():
                from app.core.ml.clip_torch import pick_device

                if pick_device() != "cpu":
                    return "torch"
        for runtime in ("onnx-int8", "onnx-fp32", "torch"):
            if runtime in available:
                if runtime == "torch":
                    from app.core.ml.clip_torch import torch_available

                    if not torch_available():
                        continue
                return runtime
        raise ModelError(f"{model_id} has no runtime usable here (has: {', '.join(available) or 'nothing'})")

    def load_clip(self, model_id: str | None = None, runtime: str | None = None):
        """An encoder (TorchClip or OnnxClip) for the model; one stays loaded per (model, runtime)."""
        model_id = model_id or self.active_id()
        if model_id is None:
            raise ModelMissingError(self.missing_message())
        folder = self.folder(model_id)
        if folder is None:
            raise ModelMissingError(self.missing_message(model_id))
        runtime = runtime or self.runtime_for(model_id)
        key = (model_id, runtime)
        with self._lock:
            if key not in self._loaded:
                log.info("loading %s on %s", model_id, runtime)
                if runtime == "torch":
                    from app.core.ml.clip_torch import TorchClip

                    encoder = TorchClip.from_folder(folder)
                else:
                    from app.core.ml.clip_onnx import OnnxClip

                    encoder = OnnxClip(folder, variant=runtime.split("-", 1)[1])
                self._loaded = {key: encoder}  # one model in memory at a time
            return self._loaded[key]

    def unload(self) -> None:
        with self._lock:
            self._loaded = {}

    # -- installing ------------------------------------------------------------------------------------------
    def _target(self, model_id: str, shared: bool) -> Path:
        base = shared_models_dir() if shared else self._library.layout.models
        return base / model_slug(model_id)

    def _finish_install(self, partial: Path, target: Path, manifest: dict) -> ModelInfo:
        """Write the manifest last and rename into place, so a half-written model is never seen as installed."""
        manifest.setdefault("installed_at", time.time())
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2))
        if target.exists():
            shutil.rmtree(target)
        partial.replace(target)
        self.unload()
        return next(m for m in self.list() if m.id == manifest["id"])

    def _partial(self, target: Path) -> Path:
        partial = target.with_name(f".{target.name}.partial")
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
        return partial

    def _from_torch(self, clip, model_id, target, source, description, say, int8) -> ModelInfo:
        partial = self._partial(target)
        try:
            say("saving checkpoint")
            clip.save_folder(partial)
            clip.export_onnx(partial, int8=int8, progress=say, release=True)  # the installed copy is the ONNX one
            return self._finish_install(
                partial, target,
                {"id": model_id, "kind": IMAGE_TEXT, "dim": clip.dim, "source": source, "description": description},
            )
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise

    def install(self, model_id: str, *, shared: bool = False, int8: bool = True,
                progress: Callable[[str], None] | None = None) -> ModelInfo:
        """Explicit download of a catalogue model (open_clip shows a progress bar), then ONNX export; a caption
        model (`caption:REPO`) is downloaded by library.captions, a speech model (`speech:whisper-NAME/ct2`) by
        app.core.voice.models (both with the hub's progress bars)."""
        if model_id.startswith("caption:"):
            self._library.captions.install(model_id, shared=shared, progress=progress)
            return next(m for m in self.list() if m.id == model_id)
        if model_id.startswith("speech:"):
            from app.core.voice.models import install

            install(self._library, model_id, progress)
            return next(m for m in self.list() if m.id == model_id)
        entry = next((e for e in CATALOG if e.id == model_id), None)
        if entry is None or entry.kind != IMAGE_TEXT:
            raise ModelError(f"unknown model {model_id}; known: {', '.join(e.id for e in CATALOG)}")
        say = progress or (lambda message: None)
        check_online()
        target = self._target(model_id, shared)
        cache = target.parent / ".download-cache"
        say(f"downloading {entry.arch}/{entry.tag} (~{entry.size_mb} MB)")
        if _export_in_child():  # as `models import` does: torch and the model leave with the child
            from app.core.ml import clip_torch

            info = self._install_from_child(
                clip_torch.download_and_export, (entry.arch, entry.tag, str(cache)), model_id, target,
                entry.source, entry.description, say, int8,
            )
        else:
            from app.core.ml.clip_torch import TorchClip

            clip = TorchClip.download(entry.arch, entry.tag, cache, device="cpu")
            info = self._from_torch(clip, model_id, target, entry.source, entry.description, say, int8)
        shutil.rmtree(cache, ignore_errors=True)
        return info

    def import_path(self, path: Path | str, *, arch: str | None = None, model_id: str | None = None,
                    shared: bool = False, int8: bool = True,
                    progress: Callable[[str], None] | None = None) -> ModelInfo:
        """A local open_clip checkpoint file (with arch), an open_clip model folder, or an exported ONNX folder."""
        from app.core.ml.clip_onnx import ONNX_MANIFEST
        from app.core.ml.clip_torch import CONFIG_FILE

        path = Path(path).expanduser()
        say = progress or (lambda message: None)
        if path.is_dir() and (path / ONNX_MANIFEST).is_file() and not (path / CONFIG_FILE).is_file():
            return self._import_onnx_folder(path, model_id, shared)
        if _export_in_child() and (path.is_dir() or (path.is_file() and arch)):
            return self._import_in_child(path, arch, model_id, shared, say, int8)
        from app.core.ml.clip_torch import TorchClip

        if path.is_dir():
            clip = TorchClip.from_folder(path, device="cpu")
            default_id = f"clip:{path.name}"
        elif path.is_file():
            if not arch:
                raise ModelError("importing a checkpoint file needs --arch (an open_clip architecture, e.g. ViT-B-32)")
            clip = TorchClip.from_checkpoint(arch, path, device="cpu")
            default_id = f"clip:{arch}/{path.stem}"
        else:
            raise ModelError(f"not found: {path}")
        model_id = model_id or default_id
        return self._from_torch(clip, model_id, self._target(model_id, shared), f"imported from {path}", "", say, int8)

    def _import_in_child(self, path: Path, arch: str | None, model_id: str | None, shared: bool, say,
                         int8: bool) -> ModelInfo:
        from app.core.ml.clip_torch import export_folder

        model_id = model_id or (f"clip:{path.name}" if path.is_dir() else f"clip:{arch}/{path.stem}")
        return self._install_from_child(
            export_folder, (str(path), None if path.is_dir() else arch), model_id, self._target(model_id, shared),
            f"imported from {path}", "", say, int8,
        )

    def _install_from_child(self, export, args: tuple, model_id: str, target: Path, source: str, description: str,
                            say, int8: bool) -> ModelInfo:
        """Load (or download) and export in a child process, `export(*args, folder) -> dim`; quantise here: torch's
        libraries (~750 MB), the model and the exporter's work leave with the child, so onnxruntime's quantiser
        never runs on top of them (issue 16). Used when this process has not loaded torch anyway (the CLI); the
        result is what the in-process path makes."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        from app.core.ml.clip_torch import quantize_towers

        partial = self._partial(target)
        try:
            say("loading and exporting to ONNX (in a child process)")
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                try:
                    dim = pool.submit(export, *args, str(partial)).result()
                except BrokenProcessPool as exc:
                    raise ModelError(f"the export process ended without finishing (out of memory?): {exc}") from exc
            if int8:
                quantize_towers(partial, say)
            return self._finish_install(
                partial, target,
                {"id": model_id, "kind": IMAGE_TEXT, "dim": dim, "source": source, "description": description},
            )
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise

    def _import_onnx_folder(self, path: Path, model_id: str | None, shared: bool) -> ModelInfo:
        existing = {}
        if (path / MANIFEST).is_file():
            existing = json.loads((path / MANIFEST).read_text())
        model_id = model_id or existing.get("id") or f"clip:onnx/{path.name}"
        onnx_manifest = json.loads((path / "onnx.json").read_text())
        target = self._target(model_id, shared)
        partial = self._partial(target)
        try:
            for item in path.iterdir():
                if item.is_file() and item.name != MANIFEST:
                    shutil.copy2(item, partial / item.name)
            manifest = {
                "id": model_id, "kind": IMAGE_TEXT, "dim": onnx_manifest["dim"],
                "source": existing.get("source") or f"imported from {path}",
                "description": existing.get("description", ""),
            }
            info = self._finish_install(partial, target, manifest)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        if not info.runtimes:
            self.remove(model_id)
            raise ModelError(f"{path} has no complete ONNX towers (image.onnx and text.onnx)")
        return info

    def remove(self, model_id: str) -> bool:
        """Delete the model's folder (its vectors stay in the database until re-embedded)."""
        folder = self.folder(model_id)
        if folder is None:
            return False
        self.unload()
        shutil.rmtree(folder)
        if self._library.config.get(ACTIVE_KEY) == model_id:
            self._library.config.set(ACTIVE_KEY, None)
        return True
