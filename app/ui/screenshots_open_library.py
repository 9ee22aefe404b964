"""Screenshot of File → Open Library… with a PostgreSQL library filled in, for docs/screenshots:
`QT_QPA_PLATFORM=offscreen python -m app.ui.screenshots_open_library docs/screenshots`."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings


def shoot(out: Path) -> Path:
    from app.ui.application import create_app
    from app.ui.open_library_dialog import OpenLibraryDialog
    from app.ui.settings import AppSettings

    app = create_app(["shoebox"])
    with tempfile.TemporaryDirectory() as tmp:
        settings = AppSettings(QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat))
        settings.remember_library("/home/me/Pictures/Shoebox Library", None)
        settings.remember_library("/home/me/.local/share/Shoebox/Family", "postgresql://me@homeserver/family")
        dialog = OpenLibraryDialog(settings, "/home/me/Pictures")
        dialog.recent.activated.emit(1)
        dialog.show()
        app.processEvents()
        path = out / "open-library-postgres.png"
        dialog.grab().save(str(path))
        dialog.close()
    return path


if __name__ == "__main__":
    print(shoot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
