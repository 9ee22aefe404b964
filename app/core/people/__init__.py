"""People: faces found in photos (scan), grouped into people (cluster), and corrected by the user (operations)."""
