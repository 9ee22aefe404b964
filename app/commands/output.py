"""Shared output helpers for CLI commands."""

from __future__ import annotations

import codecs
import json
from json.encoder import encode_basestring
import re
import sys
from itertools import chain
from operator import itemgetter
from typing import Any, Iterable

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


def _surrogates_escaped(text: str) -> str:
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_SCALARS = (str, int, float, bool, type(None))
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)
_KEYS: dict[str, str] = {}


def _encode(value: Any) -> str:
    """One plain value as json.dumps writes it, with the common types encoded without the encoder's overhead."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    return _ENCODER.encode(value)


def _dumps_item(item: Any) -> str:
    """json.dumps(item, indent=2, ensure_ascii=False, default=str) for a flat object (plain values and lists of
    them), with the C encoder for each value: with `indent`, json falls back to its pure-Python encoder, which
    was most of `photos --json`. Anything else goes through json.dumps itself."""
    if not isinstance(item, dict) or not item or not all(type(k) is str for k in item):
        return json.dumps(item, indent=2, ensure_ascii=False, default=str)
    lines = []
    for key, value in item.items():
        if isinstance(value, _SCALARS):
            text = _encode(value)
        elif type(value) is list and all(isinstance(v, _SCALARS) for v in value):
            text = "[\n" + ",\n".join("    " + _encode(v) for v in value) + "\n  ]" if value else "[]"
        else:
            return json.dumps(item, indent=2, ensure_ascii=False, default=str)
        name = _KEYS.get(key)
        if name is None:
            name = f"  {encode_basestring(key)}: "
            if len(_KEYS) < 1000:  # the keys of one kind of object, not of arbitrary data
                _KEYS[key] = name
        lines.append(name + text)
    return "{\n" + ",\n".join(lines) + "\n}"


def print_json_array(items: Iterable[Any]) -> None:
    """The bytes `print_json(list(items))` would write, written item by item: a 100k-photo listing never
    holds the whole list, nor its whole text, in memory."""
    write = sys.stdout.write
    first = True
    for item in items:
        text = _dumps_item(item)
        write("[\n  " if first else ",\n  ")
        write(_surrogates_escaped(text.replace("\n", "\n  ")))
        first = False
    write("[]\n" if first else "\n]\n")


def _escape_surrogate(exc: UnicodeError):
    """Encoding error handler for JSON output: a lone surrogate is written as its `\\udcXX` escape."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return _surrogates_escaped(exc.object[exc.start : exc.end]), exc.end


codecs.register_error("shoebox-json", _escape_surrogate)
# Joins a chunk's values for the C encoder: JSON text never holds a raw NUL (strings escape it as \u0000).
_FLAT_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, separators=("\x00", ":"))


def print_json_records(names: tuple[str, ...], chunks: Iterable[list[tuple]], *, lists: Iterable[str] = ()) -> None:
    """The bytes `print_json([dict(zip(names, row)) for row in <all rows>])` would write, a chunk of rows at a
    time, for a listing of 100k photos: each chunk's scalar values are encoded in one call of the C encoder and
    laid into a template of the object's lines. `lists` names the fields whose values are lists of strings;
    every other value must be a JSON scalar (str, int, float, bool or None)."""
    list_at = [names.index(name) for name in lists]
    scalar_at = [i for i in range(len(names)) if i not in list_at]
    scalars = itemgetter(*scalar_at) if len(scalar_at) > 1 else (lambda row: (row[scalar_at[0]],))
    lines = [f"    {encode_basestring(name)}: %s" for name in names]
    template = "  {\n" + ",\n".join(lines) + "\n  }"
    per_row = len(scalar_at)
    out = getattr(sys.stdout, "buffer", None)
    if out is not None:
        sys.stdout.flush()
    first = True
    for rows in chunks:
        if not rows:
            continue
        flat = _FLAT_ENCODER.encode(list(chain.from_iterable(map(scalars, rows))))[1:-1].split("\x00")
        items = []
        for k, row in enumerate(rows):
            values = flat[k * per_row : (k + 1) * per_row]
            for i in list_at:  # in ascending order, so each lands at its own place
                values.insert(i, _string_list(row[i]))
            items.append(template % tuple(values))
        text = ("[\n" if first else ",\n") + ",\n".join(items)
        first = False
        if out is not None:
            out.write(text.encode("utf-8", "shoebox-json"))
        else:
            sys.stdout.write(_surrogates_escaped(text))
    end = "[]\n" if first else "\n]\n"
    if out is not None:
        out.write(end.encode())
        out.flush()
    else:
        sys.stdout.write(end)


def _string_list(values: list[str]) -> str:
    """A list of strings as the objects of `print_json_records` show it (indented twice)."""
    if not values:
        return "[]"
    return "[\n      " + ",\n      ".join(map(encode_basestring, values)) + "\n    ]"


def print_json(value: Any) -> None:
    """UTF-8 JSON; a lone surrogate is written as its `\\udcXX` escape (json.loads + os.fsencode give the name's
    bytes back) instead of failing or writing bytes that are not UTF-8."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(_surrogates_escaped(text))
    sys.stdout.write("\n")
