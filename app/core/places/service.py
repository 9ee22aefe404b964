"""`library.places`: place names per photo, filled by the background `places` task after each import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from sqlalchemy import select

from app.core.db.models import Photo, PhotoPlace
from app.core.places.gazetteer import Place

if TYPE_CHECKING:
    from app.core.library import Library

BATCH = 500


class PlaceService:
    def __init__(self, library: "Library"):
        self._library = library

    def get(self, photo_id: int) -> Place | None:
        """The photo's place (None when it has no GPS or has not been named yet)."""
        with self._library.db.read_session() as s:
            row = s.get(PhotoPlace, photo_id)
            return None if row is None else Place(row.city, row.region, row.country, row.country_code)

    def pending(self, session) -> list[tuple[int, float, float]]:
        """Photos with GPS and no place row yet (a row with no names means "looked, nothing there")."""
        query = (select(Photo.id, Photo.gps_lat, Photo.gps_lon)
                 .where(Photo.gps_lat.is_not(None), Photo.gps_lon.is_not(None))
                 .where(~Photo.id.in_(select(PhotoPlace.photo_id))).order_by(Photo.id))
        return list(session.execute(query))

    def name_pending(self, check_cancelled: Callable[[], None] = lambda: None) -> int:
        """Name every photo that lacks a place, in committed batches; returns how many were named."""
        from app.core.places.gazetteer import gazetteer

        with self._library.db.read_session() as s:
            todo = self.pending(s)
        if not todo:
            return 0
        names = gazetteer()
        for start in range(0, len(todo), BATCH):
            check_cancelled()
            rows = [(photo_id, names.name(lat, lon)) for photo_id, lat, lon in todo[start : start + BATCH]]
            with self._library.db.write_session() as s:
                for photo_id, place in rows:
                    if s.get(PhotoPlace, photo_id) is None and s.get(Photo, photo_id) is not None:
                        s.add(PhotoPlace(photo_id=photo_id, city=place.city, region=place.region,
                                         country=place.country, country_code=place.country_code))
        return len(todo)
