"""SQLAlchemy models: the one source of truth for what a library stores.

Change a model, then add a migration with `alembic revision --autogenerate` (see migrations/__init__.py), so
that existing libraries upgrade in place when they are opened.
"""

from __future__ import annotations

import typing
from dataclasses import fields
from typing import Optional

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import CITEXT
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.core.db.types import BigInt, FsPath
from app.core.photo_metadata import PhotoMetadata


class Base(DeclarativeBase):
    pass


class Folder(Base):
    """A root folder the user imported; re-scans walk these."""

    __tablename__ = "folders"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(FsPath, unique=True)
    added_at: Mapped[float] = mapped_column(Float)
    last_scan_at: Mapped[Optional[float]] = mapped_column(Float)
    # Paused by the user: not watched and not rescanned at start-up (its photos stay in the library).
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class DuplicateGroup(Base):
    """Photos whose perceptual hashes are within the near-duplicate threshold of each other."""

    __tablename__ = "duplicate_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[float] = mapped_column(Float)
    photos: Mapped[list["Photo"]] = relationship(back_populates="duplicate_group")


def _metadata_columns() -> type:
    """A mixin with one nullable column per PhotoMetadata field (text length and index from the field)."""
    hints = typing.get_type_hints(PhotoMetadata)
    columns = {}
    for f in fields(PhotoMetadata):
        python_type = next(t for t in typing.get_args(hints[f.name]) if t is not type(None))
        sql_type = String(f.metadata["length"]) if python_type is str else {float: Float, int: Integer}[python_type]()
        columns[f.name] = mapped_column(sql_type, nullable=True, index=f.metadata["index"])
    return type("PhotoMetadataColumns", (), columns)


# Photos an import's last step still has to deal with; partial indexes hold only them (normally none), so that
# an unchanged re-import finds "none" without reading the whole table (migration 0014_reimport).
PHOTOS_UNGROUPED_SQL = "phash IS NOT NULL AND dup_key IS NULL"  # never grouped as near duplicates
PHOTOS_WITHOUT_CROPS_SQL = "phash IS NOT NULL AND phash_crops IS NULL"  # crop hashes still to compute


class Photo(_metadata_columns(), Base):
    """One distinct image content (by sha256); its files on disk are `PhotoFile` rows. The metadata columns
    (taken_at, GPS, camera, ...) come from app.core.photo_metadata.PhotoMetadata."""

    __tablename__ = "photos"
    # The grid's order (app.core.photos._ORDER: taken_at DESC NULLS LAST, id DESC) read backwards, hidden
    # included: the window's id list is a covering index scan instead of a sort (migration 0015_gridperf).
    __table_args__ = (
        Index("ix_photos_ungrouped", "id", sqlite_where=text(PHOTOS_UNGROUPED_SQL),
              postgresql_where=text(PHOTOS_UNGROUPED_SQL)),
        Index("ix_photos_without_crops", "id", sqlite_where=text(PHOTOS_WITHOUT_CROPS_SQL),
              postgresql_where=text(PHOTOS_WITHOUT_CROPS_SQL)),
        Index("ix_photos_display_order", "taken_at", "id", "hidden"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInt)
    width: Mapped[Optional[int]] = mapped_column(Integer)
    height: Mapped[Optional[int]] = mapped_column(Integer)
    format: Mapped[Optional[str]] = mapped_column(String(16))
    phash: Mapped[Optional[str]] = mapped_column(String(16))
    # pHashes of the centre 92% and 84% (16 hex digits each), so a cropped copy still meets its original.
    phash_crops: Mapped[Optional[str]] = mapped_column(String(32))
    # ok | missing (every known file is gone) | error (thumbnails or metadata failed but the file is kept)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    error: Mapped[Optional[str]] = mapped_column(Text)
    # Hidden by "keep this one" in the duplicates view; never deleted from disk without confirmation.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[float] = mapped_column(Float)
    duplicate_group_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("duplicate_groups.id", ondelete="SET NULL"), index=True
    )

    # "threshold:phash:crops" when near-duplicate grouping last saw this photo: NULL means new (grouped
    # incrementally), a different value means its hashes changed (the groups are rebuilt).
    dup_key: Mapped[Optional[str]] = mapped_column(String(64))
    # photo | video (a short clip: app.core.ingest.video; its keyframes are `VideoKeyframe` rows).
    media: Mapped[str] = mapped_column(String(8), default="photo", server_default="photo")
    duration_s: Mapped[Optional[float]] = mapped_column(Float)  # videos only

    duplicate_group: Mapped[Optional[DuplicateGroup]] = relationship(back_populates="photos")
    files: Mapped[list["PhotoFile"]] = relationship(
        back_populates="photo", cascade="all, delete-orphan", order_by="PhotoFile.id"
    )


class PhotoFile(Base):
    """A place on disk where a photo's bytes live; exact duplicates are extra rows here, not extra photos."""

    __tablename__ = "photo_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    folder_id: Mapped[Optional[int]] = mapped_column(ForeignKey("folders.id", ondelete="SET NULL"), index=True)
    path: Mapped[str] = mapped_column(FsPath, unique=True)
    size: Mapped[int] = mapped_column(BigInt)
    mtime_ns: Mapped[int] = mapped_column(BigInt)
    missing: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)

    photo: Mapped[Photo] = relationship(back_populates="files")


class FailedFile(Base):
    """A file that could not be imported, with the reason; cleared when a later import succeeds."""

    __tablename__ = "failed_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(FsPath, unique=True)
    folder_id: Mapped[Optional[int]] = mapped_column(ForeignKey("folders.id", ondelete="SET NULL"))
    size: Mapped[Optional[int]] = mapped_column(BigInt)
    mtime_ns: Mapped[Optional[int]] = mapped_column(BigInt)
    error_class: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[float] = mapped_column(Float)


class TaskGroup(Base):
    """A batch of tasks the user thinks of as one job (one import, one re-embed)."""

    __tablename__ = "task_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String)
    created_at: Mapped[float] = mapped_column(Float)


# Tasks waiting for a worker (pending, or failed and waiting to retry); app.core.tasks.states names the states.
# The partial indexes below hold only these rows, and a query uses them only when it repeats this term as is.
TASKS_WAITING_SQL = "state IN ('pending', 'failed')"
TASKS_FINISHED_SQL = "state IN ('done', 'cancelled')"  # what prune may remove (when old enough)


class Task(Base):
    """A persisted unit of work; the scheduler in app.core.tasks claims and runs these rows."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_claim", "state", "priority", "id"),  # counts and lookups by state
        # The claim query: the next waiting task by priority, then FIFO, found in O(log n) (migration 0002).
        Index("ix_tasks_waiting", "priority", "id", sqlite_where=text(TASKS_WAITING_SQL),
              postgresql_where=text(TASKS_WAITING_SQL)),
        # When the earliest waiting task becomes due (idle workers' sleep).
        Index("ix_tasks_waiting_due", "next_run_at", sqlite_where=text(TASKS_WAITING_SQL),
              postgresql_where=text(TASKS_WAITING_SQL)),
        Index("ix_tasks_group_state", "group_id", "state"),
        # Whether any finished task is old enough to prune, without reading every finished one (0014_reimport).
        Index("ix_tasks_finished", "finished_at", sqlite_where=text(TASKS_FINISHED_SQL),
              postgresql_where=text(TASKS_FINISHED_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # pending | running | done | failed (will retry) | dead | cancelled
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    next_run_at: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[Optional[float]] = mapped_column(Float)
    finished_at: Mapped[Optional[float]] = mapped_column(Float)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error_class: Mapped[Optional[str]] = mapped_column(String(64))
    error_message: Mapped[Optional[str]] = mapped_column(Text)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("task_groups.id", ondelete="SET NULL"))
    # Who holds a running task: "<hostname>:<pid>:<worker>"; stale owners are reset on open.
    claimed_by: Mapped[Optional[str]] = mapped_column(String(128))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # Optional idempotency key, e.g. "ingest:/photos/a.jpg": submitting a live duplicate is a no-op.
    dedupe_key: Mapped[Optional[str]] = mapped_column(String, index=True)


class TaskTotals(Base):
    """Counters and duration histogram of finished tasks that were pruned, per (type, state), so `metrics`
    reports the same history after pruning (app.core.tasks.prune)."""

    __tablename__ = "task_totals"

    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    tasks: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    duration_count: Mapped[int] = mapped_column(Integer)
    duration_sum: Mapped[float] = mapped_column(Float)
    duration_buckets: Mapped[str] = mapped_column(Text)  # JSON list: count <= each DURATION_BUCKETS bound


class Embedding(Base):
    """An image vector from one model; the FAISS index is rebuilt from these rows."""

    __tablename__ = "embeddings"
    # Covers the index manager's fingerprint (count, id sum, newest of one model) without reading the vectors.
    __table_args__ = (Index("ix_embeddings_model_created", "model_id", "created_at", "photo_id"),)

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, L2-normalised
    runtime: Mapped[str] = mapped_column(String(32))  # torch | onnx-fp32 | onnx-int8
    device: Mapped[str] = mapped_column(String(16))  # cpu | cuda | mps
    created_at: Mapped[float] = mapped_column(Float)


class VideoKeyframe(Base):
    """A video clip's keyframe (one per scene, app.core.ingest.video): its picture is layout.keyframe(sha, frame);
    the clip's poster is frame 0."""

    __tablename__ = "video_keyframes"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    frame: Mapped[int] = mapped_column(Integer, primary_key=True)
    time_s: Mapped[float] = mapped_column(Float)


class KeyframeEmbedding(Base):
    """The image vector of one keyframe of a clip, so smart search finds a clip by any of its scenes; the clip's
    own `Embedding` is the mean of these (app.core.keyframes)."""

    __tablename__ = "keyframe_embeddings"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)
    frame: Mapped[int] = mapped_column(Integer, primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, L2-normalised
    created_at: Mapped[float] = mapped_column(Float)


class EmbedFailure(Base):
    """A photo the embed task could not analyse for one model. It is left out of what the model still lacks, so
    a model switch completes; it is retried when the photo's preview changes or the user asks for it."""

    __tablename__ = "embed_failures"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    # "size:mtime_ns" of the preview thumbnail when it failed ("" when there was none): a change means retry.
    preview_stamp: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[float] = mapped_column(Float)


class Setting(Base):
    """Per-library settings as JSON values (see app.core.config)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON


class Album(Base):
    """A hand-made album (its photos in `album_photos`) or a smart album (a saved query evaluated live)."""

    __tablename__ = "albums"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(8), default="manual")  # manual | smart
    query: Mapped[Optional[str]] = mapped_column(Text)  # smart albums only
    cover_photo_id: Mapped[Optional[int]] = mapped_column(ForeignKey("photos.id", ondelete="SET NULL"))
    sort: Mapped[str] = mapped_column(String(8), default="date")  # date | manual (by position)
    created_at: Mapped[float] = mapped_column(Float)


class AlbumPhoto(Base):
    """A photo in a hand-made album; `position` is the hand-made order."""

    __tablename__ = "album_photos"

    album_id: Mapped[int] = mapped_column(ForeignKey("albums.id", ondelete="CASCADE"), primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class UndoEntry(Base):
    """One undoable edit (album or event), as the JSON needed to reverse it; persisted so undo survives restarts."""

    __tablename__ = "undo_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[float] = mapped_column(Float)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)


class PhotoPlace(Base):
    """Where a photo with GPS was taken, named offline (app.core.places); `place:` searches these names."""

    __tablename__ = "photo_places"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    city: Mapped[Optional[str]] = mapped_column(String(128), index=True)
    region: Mapped[Optional[str]] = mapped_column(String(128))
    country: Mapped[Optional[str]] = mapped_column(String(128))
    country_code: Mapped[Optional[str]] = mapped_column(String(4))


class Event(Base):
    """A computed event (app.core.events): a burst of photos in time and place; rebuilt on re-segmentation."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(256))
    start: Mapped[str] = mapped_column(String(32), index=True)
    end: Mapped[str] = mapped_column(String(32))
    place: Mapped[Optional[str]] = mapped_column(String(128))
    cover_photo_id: Mapped[Optional[int]] = mapped_column(ForeignKey("photos.id", ondelete="SET NULL"))


class EventPhoto(Base):
    """A photo's event (a photo is in at most one event)."""

    __tablename__ = "event_photos"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)


class EventEdit(Base):
    """A user's edit to events (rename, merge, split), anchored on photos so that it survives re-segmentation."""

    __tablename__ = "event_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # rename | merge | split | cover
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"))
    other_photo_id: Mapped[Optional[int]] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"))
    title: Mapped[Optional[str]] = mapped_column(String(256))
    created_at: Mapped[float] = mapped_column(Float)


class Person(Base):
    """Someone whose faces were grouped, by clustering or by the user; unnamed until the user names them."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[Optional[str]] = mapped_column(String(256), index=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)
    # The face the user chose for the person's card ("Set as Cover" on a photo); used while it is still theirs.
    cover_face_id: Mapped[Optional[int]] = mapped_column(Integer)


class Face(Base):
    """One face found in a photo by one face model. A face the user confirmed (named, merged, split) is an
    anchor a recluster never moves; `rejected` lists people the user said it is not. Forgetting a person keeps
    the row (so the photo is not scanned again) but drops its vector, crop and person."""

    __tablename__ = "faces"
    __table_args__ = (Index("ix_faces_model_person", "model_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[str] = mapped_column(String(128))
    # Box and landmarks in upright-photo pixels (after EXIF orientation), at the photo's full size.
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    w: Mapped[float] = mapped_column(Float)
    h: Mapped[float] = mapped_column(Float)
    landmarks: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[x, y], ...] x5
    score: Mapped[float] = mapped_column(Float)
    size_px: Mapped[float] = mapped_column(Float)  # short side of the face as the model saw it
    blur: Mapped[float] = mapped_column(Float)  # variance of the Laplacian of the aligned face
    recognisable: Mapped[bool] = mapped_column(Boolean, default=True)  # big and sharp enough to cluster
    embedding: Mapped[Optional[bytes]] = mapped_column(LargeBinary)  # float32, L2-normalised
    crop: Mapped[Optional[str]] = mapped_column(String(128))  # face thumbnail, relative to the library's faces/
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    rejected: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of person ids
    forgotten: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)


class FaceScan(Base):
    """A photo was searched for faces by a model (also when none were found), so it is not queued again."""

    __tablename__ = "face_scans"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    faces: Mapped[int] = mapped_column(Integer)
    scanned_at: Mapped[float] = mapped_column(Float)


class PersonOp(Base):
    """The persisted undo log of person operations: what the faces and people looked like before each one."""

    __tablename__ = "person_ops"

    id: Mapped[int] = mapped_column(primary_key=True)
    op: Mapped[str] = mapped_column(String(32))
    before: Mapped[str] = mapped_column(Text)  # JSON snapshot, see app.core.people.operations
    created_at: Mapped[float] = mapped_column(Float)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)


class TrashEntry(Base):
    """A file moved to the trash from Shoebox: it waits in a hidden `.shoebox-trash` folder beside its old place
    (same disk, so moving it back is a rename) and goes to the OS trash when the library closes; see
    app.core.trash."""

    __tablename__ = "trash_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(String(32), index=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"))
    file_path: Mapped[str] = mapped_column(FsPath)
    staged_path: Mapped[str] = mapped_column(FsPath)
    trashed_at: Mapped[float] = mapped_column(Float)


class PhotoEdit(Base):
    """The user's own edits to a photo (app.core.organise), kept here and never written to the original file.
    A row exists only for photos with an edit, or whose file carried a rating, title or description on import."""

    __tablename__ = "photo_edits"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    rotation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # degrees clockwise on top of EXIF
    favourite: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    rating: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 0 (none) to 5 stars
    rejected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    title: Mapped[Optional[str]] = mapped_column(Text)
    description: Mapped[Optional[str]] = mapped_column(Text)


# Case-insensitive text: SQLite's NOCASE collation; on Postgres the citext extension's type (LIKE and unique work
# on it, where a nondeterministic ICU collation refuses LIKE).
TAG_NAME = String(256, collation="NOCASE").with_variant(CITEXT(), "postgresql")


class Tag(Base):
    """A keyword; hierarchical tags keep their path ("Places/Japan/Kyoto"). Names compare case-insensitively."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(TAG_NAME, unique=True)


class PhotoTag(Base):
    __tablename__ = "photo_tags"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)


class VoiceNote(Base):
    """A spoken note on a photo: the audio lives in the library's voice/ folder (never beside the photo); the
    transcript comes from a speech model (`model_id`) unless the user edited it (then it is never overwritten)."""

    __tablename__ = "voice_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    audio: Mapped[str] = mapped_column(String(256))  # relative to the library's voice/ folder
    transcript: Mapped[Optional[str]] = mapped_column(Text)
    transcript_edited: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[Optional[str]] = mapped_column(String(16))
    model_id: Mapped[Optional[str]] = mapped_column(String(128))
    duration_s: Mapped[Optional[float]] = mapped_column(Float)
    error: Mapped[Optional[str]] = mapped_column(Text)  # why the audio could not be transcribed
    created_at: Mapped[float] = mapped_column(Float)


class Caption(Base):
    """A photo's caption from a caption model (`model_id`), or typed by the user (`edited`: never overwritten)."""

    __tablename__ = "captions"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    model_id: Mapped[Optional[str]] = mapped_column(String(128))
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)


class SearchDirty(Base):
    """Photos whose searchable words (`words`) or meaning text (`meaning`) changed since the word index and the
    text vectors were brought up to date; filled by triggers (migration 0009_voice), emptied by app.core.search.text_index."""

    __tablename__ = "search_dirty"

    photo_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # no foreign key: deleted photos are dirty too
    words: Mapped[bool] = mapped_column(Boolean, default=False)
    meaning: Mapped[bool] = mapped_column(Boolean, default=False)
