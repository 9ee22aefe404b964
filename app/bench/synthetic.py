"""Synthetic vectors shaped like CLIP image embeddings, for index benchmarks without a photo collection.

Real embeddings are clustered (similar scenes) and have a low intrinsic dimension, which is what approximate
indexes exploit; uniform noise in 512 dims has neither and would mislead. So: a Gaussian mixture in a 48-dim
latent space (clusters of varying size and spread), mapped into the target dimension by one fixed random linear
projection, plus small isotropic noise, normalised, shifted along one shared direction (as CLIP vectors are:
random pairs have cosine ~0.5, nearest neighbours ~0.85) and normalised again. Queries are fresh draws from the same mixture
(never index members), perturbed a little more, like a user's query photo or a text embedding near a cluster.
"""

from __future__ import annotations

import numpy as np

LATENT_DIM = 48


class EmbeddingLikeVectors:
    def __init__(self, dim: int = 512, *, clusters: int = 1000, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.dim = dim
        self.centers = rng.standard_normal((clusters, LATENT_DIM)).astype(np.float32)
        self.spread = rng.uniform(0.5, 1.5, clusters).astype(np.float32)  # tight and loose, overlapping clusters
        weights = rng.pareto(1.5, clusters) + 1.0  # a few big clusters (holidays), many small ones
        self.weights = weights / weights.sum()
        self.projection = (rng.standard_normal((LATENT_DIM, dim)) / np.sqrt(LATENT_DIM)).astype(np.float32)
        self.noise = 0.15
        # CLIP vectors share a common direction: random pairs have cosine ~0.5, near neighbours ~0.85.
        common = rng.standard_normal(dim).astype(np.float32)
        self.common = common / np.linalg.norm(common)

    def sample(self, n: int, seed: int, *, extra_noise: float = 0.0, chunk: int = 100_000) -> np.ndarray:
        rng = np.random.default_rng(seed)
        out = np.empty((n, self.dim), dtype=np.float32)
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            which = rng.choice(len(self.centers), size=m, p=self.weights)
            latent = self.centers[which] + rng.standard_normal((m, LATENT_DIM)).astype(np.float32) * self.spread[
                which, None
            ]
            x = latent @ self.projection
            x += rng.standard_normal((m, self.dim)).astype(np.float32) * (self.noise + extra_noise)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            x += self.common
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            out[start : start + m] = x
        return out

    def queries(self, n: int, seed: int = 10_000) -> np.ndarray:
        return self.sample(n, seed, extra_noise=0.05)
