"""Content hash of a file, streamed in chunks so a large RAW never sits in memory (hashlib frees the GIL)."""

from __future__ import annotations

import hashlib
import os
from typing import BinaryIO

CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> tuple[str, int]:
    """(hex sha256, bytes read): the byte count tells the caller whether the file changed while it was read."""
    with open(path, "rb") as f:
        return sha256_stream(f)


def sha256_stream(f: BinaryIO) -> tuple[str, int]:
    """Like sha256_file, for a file already open (read from its current position to the end)."""
    digest = hashlib.sha256()
    total = 0
    while chunk := f.read(CHUNK):
        digest.update(chunk)
        total += len(chunk)
    return digest.hexdigest(), total


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
