"""Screenshots of the Events view, an album and the Export dialog for docs/screenshots:
`xvfb-run -a -s "-screen 0 1440x900x24" python -m app.ui.screenshots_events docs/screenshots`.

The demo library is the synthetic year of app.bench.life_timeline (the one `shoebox bench events` measures):
one painted JPEG per photo, imported through the importer, then given the timeline's capture times, GPS and
place names (as the places task would), and segmented into events. The screen is grabbed, not rendered.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.ui.screenshots import _grab, _wait


def build_library(work: Path) -> Path:
    from sqlalchemy import select

    from app.bench.gui import paint_scene
    from app.bench.life_timeline import life_timeline
    from app.core.db.models import Photo, PhotoFile, PhotoPlace
    from app.core.library import Library

    timeline = life_timeline()
    folder = work / "Pictures" / "Phone"
    folder.mkdir(parents=True)
    for i, _photo in enumerate(timeline):
        paint_scene(900 + i, 480, 320).save(folder / f"IMG_{i:04d}.jpg", quality=80)
    root = work / "Library"
    with Library.open(root, log_to_file=False, create=True) as library:
        library.importer.import_paths([folder], progress=False)
        with library.db.write_session() as s:
            by_name = {Path(path).name: pid for pid, path in s.execute(select(PhotoFile.photo_id, PhotoFile.path))}
            for i, item in enumerate(timeline):
                photo = s.get(Photo, by_name[f"IMG_{i:04d}.jpg"])
                photo.taken_at, photo.taken_at_source = item.taken_at, item.taken_at_source
                photo.tz_offset, photo.gps_lat, photo.gps_lon = item.tz_offset, item.gps_lat, item.gps_lon
                s.merge(PhotoPlace(photo_id=photo.id, city=item.city, country=item.country))
        library.events.rebuild()
        events = library.events.list()
        summer = [p for e in events if e.title.startswith(("Paris", "Barnstable")) for p in e.photo_ids]
        album = library.albums.create("Summer 2019", summer)
        library.albums.set_cover(album, summer[len(summer) // 3])
        library.albums.create("Kyoto", query="place:Kyoto")
        library.albums.create("Birthdays", [p for e in events if "Boston" in e.title for p in e.photo_ids][:12])
    return root


def main(out: Path) -> int:
    from app.ui.application import create_app
    from app.ui.main_window import MainWindow
    from app.ui.palette import apply_system_palette
    from app.ui.settings import AppSettings
    from app.ui.views import Mode, Place

    out.mkdir(parents=True, exist_ok=True)
    app: QApplication = create_app(["shoebox-screenshots"])
    apply_system_palette(app, force_dark=False)
    work = Path(tempfile.mkdtemp(prefix="shoebox-shots-events-"))
    root = build_library(work)
    window = MainWindow(AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)),
                        remember=False)
    window.open_library(root)
    window.resize(1400, 860)
    window.show()
    _wait(app, 10.0, until=lambda: window.browser.loaded)

    events = window.views[Mode.EVENTS]
    window.navigate(Place(Mode.EVENTS))
    _wait(app, 10.0, until=lambda: events.loaded)
    window.sidebar.item(Mode.EVENTS).setExpanded(True)
    _wait(app, 4.0)
    _grab(app, window, out / "events.png")

    albums = window.views[Mode.ALBUMS]
    _wait(app, 10.0, until=lambda: albums.loaded)
    summer = next(a for a in albums.albums.values() if a.name == "Summer 2019")
    window.navigate(Place(Mode.ALBUMS, summer.id))
    _wait(app, 10.0, until=lambda: window.grid_model.rowCount() == len(summer.photo_ids))
    window.grid_view.select_row(4)
    _wait(app, 4.0)
    _grab(app, window, out / "album.png")

    dialog = albums.export_album(summer.id)
    dialog.destination.setText(str(work / "Export" / "Summer 2019"))
    dialog.sidecars.setChecked(True)
    dialog.export_button.click()
    _wait(app, 60.0, until=lambda: dialog.summary is not None)
    dialog.adjustSize()
    _wait(app, 1.0)
    pixmap = dialog.screen().grabWindow(dialog.winId())
    pixmap.save(str(out / "export-dialog.png"))
    print(f"wrote {out / 'export-dialog.png'} ({pixmap.width()}x{pixmap.height()})")
    dialog.close()
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
