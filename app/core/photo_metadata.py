"""The metadata fields of a photo, declared once: the EXIF reader fills them, the `photos` table stores them (its
columns are made from this class), `PhotoInfo` shows them, and the copies between them iterate
`dataclasses.fields`. Add a field here (and a migration), nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Optional


def _column(length: int | None = None, *, index: bool = False):
    """How the field is stored: `length` for text columns, `index` for columns the views sort on."""
    return field(metadata={"length": length, "index": index})


@dataclass(frozen=True)
class PhotoMetadata:
    # ISO 8601 local wall-clock time as the camera wrote it, without offset; the offset is kept apart.
    taken_at: Optional[str] = _column(32, index=True)
    # Which source gave taken_at: DateTimeOriginal | DateTimeDigitized | DateTime | mtime
    taken_at_source: Optional[str] = _column(24)
    tz_offset: Optional[str] = _column(8)  # "+01:00" from OffsetTimeOriginal
    gps_lat: Optional[float] = _column()
    gps_lon: Optional[float] = _column()
    gps_alt: Optional[float] = _column()
    camera_make: Optional[str] = _column(128)
    camera_model: Optional[str] = _column(128)
    lens: Optional[str] = _column(128)
    orientation: Optional[int] = _column()  # the EXIF Orientation as written (1-8)

    @property
    def camera(self) -> str | None:
        """Make and model for people: "Canon EOS 5D", also when the model already names the make
        ("Canon" + "Canon EOS 5D", "NIKON CORPORATION" + "NIKON D750")."""
        make, model = self.camera_make, self.camera_model
        if make and model:
            brand = make.split()[0].lower()
            if model.lower().startswith(brand):
                return model
        return " ".join(part for part in (make, model) if part) or None


def metadata_of(obj) -> dict:
    """The metadata fields of any object that has them (a Photo row, a PhotoMetadata), by name."""
    return {f.name: getattr(obj, f.name) for f in fields(PhotoMetadata)}
