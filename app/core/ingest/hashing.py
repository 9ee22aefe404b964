"""Content hash of a file, streamed in chunks so a large RAW never sits in memory (hashlib frees the GIL)."""

from __future__ import annotations

import hashlib
import os

CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> tuple[str, int]:
    """(hex sha256, bytes read): the byte count tells the caller whether the file changed while it was read."""
    digest = hashlib.sha256()
    total = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            total += len(chunk)
    return digest.hexdigest(), total
