"""Events: the library cut into trips, outings and parties from capture time and place."""
