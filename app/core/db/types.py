"""Column types that SQLite cannot express on its own (and integers as wide on Postgres as on SQLite).

`FsPath`: a file path exactly as the file system names it. On Linux a file name is any bytes, and Python shows
bytes that are not UTF-8 as lone surrogates (PEP 383 "surrogateescape", e.g. b'caf\\xe9.jpg' -> 'caf\\udce9.jpg'),
which SQLite's UTF-8 text cannot hold. Such a path is stored as a BLOB of its raw bytes (`os.fsencode`) and read
back with `os.fsdecode`; every other path stays plain TEXT, so existing libraries and queries are unchanged.
Equality, uniqueness and prefix (LIKE) matches work on the bytes, so the lossless form needs no special case.
On PostgreSQL such bytes are stored as private-use characters instead (see _TO_PRIVATE_USE).
"""

from __future__ import annotations

import os

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.types import TypeDecorator


# File sizes and times in nanoseconds: SQLite's INTEGER holds 64 bits, Postgres's only 32.
BigInt = Integer().with_variant(BigInteger(), "postgresql")


def needs_bytes(path: str) -> bool:
    """True when `path` holds bytes that are not UTF-8 (surrogate escapes)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text_safe(value: str) -> str:
    """`value` as valid UTF-8 text for keys, logs and messages: undecodable bytes become `\\xNN`."""
    if not needs_bytes(value):
        return value
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that no file name produces
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


class FsPath(TypeDecorator):
    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if isinstance(value, str) and needs_bytes(value):
            if dialect.name == "postgresql":
                return value.translate(_TO_PRIVATE_USE)
            return os.fsencode(value)
        return value

    def process_result_value(self, value, dialect):
        if isinstance(value, bytes):
            return os.fsdecode(value)
        if dialect.name == "postgresql" and isinstance(value, str) and not value.isascii():
            return value.translate(_FROM_PRIVATE_USE)
        return value


# Postgres text is UTF-8 only and has no BLOB in a text column: there the undecodable bytes of a name (the lone
# surrogates U+DC80-U+DCFF) are stored as the private-use characters U+F780-U+F7FF, as OPTU-8 does. Lossless for
# every real file name except one that itself contains those private-use characters (read back as raw bytes).
_TO_PRIVATE_USE = {0xDC80 + b: 0xF780 + b for b in range(128)}
_FROM_PRIVATE_USE = {0xF780 + b: 0xDC80 + b for b in range(128)}
