"""Screenshots of the People view on real faces (../shared/faces) for docs/screenshots:
`xvfb-run -s "-screen 0 1440x900x24" python -m app.ui.screenshots_people docs/screenshots`.

Imports the photos the way a user would, lets the background face scan and clustering run, names two people
the way a user would (through the view), then grabs the screen: the People view, a person's album, the viewer
with face boxes, and the suggestions.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

from app.ui.screenshots import _grab, _wait

FACES = Path(__file__).resolve().parents[3] / "shared" / "faces"


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
    work = Path(tempfile.mkdtemp(prefix="shoebox-people-shots-"))
    photos = work / "Pictures" / "Friends"
    photos.mkdir(parents=True)
    for path in sorted(FACES.glob("*.jpg")):
        shutil.copy(path, photos / path.name)
    with Library.open(work / "Library", log_to_file=False, create=True) as library:
        library.importer.import_paths([photos.parent], progress=False)
        library.tasks.run_until_idle()

    window = MainWindow(AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)),
                        remember=False)
    window.open_library(work / "Library")
    window.resize(1400, 860)
    window.show()
    _wait(app, 5.0, until=lambda: window.browser.loaded)
    view = window.views[Mode.PEOPLE]
    window.navigate(Place(Mode.PEOPLE))
    _wait(app, 10.0, until=lambda: view.widget.cards.count() > 0)
    # Name the two biggest people, as a user would in their album's bar.
    for person, name in zip([c.id for c in view.cards[:2]], ["Alice", "Bob"]):
        view.open_person(person)
        _wait(app, 5.0, until=lambda: view.person_id == person)
        view.name_person(person, name)
        _wait(app, 10.0, until=lambda n=name: n in {c.name for c in view.cards})
    window.navigate(Place(Mode.PEOPLE))
    _wait(app, 10.0, until=lambda: view.widget.cards.count() > 0 and view.cards[0].name is not None)
    for bar in window.message_area.messages():
        bar.dismiss()
    _wait(app, 3.0)
    _grab(app, window, out / "people.png")

    alice = next(c.id for c in view.cards if c.name == "Alice")
    view.open_person(alice)
    _wait(app, 10.0, until=lambda: window.browser.loaded and window.grid_model.rowCount() > 0)
    window.grid_view.select_row(0)
    _wait(app, 3.0)
    _grab(app, window, out / "person-album.png")

    window.browser.open_viewer(0)
    window.viewer.faces_button.setChecked(True)
    _wait(app, 8.0, until=lambda: window.viewer._stage == 2 and bool(window.viewer.canvas.boxes))
    _grab(app, window, out / "viewer-face-boxes.png")
    window.browser.close_viewer(0)

    window.navigate(Place(Mode.PEOPLE, ("faces", alice)))
    _wait(app, 8.0, until=lambda: view.widget.faces.count() > 0)
    _wait(app, 2.0)
    _grab(app, window, out / "person-faces.png")
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
