"""`shoebox bench dups`: how many edited copies of real photos near-duplicate grouping finds, and how fast it
groups a large library.

Quality: every distinct real photo (the shared sample folders, or `--photos DIR`) gets edited copies of the kinds
people make (half size, re-saved at low JPEG quality, brightened, cropped 3% and 5% per side, straightened by 2
degrees). Each copy goes through the importer's own thumbnail and hash code, then all photos and copies are
grouped together, once with the whole-photo pHash alone and once with the centre-crop hashes added. A copy is
found when it lands in its original's group; precision counts pairs in a group that really belong together.

Speed: grouping time for N photos of synthetic hashes (uniformly random, like pHashes of unrelated photos, with
1% planted near copies): before (one hash per photo, FAISS IndexBinaryMultiHash with `threshold` exact chunks),
and now (numpy multi-index hashing with one-bit-flip chunks) for one hash and for the three hashes per photo.
"""

from __future__ import annotations

import io
import math
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from PIL import Image, ImageEnhance

from app.commands.output import print_json

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DEFAULT_FOLDERS = (SHARED / "corpus", SHARED / "faces")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".tif", ".tiff", ".webp")
# Corpus folders that are not distinct photos: broken files, and one picture in eight EXIF orientations.
SKIP_PARTS = ("invalid",)
ORIENTATION_COPIES = "orientation"


def register(subparsers) -> None:
    parser = subparsers.add_parser("dups", help="near duplicates: edited copies found per edit kind, grouping speed")
    parser.add_argument("--photos", nargs="*", type=Path, default=None,
                        help="folders of distinct real photos (default: the shared sample corpus and faces)")
    parser.add_argument("--max-photos", type=int, default=0, help="use at most this many photos (0: all)")
    parser.add_argument("--threshold", type=int, default=6, help="Hamming threshold (duplicates.phash_threshold)")
    parser.add_argument("--sizes", default="100000", help="library sizes for the grouping speed rows ('' skips)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(func=run, needs_library=False)


# -- the edits ---------------------------------------------------------------------------------------------------
def crop(image: Image.Image, fraction: float) -> Image.Image:
    width, height = image.size
    dx, dy = round(width * fraction), round(height * fraction)
    return image.crop((dx, dy, width - dx, height - dy))


def rotate(image: Image.Image, degrees: float = 2.0) -> Image.Image:
    """A straightening: rotate, then crop to the largest centred box without empty corners."""
    width, height = image.size
    s = math.sin(math.radians(abs(degrees)))
    turned = image.rotate(degrees, resample=Image.Resampling.BICUBIC)
    return turned.crop((int(height * s), int(width * s), width - int(height * s), height - int(width * s)))


def resave(image: Image.Image, quality: int = 30) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as copy:
        return copy.convert("RGB")


EDITS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "half-size": lambda im: im.resize((max(1, im.width // 2), max(1, im.height // 2)), Image.Resampling.LANCZOS),
    "re-saved q30": resave,
    "brightened": lambda im: ImageEnhance.Brightness(im).enhance(1.3),
    "crop 3%/side": lambda im: crop(im, 0.03),
    "crop 5%/side": lambda im: crop(im, 0.05),
    "rotated 2deg": rotate,
}


# -- hashes as the importer computes them -------------------------------------------------------------------------
def load_photo(path: Path, longest_side: int = 1440) -> Image.Image:
    """Upright RGB at preview size, decoded the importer's way."""
    from app.core.ingest.analyse import register_heif
    from app.core.ingest.thumbnails import open_reduced, to_rgb

    register_heif()
    with Image.open(path) as image:
        return to_rgb(open_reduced(image, longest_side)).copy()


def hashes_of(image: Image.Image) -> tuple[str, str]:
    """(pHash, centre-crop hashes) of an image stored as a JPEG file and imported: the grid thumbnail's."""
    from app.core.ingest.crop_hash import crop_hashes_hex
    from app.core.ingest.phash import phash_hex
    from app.core.ingest.thumbnails import make_thumbnails, open_reduced

    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    buffer.seek(0)
    with Image.open(buffer) as stored:
        grid = make_thumbnails(open_reduced(stored, 1440), {"grid": 256, "preview": 1440})["grid"]
    return phash_hex(grid), crop_hashes_hex(grid)


def photo_files(folders: Iterable[Path]) -> list[Path]:
    found = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            if any(part in SKIP_PARTS for part in path.parts):
                continue
            if ORIENTATION_COPIES in path.parts and not path.stem.endswith("_1"):
                continue
            found.append(path)
    return found


# -- quality ---------------------------------------------------------------------------------------------------
class Row:
    """One image of the measurement set: which photo it shows (`identity`), the edit, its hashes."""

    def __init__(self, identity: int, kind: str, phash: str, phash_crops: str):
        self.identity, self.kind, self.phash, self.phash_crops = identity, kind, phash, phash_crops


def build_set(photos: list[Image.Image], edits: dict[str, Callable] = EDITS) -> list[Row]:
    rows = []
    for identity, image in enumerate(photos):
        rows.append(Row(identity, "original", *hashes_of(image)))
        for kind, edit in edits.items():
            rows.append(Row(identity, kind, *hashes_of(edit(image))))
    return rows


def labels_for(rows: list[Row], threshold: int, *, crops: bool) -> np.ndarray:
    from app.core.ingest.duplicates import group_labels, photo_codes

    class _Only:
        def __init__(self, row):
            self.phash, self.phash_crops = row.phash, row.phash_crops if crops else None

    codes, owners = photo_codes([_Only(r) for r in rows])
    return group_labels(codes, threshold, owners)


def score(rows: list[Row], labels: np.ndarray) -> dict:
    """Copies found per edit kind, overall, pair precision and groups mixing distinct photos."""
    identity = np.array([r.identity for r in rows])
    original_label = {r.identity: labels[i] for i, r in enumerate(rows) if r.kind == "original"}
    kinds: dict[str, list[bool]] = {}
    for i, r in enumerate(rows):
        if r.kind != "original":
            kinds.setdefault(r.kind, []).append(bool(labels[i] >= 0 and labels[i] == original_label[r.identity]))
    true_pairs = false_pairs = false_groups = 0
    for label in set(labels.tolist()) - {-1}:
        members = identity[labels == label]
        counts = np.bincount(members)
        same = int((counts * (counts - 1) // 2).sum())
        true_pairs += same
        false_pairs += len(members) * (len(members) - 1) // 2 - same
        false_groups += int((counts > 0).sum() > 1)
    found = sum(sum(v) for v in kinds.values())
    copies = sum(len(v) for v in kinds.values())
    return {
        "per_kind": {k: {"found": sum(v), "copies": len(v), "rate": round(sum(v) / len(v), 3)} for k, v in kinds.items()},
        "found": found,
        "copies": copies,
        "overall": round(found / max(copies, 1), 3),
        "precision": round(true_pairs / max(true_pairs + false_pairs, 1), 4),
        "false_groups": false_groups,
    }


def distinct_photos(paths: list[Path], threshold: int, limit: int = 0) -> tuple[list[Image.Image], list[str], int]:
    """Decodable photos, leaving out any whose whole-photo pHash already matches an earlier one (the same picture
    twice, e.g. one wallpaper at several sizes). Only the old comparison decides, so photos that only the crop
    hashes would join stay in the set and count against precision."""
    photos, names, hashes, skipped = [], [], [], 0
    for path in paths:
        try:
            image = load_photo(path)
        except Exception:  # noqa: BLE001 - an undecodable sample is simply not part of the set
            skipped += 1
            continue
        mine = int(hashes_of(image)[0], 16)
        if any((mine ^ other).bit_count() < threshold for other in hashes):
            skipped += 1
            continue
        photos.append(image)
        names.append(str(path))
        hashes.append(mine)
        if limit and len(photos) >= limit:
            break
    return photos, names, skipped


# -- speed -----------------------------------------------------------------------------------------------------
def synthetic_codes(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole-photo codes for n photos (1% of them near copies of another) and two crop codes each, which differ
    from the whole-photo code by 10-20 bits like real ones."""
    rng = np.random.default_rng(seed)
    whole = rng.integers(0, 2**64, n, dtype=np.uint64)
    copies = rng.choice(n, size=2 * (n // 200), replace=False).reshape(2, -1)
    whole[copies[1]] = whole[copies[0]] ^ _random_bits(rng, copies.shape[1], 2)

    def as_codes(values):
        return values.astype(">u8").view(np.uint8).reshape(-1, 8)

    crops = [whole ^ _random_bits(rng, n, int(rng.integers(10, 20))) for _ in range(2)]
    return as_codes(whole), as_codes(crops[0]), as_codes(crops[1])


def _random_bits(rng, n: int, bits: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.uint64)
    for _ in range(bits):
        out |= np.uint64(1) << rng.integers(0, 64, n).astype(np.uint64)
    return out


def _before_pairs(codes: np.ndarray, threshold: int):
    """The pair search as it was: FAISS multi-index hashing with `threshold` exact-match chunks."""
    import faiss

    from app.core.components import connected_components

    index = faiss.IndexBinaryMultiHash(64, threshold, 64 // threshold)
    index.add(codes)
    lims, _distances, ids = index.range_search(codes, threshold)
    rows = np.repeat(np.arange(len(codes)), np.diff(lims).astype(np.int64))
    return connected_components(len(codes), rows, ids.astype(np.int64))


def speed(n: int, threshold: int) -> dict:
    from app.core.ingest.duplicates import group_labels

    whole, crop_a, crop_b = synthetic_codes(n)
    started = time.perf_counter()
    _before_pairs(whole, threshold)
    before = time.perf_counter() - started
    started = time.perf_counter()
    group_labels(whole, threshold)
    whole_only = time.perf_counter() - started
    codes = np.concatenate([whole, crop_a, crop_b])
    owners = np.tile(np.arange(n, dtype=np.int64), 3)
    started = time.perf_counter()
    labels = group_labels(codes, threshold, owners)
    after = time.perf_counter() - started
    return {"photos": n, "before_s": round(before, 2), "one_hash_now_s": round(whole_only, 2),
            "three_hashes_s": round(after, 2), "grouped_photos": int((labels >= 0).sum())}


# -- the command -------------------------------------------------------------------------------------------------
def run(args, _library=None) -> int:
    folders = args.photos if args.photos else [f for f in DEFAULT_FOLDERS if f.is_dir()]
    result: dict = {"threshold": args.threshold, "folders": [str(f) for f in folders]}
    paths = photo_files(folders)
    if paths:
        started = time.perf_counter()
        photos, _names, skipped = distinct_photos(paths, args.threshold, args.max_photos)
        rows = build_set(photos)
        result.update(photos=len(photos), skipped=skipped, build_s=round(time.perf_counter() - started, 1))
        result["phash"] = score(rows, labels_for(rows, args.threshold, crops=False))
        result["phash_and_crops"] = score(rows, labels_for(rows, args.threshold, crops=True))
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    result["speed"] = [speed(n, args.threshold) for n in sizes]
    if args.json:
        print_json(result)
        return 0
    _print(result)
    return 0


def _print(result: dict) -> None:
    if "phash" in result:
        print(f"{result['photos']} distinct photos ({result['skipped']} files left out: undecodable or a near "
              f"duplicate of another), threshold {result['threshold']}")
        old, new = result["phash"], result["phash_and_crops"]
        print(f"{'edit kind':<14} {'copies':>6} {'pHash':>12} {'pHash+crops':>12}")
        for kind, row in new["per_kind"].items():
            before = old["per_kind"][kind]
            print(f"{kind:<14} {row['copies']:>6} {before['found']:>5} {before['rate']:>6.0%} "
                  f"{row['found']:>5} {row['rate']:>6.0%}")
        print(f"{'all':<14} {new['copies']:>6} {old['found']:>5} {old['overall']:>6.1%} "
              f"{new['found']:>5} {new['overall']:>6.1%}")
        print(f"{'precision':<14} {'':>6} {old['precision']:>12.4f} {new['precision']:>12.4f}")
        print(f"{'false groups':<14} {'':>6} {old['false_groups']:>12} {new['false_groups']:>12}")
    else:
        print("no photo folders found: pass --photos DIR")
    if result["speed"]:
        print()
        print(f"{'photos':>8} {'before (s)':>11} {'1 hash now (s)':>15} {'3 hashes (s)':>13} {'grouped':>8}")
        for row in result["speed"]:
            print(f"{row['photos']:>8} {row['before_s']:>11} {row['one_hash_now_s']:>15} {row['three_hashes_s']:>13} "
                  f"{row['grouped_photos']:>8}")
