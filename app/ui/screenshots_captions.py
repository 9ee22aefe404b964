"""Screenshot of the info panel's Caption section (issue 12) for docs/screenshots: `QT_QPA_PLATFORM=offscreen
python -m app.ui.screenshots_captions docs/screenshots` (or under xvfb-run).

A small demo library with no caption model: the section says so and offers Download… / Use files on disk…, and
the photo shows a caption the user typed (no made-up model caption, in the app or in its pictures).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, Qt

from app.ui.screenshots import _wait
from app.ui.screenshots_voice import _render

TYPED = "Aunt Ida's boathouse, the morning after the storm"


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
    write_photos(work / "Pictures" / "Lake", 12, seed=7, size=(900, 600))
    with Library.open(work / "Library", log_to_file=False) as library:
        library.importer.import_paths([work / "Pictures"], progress=False)
        photo = library.photos.ordered_ids()[3]
        library.captions.set(photo, TYPED)
        library.tasks.run_until_idle(progress=False)

    window = MainWindow(AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)),
                        remember=False)
    window.open_library(work / "Library")
    window.resize(1400, 900)
    window.show()
    _wait(app, 5.0, until=lambda: window.browser.loaded)
    window.resizeDocks([window.info_dock], [380], Qt.Orientation.Horizontal)
    window.browser.open_viewer(3)
    panel = window.caption_panel
    _wait(app, 10.0, until=lambda: window.viewer._stage == 2 and panel.loaded_for is not None)
    window.info_panel.ensureWidgetVisible(panel.model_box, 0, 0)
    _wait(app, 1.0)
    _render(app, window, out / "caption-panel.png")
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
