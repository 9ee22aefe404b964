"""What kind of image (or video clip) a file really is, from its first bytes (an extension can lie or be missing)."""

from __future__ import annotations

import os
from pathlib import Path

# Extensions that promise an image; a file with one of these that fails to sniff is reported, not ignored.
IMAGE_EXTENSIONS = {
    ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".gif", ".bmp", ".dib", ".tif", ".tiff", ".webp",
    ".heic", ".heif", ".hif",
}
# Camera RAW files built on TIFF: Pillow opens the first image in them (usually an embedded preview).
RAW_EXTENSIONS = {".dng", ".nef", ".nrw", ".cr2", ".arw", ".srf", ".sr2", ".pef", ".srw", ".erf", ".3fr",
                  ".mef", ".mos", ".iiq", ".orf", ".rw2", ".raf", ".cr3", ".x3f", ".rwl"}

# Short video clips (app.core.ingest.video); a file named so that fails to sniff is reported like an image.
VIDEO_EXTENSIONS = {".mp4", ".mov", ".m4v", ".3gp", ".3g2", ".webm", ".mkv"}
# ISO base media (MP4, MOV, M4V, 3GP) major brands of video files. Any other brand counts only with a video
# extension, and never these, which are stills or sound (an .m4a beside the photos is not a failed import).
_VIDEO_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"qt  ", b"M4V ",
                 b"M4VH", b"M4VP", b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"3g2b", b"3g2c", b"3ge6", b"3ge7",
                 b"3gs7", b"mmp4", b"MSNV", b"XAVC", b"dash"}
_NOT_VIDEO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"avif", b"avis", b"crx "}
_EBML = b"\x1a\x45\xdf\xa3"  # Matroska and WebM
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
HEADER_BYTES = 32


def sniff_bytes(head: bytes, suffix: str = "") -> str | None:
    """The image kind ('jpeg', 'png', 'gif', 'bmp', 'webp', 'tiff', 'heif', 'raw'), 'video', or None if not
    supported."""
    suffix = suffix.lower()
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"BM") and len(head) >= 14:
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "raw" if suffix in RAW_EXTENSIONS else "tiff"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heif"
    if head[4:8] == b"ftyp" and head[8:12] not in _NOT_VIDEO_BRANDS:
        if head[8:12] in _VIDEO_BRANDS or suffix in VIDEO_EXTENSIONS:
            return "video"
    if head.startswith(_EBML) and (b"webm" in head or suffix in VIDEO_EXTENSIONS):
        return "video"
    return None


def sniff(path: str | os.PathLike) -> str | None:
    """Sniff a file on disk; raises OSError when it cannot be read."""
    with open(path, "rb") as f:
        head = f.read(HEADER_BYTES)
    return sniff_bytes(head, Path(path).suffix)


def looks_like_image_name(path: str | os.PathLike) -> bool:
    """True when the name promises an image (or a video clip), so a failure to read it is worth reporting."""
    suffix = Path(path).suffix.lower()
    return suffix in IMAGE_EXTENSIONS or suffix in RAW_EXTENSIONS or suffix in VIDEO_EXTENSIONS
