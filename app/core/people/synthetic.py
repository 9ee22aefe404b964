"""Synthetic face vectors with a realistic identity structure, and pairwise cluster scores (for the tests and
`shoebox bench faces`). Spreads are set to match SFace on ../shared/faces: same-person cosine distances mostly
0.15-0.45, different people mostly 0.65-1.0 (docs/PEOPLE.md)."""

from __future__ import annotations

import numpy as np

INTRA_SIGMA = 0.052  # per dimension, 128-d: median same-person distance ~0.25
SHARED = 0.5  # a component every face shares, so that strangers are not orthogonal


def identity_vectors(n: int, *, dim: int = 128, seed: int = 0, noise_share: float = 0.05
                     ) -> tuple[np.ndarray, np.ndarray]:
    """About n unit vectors and their person label (-1: a noise face seen once). Person sizes follow a
    heavy tail: most people have a handful of faces, a few have thousands (Zipf, exponent 1.6)."""
    rng = np.random.default_rng(seed)
    sigma = INTRA_SIGMA * np.sqrt(128 / dim)  # the same distances in any dimension (ArcFace: 512)
    shared = rng.standard_normal(dim)
    shared *= SHARED / np.linalg.norm(shared)
    n_noise = int(n * noise_share)
    sizes = []
    while sum(sizes) < n - n_noise:
        sizes.append(int(min(rng.zipf(1.6), max(n // 20, 3))))
    sizes[-1] -= sum(sizes) - (n - n_noise)
    vectors, labels = [], []
    for person, size in enumerate(s for s in sizes if s > 0):
        centre = rng.standard_normal(dim)
        centre = centre / np.linalg.norm(centre) + shared
        centre /= np.linalg.norm(centre)
        vectors.append(centre + sigma * rng.standard_normal((size, dim)))
        labels += [person] * size
    for _ in range(n_noise):
        face = rng.standard_normal(dim)
        vectors.append((face / np.linalg.norm(face) + shared)[None, :] + sigma * rng.standard_normal((1, dim)))
        labels.append(-1)
    vectors = np.concatenate(vectors).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors, np.array(labels)


def _pairs(counts: np.ndarray) -> int:
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def pairwise_scores(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Pairwise precision and recall: of face pairs put together, how many are the same person, and of
    same-person pairs, how many were put together. -1 in either means "alone"."""
    predicted, truth = np.asarray(predicted), np.asarray(truth)
    # Give every -1 its own label so it pairs with nobody.
    alone_p = np.where(predicted < 0, -1 - np.arange(len(predicted)), predicted)
    alone_t = np.where(truth < 0, -1 - np.arange(len(truth)), truth)
    _, pred_counts = np.unique(alone_p, return_counts=True)
    _, true_counts = np.unique(alone_t, return_counts=True)
    _, both_counts = np.unique(np.stack([alone_p, alone_t]), axis=1, return_counts=True)
    together, same, both = _pairs(pred_counts), _pairs(true_counts), _pairs(both_counts)
    return (both / together if together else 1.0), (both / same if same else 1.0)
