"""Where a library lives on disk and how its folder is laid out."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Shoebox"


def default_library_dir() -> Path:
    """The per-user library used when `--library` is not given (e.g. ~/.local/share/Shoebox/Library)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "Library"


class LibraryLayout:
    """Names every file and folder inside a library folder, so no other module builds paths by hand."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def database(self) -> Path:
        return self.root / "shoebox.db"

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

    def create(self) -> None:
        for folder in (self.root, *self.folders):
            folder.mkdir(parents=True, exist_ok=True)
