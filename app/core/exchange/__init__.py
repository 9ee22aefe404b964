"""Getting photos out of the library: export to a folder or a .zip, with optional XMP sidecars."""
