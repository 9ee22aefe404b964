"""The user's own organisation of photos: rotation, favourites, ratings, reject flags, titles, descriptions and
tags (service.py), and reading what other programs embedded in the files (embedded.py)."""
