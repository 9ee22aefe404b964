"""The database-free pieces of ingestion: sniffing, scanning, hashing, EXIF, thumbnails, pHash, near-dup pairs."""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

import numpy as np
import piexif
import pytest
from PIL import Image

from app.core.ingest import analyse as analyse_mod
from app.core.ingest.analyse import FileRejected, IngestSettings, analyse_file
from app.core.ingest.duplicates import group_labels, hashes_to_array, near_pairs
from app.core.ingest.hashing import sha256_file
from app.core.ingest.metadata import read_metadata
from app.core.ingest.scan import scan
from app.core.ingest.sniff import sniff, sniff_bytes
from app.core.ingest.thumbnails import open_reduced
from app.core.paths import LibraryLayout
from ingest_images import deny_folder, make_image, make_jpeg


@pytest.fixture
def layout(tmp_path):
    lay = LibraryLayout(tmp_path / "lib")
    lay.create()
    return lay


# -- sniffing and scanning -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt,suffix,kind",
    [("PNG", ".png", "png"), ("GIF", ".gif", "gif"), ("BMP", ".bmp", "bmp"), ("TIFF", ".tif", "tiff"),
     ("WEBP", ".webp", "webp"), ("HEIF", ".heic", "heif")],
)
def test_sniff_recognises_real_formats(tmp_path, fmt, suffix, kind):
    assert sniff(make_image(tmp_path / f"x{suffix}", fmt)) == kind


def test_sniff_trusts_header_over_extension(tmp_path):
    png_named_jpg = make_image(tmp_path / "lie.jpg", "PNG")
    assert sniff(png_named_jpg) == "png"
    (tmp_path / "notes.jpg").write_text("not an image")
    assert sniff(tmp_path / "notes.jpg") is None
    assert sniff_bytes(b"II*\x00" + b"\x00" * 12, ".dng") == "raw"
    assert sniff_bytes(b"\xff\xd8\xff\xe0") == "jpeg"


def test_scan_skips_hidden_and_system_folders_and_cuts_symlink_loops(tmp_path):
    root = tmp_path / "photos"
    make_jpeg(root / "a.jpg")
    make_jpeg(root / "sub" / "b.jpg", seed=1)
    make_jpeg(root / ".hidden" / "c.jpg")
    make_jpeg(root / "@eaDir" / "d.jpg")
    (root / ".DS_Store").write_bytes(b"x")
    os.symlink(root, root / "sub" / "loop")  # a loop back to the root
    result = scan(root)
    names = sorted(Path(f.path).name for f in result.files)
    assert names == ["a.jpg", "b.jpg"]
    assert result.errors == []


def test_scan_records_unreadable_folder_and_goes_on(tmp_path, monkeypatch):
    root = tmp_path / "photos"
    make_jpeg(root / "ok" / "a.jpg")
    make_jpeg(root / "locked" / "b.jpg")
    deny_folder(monkeypatch, "locked")
    result = scan(root)
    assert [Path(f.path).name for f in result.files] == ["a.jpg"]
    assert result.errors == [(str(root / "locked"), "Permission denied")]


def test_sha256_streams_whole_file(tmp_path):
    data = os.urandom(3 * (1 << 20) + 17)
    (tmp_path / "f").write_bytes(data)
    assert sha256_file(tmp_path / "f") == (hashlib.sha256(data).hexdigest(), len(data))


# -- metadata --------------------------------------------------------------------------------------------------


def test_exif_capture_time_offset_gps_camera(tmp_path):
    path = make_jpeg(
        tmp_path / "a.jpg", taken="2021:07:14 18:30:05", offset="+02:00", gps=(-33.8568, -151.2153),
        altitude=-12.5, make="Canon", model="EOS 5D", lens="EF 50mm",
    )
    meta = read_metadata(path, mtime_ns=0)
    assert (meta.taken_at, meta.taken_at_source, meta.tz_offset) == ("2021-07-14T18:30:05", "DateTimeOriginal", "+02:00")
    assert meta.gps_lat == pytest.approx(-33.8568, abs=1e-5)
    assert meta.gps_lon == pytest.approx(-151.2153, abs=1e-5)
    assert meta.gps_alt == pytest.approx(-12.5)
    assert (meta.camera_make, meta.camera_model, meta.lens) == ("Canon", "EOS 5D", "EF 50mm")


def test_capture_time_falls_back_in_order(tmp_path):
    digitized = make_jpeg(tmp_path / "d.jpg", taken=None, digitized="2020:01:02 03:04:05", datetime="2019:01:01 00:00:00")
    assert read_metadata(digitized).taken_at_source == "DateTimeDigitized"
    plain = make_jpeg(tmp_path / "p.jpg", taken="0000:00:00 00:00:00", datetime="2019:05:06 07:08:09")
    meta = read_metadata(plain)
    assert (meta.taken_at, meta.taken_at_source) == ("2019-05-06T07:08:09", "DateTime")
    none = make_jpeg(tmp_path / "n.jpg", exif=None)
    os.utime(none, ns=(1_600_000_000 * 10**9, 1_600_000_000 * 10**9))
    meta = read_metadata(none, mtime_ns=os.stat(none).st_mtime_ns)
    assert meta.taken_at_source == "mtime" and meta.taken_at.startswith("2020-09-")


def test_absurd_exif_never_fails_the_photo(tmp_path, layout):
    zeroth = {
        piexif.ImageIFD.Make: "M" * 60_000,  # huge string (an APP1 segment holds 64 KB at most)
        piexif.ImageIFD.Model: b"\x00\xff\xfe junk \x00",
        piexif.ImageIFD.Orientation: 77,  # out of range
        piexif.ImageIFD.DateTime: "yesterday-ish",
    }
    exif = {piexif.ExifIFD.DateTimeOriginal: "2021:13:45 99:99:99", piexif.ExifIFD.OffsetTimeOriginal: "+99:99"}
    gps = {
        piexif.GPSIFD.GPSLatitudeRef: "N",
        piexif.GPSIFD.GPSLatitude: ((1, 0), (0, 0), (0, 0)),  # zero denominators
        piexif.GPSIFD.GPSLongitudeRef: "E",
        piexif.GPSIFD.GPSLongitude: ((500, 1), (0, 1), (0, 1)),  # out of range
    }
    path = make_jpeg(tmp_path / "weird.jpg", exif=piexif.dump({"0th": zeroth, "Exif": exif, "GPS": gps}))
    analysis = analyse_file(path, layout, IngestSettings())
    meta = analysis.metadata
    assert len(meta.camera_make) == 128
    assert meta.orientation is None and meta.tz_offset is None
    assert meta.gps_lat is None and meta.gps_lon is None
    assert meta.taken_at_source == "mtime"


# -- thumbnails and analysis -------------------------------------------------------------------------------


def test_jpeg_is_decoded_in_draft_mode(tmp_path):
    path = make_jpeg(tmp_path / "big.jpg", size=(4000, 3000))
    with Image.open(path) as image:
        reduced = open_reduced(image, 1440)
        assert reduced.size == (2000, 1500)  # libjpeg decoded at 1/2 scale, never at full size


def test_orientation_is_applied_to_thumbnails_and_size(tmp_path, layout):
    path = make_jpeg(tmp_path / "rot.jpg", size=(600, 400), orientation=6)
    analysis = analyse_file(path, layout, IngestSettings())
    assert (analysis.width, analysis.height) == (400, 600)  # as displayed
    assert analysis.metadata.orientation == 6
    with Image.open(analysis.thumbnails["grid"]) as grid, Image.open(analysis.thumbnails["preview"]) as preview:
        assert grid.size == (171, 256)
        assert preview.size == (400, 600)  # never upscaled
    assert len(analysis.phash) == 16
    assert Path(analysis.thumbnails["grid"]) == layout.thumbnail(analysis.sha256, "grid")


def test_analyse_other_formats(tmp_path, layout):
    for fmt, suffix in [("PNG", ".png"), ("HEIF", ".heic"), ("WEBP", ".webp"), ("GIF", ".gif"), ("TIFF", ".tiff"), ("BMP", ".bmp")]:
        analysis = analyse_file(make_image(tmp_path / f"x{suffix}", fmt), layout, IngestSettings())
        assert (analysis.width, analysis.height) == (320, 240), fmt
        assert Path(analysis.thumbnails["grid"]).is_file()


def _rejected(path, layout, **settings) -> FileRejected:
    with pytest.raises(FileRejected) as info:
        analyse_file(path, layout, IngestSettings(**settings))
    return info.value


def test_bad_files_are_rejected_with_a_reason(tmp_path, layout):
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert _rejected(tmp_path / "empty.jpg", layout).error_class == "EmptyFile"
    (tmp_path / "text.jpg").write_text("hello")
    assert _rejected(tmp_path / "text.jpg", layout).error_class == "NotAnImage"
    good = make_jpeg(tmp_path / "good.jpg", size=(800, 600)).read_bytes()
    (tmp_path / "cut.jpg").write_bytes(good[: len(good) // 3])
    assert _rejected(tmp_path / "cut.jpg", layout).error_class == "TruncatedImage"
    (tmp_path / "garbage.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(5000))
    assert _rejected(tmp_path / "garbage.jpg", layout).error_class in ("CorruptImage", "TruncatedImage")
    assert _rejected(tmp_path / "gone.jpg", layout).error_class == "FileVanished"


def test_decompression_bomb_is_refused_before_decoding(tmp_path, layout):
    path = make_image(tmp_path / "bomb.png", "PNG", size=(100, 100))
    data = bytearray(path.read_bytes())
    data[16:24] = (50_000).to_bytes(4, "big") + (50_000).to_bytes(4, "big")  # IHDR says 50000x50000
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")  # with a valid chunk checksum
    path.write_bytes(bytes(data))
    error = _rejected(path, layout)
    assert error.error_class == "DecompressionBomb" and "ingest.max_pixels" in error.reason
    small_limit = make_jpeg(tmp_path / "ok.jpg", size=(400, 300))
    assert _rejected(small_limit, layout, max_pixels=100_000).error_class == "DecompressionBomb"


def test_heif_registration_is_idempotent(tmp_path, monkeypatch):
    """Registering twice plugs pillow-heif into Pillow once, and Pillow then opens HEIC files."""
    import pillow_heif

    calls = []
    real = pillow_heif.register_heif_opener
    monkeypatch.setattr(pillow_heif, "register_heif_opener", lambda *a, **kw: (calls.append(1), real(*a, **kw)))
    monkeypatch.setattr(analyse_mod, "_heif_registered", False)
    analyse_mod.register_heif()
    analyse_mod.register_heif()
    assert len(calls) == 1
    heic = tmp_path / "red.heic"
    pillow_heif.from_pillow(Image.new("RGB", (64, 48), "red")).save(heic)
    with Image.open(heic) as image:
        assert image.format == "HEIF" and image.size == (64, 48)


# -- near-duplicate pairs ----------------------------------------------------------------------------------


def test_near_pairs_match_brute_force():
    rng = np.random.default_rng(3)
    values = [int(v) for v in rng.integers(0, 2**63, 400, dtype=np.int64)]
    for i in range(0, 100, 2):  # plant pairs at distance 0..7
        values[i + 1] = values[i] ^ sum(1 << int(b) for b in rng.choice(64, size=(i // 2) % 8, replace=False))
    hexes = [format(v, "016x") for v in values]
    a, b = near_pairs(hashes_to_array(hexes), 6)
    found = set(zip(a.tolist(), b.tolist()))
    expected = {
        (i, j) for i in range(400) for j in range(i + 1, 400) if bin(values[i] ^ values[j]).count("1") < 6
    }
    assert found == expected and len(expected) >= 30


def test_groups_are_transitive_and_singletons_unlabelled():
    base = 0x0F0F0F0F0F0F0F0F
    hexes = [format(h, "016x") for h in (base, base ^ 0b111, base ^ 0b111111, 0xFFFF0000FFFF0000)]
    labels = group_labels(hashes_to_array(hexes), 6)
    assert labels[0] == labels[1] == labels[2] >= 0  # 0-1 and 1-2 close, 0-2 not: still one group
    assert labels[3] == -1


# -- the per-photo fixed cost: same results, less work ---------------------------------------------------------


def test_phash_is_imagehash_bit_for_bit():
    """pHashes are stored and compared across versions: the faster computation must give imagehash's bits,
    also on flat and striped pictures whose DCT coefficients tie."""
    import imagehash

    from app.core.ingest.crop_hash import CROP_FRACTIONS, centre, crop_hashes_hex
    from app.core.ingest.phash import phash_hex

    rng = np.random.default_rng(5)
    for i in range(200):
        width, height = int(rng.integers(8, 300)), int(rng.integers(8, 300))
        if i % 3 == 0:
            pixels = (rng.random((height, width, 3)) * 255).astype(np.uint8)
        elif i % 3 == 1:
            pixels = np.full((height, width, 3), int(rng.integers(0, 256)), np.uint8)
        else:
            pixels = np.tile((np.arange(width) % 256).astype(np.uint8)[None, :, None], (height, 1, 3))
        image = Image.fromarray(pixels)
        assert phash_hex(image) == str(imagehash.phash(image))
        assert crop_hashes_hex(image) == "".join(str(imagehash.phash(centre(image, f))) for f in CROP_FRACTIONS)


def test_unflushed_thumbnails_are_whole_and_listed_for_the_caller_to_flush(tmp_path, layout, monkeypatch):
    from app.core.ingest import thumbnails

    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    analysis = analyse_file(make_jpeg(tmp_path / "a.jpg"), layout, IngestSettings(), durable=False)
    assert synced == []  # nothing flushed one by one
    assert sorted(analysis.unflushed) == sorted(analysis.thumbnails.values())
    assert all(thumbnails.thumbnail_ok(p, full=True) for p in analysis.unflushed)
    assert thumbnails.flush_files(list(analysis.unflushed)) == {} and len(synced) == 2
    again = analyse_file(tmp_path / "a.jpg", layout, IngestSettings(), durable=False)
    assert again.unflushed == ()  # whole thumbnails are kept, so there is nothing new to flush


def test_flush_files_reports_each_failure():
    from app.core.ingest.thumbnails import flush_files

    errors = flush_files(["/nonexistent/a.jpg", "/nonexistent/b.jpg"])
    assert set(errors) == {"/nonexistent/a.jpg", "/nonexistent/b.jpg"}
    assert all(isinstance(e, FileNotFoundError) for e in errors.values())


def test_temp_files_are_unique_and_their_folder_is_made_again_if_removed(tmp_path):
    import shutil

    from app.core.ingest.tempfiles import new_temp_file

    folder = tmp_path / "tmp"
    names = set()
    for _ in range(3):
        for _ in range(5):
            fd, path = new_temp_file(folder, ".jpg")
            os.close(fd)
            names.add(path)
        shutil.rmtree(folder)  # a user (or a test) removes it while the library is open
    assert len(names) == 15
