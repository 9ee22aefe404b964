"""Export photos to a folder or a .zip that a person can trust.

- Originals are copied byte for byte and each copy's sha256 is checked against the bytes read (and a change on
  disk since import is reported); `max_size` writes resized JPEGs instead (EXIF orientation and the user's
  rotation applied). A copied original keeps its bytes: its sidecar carries the user's rotation (tiff:Orientation).
  Video clips are always copied as they are (a clip has no smaller JPEG version).
- Every file is written to a temporary name in the destination, flushed to disk, verified, then renamed: a
  file that carries its final name is complete. A .zip is built as `<name>.zip.part` and renamed at the end.
- Names come from a template (app.core.exchange.names): safe on every OS, never outside the destination.
- Re-running into the same folder skips files whose final name already holds exactly the bytes it would write;
  a different file that already has the name is never overwritten (the export takes the next numbered name).
- A full disk or an unwritable destination stops the export with ExportError (one sentence), temp files removed.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.db.models import Photo
from app.core.exchange.names import DEFAULT_TEMPLATE, NameAllocator, render
from app.core.exchange.xmp import Sidecar, to_xml
from app.core.organise.rotation import combined_orientation, rotate_pil
from app.core.organise.service import PhotoEdits, read_edits

if TYPE_CHECKING:
    from app.core.library import Library

CHUNK = 1 << 20
TEMP_SUFFIX = ".shoebox-part"


class ExportError(Exception):
    """The export cannot go on (destination unwritable, disk full, nothing to export); message for the user."""


@dataclass
class ExportSummary:
    destination: str
    written: list[str] = field(default_factory=list)  # relative names, each verified by sha256
    unchanged: list[str] = field(default_factory=list)  # already there with the same bytes
    sidecars: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (photo id, reason)
    changed_since_import: list[int] = field(default_factory=list)
    cancelled: bool = False

    def to_json(self) -> dict:
        return {"destination": self.destination, "written": len(self.written), "verified": len(self.written),
                "unchanged": len(self.unchanged), "sidecars": self.sidecars,
                "failed": [{"id": i, "reason": r} for i, r in self.failed],
                "changed_since_import": self.changed_since_import, "cancelled": self.cancelled}

    def text(self) -> str:
        lines = [f"exported to {self.destination}: {len(self.written)} written and verified (sha256), "
                 f"{len(self.unchanged)} already there unchanged, {self.sidecars} sidecars, {len(self.failed)} failed"]
        if self.cancelled:
            lines.append("  cancelled: the files listed were finished; the rest were not started")
        lines += [f"  photo {i}: {reason}" for i, reason in self.failed]
        if self.changed_since_import:
            lines.append(f"  changed on disk since import (exported as they are now): {self.changed_since_import}")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Item:
    photo: Photo
    source: Optional[str]
    parts: list[str]
    edits: PhotoEdits = PhotoEdits()


def _disk_error(exc: OSError, where: Path) -> ExportError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ExportError(f"the disk holding {where} is full; the export stopped and left no partial file "
                           "under a final name. Free some space and run it again: finished files are skipped")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ExportError(f"cannot write to {where}: {exc.strerror}. Choose a folder you can write to")
    return ExportError(f"cannot write to {where}: {exc.strerror or exc}")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Exporter:
    def __init__(self, library: "Library", *, template: str = DEFAULT_TEMPLATE, sidecars: bool = False,
                 max_size: int | None = None, album_name: str | None = None,
                 progress: Callable[[int, int], None] | None = None, cancelled: Callable[[], bool] | None = None):
        if max_size is not None and max_size < 16:
            raise ExportError("--max-size must be at least 16 pixels")
        self.library = library
        self.template = template
        self.sidecars = sidecars
        self.max_size = max_size
        self.album_name = album_name
        self.progress = progress or (lambda done, total: None)
        self.cancelled = cancelled or (lambda: False)

    # -- planning ----------------------------------------------------------------------------------------------
    def _items(self, photo_ids: list[int]) -> list[_Item]:
        with self.library.db.read_session() as s:
            photos = list(s.scalars(select(Photo).options(selectinload(Photo.files)).where(Photo.id.in_(photo_ids))))
            edits = read_edits(s, [p.id for p in photos])
            self._people = people_in(s, photo_ids) if self.sidecars else {}
            s.expunge_all()
        photos.sort(key=lambda p: (p.taken_at is None, p.taken_at or "", p.id))  # a fixed order: stable numbering
        names = self._names = NameAllocator(stem_unique=self.sidecars)
        items = []
        for photo in photos:
            source = next((f.path for f in photo.files if not f.missing), None)
            original = Path(source or (photo.files[0].path if photo.files else f"photo-{photo.id}")).name
            stem, dot, ext = original.rpartition(".") if "." in original else (original, "", "")
            if self._resized(photo):
                dot, ext = ".", "jpg"
            values = {"date": (photo.taken_at or "undated")[:10], "time": (photo.taken_at or "")[11:19].replace(":", ""),
                      "name": stem + dot + ext, "stem": stem, "ext": ext, "album": self.album_name or "",
                      "id": str(photo.id)}
            items.append(_Item(photo, source, names.allocate(render(self.template, values)),
                               edits.get(photo.id, PhotoEdits())))
        return items

    def _resized(self, photo: Photo) -> bool:
        """Written as a resized JPEG (max_size), not copied: photos only."""
        return bool(self.max_size) and photo.media != "video"

    # -- running -----------------------------------------------------------------------------------------------
    def export(self, photo_ids: Iterable[int], destination: Path | str) -> ExportSummary:
        destination = Path(destination).expanduser()
        photo_ids = list(dict.fromkeys(photo_ids))
        if not photo_ids:
            raise ExportError("there are no photos to export")
        items = self._items(photo_ids)
        unknown = set(photo_ids) - {i.photo.id for i in items}
        summary = ExportSummary(str(destination))
        summary.failed += [(i, "no such photo") for i in sorted(unknown)]
        if destination.suffix.lower() == ".zip":
            self._to_zip(items, destination, summary)
        else:
            self._to_folder(items, destination, summary)
        return summary

    def _content(self, item: _Item, summary: ExportSummary) -> Optional[bytes | Path]:
        """The bytes to write (resized) or the source path (original); None after recording a failure."""
        if item.source is None:
            summary.failed.append((item.photo.id, "none of its files is on disk any more"))
            return None
        if not os.path.isfile(item.source):
            summary.failed.append((item.photo.id, f"{item.source} is gone"))
            return None
        if not self._resized(item.photo):
            return Path(item.source)
        try:
            return _resized_jpeg(item.source, self.max_size, item.edits.rotation)
        except Exception as exc:  # noqa: BLE001 - a photo that cannot be decoded fails alone
            summary.failed.append((item.photo.id, f"cannot resize {item.source}: {exc}"))
            return None

    def _sidecar(self, item: _Item) -> bytes:
        """The photo's title, description, rating, tags (flat and hierarchical) and album; the orientation the
        user turned it to, for copies of originals (resized copies are written turned, so they need none)."""
        photo, edits = item.photo, item.edits
        taken = photo.taken_at + (photo.tz_offset or "") if photo.taken_at else None
        flat = ([t.rsplit("/", 1)[-1] for t in edits.tags] + ([self.album_name] if self.album_name else [])
                + self._people.get(photo.id, []))
        orientation = None
        if edits.rotation and not self.max_size:
            orientation = combined_orientation(photo.orientation, edits.rotation)
        return to_xml(Sidecar(title=edits.title, description=edits.description, taken_at=taken,
                              gps_lat=photo.gps_lat, gps_lon=photo.gps_lon, keywords=list(dict.fromkeys(flat)),
                              hierarchical=[t for t in edits.tags if "/" in t], rating=edits.rating,
                              rejected=edits.rejected, orientation=orientation))

    def _to_folder(self, items: list[_Item], destination: Path, summary: ExportSummary) -> None:
        root = destination.resolve() if destination.exists() else destination.absolute()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _disk_error(exc, destination) from exc
        if not root.is_dir():
            raise ExportError(f"{destination} is not a folder")
        root = root.resolve()
        for done, item in enumerate(items):
            if self.cancelled():
                summary.cancelled = True
                break
            content = self._content(item, summary)
            if content is not None:
                target = root.joinpath(*item.parts)
                if root not in target.resolve().parents:  # names.render makes this impossible; stay sure
                    summary.failed.append((item.photo.id, f"refused to write outside {root}: {target}"))
                    continue
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    state = self._write_verified(item, content, target, summary)
                    while state == "occupied":  # a different file already has this name: never overwrite it
                        target = root.joinpath(*self._names.allocate(item.parts))
                        state = self._write_verified(item, content, target, summary)
                    name = target.relative_to(root).as_posix()
                    (summary.written if state == "written" else summary.unchanged).append(name)
                    if self.sidecars:
                        self._write_bytes(target.with_suffix(".xmp"), self._sidecar(item))
                        summary.sidecars += 1
                except OSError as exc:
                    raise _disk_error(exc, destination) from exc
            self.progress(done + 1, len(items))

    def _write_verified(self, item: _Item, content: bytes | Path, target: Path, summary: ExportSummary) -> str:
        """Write and verify ("written"); "unchanged" when the same bytes are already there; "occupied" when
        another file holds the name (it is left alone)."""
        if isinstance(content, Path):
            expected = _sha256_file(content)
            if expected != item.photo.sha256 and item.photo.id not in summary.changed_since_import:
                summary.changed_since_import.append(item.photo.id)
        else:
            expected = hashlib.sha256(content).hexdigest()
        if target.exists() or target.is_symlink():
            if target.is_file() and not target.is_symlink() and _sha256_file(target) == expected:
                return "unchanged"
            return "occupied"
        temp = target.with_name(f".{target.name}{TEMP_SUFFIX}")
        try:
            with open(temp, "wb") as out:
                if isinstance(content, bytes):
                    out.write(content)
                else:
                    with open(content, "rb") as src:
                        while chunk := src.read(CHUNK):
                            out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if _sha256_file(temp) != expected:
                raise ExportError(f"the copy of {content} at {target} does not match the original (sha256); "
                                  "the disk may be failing, so the export stopped")
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        return "written"

    @staticmethod
    def _write_bytes(target: Path, data: bytes) -> None:
        temp = target.with_name(f".{target.name}{TEMP_SUFFIX}")
        try:
            temp.write_bytes(data)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)

    def _to_zip(self, items: list[_Item], destination: Path, summary: ExportSummary) -> None:
        """Build `<dest>.part`, check every entry's sha256 by reading it back, then rename (a re-run rebuilds)."""
        temp = destination.with_name(destination.name + TEMP_SUFFIX)
        expected: dict[str, str] = {}
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(temp, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                for done, item in enumerate(items):
                    if self.cancelled():
                        summary.cancelled = True
                        break
                    content = self._content(item, summary)
                    if content is not None:
                        name = "/".join(item.parts)
                        data = content if isinstance(content, bytes) else content.read_bytes()
                        if isinstance(content, Path) and hashlib.sha256(data).hexdigest() != item.photo.sha256:
                            summary.changed_since_import.append(item.photo.id)
                        archive.writestr(name, data)
                        expected[name] = hashlib.sha256(data).hexdigest()
                        if self.sidecars:
                            archive.writestr(name.rpartition(".")[0] + ".xmp", self._sidecar(item))
                            summary.sidecars += 1
                    self.progress(done + 1, len(items))
            with zipfile.ZipFile(temp) as archive:
                for name, sha in expected.items():
                    if hashlib.sha256(archive.read(name)).hexdigest() != sha:
                        raise ExportError(f"{name} in {destination} does not match the original (sha256)")
            os.replace(temp, destination)
        except OSError as exc:
            raise _disk_error(exc, destination) from exc
        finally:
            temp.unlink(missing_ok=True)
        summary.written += list(expected)


def _resized_jpeg(path: str, max_size: int, rotation: int = 0) -> bytes:
    from PIL import Image, ImageOps

    from app.core.ingest.analyse import register_heif

    try:
        register_heif()  # HEIC originals
    except ImportError:
        pass
    with Image.open(path) as image:
        image = rotate_pil(ImageOps.exif_transpose(image), rotation)
        image.thumbnail((max_size, max_size), Image.Resampling.LANCZOS)
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
    return out.getvalue()


def people_in(session, photo_ids: list[int]) -> dict[int, list[str]]:
    """{photo id: names of the people in it} (named, not hidden; forgotten faces count for nobody): the
    sidecars' people keywords."""
    from app.core.db.models import Face, Person

    found: dict[int, set[str]] = {}
    for start in range(0, len(photo_ids), 500):  # SQLite caps the bound parameters of one statement
        rows = session.execute(
            select(Face.photo_id, Person.name).join(Person, Person.id == Face.person_id)
            .where(Face.photo_id.in_(photo_ids[start:start + 500]), Face.forgotten.is_(False),
                   Person.name.is_not(None), Person.hidden.is_(False)))
        for photo_id, name in rows:
            found.setdefault(photo_id, set()).add(name)
    return {photo_id: sorted(names) for photo_id, names in found.items()}


def photos_for(library: "Library", *, album: int | None = None, event: int | None = None,
               photos: list[int] | None = None) -> tuple[list[int], str | None]:
    """The photo ids to export and the album/event name (for sidecars and {album})."""
    if album is not None:
        info = library.albums.get(album)
        return info.photo_ids, info.name
    if event is not None:
        info = library.events.get(event)
        return info.photo_ids, info.title
    return list(photos or []), None
