"""Where photos were taken, for the map: photos with GPS, clustered for a zoom level, found in a box; and the
offline world outline the map draws under them.

Clustering is a grid in Web Mercator units (what the map shows: a cell is square on screen), so it costs one
pass over the points for any zoom; the window runs it on its reader thread whenever the view moves. The
world outline is Natural Earth's 1:110m countries (public domain), shipped as resources/world-110m.json.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from sqlalchemy import and_, select

from app.core.db.models import Photo

if TYPE_CHECKING:
    from app.core.library import Library

WORLD = Path(__file__).resolve().parents[2] / "resources" / "world-110m.json"
MAX_LAT = 85.05112878  # Web Mercator's edge: the map is square


@dataclass(frozen=True)
class GpsPoint:
    photo_id: int
    lat: float
    lon: float


@dataclass(frozen=True)
class Box:
    """Degrees: south <= lat <= north, west <= lon <= east."""

    south: float
    west: float
    north: float
    east: float

    def query(self) -> str:
        """The query language's filter for the photos in this box (`bbox:south,west,north,east`)."""
        return "bbox:" + ",".join(f"{v:.7f}" for v in (self.south, self.west, self.north, self.east))

    @classmethod
    def parse(cls, text: str) -> "Box":
        """'south,west,north,east' in degrees; ValueError with the reason otherwise."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 4:
            raise ValueError("takes four numbers: south,west,north,east")
        south, west, north, east = (float(p) for p in parts)
        if not (-90 <= south <= north <= 90) or not (-180 <= west <= 180 and -180 <= east <= 180) or west > east:
            raise ValueError("wants -90 <= south <= north <= 90 and -180 <= west <= east <= 180")
        return cls(south, west, north, east)

    def padded(self, degrees: float) -> "Box":
        return Box(max(-90.0, self.south - degrees), max(-180.0, self.west - degrees),
                   min(90.0, self.north + degrees), min(180.0, self.east + degrees))


@dataclass(frozen=True)
class Cluster:
    """`count` photos around (lat, lon) (their mean), spanning `box`; `photo_id` is one of them (a cover)."""

    lat: float
    lon: float
    count: int
    box: Box
    photo_id: int


def mercator(lat: float, lon: float) -> tuple[float, float]:
    """(x, y) in degrees-like Web Mercator units: x = lon, y grows northwards, both in [-180, 180]."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    y = math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))
    return lon, y


def inverse_mercator(x: float, y: float) -> tuple[float, float]:
    """(lat, lon) of Web Mercator units (x, y)."""
    lat = math.degrees(2 * math.atan(math.exp(math.radians(y))) - math.pi / 2)
    return lat, x


def gps_points(library: "Library") -> list[GpsPoint]:
    """Every visible photo with a position."""
    with library.db.read_session() as s:
        rows = s.execute(select(Photo.id, Photo.gps_lat, Photo.gps_lon).where(
            Photo.hidden.is_(False), Photo.gps_lat.is_not(None), Photo.gps_lon.is_not(None)))
        return [GpsPoint(pid, lat, lon) for pid, lat, lon in rows]


def cluster_points(points: Iterable[GpsPoint], cell: float) -> list[Cluster]:
    """The points grouped by a square grid of `cell` Web Mercator units (the map's zoom decides the cell:
    a few dozen pixels on screen), biggest clusters first."""
    if cell <= 0:
        raise ValueError("the cell size must be positive")
    cells: dict[tuple[int, int], list[GpsPoint]] = {}
    for point in points:
        x, y = mercator(point.lat, point.lon)
        cells.setdefault((math.floor(x / cell), math.floor(y / cell)), []).append(point)
    clusters = []
    for members in cells.values():
        lats = [p.lat for p in members]
        lons = [p.lon for p in members]
        clusters.append(Cluster(sum(lats) / len(lats), sum(lons) / len(lons), len(members),
                                Box(min(lats), min(lons), max(lats), max(lons)), members[0].photo_id))
    clusters.sort(key=lambda c: -c.count)
    return clusters


def box_condition(box: Box):
    """The SQL condition on photos for `box` (the query language's bbox: uses it too)."""
    return and_(Photo.gps_lat.is_not(None), Photo.gps_lon.is_not(None),
                Photo.gps_lat >= box.south, Photo.gps_lat <= box.north,
                Photo.gps_lon >= box.west, Photo.gps_lon <= box.east)


def photos_in_box(library: "Library", box: Box) -> list[int]:
    """Visible photos taken inside `box`, newest first (the grid's order)."""
    from app.core.search.query import run_query

    return list(run_query(library, box.query()))


@dataclass(frozen=True)
class Country:
    name: str
    iso: str
    rings: tuple[tuple[float, ...], ...]  # each ring flat: lon, lat, lon, lat, ...


@lru_cache(maxsize=1)
def world(path: Path = WORLD) -> tuple[Country, ...]:
    """The shipped country outlines (empty when the file is missing: the map then draws its graticule only)."""
    if not path.is_file():
        return ()
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(Country(c["name"], c["iso"], tuple(tuple(r) for r in c["rings"])) for c in data["countries"])


def extent(points: Sequence[GpsPoint]) -> Box | None:
    """The smallest box holding every point (None for none)."""
    if not points:
        return None
    lats = [p.lat for p in points]
    lons = [p.lon for p in points]
    return Box(min(lats), min(lons), max(lats), max(lons))
