"""Shared output helpers for CLI commands."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

# A file name byte that is not UTF-8 reaches Python as a lone surrogate (U+DC80-U+DCFF, "surrogateescape").
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def print_json(value: Any) -> None:
    """UTF-8 JSON; a lone surrogate is written as its `\\udcXX` escape (json.loads + os.fsencode give the name's
    bytes back) instead of failing or writing bytes that are not UTF-8."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(_LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
    sys.stdout.write("\n")
