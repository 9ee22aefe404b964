"""Screenshots of the real window for docs/screenshots: `xvfb-run -s "-screen 0 1440x900x24" python -m
app.ui.screenshots docs/screenshots`.

It builds a demo library the way a user would (generated photo-like JPEGs with EXIF plus the sample camera
files in ../shared/corpus when present, imported through the importer), then drives the window and grabs the
screen (not an offscreen render), so what is shown is what a person sees.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _wait(app: QApplication, seconds: float, until=None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if until is not None and until():
            return
        time.sleep(0.02)


def _grab(app: QApplication, window, path: Path) -> None:
    _wait(app, 0.4)
    screen = window.screen()
    pixmap = screen.grabWindow(window.winId())
    pixmap.save(str(path))
    print(f"wrote {path} ({pixmap.width()}x{pixmap.height()})")


def build_demo(root: Path) -> tuple[Path, Path]:
    """Photos to import now and a second folder to import live in the progress screenshot."""
    from PIL import Image

    from app.bench.gui import write_photos

    photos = root / "Pictures"
    paths = write_photos(photos / "Trips", 48, seed=3, size=(900, 600))
    write_photos(photos / "Garden", 16, seed=4, size=(900, 600), start_year=2020)
    original = paths[5]
    Image.open(original).resize((600, 400)).save(photos / "Trips" / "IMG_edit_small.jpg", quality=75)
    shutil.copy(original, photos / "Trips" / "IMG_copy.jpg")
    if CORPUS.is_dir():
        for sub in ("gps", "exif-org"):
            if (CORPUS / sub).is_dir():
                shutil.copytree(CORPUS / sub, photos / "Camera samples" / sub)
    later = root / "Card import"
    write_photos(later, 160, seed=7, size=(1600, 1200), start_year=2021)
    return photos, later


def install_random_clip(library, work: Path) -> bool:
    """A ViT-B-32 with RANDOM weights (no real CLIP weights can be had offline, see MODELS.md), imported through
    the real path, so the search screenshot shows the real mechanics; its ranking means nothing. Needs `ml`."""
    try:
        import open_clip
        import torch
    except ImportError:
        return False
    torch.manual_seed(0)
    checkpoint = work / "ViT-B-32-random-init.pt"
    torch.save(open_clip.create_model("ViT-B-32").state_dict(), checkpoint)
    library.models.import_path(checkpoint, arch="ViT-B-32", model_id="clip:ViT-B-32/random-init")
    return True


def main(out: Path) -> int:
    from app.core.library import Library
    from app.ui.application import create_app
    from app.ui.main_window import MainWindow
    from app.ui.palette import apply_system_palette
    from app.ui.settings import AppSettings
    from app.ui.views import Mode

    out.mkdir(parents=True, exist_ok=True)
    app = create_app(["shoebox-screenshots"])
    apply_system_palette(app, force_dark=False)
    work = Path(tempfile.mkdtemp(prefix="shoebox-shots-"))
    photos, later = build_demo(work)
    with Library.open(work / "Library", log_to_file=False) as library:
        library.importer.import_paths([photos], progress=False)

    window = MainWindow(AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)),
                        remember=False)
    window.open_library(work / "Library")
    window.resize(1400, 860)
    window.show()
    library_item = window.sidebar.item(Mode.LIBRARY)
    _wait(app, 5.0, until=lambda: window.browser.loaded and library_item.childCount() > 0)
    if library_item.childCount():
        library_item.child(0).setExpanded(True)
    window.grid_view.select_row(2)
    _wait(app, 3.0)
    _grab(app, window, out / "library-grid.png")

    window.browser.open_viewer(2)
    _wait(app, 5.0, until=lambda: window.viewer._stage == 2)
    _grab(app, window, out / "viewer.png")
    window.browser.close_viewer(2)

    window.show_duplicates()
    _wait(app, 5.0, until=lambda: window.duplicates_view.loaded)
    _wait(app, 2.0)
    _grab(app, window, out / "duplicates.png")

    window.show_library()
    window.task_dock.show()
    window.import_paths([str(later)])
    _wait(app, 6.0, until=lambda: window.grid_model.rowCount() > 90)
    _grab(app, window, out / "import-progress.png")
    _wait(app, 120.0, until=lambda: not window.imports.active)
    window.task_dock.hide()

    window.search_box.setText("sunset over the lake")
    _wait(app, 20.0, until=lambda: bool(window.message_area.messages()))
    _grab(app, window, out / "search-no-model.png")
    window.search_box.clear()
    for bar in window.message_area.messages():
        bar.dismiss()

    if install_random_clip(window.library, work):
        window.library.search.schedule_embedding()
        _wait(app, 300.0, until=lambda: window.library.search.status().embedded == window.library.photos.count())
        window.search_box.setText("sunset over the lake")
        _wait(app, 20.0, until=lambda: window.grid_model.rowCount() < window.library.photos.count())
        _wait(app, 3.0)
        _grab(app, window, out / "search-results-random-model.png")
        window.search_box.clear()
        _wait(app, 2.0)

    apply_system_palette(app, force_dark=True)
    window.grid_view.set_thumbnail_size(224)
    window.grid_view.select_row(7)
    _wait(app, 2.0)
    _grab(app, window, out / "library-dark.png")
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
