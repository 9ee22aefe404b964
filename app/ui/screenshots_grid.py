"""Screenshots of the grid's date headers and the map for docs/screenshots: `xvfb-run -s "-screen 0 1440x900x24"
python -m app.ui.screenshots_grid docs/screenshots`.

A demo library imported through the importer: generated photo-like JPEGs over a few months, and the sample
camera files with GPS from ../shared/corpus (when present), whose places the offline gazetteer names.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

from app.ui.screenshots import CORPUS, _grab, _wait


def main(out: Path) -> int:
    from app.bench.gui import write_photos
    from app.core.library import Library
    from app.ui.application import create_app
    from app.ui.main_window import MainWindow
    from app.ui.palette import apply_system_palette
    from app.ui.settings import AppSettings
    from app.ui.views import Mode, Place

    out.mkdir(parents=True, exist_ok=True)
    app = create_app(["shoebox-screenshots"])
    apply_system_palette(app, force_dark=False)
    work = Path(tempfile.mkdtemp(prefix="shoebox-shots-"))
    write_photos(work / "Pictures" / "Trips", 40, seed=3, size=(900, 600))
    if (CORPUS / "gps").is_dir():
        shutil.copytree(CORPUS / "gps", work / "Pictures" / "Camera samples")
    with Library.open(work / "Library", log_to_file=False) as library:
        library.importer.import_paths([work / "Pictures"], progress=False)
        library.places.name_pending()  # the window's worker would do it soon; the screenshot wants it now

    window = MainWindow(AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)),
                        remember=False)
    window.open_library(work / "Library")
    window.resize(1400, 860)
    window.show()
    _wait(app, 5.0, until=lambda: window.browser.loaded)
    _wait(app, 10.0, until=lambda: bool(window.grid_view.groups()))
    window.grid_view.verticalScrollBar().setValue(window.grid_view.gridSize().height() * 2 + 20)
    _wait(app, 3.0)
    _grab(app, window, out / "grid-date-headers.png")

    if Mode.MAP in window.views:
        window.navigate(Place(Mode.MAP))
        map_view = window.views[Mode.MAP]
        _wait(app, 15.0, until=lambda: map_view.page().loaded)
        _wait(app, 2.0)
        _grab(app, window, out / "map.png")
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
