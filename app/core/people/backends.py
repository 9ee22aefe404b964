"""Which face backend a library uses, loaded once per process (the models are shared by every library)."""

from __future__ import annotations

import threading

from app.core.ml.faces_yunet import MODEL_ID as YUNET_SFACE

_LOCK = threading.Lock()
_LOADED: dict[str, object] = {}

DEFAULT_MODEL = YUNET_SFACE

# Cosine distance under which two faces are the same person, per model: measured in docs/PEOPLE.md.
MATCH_DISTANCE = {DEFAULT_MODEL: 0.5}
# Cosine distance under which two faces alone make a person (a pair seen in two photos): docs/PEOPLE.md.
PAIR_DISTANCE = {DEFAULT_MODEL: 0.4}


def active_model(library) -> str:
    return DEFAULT_MODEL


def match_distance(library, model_id: str) -> float:
    chosen = library.config.get("faces.match_distance")
    return float(chosen) if chosen is not None else MATCH_DISTANCE.get(model_id, 0.5)


def pair_distance(library, model_id: str) -> float:
    chosen = library.config.get("faces.pair_distance")
    return float(chosen) if chosen is not None else PAIR_DISTANCE.get(model_id, 0.0)


def face_backend(model_id: str):
    """The backend object for a model id (lazy: cv2 and the weights load on its first use)."""
    with _LOCK:
        if model_id not in _LOADED:
            if model_id != DEFAULT_MODEL:
                raise KeyError(f"unknown face model {model_id!r}")
            from app.core.ml.faces_yunet import YuNetSFace

            _LOADED[model_id] = YuNetSFace()
        return _LOADED[model_id]
