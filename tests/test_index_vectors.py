"""The FAISS index: choice of index, persistence, deltas, rebuild on disagreement, background swap."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.bench.synthetic import EmbeddingLikeVectors


def _unit(n, dim=16, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_choose_spec_flat_then_ivf():
    from app.core.index.vector_index import FLAT_LIMIT, choose_spec

    assert choose_spec(100).kind == "flat"
    big = choose_spec(100_000)
    assert big.kind == "ivf" and big.factory.startswith("IVF1024") and big.nprobe == 85
    assert choose_spec(1_000_000).factory.startswith("IVF4096_HNSW32")
    assert choose_spec(FLAT_LIMIT).kind == "ivf"


def test_flat_search_is_exact_and_persists(tmp_path):
    from app.core.index.vector_index import IndexSpec, VectorIndex

    x = _unit(200)
    ids = np.arange(1000, 1200)
    index = VectorIndex.build(ids, x)
    hits = index.search(x[5], 3)
    assert hits[0][0] == 1005 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    index.save(tmp_path / "i.faiss")
    again = VectorIndex.load(tmp_path / "i.faiss", IndexSpec("IDMap2,Flat"), 16, 200)
    assert again.search(x[5], 3) == hits
    again.remove(np.array([1005]))
    assert again.search(x[5], 1)[0][0] != 1005


def test_ivf_recall_on_embedding_like_vectors():
    from app.core.index.vector_index import IndexSpec, VectorIndex

    gen = EmbeddingLikeVectors(dim=64, clusters=50)
    x, q = gen.sample(5000, 1), gen.queries(50)
    ivf = VectorIndex.build(np.arange(5000), x, spec=IndexSpec("IVF64,Flat", nprobe=8))
    exact = q @ x.T
    recall = np.mean([len({i for i, _ in ivf.search(v, 10)} & set(np.argsort(-row)[:10])) / 10
                      for v, row in zip(q, exact)])
    assert recall >= 0.9


def _store(library, photo_ids, vectors, model="m:test"):
    from app.core.db.models import Embedding, Photo

    now = time.time()
    with library.db.write_session() as s:
        for pid, v in zip(photo_ids, vectors):
            if s.get(Photo, int(pid)) is None:
                s.add(Photo(id=int(pid), sha256=f"{pid:064x}", size=1, imported_at=now))
            s.merge(Embedding(photo_id=int(pid), model_id=model, dim=len(v), vector=v.astype(np.float32).tobytes(),
                              runtime="onnx-fp32", device="cpu", created_at=time.time()))


def test_manager_adds_deltas_rebuilds_on_disagreement_and_reloads(library):
    from app.core.db.models import Photo
    from app.core.index.manager import IndexManager

    x = _unit(60)
    _store(library, range(1, 41), x[:40])
    manager = IndexManager(library, "m:test")
    assert manager.search(x[3], 1)[0][0] == 4
    _store(library, range(41, 61), x[40:])  # new photos: added as deltas
    assert manager.sync(force=True).size == 60
    assert manager.search(x[50], 1)[0][0] == 51
    manager.save()

    with library.db.write_session() as s:  # a deleted photo: the fingerprint disagrees, so a rebuild
        s.delete(s.get(Photo, 51))
    reopened = IndexManager(library, "m:test")
    assert reopened.sync(force=True).size == 59
    assert 51 not in [i for i, _ in reopened.search(x[50], 5)]


def test_manager_rebuilds_a_corrupt_index_file(library):
    from app.core.index.manager import IndexManager

    x = _unit(20)
    _store(library, range(1, 21), x)
    first = IndexManager(library, "m:test")
    first.sync()
    first.save()
    first.path.write_bytes(b"garbage")
    again = IndexManager(library, "m:test")
    assert again.search(x[7], 1)[0][0] == 8


def test_background_build_swaps_to_ivf_and_keeps_serving(library, monkeypatch):
    from app.core.index import vector_index
    from app.core.index.manager import IndexManager

    monkeypatch.setattr(vector_index, "FLAT_LIMIT", 300)
    gen = EmbeddingLikeVectors(dim=32, clusters=20)
    x = gen.sample(600, 2)
    _store(library, range(1, 201), x[:200])
    manager = IndexManager(library, "m:test")
    assert manager.sync(force=True).spec.kind == "flat"
    _store(library, range(201, 601), x[200:])
    index = manager.sync(force=True)  # deltas added to flat at once; IVF builds on a thread
    assert index.size == 600
    manager.wait_for_background(timeout=60)
    assert manager.kind == "ivf" and manager.sync(force=True).size == 600
    assert manager.search(x[10], 1)[0][0] == 11
    meta = manager.meta_path.read_text()
    assert "IVF" in meta


def test_sync_reads_the_fingerprint_only_after_a_commit(library, monkeypatch):
    """The fingerprint is a pass over the model's vectors (~13 ms at 100k photos), and a search typed after a
    pause paid it every time. On SQLite it is read again only when data_version says someone committed: a
    commit by this process's own sessions or by another process (a CLI import) is still seen at once."""
    import sqlite3

    from app.core.index import manager as manager_module
    from app.core.index.manager import IndexManager

    x = _unit(30)
    _store(library, range(1, 21), x[:20])
    manager = IndexManager(library, "m:test")
    assert manager.sync().size == 20
    reads = []
    original = IndexManager._db_fingerprint
    monkeypatch.setattr(IndexManager, "_db_fingerprint", lambda self: reads.append(1) or original(self))
    monkeypatch.setattr(manager_module, "SYNC_INTERVAL_S", 0.0)
    for _ in range(3):
        assert manager.sync().size == 20
    assert reads == []  # nothing committed: no pass over the vectors
    _store(library, range(21, 26), x[20:25])  # this process's own session
    assert manager.sync().size == 25 and len(reads) == 1
    assert manager.sync().size == 25 and len(reads) == 1
    other = sqlite3.connect(library.layout.database)  # another process's connection deletes a vector
    with other:
        other.execute("DELETE FROM embeddings WHERE photo_id = 25")
    other.close()
    assert manager.sync().size == 24 and len(reads) == 2
    assert manager.sync(force=True).size == 24 and len(reads) == 3  # forced: read whatever data_version says
    manager.close()
