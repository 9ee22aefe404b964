"""One FAISS index over unit vectors (inner product = cosine), keyed by photo id.

Exact flat search is fast enough for small libraries; above FLAT_LIMIT an IVF index (chosen by
`choose_spec`, measured with `shoebox bench search`) answers in about a millisecond at recall@10 ~0.97.
faiss is imported lazily so that importing this module stays cheap.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Exact search at 20k x 512 takes ~3 ms on two cores; above this an approximate index pays off.
FLAT_LIMIT = 20_000
# An IVF index is rebuilt (re-trained) once the library has grown this many times past its training size.
IVF_REGROW_FACTOR = 4
# Training points per inverted list (faiss wants >= 39; more barely helps and costs k-means time).
TRAIN_POINTS_PER_LIST = 40


@dataclass(frozen=True)
class IndexSpec:
    factory: str  # faiss.index_factory string
    nprobe: int = 0  # lists visited per query (IVF only)

    @property
    def kind(self) -> str:
        return "flat" if self.factory.startswith("IDMap") else "ivf"


def choose_spec(n: int) -> IndexSpec:
    """Flat below FLAT_LIMIT; else IVF with ~4*sqrt(n) lists, 1/12 to 1/16 of them probed (recall@10 >= 0.95,
    measured with `shoebox bench search`)."""
    if n < FLAT_LIMIT:
        return IndexSpec("IDMap2,Flat")
    nlist = 2 ** round(math.log2(4 * math.sqrt(n)))
    # An HNSW coarse quantiser keeps assignment cheap when there are thousands of lists.
    if nlist >= 4096:
        return IndexSpec(f"IVF{nlist}_HNSW32,Flat", nprobe=nlist // 16)
    return IndexSpec(f"IVF{nlist},Flat", nprobe=max(16, nlist // 12))


def _faiss():
    import faiss

    return faiss


class VectorIndex:
    def __init__(self, index, spec: IndexSpec, dim: int, trained_size: int):
        self.index = index
        self.spec = spec
        self.dim = dim
        self.trained_size = trained_size  # how many vectors the IVF lists were trained for

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, *, spec: IndexSpec | None = None, dim: int | None = None
              ) -> "VectorIndex":
        faiss = _faiss()
        n = len(ids)
        dim = dim or vectors.shape[1]
        spec = spec or choose_spec(n)
        index = faiss.index_factory(dim, spec.factory, faiss.METRIC_INNER_PRODUCT)
        if spec.kind == "ivf":
            ivf = faiss.extract_index_ivf(index)
            ivf.cp.niter = 10  # k-means converges well enough for list assignment; 25 costs 2.5x the time
            rng = np.random.default_rng(0)
            per_list = TRAIN_POINTS_PER_LIST * ivf.nlist
            sample = vectors[rng.choice(n, size=per_list, replace=False)] if n > per_list else vectors
            index.train(np.ascontiguousarray(sample, dtype=np.float32))
            faiss.extract_index_ivf(index).nprobe = spec.nprobe
        built = cls(index, spec, dim, n)
        built.add(ids, vectors)
        return built

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        self.index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32), np.ascontiguousarray(ids, dtype=np.int64)
        )

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            self.index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Best first (photo id, cosine); fewer than k when the index is small."""
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        scores, ids = self.index.search(query, k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def needs_rebuild(self) -> bool:
        """Flat grew past the limit, or IVF lists grew too long for their training."""
        if self.spec.kind == "flat":
            return self.size >= FLAT_LIMIT
        return self.size > IVF_REGROW_FACTOR * max(self.trained_size, 1)

    def save(self, path: Path) -> None:
        """Written beside the target and renamed, so a crash never leaves a torn index file."""
        faiss = _faiss()
        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self.index, str(tmp))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, spec: IndexSpec, dim: int, trained_size: int) -> "VectorIndex":
        faiss = _faiss()
        index = faiss.read_index(str(path))
        if spec.kind == "ivf":
            faiss.extract_index_ivf(index).nprobe = spec.nprobe
        return cls(index, spec, dim, trained_size)
