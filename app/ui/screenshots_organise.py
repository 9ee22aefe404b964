"""Screenshots of the organise features (issue 14) for docs/screenshots: `xvfb-run -s "-screen 0 1440x900x24"
python -m app.ui.screenshots_organise docs/screenshots`.

A small demo library imported through the importer, photos rated, favourited, rejected, turned and tagged through
`library.organise`, then the real window grabbed from the screen (app.ui.screenshots does the same for the
other pages).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

from app.ui.screenshots import _grab, _wait


def main(out: Path) -> int:
    from app.bench.gui import write_photos
    from app.core.library import Library
    from app.ui.application import create_app
    from app.ui.main_window import MainWindow
    from app.ui.palette import apply_system_palette
    from app.ui.settings import AppSettings

    out.mkdir(parents=True, exist_ok=True)
    app = create_app(["shoebox-screenshots"])
    apply_system_palette(app, force_dark=False)
    work = Path(tempfile.mkdtemp(prefix="shoebox-shots-"))
    write_photos(work / "Pictures" / "Trips", 30, seed=3, size=(900, 600))
    with Library.open(work / "Library", log_to_file=False) as library:
        library.importer.import_paths([work / "Pictures"], progress=False)
        ids = library.photos.ordered_ids()
        org = library.organise
        org.set_rating(ids[0:3], 5)
        org.set_rating(ids[3:6], 3)
        org.set_rating(ids[8:9], 1)
        org.set_favourite(ids[0:2] + ids[5:7], True)
        org.set_rejected(ids[9:11], True)
        org.rotate(ids[4:5], 90)
        org.add_tags(ids[0:6], ["Places/Norway/Lofoten", "hiking"])
        org.set_title(ids[1:2], "Reine at dawn")
        org.set_description(ids[1:2], "The first light on the peaks above the harbour.")

    window = MainWindow(AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)),
                        remember=False)
    window.open_library(work / "Library")
    window.resize(1400, 860)
    window.show()
    _wait(app, 5.0, until=lambda: window.browser.loaded)
    window.grid_view.select_row(1)
    _wait(app, 3.0)
    _grab(app, window, out / "organise-grid-badges.png")

    window.details_panel.toggle.click()
    _wait(app, 5.0, until=lambda: window.details_panel.loaded_for is not None)
    _grab(app, window, out / "info-details.png")
    window.details_panel.toggle.click()

    window.browser.open_viewer(4)
    _wait(app, 5.0, until=lambda: window.viewer._stage == 2)
    _grab(app, window, out / "organise-viewer-rotated.png")
    window.browser.open_viewer(1)
    _wait(app, 5.0, until=lambda: window.viewer._stage == 2)
    window.viewer.canvas.set_zoom(2.0)
    window.viewer.canvas.pan.setX(300)
    window.viewer.canvas._clamp_pan()
    _grab(app, window, out / "viewer-zoomed.png")
    window.browser.close_viewer(1)

    window.show_settings()
    _wait(app, 1.0)
    _grab(app, window.settings_dialog, out / "settings-dialog.png")
    window.settings_dialog.close()
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
