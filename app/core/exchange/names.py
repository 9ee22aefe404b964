"""Export file names that are safe on every OS, from a template.

A name never leaves the export folder (no `..`, no absolute paths, no separators smuggled in by an album name or
a file name), avoids what Windows refuses (reserved names like CON or LPT1, the characters <>:"/\\|?*, control
characters, trailing dots and spaces), and stays short enough for every file system (255 bytes a component; we
keep to 150 so that Windows paths under a deep folder still fit). Names that collide, compared case-insensitively
as macOS and Windows do, are numbered: "name (2).jpg".
"""

from __future__ import annotations

import re
import unicodedata

DEFAULT_TEMPLATE = "{date}_{name}"
FIELDS = ("date", "time", "name", "stem", "ext", "album", "id")
MAX_COMPONENT_BYTES = 150

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
_BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


class TemplateError(ValueError):
    """A file name template with an unknown field or bad braces."""


def safe_component(text: str, fallback: str = "photo") -> str:
    """One path component that every OS accepts (extension kept when shortening)."""
    text = _BAD_CHARS.sub("_", unicodedata.normalize("NFC", text)).strip(" .")  # no hidden files, no "..", no "x."
    if not text:
        text = fallback
    stem, dot, ext = text.rpartition(".")
    if not dot or not ext.isalnum() or len(ext) > 10:  # "a.b_c" has no extension to keep
        stem, dot, ext = text, "", ""
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    budget = MAX_COMPONENT_BYTES - len((dot + ext).encode("utf-8"))
    while len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    stem = stem.rstrip(". ") or fallback
    return stem + dot + ext


def render(template: str, values: dict[str, str]) -> list[str]:
    """The template filled in, as safe path components ("/" in the template makes folders; `..` is dropped)."""
    try:
        filled_parts = []
        for part in template.split("/"):
            filled = part.format_map({k: _FieldValue(v) for k, v in values.items()})
            filled_parts.append(filled)
    except KeyError as exc:
        raise TemplateError(f"unknown field {{{exc.args[0]}}} in the name template (fields: "
                            f"{', '.join('{' + f + '}' for f in FIELDS)})") from None
    except (ValueError, IndexError) as exc:
        raise TemplateError(f"bad name template {template!r}: {exc}") from None
    parts = [safe_component(p) for p in filled_parts if p.strip() and p.strip() not in (".", "..")]
    return parts or ["photo"]


class _FieldValue(str):
    """A field's value with its separators neutralised, so a value can never add a folder or climb out."""

    def __new__(cls, value):
        return super().__new__(cls, str(value).replace("/", "_").replace("\\", "_"))


class NameAllocator:
    """Hands out unique relative paths, numbering collisions case-insensitively in a fixed order."""

    def __init__(self, *, stem_unique: bool = False):
        self._taken: set[str] = set()
        self._stem_unique = stem_unique  # sidecars "<stem>.xmp" must not collide either

    def _key(self, parts: list[str]) -> str:
        last = parts[-1]
        if self._stem_unique and "." in last[1:]:
            last = last.rpartition(".")[0]
        return "/".join(parts[:-1] + [last]).casefold()

    def allocate(self, parts: list[str]) -> list[str]:
        stem, dot, ext = parts[-1].rpartition(".") if "." in parts[-1][1:] else (parts[-1], "", "")
        candidate, n = parts, 1
        while self._key(candidate) in self._taken:
            n += 1
            candidate = parts[:-1] + [safe_component(f"{stem} ({n}){dot}{ext}")]
        self._taken.add(self._key(candidate))
        return candidate
