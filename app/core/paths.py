"""Where a library lives on disk and how its folder is laid out."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Shoebox"


def default_library_dir() -> Path:
    """The per-user library used when `--library` is not given (e.g. ~/.local/share/Shoebox/Library)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "Library"


def local_folder_for(database_url: str) -> Path:
    """This machine's folder for a PostgreSQL library (thumbnails, indexes, logs), one per database, beside the
    per-user SQLite library (e.g. ~/.local/share/Shoebox/Library-postgresql-host-5432-photos)."""
    from urllib.parse import urlsplit

    parts = urlsplit(database_url)
    name = "-".join(p for p in (parts.hostname or "local", str(parts.port or 5432), parts.path.strip("/")) if p)
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return default_library_dir().with_name(f"Library-postgresql-{safe}")


class LibraryLayout:
    """Names every file and folder inside a library folder, so no other module builds paths by hand."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def database(self) -> Path:
        return self.root / "shoebox.db"

    @property
    def database_marker(self) -> Path:
        """In the folder of a PostgreSQL library: which database (URL without password) these files belong to."""
        return self.root / "postgresql.url"

    @property
    def thumbnails(self) -> Path:
        return self.root / "thumbnails"

    @property
    def thumbnail_temp(self) -> Path:
        """Thumbnails are written here first, then renamed into place (same disk, so the rename is atomic)."""
        return self.thumbnails / ".tmp"

    @property
    def index(self) -> Path:
        return self.root / "index"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def faces(self) -> Path:
        """160 px face crops, made by the face scan (app.core.people.scan)."""
        return self.root / "faces"

    @property
    def voice(self) -> Path:
        """Voice notes' audio files (app.core.voice), kept in the library, never beside the photos."""
        return self.root / "voice"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def lock(self) -> Path:
        """Held while a process creates or migrates the library, so two first opens do not race."""
        return self.root / "shoebox.lock"

    @property
    def folders(self) -> tuple[Path, ...]:
        return (self.thumbnails, self.index, self.models, self.logs, self.voice)

    def thumbnail(self, sha256: str, size: str) -> Path:
        """Thumbnails are sharded by the first two hex digits of the content hash: thumbnails/grid/ab/abcd….jpg."""
        return Path(self.thumbnail_path(sha256, size))

    def thumbnail_path(self, sha256: str, size: str) -> str:
        """`thumbnail()` as a str, built without pathlib (8 µs a call): a thumbnail check builds 20,000 of them."""
        sep = os.sep
        return f"{self.root}{sep}thumbnails{sep}{size}{sep}{sha256[:2]}{sep}{sha256}.jpg"

    def keyframe(self, sha256: str, index: int) -> Path:
        """A video clip's keyframes (app.core.ingest.video), beside the thumbnails: thumbnails/keyframes/ab/abcd…-0.jpg."""
        return self.thumbnails / "keyframes" / sha256[:2] / f"{sha256}-{index}.jpg"

    def create(self) -> None:
        for folder in (self.root, *self.folders):
            folder.mkdir(parents=True, exist_ok=True)


class PathMap:
    """Where this machine finds the originals another machine imported (`shoebox worker --map SRC=DST`): a path
    under SRC is read at the same place under DST. The first matching SRC wins; other paths stay as they are."""

    def __init__(self, pairs: list[tuple[str, str]] | None = None):
        self.pairs = [(src.rstrip("/\\") or src, dst.rstrip("/\\") or dst) for src, dst in pairs or []]

    @classmethod
    def parse(cls, specs: list[str]) -> "PathMap":
        pairs = []
        for spec in specs:
            src, sep, dst = spec.partition("=")
            if not sep or not src or not dst:
                raise ValueError(f"--map takes SRC=DST (two folders), not {spec!r}")
            pairs.append((src, dst))
        return cls(pairs)

    def local(self, path: str) -> str:
        for src, dst in self.pairs:
            if path == src:
                return dst
            if path.startswith(src) and path[len(src)] in "/\\":
                return dst + path[len(src):]
        return path
