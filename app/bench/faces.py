"""`shoebox bench faces`: clustering speed, assignment latency, quality and memory over synthetic face vectors
with a realistic identity structure (app.core.people.synthetic), and optionally detection + embedding speed on
real photos (`--photos DIR`, e.g. ../shared/faces)."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import numpy as np

from app.commands.output import print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser("faces", help="face clustering: recluster time, assign p95, pairwise F1, memory")
    parser.add_argument("--sizes", default="10000,100000", help="face counts, comma separated")
    parser.add_argument("--distance", type=float, default=0.5, help="match distance (the default model's)")
    parser.add_argument("--min-size", type=int, default=3)
    parser.add_argument("--pair-distance", type=float, default=0.4,
                        help="tight pairs become people (the default model's; 0: never)")
    parser.add_argument("--assign", type=int, default=300, help="new faces timed one by one")
    parser.add_argument("--dim", type=int, default=128, help="vector size: 128 (SFace), 512 (ArcFace, buffalo_l)")
    parser.add_argument("--photos", help="a folder of real photos: also time detection + embedding")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run, needs_library=False)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_size(n: int, distance: float, min_size: int, n_assign: int, pair_distance: float = 0.0,
               dim: int = 128) -> dict:
    from app.core.people.cluster import MemberIndex, density_groups
    from app.core.people.synthetic import identity_vectors, pairwise_scores

    vectors, truth = identity_vectors(n, seed=n, dim=dim)
    start = time.perf_counter()
    labels = density_groups(vectors, min_size=min_size, distance=distance, pair_distance=pair_distance)
    recluster_s = time.perf_counter() - start
    precision, recall = pairwise_scores(labels, truth)
    # New faces of known people, matched one at a time against everyone grouped so far.
    new, new_truth = identity_vectors(n, seed=n, dim=dim)  # same people (same seed), fresh draws below
    rng = np.random.default_rng(1)
    pick = rng.choice(len(new), min(n_assign, len(new)), replace=False)
    queries = new[pick] + 0.02 * rng.standard_normal((len(pick), new.shape[1])).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    grouped = labels >= 0
    index = MemberIndex(vectors[grouped], labels[grouped])
    times = []
    for q in queries:
        t0 = time.perf_counter()
        index.assign(q[None, :], distance)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "n_faces": int(len(vectors)),
        "people": int(len(set(truth[truth >= 0].tolist()))),
        "recluster_s": round(recluster_s, 2),
        "assign_p95_ms": round(float(np.percentile(times, 95)), 2),
        "pairwise_precision": round(precision, 4),
        "pairwise_recall": round(recall, 4),
        "pairwise_f1": round(2 * precision * recall / max(precision + recall, 1e-12), 4),
        "peak_rss_mb": round(_peak_rss_mb()),
    }


def labelled_pairs(folder: Path, vectors: list[np.ndarray], distance: float, min_size: int,
                   pair_distance: float) -> dict | None:
    """Pairwise precision/recall of the clusters (largest face per photo) against a folder's master.csv
    (file_x, file_y, Decision = Yes/No), as ../shared/faces has."""
    import csv

    from app.core.people.cluster import density_groups

    table = folder / "master.csv"
    if not table.is_file():
        return None
    names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    row_of = {name: i for i, name in enumerate(names)}
    kept = [i for i, v in enumerate(vectors) if v is not None]
    labels = np.full(len(names), -1)
    labels[kept] = density_groups(np.stack([vectors[i] for i in kept]), min_size=min_size, distance=distance,
                                  pair_distance=pair_distance)
    tp = fp = fn = total = 0
    with open(table, newline="") as f:
        for row in csv.DictReader(f):
            total += 1
            a, b = labels[row_of[row["file_x"]]], labels[row_of[row["file_y"]]]
            together = bool(a >= 0 and a == b)
            if row["Decision"] == "Yes":
                tp, fn = tp + together, fn + (not together)
            else:
                fp += together
    return {"pairs": total, "precision": round(tp / max(tp + fp, 1), 4), "recall": round(tp / max(tp + fn, 1), 4)}


def bench_photos(folder: Path, distance: float = 0.5, min_size: int = 3, pair_distance: float = 0.0) -> dict:
    from PIL import Image, ImageOps

    from app.core.people.backends import DEFAULT_MODEL, face_backend

    backend = face_backend(DEFAULT_MODEL)
    paths = sorted((p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")),
                   key=lambda p: p.name)
    images = []
    for p in paths:
        with Image.open(p) as img:
            img = ImageOps.exif_transpose(img).convert("RGB")
            img.thumbnail((1440, 1440))  # what the face task reads: the stored preview
            images.append(img)
    backend.analyse(images[0])  # load the models outside the timing
    start = time.perf_counter()
    found = [backend.analyse(img) for img in images]
    seconds = time.perf_counter() - start
    faces = sum(len(f) for f in found)
    largest = [max(f, key=lambda d: d.box[2] * d.box[3]).embedding if f else None for f in found]
    return {"photos": len(images), "faces": faces, "photos_per_s": round(len(images) / seconds, 2),
            "ms_per_face": round(seconds * 1000 / max(faces, 1), 1),
            "labelled": labelled_pairs(folder, largest, distance, min_size, pair_distance)}


def run(args, _library) -> int:
    rows = [bench_size(int(n), args.distance, args.min_size, args.assign, args.pair_distance, args.dim)
            for n in args.sizes.split(",")]
    photos = (bench_photos(Path(args.photos), args.distance, args.min_size, args.pair_distance) if args.photos
              else None)
    if args.json:
        print_json({"rows": rows, "photos": photos} if photos else rows)
        return 0
    print(f"{'faces':>8} {'people':>7} {'recluster s':>12} {'assign p95 ms':>14} {'precision':>10} {'recall':>8}"
          f" {'F1':>7} {'peak MB':>8}")
    for r in rows:
        print(f"{r['n_faces']:>8} {r['people']:>7} {r['recluster_s']:>12} {r['assign_p95_ms']:>14}"
              f" {r['pairwise_precision']:>10} {r['pairwise_recall']:>8} {r['pairwise_f1']:>7} {r['peak_rss_mb']:>8}")
    if photos:
        print(f"real photos: {photos['photos']} photos, {photos['faces']} faces, {photos['photos_per_s']} photos/s"
              f" (detect + embed), {photos['ms_per_face']} ms per face")
        if photos["labelled"]:
            quality = photos["labelled"]
            print(f"labelled pairs ({quality['pairs']}): precision {quality['precision']}, recall {quality['recall']}")
    return 0
