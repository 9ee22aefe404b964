"""Screenshots of the grid's date headers and the map for docs/screenshots: `xvfb-run -s "-screen 0 1440x900x24"
python -m app.ui.screenshots_grid docs/screenshots` (grid-date-headers, grid-month-headers, grid-sidebar-month, map).

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


def write_days(folder: Path) -> None:
    """Photo-like JPEGs taken in bursts: a few photos on each of several days, as a camera roll looks."""
    from PIL import Image

    from app.bench.gui import paint_scene

    folder.mkdir(parents=True, exist_ok=True)
    days = [("2023:08:19", 7), ("2023:08:14", 4), ("2023:08:12", 9), ("2023:07:30", 5), ("2023:07:02", 6),
            ("2023:06:18", 8)]
    k = 0
    for day, count in days:
        for i in range(count):
            exif = Image.Exif()
            exif[0x010F], exif[0x0110] = "FUJIFILM", "X-T4"
            exif.get_ifd(0x8769)[0x9003] = f"{day} {9 + i:02d}:{(7 * i) % 60:02d}:00"
            paint_scene(500 + k, 900, 600).save(folder / f"DSCF{k:04d}.jpg", quality=85, exif=exif)
            k += 1


def main(out: Path) -> int:
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
    write_days(work / "Pictures" / "Summer")
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
    window.grid_view.verticalScrollBar().setValue(window.grid_view.gridSize().height() // 2)
    window.grid_view.select_row(3)
    window.grid_view.verticalScrollBar().setValue(window.grid_view.gridSize().height() // 2)
    _wait(app, 3.0)
    _grab(app, window, out / "grid-date-headers.png")
    window.grid_view.set_thumbnail_size(128)  # zoomed out: by month; at the end, the camera samples with places
    window.grid_view.verticalScrollBar().setValue(window.grid_view.verticalScrollBar().maximum())
    _wait(app, 2.0)
    _grab(app, window, out / "grid-month-headers.png")
    window.grid_view.set_thumbnail_size(192)
    library_item = window.sidebar.item(Mode.LIBRARY)  # a month picked in the sidebar: the grid filtered to it
    _wait(app, 5.0, until=lambda: library_item.childCount() > 0)
    year = library_item.child(0)
    year.setExpanded(True)
    if year.childCount():
        window.sidebar.tree.setCurrentItem(year.child(0))
        _wait(app, 5.0, until=lambda: window.browser.filter_bar.period_button.isVisible())
        _wait(app, 3.0)
        _grab(app, window, out / "grid-sidebar-month.png")
        window.browser.filter_bar.period_button.click()

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
