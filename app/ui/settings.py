"""What the app remembers between runs (QSettings): the last library, thumbnail size, window layout."""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QSettings


RECENT = 8  # libraries remembered in the Open Library dialog


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
    def last_database(self) -> str | None:
        """The PostgreSQL URL of the last library (None: its database is the SQLite file in its folder)."""
        value = self.qsettings.value("library/last_database")
        return str(value) if value else None

    @last_database.setter
    def last_database(self, url: str | None) -> None:
        self.qsettings.setValue("library/last_database", url or "")

    def recent_libraries(self) -> list[tuple[str, str | None]]:
        """(folder, PostgreSQL URL or None) of the libraries opened lately, newest first."""
        try:
            entries = json.loads(str(self.qsettings.value("library/recent", "[]")))
            return [(str(folder), str(database) if database else None) for folder, database in entries][:RECENT]
        except (TypeError, ValueError):
            return []

    def remember_library(self, folder: str, database: str | None) -> None:
        """The library just opened becomes the last one and leads the recent list. A URL is kept without its
        password (libpq's ~/.pgpass or PGPASSWORD supplies it): settings files are not for secrets."""
        from app.core.db.postgres import display_url

        database = display_url(database) if database else None
        self.last_library = folder
        self.last_database = database
        recent = [(folder, database), *[e for e in self.recent_libraries() if e != (folder, database)]]
        self.qsettings.setValue("library/recent", json.dumps(recent[:RECENT]))

    def database_for(self, folder: str) -> str | None:
        """The URL a library folder was last opened with (so `--library DIR` alone reopens a Postgres library)."""
        return next((database for f, database in self.recent_libraries() if f == folder), None)

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
