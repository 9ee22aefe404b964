"""Shared output helpers for CLI commands."""

from __future__ import annotations

import codecs
import json
import re
import sys
from typing import Any

# A file name byte that is not UTF-8 reaches Python as a lone surrogate (U+DC80-U+DCFF, "surrogateescape").
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_name_bytes(exc: UnicodeError):
    """Error handler for text output: an undecodable file-name byte prints as `\\xNN`, never as a crash."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    chunk = exc.object[exc.start : exc.end]
    return "".join(f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF else f"\\u{ord(c):04x}" for c in chunk), exc.end


codecs.register_error("shoebox-escape", _escape_name_bytes)


def safe_text_output() -> None:
    """Let plain-text listings print any file name (stdout's own encoding errors would stop the command)."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="shoebox-escape")


def count(n: int, noun: str) -> str:
    """"1 file", "2 files"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def print_json(value: Any) -> None:
    """UTF-8 JSON; a lone surrogate is written as its `\\udcXX` escape (json.loads + os.fsencode give the name's
    bytes back) instead of failing or writing bytes that are not UTF-8."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(_LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
    sys.stdout.write("\n")
