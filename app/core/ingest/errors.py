"""Why a file did not become a photo: the error classes `shoebox errors` shows, declared once.

Two exception kinds carry them to the task handler: `FileRejected` (the file's bytes are bad and will stay bad:
recorded at once) and `FileBusy` (not the file's fault, or not for good: the engine retries it later).
"""

from __future__ import annotations

from enum import StrEnum

from app.core.tasks.errors import PermanentError, TransientError


class IngestError(StrEnum):
    """The `error_class` of a failed file (docs/FORMATS.md explains each one)."""

    EMPTY_FILE = "EmptyFile"
    NOT_A_FILE = "NotAFile"
    NOT_AN_IMAGE = "NotAnImage"
    UNSUPPORTED_RAW = "UnsupportedRaw"
    CORRUPT_IMAGE = "CorruptImage"
    TRUNCATED_IMAGE = "TruncatedImage"
    DECOMPRESSION_BOMB = "DecompressionBomb"  # more pixels than ingest.max_pixels
    TOO_LARGE = "TooLarge"  # decoding would need more memory than ingest.decode_memory_mb
    FILE_VANISHED = "FileVanished"
    UNREADABLE = "Unreadable"
    FILE_BUSY = "FileBusy"  # an I/O error, a full disk, a file still being written
    FILE_CHANGED = "FileChanged"  # replaced again and again while it was being read
    OUT_OF_MEMORY = "OutOfMemory"
    CORRUPT_VIDEO = "CorruptVideo"  # a video container or stream that cannot be read
    TRUNCATED_VIDEO = "TruncatedVideo"  # its frames end well before the length its container declares
    UNSUPPORTED_VIDEO = "UnsupportedVideo"  # no picture track, or a codec the bundled FFmpeg cannot decode


# Failures decided by the file's bytes (and the library's limits): an unchanged file is not tried again.
CONTENT_FAILURES = frozenset(
    {
        IngestError.EMPTY_FILE,
        IngestError.NOT_A_FILE,
        IngestError.NOT_AN_IMAGE,
        IngestError.UNSUPPORTED_RAW,
        IngestError.CORRUPT_IMAGE,
        IngestError.TRUNCATED_IMAGE,
        IngestError.DECOMPRESSION_BOMB,
        IngestError.TOO_LARGE,
        IngestError.CORRUPT_VIDEO,
        IngestError.TRUNCATED_VIDEO,
        IngestError.UNSUPPORTED_VIDEO,
    }
)


class FileRejected(PermanentError):
    """The file cannot become a photo (empty, not an image, corrupt, truncated, too large, gone)."""

    def __init__(self, error_class: IngestError, reason: str):
        super().__init__(reason)
        self.error_class = error_class
        self.reason = reason


class FileBusy(TransientError):
    """The file could not be read or stored right now (I/O error, changed while reading); worth another try."""

    def __init__(self, reason: str, error_class: IngestError = IngestError.FILE_BUSY):
        super().__init__(reason)
        self.error_class = error_class
