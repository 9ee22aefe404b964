"""Near duplicates that people make: cropped (and straightened) copies of real photos are grouped with their
original by the centre-crop hashes, and distinct photos are not. The full measurement is `shoebox bench dups`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from app.core.ingest.crop_hash import CROP_FRACTIONS, crop_hashes_hex, split
from app.core.ingest.duplicates import group_labels, hashes_to_array, near_pairs, photo_codes

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PHOTOS = [SHARED / "faces" / f"img{i}.jpg" for i in (1, 2, 3, 4, 5, 6, 7, 8)] + [
    SHARED / "corpus" / "gps" / name for name in ("DSCN0010.jpg", "DSCN0021.jpg", "DSCN0027.jpg", "DSCN0040.jpg")
]


@pytest.fixture(autouse=True)
def _qt(qapp):
    """The engine's headless loop needs a Qt application; let pytest-qt own it (a bare QCoreApplication made
    here would abort the widget tests that run later in the same process)."""


@pytest.fixture(scope="module")
def real_photos():
    from app.bench.dups import load_photo

    if not all(p.is_file() for p in PHOTOS):
        pytest.skip("the shared sample photos (../shared/faces, ../shared/corpus) are not present")
    return [load_photo(p) for p in PHOTOS]


@pytest.mark.parametrize("threshold", [1, 2, 5, 6, 7, 10, 12])
def test_near_pairs_match_brute_force_at_every_threshold(threshold):
    rng = np.random.default_rng(threshold)
    values = [int(v) for v in rng.integers(0, 2**64, 300, dtype=np.uint64)]
    for i in range(0, 120, 2):  # plant pairs at distance 0..13
        values[i + 1] = values[i] ^ sum(1 << int(b) for b in rng.choice(64, size=(i // 2) % 14, replace=False))
    hexes = [format(v, "016x") for v in values]
    a, b = near_pairs(hashes_to_array(hexes), threshold)
    expected = {(i, j) for i in range(300) for j in range(i + 1, 300) if (values[i] ^ values[j]).bit_count() < threshold}
    assert set(zip(a.tolist(), b.tolist())) == expected


def test_any_hash_of_one_photo_may_meet_any_hash_of_another():
    class Row:
        def __init__(self, phash, crops):
            self.phash, self.phash_crops = phash, crops

    whole_a, crop_a = 0x0123456789ABCDEF, 0x00FF00FF00FF00FF
    rows = [
        Row(format(whole_a, "016x"), format(crop_a, "016x") + format(crop_a ^ 0b1, "016x")),
        Row(format(crop_a ^ 0b11, "016x"), None),  # a cropped copy: its whole hash is close to A's centre
        Row("fedcba9876543210", "zz"),  # damaged crop hashes are ignored
    ]
    codes, owners = photo_codes(rows)
    assert owners.tolist() == [0, 0, 0, 1, 2]
    labels = group_labels(codes, 6, owners)
    assert len(labels) == 3 and labels[0] == labels[1] >= 0 and labels[2] == -1
    assert split("a" * 16, "b" * 32) == ["a" * 16, "b" * 16, "b" * 16] and split(None, None) == []


def test_crops_of_real_photos_group_and_distinct_photos_do_not(real_photos):
    from app.bench.dups import EDITS, build_set, labels_for, score

    edits = {k: EDITS[k] for k in ("crop 3%/side", "crop 5%/side", "half-size", "brightened")}
    rows = build_set(real_photos, edits)
    result = score(rows, labels_for(rows, 6, crops=True))
    assert result["false_groups"] == 0 and result["precision"] == 1.0
    for kind in ("crop 3%/side", "crop 5%/side"):
        assert result["per_kind"][kind]["rate"] >= 0.9, result["per_kind"]
    assert result["overall"] >= 0.95
    whole_only = score(rows, labels_for(rows, 6, crops=False))  # what the pHash alone found: crops mostly lost
    assert whole_only["per_kind"]["crop 5%/side"]["rate"] < result["per_kind"]["crop 5%/side"]["rate"]


def test_import_groups_a_cropped_copy_with_its_original(library, real_photos, tmp_path):
    from app.bench.dups import crop
    from app.core.db.models import Photo

    folder = tmp_path / "photos"
    folder.mkdir()
    for i, image in enumerate(real_photos[:3]):
        image.save(folder / f"photo{i}.jpg", quality=90)
    crop(real_photos[0], 0.04).save(folder / "photo0-cropped.jpg", quality=90)
    summary = library.importer.import_paths([folder], progress=False)
    assert summary.imported == 4
    with library.db.read_session() as s:
        photos = s.execute(select(Photo.id, Photo.phash_crops, Photo.duplicate_group_id).order_by(Photo.id)).all()
    assert all(len(p.phash_crops) == 16 * len(CROP_FRACTIONS) for p in photos)
    groups = [p.duplicate_group_id for p in photos]
    assert groups.count(None) == 2 and len({g for g in groups if g is not None}) == 1


def test_crop_hashes_are_hex_per_level(real_photos):
    value = crop_hashes_hex(real_photos[0])
    assert len(value) == 32 and int(value, 16) >= 0


def test_photos_from_before_the_upgrade_get_crop_hashes_and_regroup(library, real_photos, tmp_path, monkeypatch):
    """A library made before crop hashes existed: the next import's regroup backfills them from the thumbnails
    (in chunks), then regroups, so an old cropped copy joins its original."""
    from sqlalchemy import delete, update

    from app.bench.dups import crop
    from app.core.db.models import DuplicateGroup, Photo, PhotoFile
    from app.core.ingest import crop_backfill

    monkeypatch.setattr(crop_backfill, "CHUNK", 2)
    folder = tmp_path / "old"
    folder.mkdir()
    for i, image in enumerate(real_photos[:3]):
        image.save(folder / f"photo{i}.jpg", quality=90)
    crop(real_photos[1], 0.05).save(folder / "photo1-cropped.jpg", quality=90)
    library.importer.import_paths([folder], progress=False)
    with library.db.write_session() as s:  # as an older Shoebox left it
        s.execute(update(Photo).values(phash_crops=None, duplicate_group_id=None))
        s.execute(delete(DuplicateGroup))
    # One photo outside the cropped pair (chosen by name: the import's parallel workers decide the id order) loses
    # its thumbnails and its original (else the import's thumbnail repair would make them again first): its crop
    # hashes are recorded as "", not retried forever.
    unrelated_original = str(folder / "photo2.jpg")
    with library.db.read_session() as s:
        unrelated = s.scalars(select(Photo.sha256).join(PhotoFile).where(PhotoFile.path == unrelated_original)).one()
    for name in ("grid", "preview"):
        library.layout.thumbnail(unrelated, name).unlink()
    Path(unrelated_original).unlink()

    new = tmp_path / "new"
    new.mkdir()
    real_photos[5].save(new / "another.jpg", quality=90)
    library.importer.import_paths([new], progress=False)
    library.tasks.run_until_idle(progress=False)

    with library.db.read_session() as s:
        rows = s.execute(select(Photo.sha256, Photo.phash_crops, Photo.duplicate_group_id).order_by(Photo.id)).all()
    assert sum(1 for r in rows if r.phash_crops == "") == 1
    assert all(r.phash_crops is not None for r in rows)
    groups = [r.duplicate_group_id for r in rows]
    assert len({g for g in groups if g is not None}) == 1 and groups.count(None) == len(rows) - 2
    kinds = [t.type for t in library.tasks.list_tasks()]
    assert kinds.count("crop_hashes") == 3 and all(t.state == "done" for t in library.tasks.list_tasks())
