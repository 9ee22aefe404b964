"""A screenshot of an album's summary (app.core.summaries) for docs/screenshots:
`xvfb-run -a -s "-screen 0 1440x900x24" python -m app.ui.screenshots_summaries docs/screenshots`.

The demo library: a week in Lisbon (painted JPEGs imported through the importer) with capture times, place
names, two named people, and descriptions typed as a user would, next to a folder of photos from home (Boston). No real
CLIP weights can be had offline (see /work/shared/MODELS.md), so the image vectors here are the photos' own
downscaled pixels (model id `demo:pixels-16x16`): k-medoids then groups look-alike paintings (sunsets, day skies,
dusk) the way it groups CLIP vectors of look-alike photos. The screen is grabbed, not rendered.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.ui.screenshots import _grab, _wait

TRIP = [  # (day of July 2019, place, who, description)
    (12, "Lisbon", ["Ana"], "Arrived, first walk down to the river"),
    (12, "Lisbon", ["Ana", "João"], "Yellow tram 28 climbing to Graça"),
    (13, "Lisbon", ["Ana"], "Pastéis de nata in Belém"),
    (13, "Lisbon", [], "Sunset from the Miradouro da Senhora do Monte"),
    (13, "Lisbon", ["Ana", "João"], "The tram again, packed"),
    (14, "Sintra", ["Ana"], "Pena Palace in the fog"),
    (14, "Sintra", ["Ana", "João"], "Moorish castle walls"),
    (14, "Sintra", [], "Palace gardens"),
    (15, "Cascais", ["Ana"], "Beach day at Cascais"),
    (15, "Cascais", ["Ana"], "Sunset on the beach"),
    (15, "Cascais", [], "Fishing boats on the beach"),
    (16, "Lisbon", ["João"], "Fado night in Alfama"),
    (16, "Lisbon", ["Ana"], "Tiles everywhere in Alfama"),
    (17, "Lisbon", ["Ana", "João"], "Time Out market lunch"),
    (17, "Lisbon", [], "Sunset over the river"),
    (18, "Lisbon", ["Ana"], "Tram 15 to Belém"),
    (18, "Lisbon", [], "Belém tower"),
    (19, "Lisbon", ["Ana", "João"], "Last sunset, rooftop bar"),
]
HOME = ["Birthday cake in the kitchen", "The garden in June", "Sunday walk with the dog", "The dog in the garden",
        "Rain on the window", "Kids in the garden", "Our kitchen after the move", "Birthday candles",
        "Snow in the garden", "The dog asleep", "Pancakes on Sunday", "The kitchen window"]


def build_library(work: Path) -> Path:
    from sqlalchemy import select

    from app.bench.gui import paint_scene
    from app.core.db.models import Embedding, Face, Person, Photo, PhotoFile, PhotoPlace
    from app.core.library import Library

    trip, home = work / "Pictures" / "Lisbon 2019", work / "Pictures" / "Home"
    trip.mkdir(parents=True)
    home.mkdir(parents=True)
    for i in range(len(TRIP)):
        paint_scene(200 + i, 480, 320).save(trip / f"IMG_{i:04d}.jpg", quality=85)
    for i in range(len(HOME)):
        paint_scene(500 + i, 480, 320).save(home / f"IMG_{i:04d}.jpg", quality=85)
    root = work / "Library"
    rng = random.Random(1)
    with Library.open(root, log_to_file=False, create=True) as library:
        library.importer.import_paths([trip.parent], progress=False)
        with library.db.write_session() as s:
            ids = {Path(path).parent.name + "/" + Path(path).name: pid
                   for pid, path in s.execute(select(PhotoFile.photo_id, PhotoFile.path))}
            people = {name: Person(name=name, hidden=False, created_at=0.0) for name in ("Ana", "João")}
            s.add_all(people.values())
            s.flush()
            trip_ids = []
            for i, (day, city, who, _text) in enumerate(TRIP):
                photo = s.get(Photo, ids[f"Lisbon 2019/IMG_{i:04d}.jpg"])
                photo.taken_at = f"2019-07-{day:02d}T{rng.randint(9, 20):02d}:{rng.randint(0, 59):02d}:00"
                photo.taken_at_source, photo.tz_offset = "exif", "+01:00"
                photo.gps_lat, photo.gps_lon = {"Lisbon": (38.71, -9.14), "Sintra": (38.80, -9.38),
                                                "Cascais": (38.70, -9.42)}[city]
                s.merge(PhotoPlace(photo_id=photo.id, city=city, country="Portugal"))
                s.add_all(Face(photo_id=photo.id, model_id="demo", x=0, y=0, w=1, h=1, score=1, size_px=80, blur=80,
                               person_id=people[name].id, created_at=0.0) for name in who)
                trip_ids.append(photo.id)
            home_ids = [ids[f"Home/IMG_{i:04d}.jpg"] for i in range(len(HOME))]
            for n, photo_id in enumerate(home_ids):  # home is where most days are: the week in Lisbon is a trip
                photo = s.get(Photo, photo_id)
                photo.taken_at, photo.taken_at_source = f"2019-0{1 + n % 6}-{1 + 2 * n:02d}T12:00:00", "exif"
                photo.gps_lat, photo.gps_lon = 42.36, -71.06
                s.merge(PhotoPlace(photo_id=photo.id, city="Boston", country="United States"))
            for photo_id, vector in pixel_vectors(s, trip_ids + home_ids).items():
                s.add(Embedding(photo_id=photo_id, model_id="demo:pixels-16x16", dim=len(vector),
                                vector=vector.tobytes(), runtime="numpy", device="cpu", created_at=time.time()))
        for photo_id, (_d, _c, _w, text) in zip(trip_ids, TRIP):
            library.organise.set_description([photo_id], text)
        for photo_id, text in zip(home_ids, HOME):
            library.organise.set_description([photo_id], text)
        library.events.rebuild()
        library.albums.create("Lisbon 2019", trip_ids)
    return root


def pixel_vectors(s, photo_ids: list[int]) -> dict[int, np.ndarray]:
    """Stand-in image vectors: each photo's 16×16 RGB pixels, centred and of unit length."""
    from PIL import Image
    from sqlalchemy import select

    from app.core.db.models import PhotoFile

    paths = dict(s.execute(select(PhotoFile.photo_id, PhotoFile.path).where(PhotoFile.photo_id.in_(photo_ids))).all())
    rows = {i: np.asarray(Image.open(paths[i]).convert("RGB").resize((16, 16)), np.float32).ravel() / 255
            for i in photo_ids}
    mean = np.mean(list(rows.values()), axis=0)
    return {i: ((v - mean) / np.linalg.norm(v - mean)).astype(np.float32) for i, v in rows.items()}


def main(out: Path) -> int:
    from app.ui.application import create_app
    from app.ui.main_window import MainWindow
    from app.ui.palette import apply_system_palette
    from app.ui.settings import AppSettings
    from app.ui.views import Mode, Place

    out.mkdir(parents=True, exist_ok=True)
    app: QApplication = create_app(["shoebox-screenshots"])
    apply_system_palette(app, force_dark=False)
    work = Path(tempfile.mkdtemp(prefix="shoebox-shots-summaries-"))
    root = build_library(work)
    window = MainWindow(AppSettings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)),
                        remember=False)
    window.open_library(root)
    window.resize(1400, 860)
    window.show()
    _wait(app, 10.0, until=lambda: window.browser.loaded)

    albums = window.views[Mode.ALBUMS]
    window.navigate(Place(Mode.ALBUMS))
    _wait(app, 10.0, until=lambda: albums.loaded)
    album = next(iter(albums.albums.values()))
    window.navigate(Place(Mode.ALBUMS, album.id))
    bar = albums.summary_bar
    _wait(app, 20.0, until=lambda: bool(bar.picture_ids()) and window.grid_model.rowCount() == len(album.photo_ids))
    _wait(app, 60.0, until=lambda: window.tasks_button.text() == "No background tasks")  # the import's follow-ups
    _wait(app, 2.0)
    print("album:", bar.text.text())
    _grab(app, window, out / "album-summary.png")

    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
