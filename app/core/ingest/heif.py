"""Is a HEIC/HEIF file complete? libheif decodes a truncated file without an error and paints the missing tiles
green, so the container is checked first: every top-level box, and every image data extent the `iloc` box
lists, must lie inside the file (ISO/IEC 14496-12 and 23008-12)."""

from __future__ import annotations

import struct
from typing import BinaryIO

_MAX_META = 16 << 20  # a `meta` box larger than this is not read (real ones are a few kilobytes)


def heif_truncation(f: BinaryIO, length: int) -> str | None:
    """Why the file `f` (of `length` bytes) is cut short, or None when all its boxes and data are present."""
    pos, meta = 0, None
    while pos < length:
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            return f"the file ends inside a box header at byte {pos:,}"
        size, kind = struct.unpack(">I4s", header[:8])
        header_len = 8
        if size == 1:  # a 64-bit size follows
            if len(header) < 16:
                return f"the file ends inside a box header at byte {pos:,}"
            size, header_len = struct.unpack(">Q", header[8:16])[0], 16
        elif size == 0:  # the box runs to the end of the file
            size = length - pos
        if size < header_len:
            return None  # a malformed size is the decoder's to report, not a truncation
        name = kind.decode("latin-1")
        if pos + size > length:
            return f"the '{name}' box ends at byte {pos + size:,} but the file has {length:,} bytes"
        if kind == b"meta" and size <= _MAX_META:
            f.seek(pos + header_len)
            meta = f.read(size - header_len)
        pos += size
    for end in _data_extent_ends(meta) if meta else ():
        if end > length:
            return f"image data ends at byte {end:,} but the file has {length:,} bytes"
    return None


def _children(data: bytes, start: int) -> dict[bytes, bytes]:
    """The child boxes of a box body, by type (first of each)."""
    boxes: dict[bytes, bytes] = {}
    pos = start
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        header_len = 8
        if size == 1 and pos + 16 <= len(data):
            size, header_len = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = len(data) - pos
        if size < header_len:
            break
        boxes.setdefault(kind, data[pos + header_len : pos + size])
        pos += size
    return boxes


def _data_extent_ends(meta: bytes) -> list[int]:
    """File offsets where each image data extent listed in `iloc` ends (file-relative extents only)."""
    iloc = _children(meta, 4).get(b"iloc")  # `meta` is a full box: 4 bytes of version and flags first
    if not iloc:
        return []
    try:
        return _parse_iloc(iloc)
    except (struct.error, IndexError):
        return []  # a malformed iloc is the decoder's to report


def _parse_iloc(body: bytes) -> list[int]:
    version = body[0]
    offset_size, length_size = body[4] >> 4, body[4] & 15
    base_offset_size, index_size = body[5] >> 4, (body[5] & 15) if version in (1, 2) else 0
    pos = 6

    def read(nbytes: int) -> int:
        nonlocal pos
        value = int.from_bytes(body[pos : pos + nbytes], "big") if nbytes else 0
        if pos + nbytes > len(body):
            raise IndexError("iloc is cut short")
        pos += nbytes
        return value

    ends = []
    for _ in range(read(2 if version < 2 else 4)):
        read(2 if version < 2 else 4)  # item id
        method = read(2) & 15 if version in (1, 2) else 0
        data_reference = read(2)
        base = read(base_offset_size)
        for _ in range(read(2)):
            read(index_size)
            offset, extent_length = read(offset_size), read(length_size)
            if method == 0 and data_reference == 0 and extent_length:  # bytes in this file
                ends.append(base + offset + extent_length)
    return ends
