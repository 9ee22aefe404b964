"""Which face backend a library uses, loaded once per process (the models are shared by every library).

Two model ids matter while a library switches face models: the *chosen* model (`faces.model_id`) is the one
new scans use; the *active* one is what People shows and corrects, which stays the previous model
(`faces.serving_model_id`) until every photo has been scanned by the chosen one (app/core/people/switch.py).
"""

from __future__ import annotations

import threading
from pathlib import Path

# app.core.ml.faces_yunet.MODEL_ID (a test keeps them equal), written out: importing that module loads numpy and
# Pillow, and the window reaches this module while it opens, before its first frame.
YUNET_SFACE = "yunet-2023mar+sface-2021dec-int8"

_LOCK = threading.Lock()
_LOADED: dict[tuple[str, str], object] = {}

DEFAULT_MODEL = YUNET_SFACE
DEFAULT_ALIASES = {"default", "faces:default", "faces:yunet", "faces:yunet-sface", YUNET_SFACE}
BUFFALO_L = "faces:buffalo_l"

# Cosine distance under which two faces are the same person, per model: measured in docs/PEOPLE.md.
# buffalo_l's 0.5 is Immich's default max distance for it (not measured here: no real weights offline).
MATCH_DISTANCE = {DEFAULT_MODEL: 0.5, BUFFALO_L: 0.5}
# Cosine distance under which two faces alone make a person (a pair seen in two photos): docs/PEOPLE.md.
PAIR_DISTANCE = {DEFAULT_MODEL: 0.4, BUFFALO_L: 0.4}


def chosen_model(library) -> str:
    """The model new face scans use."""
    return library.config.get("faces.model_id") or DEFAULT_MODEL


def active_model(library) -> str:
    """The model whose faces People shows, clusters and corrects: the chosen one, or while it is still
    re-scanning the library after a switch, the previous one."""
    return library.config.get("faces.serving_model_id") or chosen_model(library)


def match_distance(library, model_id: str) -> float:
    chosen = library.config.get("faces.match_distance")
    return float(chosen) if chosen is not None else MATCH_DISTANCE.get(model_id, 0.5)


def pair_distance(library, model_id: str) -> float:
    chosen = library.config.get("faces.pair_distance")
    return float(chosen) if chosen is not None else PAIR_DISTANCE.get(model_id, 0.0)


def face_backend(model_id: str, library=None):
    """The backend object for a model id (lazy: cv2/insightface and the weights load on its first use). An
    insightface pack (`faces:NAME`) is found in the library's or the user's models folders."""
    folder = ""
    if model_id != DEFAULT_MODEL:
        from app.core.ml.errors import ModelMissingError
        from app.core.ml.faces_insightface import is_face_model

        found = library.models.folder(model_id) if library is not None and is_face_model(model_id) else None
        if found is None:
            raise ModelMissingError(f"the face model {model_id} is not installed "
                                    f"(`shoebox models install {model_id}` or `shoebox models import PATH`)")
        folder = str(found)
    with _LOCK:
        key = (model_id, folder)
        if key not in _LOADED:
            if model_id == DEFAULT_MODEL:
                from app.core.ml.faces_yunet import YuNetSFace

                _LOADED[key] = YuNetSFace()
            else:
                from app.core.ml.faces_insightface import InsightFaceBackend

                _LOADED[key] = InsightFaceBackend(Path(folder), model_id)
        return _LOADED[key]
