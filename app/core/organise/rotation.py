"""The user's rotation (degrees clockwise, on top of the EXIF orientation), applied to images and combined into
one EXIF orientation value for sidecars; originals are never rewritten."""

from __future__ import annotations

# EXIF orientation <-> (mirrored, degrees clockwise to show it upright)
_ORIENTATIONS = {1: (False, 0), 6: (False, 90), 3: (False, 180), 8: (False, 270),
                 2: (True, 0), 7: (True, 90), 4: (True, 180), 5: (True, 270)}
_BY_TRANSFORM = {v: k for k, v in _ORIENTATIONS.items()}


def combined_orientation(exif_orientation: int | None, rotation: int) -> int:
    """The EXIF orientation value that shows the photo as the user turned it."""
    mirrored, degrees = _ORIENTATIONS.get(exif_orientation or 1, (False, 0))
    return _BY_TRANSFORM[(mirrored, (degrees + rotation) % 360)]


def rotate_pil(image, rotation: int):
    """A Pillow image turned clockwise by `rotation` (a multiple of 90)."""
    from PIL import Image

    steps = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    method = steps.get(rotation % 360)
    return image.transpose(method) if method is not None else image
