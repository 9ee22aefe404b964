"""What the app remembers between runs (QSettings): the last library, thumbnail size, window layout."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings


class AppSettings:
    def __init__(self, settings: QSettings | None = None):
        self.qsettings = settings if settings is not None else QSettings("Shoebox", "Shoebox")

    @property
    def last_library(self) -> str | None:
        value = self.qsettings.value("library/last")
        return str(value) if value else None

    @last_library.setter
    def last_library(self, path: str | None) -> None:
        self.qsettings.setValue("library/last", path or "")

    @property
    def thumbnail_size(self) -> int | None:
        value = self.qsettings.value("grid/thumbnail_size")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    @thumbnail_size.setter
    def thumbnail_size(self, px: int) -> None:
        self.qsettings.setValue("grid/thumbnail_size", int(px))

    @property
    def theme(self) -> str:
        """system | light | dark (app.ui.palette.THEMES)."""
        value = self.qsettings.value("appearance/theme")
        return str(value) if value in ("system", "light", "dark") else "system"

    @theme.setter
    def theme(self, theme: str) -> None:
        self.qsettings.setValue("appearance/theme", theme)

    @property
    def slideshow_seconds(self) -> int:
        try:
            return max(1, min(60, int(self.qsettings.value("viewer/slideshow_seconds", 4))))
        except (TypeError, ValueError):
            return 4

    @slideshow_seconds.setter
    def slideshow_seconds(self, seconds: int) -> None:
        self.qsettings.setValue("viewer/slideshow_seconds", int(seconds))

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        return self.qsettings.value("window/geometry"), self.qsettings.value("window/state")

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)
        self.qsettings.setValue("window/state", state)

    def sync(self) -> None:
        self.qsettings.sync()
