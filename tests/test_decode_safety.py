"""Ingestion under faults and hostile input: atomic thumbnails, their repair, truncated HEIC, bounded decode
memory, files replaced while they are read, and the single declarations (metadata fields, error classes)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from app.core.ingest import analyse as analyse_mod
from app.core.ingest import thumbnails
from app.core.ingest.analyse import IngestSettings, analyse_file
from app.core.ingest.budget import DecodeBudget, TooLargeToDecode
from app.core.ingest.errors import FileBusy, FileRejected, IngestError
from app.core.ingest.repair import find_broken_thumbnails, regenerate_thumbnails
from app.core.ingest.tempfiles import remove_stray_temp_files
from app.core.paths import LibraryLayout
from app.core.photo_metadata import PhotoMetadata
from ingest_images import make_image, make_jpeg

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def layout(tmp_path):
    lay = LibraryLayout(tmp_path / "lib")
    lay.create()
    return lay


def _rejected(path, layout, **settings) -> FileRejected:
    with pytest.raises(FileRejected) as info:
        analyse_file(path, layout, IngestSettings(**settings))
    return info.value


def _all_thumbnail_files(layout) -> list[Path]:
    return [p for p in layout.thumbnails.rglob("*") if p.is_file()]


# -- atomic thumbnails (data safety 3) ---------------------------------------------------------------------


def test_disk_full_mid_write_leaves_no_thumbnail_and_no_temp(tmp_path, layout, monkeypatch):
    path = make_jpeg(tmp_path / "a.jpg")

    def half_then_full(fd, data):
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(thumbnails, "write_all", half_then_full)
    with pytest.raises(FileBusy, match="No space left"):
        analyse_file(path, layout, IngestSettings())
    assert _all_thumbnail_files(layout) == []


def test_disk_full_seen_only_at_fsync_leaves_nothing(tmp_path, layout, monkeypatch):
    """Many file systems accept the write into memory and report the full disk when the data is flushed."""
    path = make_jpeg(tmp_path / "a.jpg")

    def full_at_flush(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_at_flush)
    with pytest.raises(FileBusy, match="No space left"):
        analyse_file(path, layout, IngestSettings())
    assert _all_thumbnail_files(layout) == []


def test_a_broken_existing_thumbnail_is_rewritten_not_kept(tmp_path, layout):
    path = make_jpeg(tmp_path / "a.jpg", size=(800, 600))
    first = analyse_file(path, layout, IngestSettings())
    preview = Path(first.thumbnails["preview"])
    whole = preview.read_bytes()
    preview.write_bytes(whole[: len(whole) // 2])  # what a full disk left before writes were atomic
    analyse_file(path, layout, IngestSettings())
    assert preview.read_bytes() == whole


def test_stray_temp_files_are_removed_when_the_library_opens(tmp_path):
    from app.core.library import Library

    Library.open(tmp_path / "lib", log_to_file=False).close()
    temp = LibraryLayout(tmp_path / "lib").thumbnail_temp
    temp.mkdir(parents=True, exist_ok=True)
    stale, fresh, other = temp / ".tmp-killed.jpg", temp / ".tmp-being-written.jpg", temp / "keep.txt"
    for f in (stale, fresh, other):
        f.write_bytes(b"\xff\xd8\xff partial")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    os.utime(other, (an_hour_ago, an_hour_ago))
    Library.open(tmp_path / "lib", log_to_file=False).close()
    assert not stale.exists()
    assert fresh.exists() and other.exists()  # another process may be writing it; not a temp file
    assert remove_stray_temp_files(tmp_path / "no-such-folder") == 0


# -- thumbnail repair (data safety 4) ----------------------------------------------------------------------


@pytest.fixture
def imported(tmp_path, library, qapp):
    folder = tmp_path / "photos"
    for i in range(3):
        make_jpeg(folder / f"p{i}.jpg", seed=i, size=(900, 600), lens="EF 50mm")
    summary = library.importer.import_paths([folder], progress=False)
    assert summary.imported == 3
    return library, {Path(p.path).name: p for p in library.photos.list()}


def _decodes(path) -> bool:
    return thumbnails.thumbnail_ok(path, full=True)


def test_import_regenerates_deleted_and_truncated_thumbnails(imported):
    library, photos = imported
    deleted, cut = photos["p0.jpg"], photos["p1.jpg"]
    Path(deleted.thumbnail).unlink()
    data = Path(cut.preview).read_bytes()
    Path(cut.preview).write_bytes(data[: len(data) // 3])
    assert sorted(find_broken_thumbnails(library)) == sorted([deleted.id, cut.id])

    summary = library.importer.import_paths([Path(deleted.path).parent], progress=False)
    assert summary.skipped == 3  # the originals are unchanged: only the thumbnails were made again
    for photo in (deleted, cut):
        assert _decodes(photo.thumbnail) and _decodes(photo.preview)
    assert find_broken_thumbnails(library) == []
    assert {p.status for p in library.photos.list()} == {"ok"}


def test_regeneration_without_the_original_is_recorded_not_fatal(imported):
    library, photos = imported
    gone = photos["p2.jpg"]
    Path(gone.path).unlink()
    Path(gone.thumbnail).unlink()
    summary = library.importer.import_paths([Path(gone.path).parent], progress=False)
    assert summary.missing == 1
    assert regenerate_thumbnails(library, [gone.id]) == []
    from app.core.db.models import Photo

    with library.db.read_session() as s:
        row = s.get(Photo, gone.id)
        assert row.status == "missing"
        assert "no original file of this photo is on disk" in row.error
    assert not Path(gone.thumbnail).exists()
    # Known lost: later imports do not try again (the file's return would bring its thumbnails back anyway).
    from app.core.db.models import Task
    from sqlalchemy import func, select

    def repair_tasks() -> int:
        with library.db.read_session() as s:
            return s.scalar(select(func.count()).where(Task.type == "thumbnails"))

    before = repair_tasks()
    library.importer.import_paths([Path(gone.path).parent], progress=False)
    assert repair_tasks() == before


def test_regenerate_thumbnails_decodes_requested_ones(imported):
    """The GUI's call: a thumbnail with intact first and last bytes but garbage inside passes the cheap check,
    so requested photos are decoded to be sure."""
    library, photos = imported
    damaged, fine = photos["p0.jpg"], photos["p1.jpg"]
    data = Path(damaged.thumbnail).read_bytes()
    Path(damaged.thumbnail).write_bytes(data[:3] + bytes(len(data) - 5) + data[-2:])
    assert find_broken_thumbnails(library) == []  # the cheap check cannot see it
    assert regenerate_thumbnails(library, [damaged.id, fine.id]) == [damaged.id]
    assert _decodes(damaged.thumbnail)


# -- truncated HEIC (data safety 5) ------------------------------------------------------------------------


def test_truncated_heic_is_rejected_at_any_length(tmp_path, layout, corpus):
    original = corpus / "heic" / "iphone_13_pro_max.HEIC"
    data = original.read_bytes()
    assert analyse_file(original, layout, IngestSettings()).format == "HEIF"
    for length in (len(data) - 1, len(data) * 9 // 10, len(data) // 2, 5000, 2000):
        cut = tmp_path / f"cut_{length}.heic"
        cut.write_bytes(data[:length])
        error = _rejected(cut, layout)
        assert error.error_class == IngestError.TRUNCATED_IMAGE, (length, error.reason)


def test_generated_heif_with_box_sizes_intact_is_fine(tmp_path, layout):
    path = make_image(tmp_path / "x.heic", "HEIF")
    assert analyse_file(path, layout, IngestSettings()).format == "HEIF"


# -- pixel and memory limits (data safety 8) ---------------------------------------------------------------


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header announces width x height (its data is a tiny image's: never decoded)."""
    make_image(path, "PNG", size=(100, 100))
    data = bytearray(path.read_bytes())
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    return path


def test_bomb_message_quotes_shoeboxs_limit_and_pillow_global_is_untouched(tmp_path, layout):
    before = Image.MAX_IMAGE_PIXELS
    error = _rejected(_png_header_only(tmp_path / "bomb.png", 15_000, 15_000), layout)
    assert error.error_class == IngestError.DECOMPRESSION_BOMB
    assert "180,000,000" in error.reason and "ingest.max_pixels" in error.reason
    # A library that allows more pixels than Pillow's default guard: Pillow's guard must not decide.
    big = _png_header_only(tmp_path / "big.png", 14_000, 14_000)  # 196 MP, above Pillow's 179 MP error
    error = _rejected(big, layout, max_pixels=300_000_000, decode_memory_mb=64)
    assert error.error_class == IngestError.TOO_LARGE and "ingest.decode_memory_mb" in error.reason
    _rejected(make_jpeg(tmp_path / "ok.jpg", size=(400, 300)), layout, max_pixels=100_000)
    assert Image.MAX_IMAGE_PIXELS == before


def zero_png(path: Path, width: int, height: int) -> Path:
    """A 16-bit RGBA PNG of zeros, written fast: identical deflate blocks are compressed once and repeated."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = bytes(1 + width * 8)  # filter byte + 8 bytes per pixel
    per_block = 64
    block = row * per_block
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)  # byte-aligned, history reset
    full, rest = divmod(height, per_block)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = last.compress(row * rest) + last.flush()
    adler = 1
    for _ in range(full):
        adler = zlib.adler32(block, adler)
    adler = zlib.adler32(row * rest, adler)
    stream = b"\x78\xda" + packed * full + tail + struct.pack(">I", adler)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)))
        f.write(chunk(b"IDAT", stream) + chunk(b"IEND", b""))
    return path


_PEAK_SCRIPT = """
import json, sys
from pathlib import Path
from app.core.ingest.analyse import IngestSettings, analyse_file
from app.core.ingest.errors import FileRejected
from app.core.paths import LibraryLayout

layout = LibraryLayout(Path(sys.argv[2]))
layout.create()
try:
    a = analyse_file(sys.argv[1], layout, IngestSettings(decode_memory_mb=int(sys.argv[3])))
    result = {"size": [a.width, a.height]}
except FileRejected as exc:
    result = {"error": exc.error_class, "reason": exc.reason}
# VmHWM is this program's own peak (ru_maxrss would include the parent's memory from before the exec).
hwm_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
result["peak_mb"] = hwm_kb / 1024
print(json.dumps(result))
"""


def _decode_in_subprocess(path: Path, library: Path, decode_memory_mb: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, str(path), str(library), str(decode_memory_mb)],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak memory from /proc")
def test_decode_memory_of_a_huge_16bit_png_is_bounded(tmp_path):
    """13,000 x 13,000 16-bit RGBA in a 1.3 MB file: it used to take 2.9 GB. Its decoded pixels (645 MB) are
    now held once, and a library with a smaller budget refuses it without decoding."""
    png = zero_png(tmp_path / "huge.png", 13_000, 13_000)
    assert png.stat().st_size < 2_000_000
    refused = _decode_in_subprocess(png, tmp_path / "lib1", 256)
    assert refused["error"] == IngestError.TOO_LARGE and "ingest.decode_memory_mb" in refused["reason"]
    assert refused["peak_mb"] < 300, refused
    decoded = _decode_in_subprocess(png, tmp_path / "lib2", 1024)
    assert decoded.get("size") == [13_000, 13_000], decoded
    assert decoded["peak_mb"] < 900, decoded  # 645 MB of pixels plus the interpreter; 2,800 MB before


def test_decode_budget_makes_large_decodes_wait_and_refuses_impossible_ones():
    budget = DecodeBudget()
    with pytest.raises(TooLargeToDecode, match="limit is 1 MB"):
        with budget.reserve(2 << 20, 1 << 20):
            pass
    order = []
    release_first = threading.Event()

    def first():
        with budget.reserve(600, 1000):
            order.append("first in")
            release_first.wait()
        order.append("first out")

    def second():
        with budget.reserve(600, 1000):
            order.append("second in")

    a = threading.Thread(target=first)
    a.start()
    _wait_for(lambda: budget.used == 600)
    b = threading.Thread(target=second)
    b.start()
    _wait_for(lambda: len(budget._cond._waiters) == 1)  # second is blocked: 600 + 600 > 1000
    assert order == ["first in"]
    release_first.set()
    a.join()
    b.join()
    assert order == ["first in", "first out", "second in"] and budget.used == 0


def _wait_for(condition, deadline_s: float = 30.0) -> None:
    end = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.001)


# -- a file replaced between hashing and decoding (data safety 9) ------------------------------------------


def _replace_during_decode(monkeypatch, path: Path, replacement: bytes, times: int) -> None:
    """Rewrite the file in place just before each of the first `times` decodes (after its bytes were hashed),
    keeping its size, inode and mtime, as a sync tool that preserves times can: only the content changes."""
    real_decode = analyse_mod._decode
    calls = []

    def decode(source, settings):
        if len(calls) < times:
            st = path.stat()
            content = (replacement + bytes(st.st_size))[: st.st_size]  # a JPEG ignores bytes after its end
            with open(path, "r+b") as f:
                f.write(content)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        calls.append(source.sha256)
        return real_decode(source, settings)

    monkeypatch.setattr(analyse_mod, "_decode", decode)


@pytest.mark.parametrize("in_memory", [True, False])
def test_hash_and_thumbnail_describe_the_same_bytes(tmp_path, layout, monkeypatch, in_memory):
    path = make_jpeg(tmp_path / "a.jpg", size=(640, 480), seed=1)
    new = make_jpeg(tmp_path / "b.jpg", size=(300, 500), seed=2).read_bytes()
    assert len(new) < path.stat().st_size
    old = path.read_bytes()
    new = (new + bytes(len(old)))[: len(old)]
    if not in_memory:
        monkeypatch.setattr(analyse_mod, "IN_MEMORY_MAX", 0)  # as for a file too large to keep in memory
    _replace_during_decode(monkeypatch, path, new, times=1)
    analysis = analyse_file(path, layout, IngestSettings())
    hashed = old if analysis.sha256 == hashlib.sha256(old).hexdigest() else new
    assert analysis.sha256 == hashlib.sha256(hashed).hexdigest()
    expected_size = (640, 480) if hashed is old else (300, 500)
    assert (analysis.width, analysis.height) == expected_size
    with Image.open(analysis.thumbnails["preview"]) as preview:
        assert preview.size == expected_size
    assert analysis.size == len(hashed)


def test_a_file_that_keeps_changing_is_file_changed(tmp_path, layout, monkeypatch):
    path = make_jpeg(tmp_path / "a.jpg", seed=1)
    new = make_jpeg(tmp_path / "b.jpg", seed=2).read_bytes()
    monkeypatch.setattr(analyse_mod, "IN_MEMORY_MAX", 0)
    _replace_during_decode(monkeypatch, path, new, times=99)
    with pytest.raises(FileBusy) as info:
        analyse_file(path, layout, IngestSettings())
    assert info.value.error_class == IngestError.FILE_CHANGED


# -- one declaration of the metadata fields and the error classes ------------------------------------------


def test_metadata_fields_are_declared_once_and_flow_everywhere(imported):
    from dataclasses import fields

    from app.core.db.models import Photo
    from app.core.photos import PhotoInfo

    names = {f.name for f in fields(PhotoMetadata)}
    assert names <= set(Photo.__table__.columns.keys())
    assert names <= {f.name for f in fields(PhotoInfo)}
    library, photos = imported
    info = photos["p0.jpg"]
    assert (info.camera_make, info.camera_model, info.lens) == ("Canon", "EOS 5D", "EF 50mm")
    assert info.to_json()["camera_make"] == "Canon"


def test_models_match_the_migrations(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from app.core.db.models import Base
    from app.core.library import Library

    Library.open(tmp_path / "lib", log_to_file=False).close()
    engine = create_engine(f"sqlite:///{tmp_path / 'lib' / 'shoebox.db'}")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


@pytest.mark.parametrize(
    "make,model,shown",
    [
        ("Canon", "Canon EOS 5D", "Canon EOS 5D"),
        ("Canon", "EOS 5D", "Canon EOS 5D"),
        ("NIKON CORPORATION", "NIKON D750", "NIKON D750"),
        ("Apple", "iPhone 13 Pro Max", "Apple iPhone 13 Pro Max"),
        (None, "EOS 5D", "EOS 5D"),
        ("Canon", None, "Canon"),
        (None, None, None),
    ],
)
def test_camera_name_shows_the_make_once(make, model, shown):
    values = dict.fromkeys((f for f in PhotoMetadata.__dataclass_fields__), None)
    meta = PhotoMetadata(**{**values, "camera_make": make, "camera_model": model})
    assert meta.camera == shown


def test_error_classes_are_the_one_enum(tmp_path, layout):
    (tmp_path / "empty.jpg").write_bytes(b"")
    error = _rejected(tmp_path / "empty.jpg", layout)
    assert isinstance(error.error_class, IngestError) and error.error_class == "EmptyFile"
    from app.core.ingest import tasks

    assert tasks.CONTENT_FAILURES >= {IngestError.TRUNCATED_IMAGE, IngestError.TOO_LARGE}


def test_corpus_heic_copy_still_imports(tmp_path, layout, corpus):
    copy = tmp_path / "copy.heic"
    shutil.copy(corpus / "heic" / "HMD_Nokia_8.3_5G_hdr.heif", copy)
    analysis = analyse_file(copy, layout, IngestSettings())
    assert (analysis.width, analysis.height) == (4608, 3456)


def test_an_import_checks_the_next_slice_of_thumbnails_and_wraps_around(imported, monkeypatch):
    """A re-import of a big library checks CHECK_SLICE photos, where the last check stopped, not every photo;
    so a broken thumbnail outside this import's slice is made again by a later import."""
    from app.core.ingest import repair

    library, photos = imported
    monkeypatch.setattr(repair, "CHECK_SLICE", 2)
    by_id = sorted(photos.values(), key=lambda p: p.id)
    folder = Path(by_id[0].path).parent

    def reimport_and_repaired() -> list[int]:
        library.importer.import_paths([folder], progress=False)
        return [p.id for p in by_id if _decodes(p.thumbnail)]

    Path(by_id[2].thumbnail).unlink()  # the import that made the library checked all 3 and wrapped to the start
    assert reimport_and_repaired() == [by_id[0].id, by_id[1].id]  # photos 1-2 checked: 3 still broken
    assert reimport_and_repaired() == [p.id for p in by_id]  # photo 3 checked (and the end reached)
    Path(by_id[0].thumbnail).unlink()
    assert reimport_and_repaired() == [p.id for p in by_id]  # from the start again
