"""`library.captions`: the caption model (import, status), each photo's caption, and the caption chain.

No caption model ships offline, and no caption is ever made up: with no model, `status()` says how to install one
and nothing is written. A caption the user typed (`set`) is never replaced by a model's.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from sqlalchemy import func, select

from app.core.db.models import Caption, Photo
from app.core.ml.errors import ModelError, ModelMissingError

if TYPE_CHECKING:
    from app.core.library import Library

MODEL_KEY = "caption.model_id"
DEFAULT_CAPTION_MODEL = "caption:Salesforce/blip-image-captioning-base"
NO_MODEL = ("no caption model is installed, so photos have no captions yet: `shoebox models install "
            f"{DEFAULT_CAPTION_MODEL}` downloads one (~990 MB, once), or `shoebox captions import FOLDER` uses a BLIP "
            "folder saved with save_pretrained")


class CaptionError(Exception):
    """A caption operation that cannot be done; the message is for the user."""


@dataclass(frozen=True)
class CaptionInfo:
    photo_id: int
    text: str
    model: Optional[str]
    edited: bool

    def to_json(self) -> dict:
        return {"photo_id": self.photo_id, "caption": self.text, "model": self.model, "edited": self.edited}


@dataclass(frozen=True)
class CaptionStatus:
    model_id: Optional[str]
    available: bool
    captioned: int
    total: int
    message: str


class CaptionService:
    def __init__(self, library: "Library"):
        self._library = library

    # -- the model -----------------------------------------------------------------------------------------
    def model_id(self) -> str | None:
        return self._library.config.get(MODEL_KEY)

    def folder(self, model_id: str | None = None) -> Path | None:
        from app.core.ml.registry import model_slug, shared_models_dir

        model_id = model_id or self.model_id()
        if not model_id:
            return None
        for base in (self._library.layout.models, shared_models_dir()):
            folder = base / model_slug(model_id)
            if (folder / "config.json").is_file():
                return folder
        return None

    def import_model(self, source: "str | Path", model_id: str | None = None) -> str:
        """Copy a BLIP folder (save_pretrained layout) into the library, check that it loads, make it active."""
        from app.core.ml.registry import model_slug

        source = Path(source)
        if not (source / "config.json").is_file():
            raise ModelError(f"{source} is not a caption model folder (no config.json; save it with save_pretrained)")
        model_id = model_id or f"caption:{source.name}"
        if not model_id.startswith("caption:"):
            model_id = "caption:" + model_id
        target = self._library.layout.models / model_slug(model_id)
        temp = target.with_name(target.name + ".part")
        shutil.rmtree(temp, ignore_errors=True)
        try:
            shutil.copytree(source, temp)
            self._adopt(temp, target, model_id, str(source))
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        return model_id

    def install(self, model_id: str = DEFAULT_CAPTION_MODEL, *, shared: bool = False, progress=None) -> str:
        """Download a BLIP model from the Hugging Face hub (`shoebox models install caption:OWNER/NAME`; the hub
        shows progress bars), check that it loads and make it active. Offline it fails in seconds, saying how
        to import a folder instead. Nothing else in the captions code goes online."""
        from app.core.ml import registry
        from app.core.ml.caption_blip import download_blip

        repo = model_id.removeprefix("caption:")
        if not model_id.startswith("caption:") or repo.count("/") != 1:
            raise ModelError(f"{model_id} is not a caption model id (caption:OWNER/NAME of a BLIP model on the "
                             f"Hugging Face hub, e.g. {DEFAULT_CAPTION_MODEL})")
        say = progress or (lambda message: None)
        registry.check_online(f"Offline, save {repo} with save_pretrained on a computer that has internet, copy the "
                              "folder here and run `shoebox captions import FOLDER`.")
        base = registry.shared_models_dir() if shared else self._library.layout.models
        target = base / registry.model_slug(model_id)
        temp = target.with_name(target.name + ".part")
        shutil.rmtree(temp, ignore_errors=True)
        size = next((e.size_mb for e in registry.CATALOG if e.id == model_id), None)
        say(f"downloading {repo}" + (f" (~{size} MB)" if size else ""))
        try:
            download_blip(repo, temp)
            say("checking that the model loads")
            self._adopt(temp, target, model_id, f"Hugging Face {repo}")
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        return model_id

    def _adopt(self, temp: Path, target: Path, model_id: str, source: str) -> None:
        """A complete model folder in `temp` becomes `target` and the active caption model, once it loads; a
        folder that does not load raises ModelError before anything else changes."""
        from app.core.ml.caption_blip import BlipCaptioner

        BlipCaptioner(model_id, temp)
        (temp / "model.json").write_text(json.dumps({"id": model_id, "kind": "caption", "source": source}))
        shutil.rmtree(target, ignore_errors=True)
        temp.rename(target)
        self._library.config.set(MODEL_KEY, model_id)

    def load(self):
        from app.core.ml.caption_blip import BlipCaptioner

        model_id = self.model_id()
        folder = self.folder(model_id)
        if folder is None:
            raise ModelMissingError(NO_MODEL)
        return _cached(model_id, folder, BlipCaptioner)

    def status(self) -> CaptionStatus:
        model_id = self.model_id()
        available = self.folder(model_id) is not None
        with self._library.db.read_session() as s:
            total = s.scalar(select(func.count(Photo.id))) or 0
            done = s.scalar(select(func.count(Caption.photo_id)).where(
                (Caption.model_id == model_id) | Caption.edited.is_(True))) or 0
        if not available:
            message = NO_MODEL
        elif done < total:
            message = f"{done} of {total} photos have captions; the rest are being captioned"
        else:
            message = f"captions ready ({model_id})"
        return CaptionStatus(model_id, available, done, total, message)

    # -- captions ------------------------------------------------------------------------------------------
    def get(self, photo_id: int) -> CaptionInfo | None:
        with self._library.db.read_session() as s:
            row = s.get(Caption, photo_id)
            return CaptionInfo(row.photo_id, row.text, row.model_id, row.edited) if row else None

    def list(self) -> list[CaptionInfo]:
        with self._library.db.read_session() as s:
            return [CaptionInfo(r.photo_id, r.text, r.model_id, r.edited)
                    for r in s.scalars(select(Caption).order_by(Caption.photo_id))]

    def set(self, photo_id: int, text: str) -> None:
        """The user's caption: kept over any model's from now on."""
        with self._library.db.write_session() as s:
            if s.get(Photo, photo_id) is None:
                raise CaptionError(f"there is no photo {photo_id}")
            s.merge(Caption(photo_id=photo_id, text=text.strip(), model_id=None, edited=True, created_at=time.time()))

    def schedule(self) -> int | None:
        """Queue the caption chain when a model is installed and photos lack its caption (None otherwise)."""
        from app.core.captions.task import caption_request

        request = caption_request(self._library)
        if request is None:
            return None
        return self._library.tasks.submit(request.pop("type_"), **request)


_models: dict = {}


def _cached(model_id: str, folder: Path, factory):
    key = (model_id, str(folder))
    if key not in _models:
        _models.clear()  # one caption model in memory at a time
        _models[key] = factory(model_id, folder)
    return _models[key]
