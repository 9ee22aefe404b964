"""The numpy stand-ins for scipy (the desktop bundle carries no scipy) give scipy's very results: pHash bits,
duplicate groups, face clusters and place names stored in existing libraries must not change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def test_dct_is_scipys_bit_for_bit():
    from scipy.fft import dct

    from app.core.ingest.dct import dct2

    rng = np.random.default_rng(3)
    for n in (4, 8, 16, 32, 64):
        for scale in (1.0, 255.0, 1e6):
            x = rng.normal(size=(9, n)) * scale
            assert np.array_equal(dct2(x), dct(x, axis=-1))
        flat = np.full((3, n), 77.0)  # coefficients that are (near) zero: where a different sum flips hash bits
        assert np.array_equal(dct2(flat), dct(flat, axis=-1))
    pixels = rng.integers(0, 256, (32, 32)).astype(np.float64)
    assert np.array_equal(dct2(dct2(pixels.T).T), dct(dct(pixels, axis=0), axis=1))


def scipy_phash(grey: Image.Image) -> str:
    """app.core.ingest.phash.phash_grey as it was, on scipy.fft."""
    from scipy.fft import dct

    pixels = np.asarray(grey.resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    low = dct(dct(pixels, axis=0), axis=1)[:8, :8]
    ordered = np.sort(low, axis=None)
    return np.packbits(low > (ordered[31] + ordered[32]) / 2).tobytes().hex()


def test_phash_of_the_corpus_and_random_pictures_is_unchanged(corpus):
    from app.core.ingest.analyse import register_heif
    from app.core.ingest.phash import phash_grey

    register_heif()
    seen = 0
    for path in sorted(corpus.rglob("*")):
        try:
            with Image.open(path) as image:
                grey = image.convert("L")
        except Exception:  # the corpus holds invalid files on purpose
            continue
        grey.thumbnail((256, 256))
        assert phash_grey(grey) == scipy_phash(grey), path
        seen += 1
    assert seen >= 30
    rng = np.random.default_rng(11)
    for i in range(300):
        shape = (int(rng.integers(8, 200)), int(rng.integers(8, 200)))
        kind = i % 4
        if kind == 0:
            pixels = rng.integers(0, 256, shape)
        elif kind == 1:
            pixels = np.full(shape, int(rng.integers(0, 256)))
        elif kind == 2:
            pixels = np.tile(np.arange(shape[1]) % int(rng.integers(2, 40)) * 6, (shape[0], 1))
        else:
            pixels = (np.add.outer(np.arange(shape[0]), np.arange(shape[1])) % 256)
        grey = Image.fromarray(pixels.astype(np.uint8))
        assert phash_grey(grey) == scipy_phash(grey)


def test_connected_components_are_scipys_labels():
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as scipy_components

    from app.core.components import connected_components

    rng = np.random.default_rng(7)
    for trial in range(300):
        n = int(rng.integers(1, 200))
        m = int(rng.integers(0, 3 * n))
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)  # self-loops and repeated edges included
        count, labels = scipy_components(coo_matrix((np.ones(m), (a, b)), shape=(n, n)), directed=False)
        ours = connected_components(n, a, b)
        assert ours[0] == count and np.array_equal(ours[1], labels), trial
    path = np.arange(5000)  # a long chain, numbered against the hooking direction
    assert connected_components(5001, path[::-1] + 1, path[::-1])[0] == 1


def test_duplicate_groups_are_the_same_partition_as_with_scipy():
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as scipy_components

    from app.bench.dups import synthetic_codes
    from app.core.ingest.duplicates import group_labels, near_pairs

    whole, crop_a, crop_b = synthetic_codes(3000, seed=4)
    codes = np.concatenate([whole, crop_a, crop_b])
    owners = np.tile(np.arange(3000, dtype=np.int64), 3)
    labels = group_labels(codes, 12, owners)
    a, b = near_pairs(codes, 12)
    a, b = owners[a], owners[b]
    _, expected = scipy_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(3000, 3000)), directed=False)
    expected = np.where(np.bincount(expected)[expected] > 1, expected, -1)
    assert (labels >= 0).sum() > 20
    assert np.array_equal(labels, expected)


def test_average_linkage_cut_is_scipys_with_ties():
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    from app.core.people.linkage import _nn_chain, _relabel, average_linkage_clusters

    rng = np.random.default_rng(5)
    for trial in range(200):
        n, dim = int(rng.integers(2, 50)), int(rng.integers(2, 6))
        v = rng.normal(size=(n, dim))
        if trial % 3 == 0:
            v = np.round(v)  # many equal distances
        if trial % 4 == 0:
            v[n // 2:] = v[:n - n // 2]  # identical faces
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        dist = np.clip(1.0 - v @ v.T, 0.0, 2.0)
        np.fill_diagonal(dist, 0.0)
        tree = linkage(squareform(dist, checks=False), method="average")
        assert np.array_equal(_relabel(_nn_chain(dist), n), tree), trial
        for cut in (0.05, 0.3, 0.5, float(rng.uniform(0, 2))):
            expected = fcluster(tree, t=cut, criterion="distance")
            assert np.array_equal(average_linkage_clusters(dist, cut), expected), (trial, cut)


@pytest.mark.parametrize("sample", [2000, 40])  # 40: big groups are cut on a sample, the rest joins them
def test_face_clusters_are_the_same_as_with_scipy(monkeypatch, sample):
    """density_groups end to end, against the same steps on scipy (the functions as they were)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as scipy_components
    from scipy.spatial.distance import squareform

    from app.core import components
    from app.core.people import cluster, linkage as ours
    from app.core.people.synthetic import identity_vectors

    monkeypatch.setattr(cluster, "LINKAGE_MAX", sample)
    vectors, _truth = identity_vectors(1500, dim=128, seed=1)
    vectors = vectors + np.random.default_rng(2).normal(size=vectors.shape).astype(np.float32) * 0.03
    cuts = []
    original = ours.average_linkage_clusters
    monkeypatch.setattr(ours, "average_linkage_clusters", lambda d, c: cuts.append(len(d)) or original(d, c))
    new = cluster.density_groups(vectors, min_size=3, distance=0.5, pair_distance=0.3)

    def scipy_linkage(dist, cutoff):
        return fcluster(linkage(squareform(dist, checks=False), method="average"), t=cutoff, criterion="distance")

    def scipy_graph(n, a, b):
        return scipy_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)), directed=False)

    monkeypatch.setattr(ours, "average_linkage_clusters", scipy_linkage)
    monkeypatch.setattr(components, "connected_components", scipy_graph)
    old = cluster.density_groups(vectors, min_size=3, distance=0.5, pair_distance=0.3)
    assert len(cuts) > 3 and (new >= 0).sum() > 1000  # average linkage did cut groups
    assert np.array_equal(new, old)


def test_hdbscan_method_fails_clearly_without_the_package(monkeypatch):
    """The desktop bundle has no hdbscan (nor scipy): asking for the comparison method says so."""
    from app.core.people import cluster
    from app.core.people.synthetic import identity_vectors

    monkeypatch.setitem(sys.modules, "hdbscan", None)  # import hdbscan raises ImportError
    with pytest.raises(RuntimeError, match="hdbscan package"):
        cluster.density_groups(identity_vectors(100, seed=1)[0], min_size=3, distance=0.5, method="hdbscan")


def test_places_are_named_as_with_the_kd_tree():
    from scipy.spatial import cKDTree

    from app.core.places import gazetteer as gz

    g = gz.gazetteer()
    tree = cKDTree(g._xyz)
    cities = g._cities

    def kd_tree_choice(lat, lon):
        point = gz._unit(lat, lon)
        nearby = tree.query_ball_point(point, gz.RADIUS_KM / gz.EARTH_RADIUS_KM)
        if nearby:
            nearby = np.array(nearby)
            km = np.linalg.norm(g._xyz[nearby] - point, axis=1) * gz.EARTH_RADIUS_KM
            return int(nearby[np.argmax(g._population[nearby] / (km + 1.0) ** gz.DISTANCE_EXPONENT)])
        distance, best = tree.query(point)
        return None if distance * gz.EARTH_RADIUS_KM > gz.NEAREST_MAX_KM else int(best)

    rng = np.random.default_rng(1)
    around = rng.integers(0, len(cities), 4000)
    spread = rng.choice([0.01, 0.1, 0.3, 0.6], len(around))
    lats = np.concatenate([np.degrees(np.arcsin(rng.uniform(-1, 1, 1000))),
                           np.clip([cities[i]["latitude"] for i in around] + rng.normal(size=len(around)) * spread,
                                   -90, 90)])
    lons = np.concatenate([rng.uniform(-180, 180, 1000),
                           ([cities[i]["longitude"] for i in around] + rng.normal(size=len(around)) * spread + 180)
                           % 360 - 180])
    named = 0
    for lat, lon in zip(lats, lons):
        best = kd_tree_choice(lat, lon)
        place = g.name(lat, lon)
        if best is None:
            assert place.city is None
            continue
        named += 1
        if place.city != cities[best]["name"]:
            # Only places at the very same point may differ: the k-d tree breaks such ties by its inner order.
            twins = [c for c in cities if c["name"] == place.city
                     and (c["latitude"], c["longitude"]) == (cities[best]["latitude"], cities[best]["longitude"])]
            assert twins, (lat, lon, place.city, cities[best]["name"])
    assert named > 3000


def test_the_app_loads_no_scipy():
    """What the bundle runs (hashing, grouping, clustering, naming places) imports no scipy."""
    code = """
import sys
import numpy as np
from PIL import Image
from app.core.ingest.phash import phash_hex
from app.core.ingest.duplicates import group_labels
from app.core.people.cluster import density_groups
from app.core.people.synthetic import identity_vectors
from app.core.places.gazetteer import Gazetteer
phash_hex(Image.new("RGB", (64, 64), "red"))
group_labels(np.random.default_rng(0).integers(0, 256, (50, 8), dtype=np.uint8), 12)
density_groups(identity_vectors(300, seed=1)[0], min_size=3, distance=0.5)
city = {"name": "X", "latitude": 10.0, "longitude": 10.0, "population": 5000, "countrycode": "FR", "admin1code": "11"}
assert Gazetteer(([city], {})).name(10.01, 10.0).city == "X"
loaded = sorted(m for m in sys.modules if m == "scipy" or m.startswith("scipy."))
assert not loaded, loaded
"""
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
