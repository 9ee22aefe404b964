"""All the CPU and file work for one photo, without the database, so many files can be analysed in parallel.

Errors come in two kinds the task handler treats differently: `FileRejected` (the file itself is bad and will
stay bad: recorded as a failed file) and `FileBusy` (an I/O hiccup or a file still being written: retry later).
"""

from __future__ import annotations

import errno
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from app.core.ingest.crop_hash import crop_hashes_hex
from app.core.ingest.hashing import sha256_file
from app.core.ingest.metadata import PhotoMetadata, read_metadata
from app.core.ingest.phash import phash_hex
from app.core.ingest.sniff import RAW_EXTENSIONS, sniff
from app.core.ingest.thumbnails import make_thumbnails, open_reduced, save_thumbnails
from app.core.tasks.errors import PermanentError, TransientError

_heif_lock = threading.Lock()
_heif_registered = False


class FileRejected(PermanentError):
    """The file cannot become a photo (empty, not an image, corrupt, truncated, too many pixels, gone)."""

    def __init__(self, error_class: str, reason: str):
        super().__init__(reason)
        self.error_class = error_class
        self.reason = reason


class FileBusy(TransientError):
    """The file could not be read right now (I/O error, changed while reading); worth another try."""


@dataclass(frozen=True)
class IngestSettings:
    max_pixels: int = 180_000_000
    grid_px: int = 256
    preview_px: int = 1440

    @classmethod
    def from_config(cls, config) -> "IngestSettings":
        return cls(
            max_pixels=int(config.get("ingest.max_pixels")),
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


def register_heif() -> None:
    """Teach Pillow HEIC/HEIF once per process (pillow-heif plugs into Image.open)."""
    global _heif_registered
    with _heif_lock:
        if not _heif_registered:
            from pillow_heif import register_heif_opener

            register_heif_opener()
            _heif_registered = True


def analyse_file(path: str | os.PathLike, layout, settings: IngestSettings) -> FileAnalysis:
    """Hash, read metadata, make thumbnails and pHash for one file. Thread-safe; touches no database."""
    path = os.fspath(path)
    register_heif()
    Image.MAX_IMAGE_PIXELS = settings.max_pixels  # Pillow's own guard (it raises at twice this)
    try:
        before = os.stat(path)
        if not os.path.isfile(path):
            raise FileRejected("NotAFile", "not a regular file")
        if before.st_size == 0:
            raise FileRejected("EmptyFile", "the file is empty (0 bytes)")
        kind = sniff(path)
        if kind is None and Path(path).suffix.lower() in RAW_EXTENSIONS:
            raise FileRejected("UnsupportedRaw", "a camera RAW layout Pillow cannot read (see docs/FORMATS.md)")
        if kind is None:
            raise FileRejected("NotAnImage", "the file header matches no supported image type")
        sha256, read = sha256_file(path)
        after = os.stat(path)
    except FileNotFoundError:
        raise FileRejected("FileVanished", "the file disappeared during the import") from None
    except PermissionError as exc:
        raise FileRejected("Unreadable", f"permission denied: {exc.strerror}") from None
    except OSError as exc:
        raise FileBusy(f"cannot read the file: {exc.strerror or exc}") from exc
    if read != after.st_size or after.st_mtime_ns != before.st_mtime_ns:
        raise FileBusy("the file changed while it was being read (still being copied?)")

    try:
        with Image.open(path) as image:
            image_format = image.format or kind.upper()
            width, height = image.size
            if width * height > settings.max_pixels:
                raise FileRejected(
                    "DecompressionBomb",
                    f"{width}x{height} is {width * height:,} pixels, over the limit of {settings.max_pixels:,}"
                    " (ingest.max_pixels)",
                )
            orientation_swaps = image.getexif().get(0x0112) in (5, 6, 7, 8)
            metadata = read_metadata(path, image, after.st_mtime_ns)
            upright = open_reduced(image, settings.preview_px)
            thumbs = make_thumbnails(upright, settings.sizes)
    except FileRejected:
        raise
    except FileNotFoundError:
        raise FileRejected("FileVanished", "the file disappeared during the import") from None
    except Image.DecompressionBombError as exc:
        raise FileRejected("DecompressionBomb", f"{exc} (the limit is ingest.max_pixels)") from None
    except UnidentifiedImageError:
        error_class = "UnsupportedRaw" if kind == "raw" else "CorruptImage"
        raise FileRejected(error_class, f"cannot decode this {kind.upper()} file (unknown or damaged layout)") from None
    except OSError as exc:
        if exc.errno in (errno.EIO, errno.EAGAIN, errno.EBUSY, errno.ESTALE, errno.ETIMEDOUT):
            raise FileBusy(f"cannot read the file: {exc.strerror or exc}") from exc
        message = str(exc) or type(exc).__name__
        error_class = "TruncatedImage" if "truncated" in message.lower() else "CorruptImage"
        raise FileRejected(error_class, f"cannot decode the image: {message}") from None
    except (SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, ZeroDivisionError) as exc:
        # Pillow plugins signal malformed headers and data with these.
        raise FileRejected("CorruptImage", f"cannot decode the image: {exc or type(exc).__name__}") from None
    except MemoryError:
        raise FileRejected("TooLarge", "not enough memory to decode this image") from None

    if orientation_swaps:
        width, height = height, width
    try:
        thumbnail_paths = save_thumbnails(thumbs, layout, sha256)
    except OSError as exc:  # disk full, library folder not writable: not the photo's fault, so retry later
        raise FileBusy(f"cannot write thumbnails: {exc.strerror or exc}") from exc
    return FileAnalysis(
        path=path,
        size=after.st_size,
        mtime_ns=after.st_mtime_ns,
        sha256=sha256,
        kind=kind,
        format=image_format,
        width=width,
        height=height,
        metadata=metadata,
        phash=phash_hex(thumbs["grid"]),
        thumbnails=thumbnail_paths,
        phash_crops=crop_hashes_hex(thumbs["grid"]),
    )

