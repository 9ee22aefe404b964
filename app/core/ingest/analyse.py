"""All the CPU and file work for one photo, without the database, so many files can be analysed in parallel.

The hash and the thumbnails must describe the same bytes: a file up to IN_MEMORY_MAX is read once and both the
hash and the decoder use that copy; a larger one is streamed twice and decoded again if it changed meanwhile.
Decoding is bounded twice: by pixels (`ingest.max_pixels`, checked from the header before any decoding) and by
memory (`ingest.decode_memory_mb`, a budget all workers share, see budget.py).

Errors are `FileRejected` (the bytes are bad and will stay bad) or `FileBusy` (try again later); errors.py.

Video clips take the same path: hashed the same way, decoded by app.core.ingest.video instead of Pillow; their
poster (the first keyframe) makes the thumbnails and their keyframes are written beside them.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from app.core.ingest.crop_hash import crop_hashes_hex
from app.core.ingest.budget import DECODE_BUDGET, MB, TooLargeToDecode
from app.core.ingest.errors import FileBusy, FileRejected, IngestError
from app.core.ingest.hashing import sha256_bytes, sha256_stream
from app.core.ingest.heif import heif_truncation
from app.core.ingest.metadata import PhotoMetadata, read_metadata
from app.core.ingest.phash import phash_hex
from app.core.ingest.sniff import HEADER_BYTES, RAW_EXTENSIONS, VIDEO_EXTENSIONS, sniff_bytes
from app.core.organise.embedded import EmbeddedInfo, read_embedded
from app.core.ingest.thumbnails import decode_cost, decode_upright, make_thumbnails, prepare_decode, save_thumbnails

__all__ = ["FileBusy", "FileRejected", "IngestSettings", "FileAnalysis", "analyse_file", "rebuild_thumbnails"]

# What decoding a video clip holds at most (a few frames and keyframes): reserved from the decode budget.
VIDEO_DECODE_BYTES = 192 * MB
# Files up to this size are read into memory once, so the hash and the decoder see the very same bytes.
IN_MEMORY_MAX = 64 * MB
# Pillow's reader for each sniffed kind: opened directly, so Pillow's process-wide pixel guard (meant for other
# code in the process) never decides for us; ours is the library's `ingest.max_pixels`.
_PILLOW_FORMATS = {
    "jpeg": "JPEG", "png": "PNG", "gif": "GIF", "bmp": "BMP", "webp": "WEBP", "tiff": "TIFF", "raw": "TIFF",
    "heif": "HEIF",
}

_heif_lock = threading.Lock()
_heif_registered = False


@dataclass(frozen=True)
class IngestSettings:
    max_pixels: int = 180_000_000
    decode_memory_mb: int = 1024
    grid_px: int = 256
    preview_px: int = 1440

    @classmethod
    def from_config(cls, config) -> "IngestSettings":
        return cls(
            max_pixels=int(config.get("ingest.max_pixels")),
            decode_memory_mb=int(config.get("ingest.decode_memory_mb")),
            grid_px=int(config.get("thumbnails.grid_px")),
            preview_px=int(config.get("thumbnails.preview_px")),
        )

    @property
    def sizes(self) -> dict[str, int]:
        return {"grid": self.grid_px, "preview": self.preview_px}


@dataclass(frozen=True)
class FileAnalysis:
    path: str
    size: int
    mtime_ns: int
    sha256: str
    kind: str  # from sniffing: jpeg, png, heif, raw, ...
    format: str  # Pillow's format name: JPEG, PNG, HEIF, TIFF, ...
    width: int  # as displayed, after the EXIF orientation
    height: int
    metadata: PhotoMetadata
    phash: str
    thumbnails: dict[str, str]
    phash_crops: str = ""  # centre-crop pHashes (app.core.ingest.crop_hash)
    # Rating, tags, title, description other programs wrote into the file (app.core.organise.embedded).
    embedded: EmbeddedInfo = EmbeddedInfo()
    # Thumbnails written but not yet flushed to disk (analyse_file with durable=False): flush before storing.
    unflushed: tuple[str, ...] = ()
    media: str = "photo"  # photo | video
    duration_s: float | None = None  # videos
    keyframes: tuple[float, ...] = ()  # videos: when each keyframe (layout.keyframe(sha, i)) is, in seconds


@dataclass
class _Source:
    """One reading of a file: its hash, and its bytes when small enough to keep."""

    path: str
    kind: str
    sha256: str
    stat: os.stat_result  # of the bytes that were hashed
    data: bytes | None  # None: too large to keep, decode from the path


@dataclass
class _Decoded:
    format: str
    width: int
    height: int
    metadata: PhotoMetadata
    thumbs: dict[str, Image.Image]
    embedded: EmbeddedInfo = EmbeddedInfo()
    video: object = None  # app.core.ingest.video.VideoInfo for a clip


def register_heif() -> None:
    """Teach Pillow HEIC/HEIF once per process (pillow-heif plugs into Image.open). The packaged app ships
    pi-heif instead: the same libheif and API, decoding only, without pillow-heif's 23 MB x265 encoder."""
    global _heif_registered
    with _heif_lock:
        if not _heif_registered:
            try:
                from pillow_heif import register_heif_opener
            except ImportError:
                from pi_heif import register_heif_opener

            register_heif_opener()
            _heif_registered = True


def analyse_file(path: str | os.PathLike, layout, settings: IngestSettings, *, durable: bool = True) -> FileAnalysis:
    """Hash, read metadata, make thumbnails and pHash for one file. Thread-safe; touches no database.
    `durable=False`: the new thumbnails are not flushed to disk; they are listed in `unflushed` for the caller
    to flush (thumbnails.flush_files) before it stores the analysis."""
    source, decoded = _read_and_decode(os.fspath(path), settings)
    unflushed: list[str] | None = None if durable else []
    thumbnail_paths = _save(decoded.thumbs, layout, source.sha256, replace=False, written=unflushed)
    video = decoded.video
    if video is not None:
        _save_keyframes(video, layout, source.sha256, replace=False, written=unflushed)
    return FileAnalysis(
        path=source.path,
        size=source.stat.st_size,
        mtime_ns=source.stat.st_mtime_ns,
        sha256=source.sha256,
        kind=source.kind,
        format=decoded.format,
        width=decoded.width,
        height=decoded.height,
        metadata=decoded.metadata,
        phash=phash_hex(decoded.thumbs["grid"]),
        thumbnails=thumbnail_paths,
        phash_crops=crop_hashes_hex(decoded.thumbs["grid"]),
        embedded=decoded.embedded,
        unflushed=tuple(unflushed or ()),
        media="video" if video is not None else "photo",
        duration_s=video.duration_s if video is not None else None,
        keyframes=tuple(k.time_s for k in video.keyframes) if video is not None else (),
    )


def rebuild_thumbnails(path: str | os.PathLike, layout, settings: IngestSettings, sha256: str) -> dict[str, str]:
    """Write a photo's thumbnails again from an original file, which must still hold the photo's bytes
    (FileRejected `FileChanged` otherwise). Existing thumbnails are replaced."""
    source, decoded = _read_and_decode(os.fspath(path), settings, expect_sha256=sha256)
    if decoded.video is not None:
        _save_keyframes(decoded.video, layout, source.sha256, replace=True)
    return _save(decoded.thumbs, layout, source.sha256, replace=True)


def _save(thumbs, layout, sha256: str, *, replace: bool, written: list[str] | None = None) -> dict[str, str]:
    try:
        return save_thumbnails(thumbs, layout, sha256, replace=replace, written=written)
    except OSError as exc:  # disk full, library folder not writable: not the photo's fault, so retry later
        raise FileBusy(f"cannot write thumbnails: {exc.strerror or exc}") from exc


def _save_keyframes(video, layout, sha256: str, *, replace: bool, written: list[str] | None = None) -> None:
    from app.core.ingest.video import save_keyframes

    try:
        save_keyframes([k.image for k in video.keyframes], layout, sha256, replace=replace, written=written)
    except OSError as exc:
        raise FileBusy(f"cannot write keyframes: {exc.strerror or exc}") from exc


def _read_and_decode(path: str, settings: IngestSettings, expect_sha256: str | None = None):
    register_heif()
    for _ in range(2):  # a second reading if the file changed under the first
        source = _read(path)
        if expect_sha256 is not None and source.sha256 != expect_sha256:
            raise FileRejected(IngestError.FILE_CHANGED, "the file no longer holds this photo's content")
        try:
            decoded = _decode(source, settings)
        except FileRejected:
            if source.data is None and not _unchanged(path, source.stat):
                continue  # it failed on other bytes than were hashed: read the file again
            raise
        if source.data is not None or _unchanged(path, source.stat):
            return source, decoded
    raise FileBusy("the file was replaced while it was being read (still being copied?)", IngestError.FILE_CHANGED)


def _unchanged(path: str, before: os.stat_result) -> bool:
    try:
        now = os.stat(path)
    except OSError:
        return False
    # ctime too: an in-place rewrite that keeps the size and restores the mtime still changes it.
    keys = ("st_ino", "st_dev", "st_size", "st_mtime_ns", "st_ctime_ns")
    return all(getattr(now, key) == getattr(before, key) for key in keys)


def _read(path: str) -> _Source:
    """Sniff and hash the file through one open handle (and keep its bytes if small)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # before opening: a FIFO would block the open
            raise FileRejected(IngestError.NOT_A_FILE, "not a regular file")
        with open(path, "rb") as f:
            before = os.fstat(f.fileno())
            if before.st_size == 0:
                raise FileRejected(IngestError.EMPTY_FILE, "the file is empty (0 bytes)")
            kind = sniff_bytes(f.read(HEADER_BYTES), Path(path).suffix)
            if kind is None and Path(path).suffix.lower() in RAW_EXTENSIONS:
                raise FileRejected(
                    IngestError.UNSUPPORTED_RAW, "a camera RAW layout Pillow cannot read (`shoebox import --help` lists what can)"
                )
            if kind is None and Path(path).suffix.lower() in VIDEO_EXTENSIONS:
                raise FileRejected(IngestError.CORRUPT_VIDEO, "the file header matches no supported video type")
            if kind is None:
                raise FileRejected(IngestError.NOT_AN_IMAGE, "the file header matches no supported image type")
            f.seek(0)
            if before.st_size <= IN_MEMORY_MAX:
                data = f.read()
                sha256, read = sha256_bytes(data), len(data)
            else:
                data = None
                sha256, read = sha256_stream(f)
            after = os.fstat(f.fileno())
    except FileNotFoundError:
        raise FileRejected(IngestError.FILE_VANISHED, "the file disappeared during the import") from None
    except PermissionError as exc:
        raise FileRejected(IngestError.UNREADABLE, f"permission denied: {exc.strerror}") from None
    except OSError as exc:
        raise FileBusy(f"cannot read the file: {exc.strerror or exc}") from exc
    if read != after.st_size or after.st_mtime_ns != before.st_mtime_ns:
        raise FileBusy("the file changed while it was being read (still being copied?)")
    return _Source(path=path, kind=kind, sha256=sha256, stat=after, data=data)


def _open_image(source: _Source) -> Image.Image:
    """Pillow's reader for the sniffed kind, on the kept bytes or the path (reads the header only)."""
    Image.init()
    factory, _accept = Image.OPEN[_PILLOW_FORMATS[source.kind]]
    fp = io.BytesIO(source.data) if source.data is not None else source.path
    try:
        return factory(fp, source.path)
    except (SyntaxError, IndexError, TypeError, KeyError) as exc:  # how Pillow readers say "not mine"
        raise UnidentifiedImageError(str(exc)) from None


def _check_complete(source: _Source) -> None:
    """libheif paints missing tiles green instead of failing: check a HEIF's container first."""
    if source.kind != "heif":
        return
    if source.data is not None:
        reason = heif_truncation(io.BytesIO(source.data), len(source.data))
    else:
        with open(source.path, "rb") as f:
            reason = heif_truncation(f, source.stat.st_size)
    if reason:
        raise FileRejected(IngestError.TRUNCATED_IMAGE, f"the file is cut short: {reason}")


def _decode_video(source: _Source, settings: IngestSettings) -> _Decoded:
    """A clip: its keyframes decoded within the shared decode budget (a fixed share: the frame size is not known
    before the container is opened); the first keyframe is the poster that makes the thumbnails."""
    from app.core.ingest.video import read_video

    need = VIDEO_DECODE_BYTES + len(source.data or b"")
    try:
        with DECODE_BUDGET.reserve(need, max(need, settings.decode_memory_mb * MB)):
            video = read_video(
                source.data if source.data is not None else source.path,
                mtime_ns=source.stat.st_mtime_ns, longest_side=settings.preview_px, suffix=Path(source.path).suffix,
            )
    except MemoryError:
        raise FileBusy("not enough memory to decode this video now", IngestError.OUT_OF_MEMORY) from None
    thumbs = make_thumbnails(video.keyframes[0].image, settings.sizes)
    return _Decoded(format=video.format, width=video.width, height=video.height, metadata=video.metadata,
                    thumbs=thumbs, video=video)


def _decode(source: _Source, settings: IngestSettings) -> _Decoded:
    kind = source.kind
    if kind == "video":
        return _decode_video(source, settings)
    limit = settings.max_pixels
    try:
        _check_complete(source)
        with _open_image(source) as image:
            image_format = image.format or kind.upper()
            width, height = image.size
            if width * height > limit:
                raise FileRejected(
                    IngestError.DECOMPRESSION_BOMB,
                    f"{width}x{height} is {width * height:,} pixels, over the limit of {limit:,} (ingest.max_pixels)",
                )
            prepare_decode(image, settings.preview_px)
            need = decode_cost(image, settings.preview_px, heif=kind == "heif") + len(source.data or b"")
            # Reserved before anything reads EXIF: Pillow decodes a whole PNG to find an eXIf chunk.
            with DECODE_BUDGET.reserve(need, settings.decode_memory_mb * MB):
                orientation = image.getexif().get(0x0112)
                metadata = read_metadata(
                    source.data if source.data is not None else source.path, image, source.stat.st_mtime_ns
                )
                embedded = read_embedded(source.data, image, source.path)
                upright = decode_upright(image, settings.preview_px, orientation)
            thumbs = make_thumbnails(upright, settings.sizes)
    except (FileRejected, FileBusy):
        raise
    except TooLargeToDecode as exc:
        raise FileRejected(
            IngestError.TOO_LARGE, f"decoding {width}x{height} {exc} (ingest.decode_memory_mb)"
        ) from None
    except FileNotFoundError:
        raise FileRejected(IngestError.FILE_VANISHED, "the file disappeared during the import") from None
    except Image.DecompressionBombError:
        # A reader's own guard (WebP has one): report it with Shoebox's limit, which is what the user can change.
        raise FileRejected(
            IngestError.DECOMPRESSION_BOMB, f"too many pixels to decode safely (the limit is {limit:,} pixels,"
            " ingest.max_pixels)"
        ) from None
    except UnidentifiedImageError:
        error_class = IngestError.UNSUPPORTED_RAW if kind == "raw" else IngestError.CORRUPT_IMAGE
        raise FileRejected(error_class, f"cannot decode this {kind.upper()} file (unknown or damaged layout)") from None
    except OSError as exc:
        if exc.errno in (errno.EIO, errno.EAGAIN, errno.EBUSY, errno.ESTALE, errno.ETIMEDOUT):
            raise FileBusy(f"cannot read the file: {exc.strerror or exc}") from exc
        message = str(exc) or type(exc).__name__
        error_class = IngestError.TRUNCATED_IMAGE if "truncated" in message.lower() else IngestError.CORRUPT_IMAGE
        raise FileRejected(error_class, f"cannot decode the image: {message}") from None
    except (SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, ZeroDivisionError) as exc:
        # Pillow plugins signal malformed headers and data with these.
        raise FileRejected(IngestError.CORRUPT_IMAGE, f"cannot decode the image: {exc or type(exc).__name__}") from None
    except MemoryError:
        raise FileBusy("not enough memory to decode this image now", IngestError.OUT_OF_MEMORY) from None

    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return _Decoded(format=image_format, width=width, height=height, metadata=metadata, thumbs=thumbs,
                    embedded=embedded)
