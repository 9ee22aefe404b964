"""voice: voice notes, captions, and the triggers that mark photos whose searchable text changed

The word index (SQLite FTS5) and the text vectors are derived data kept outside this database (in the library's
index/ folder, like the FAISS indexes); the triggers below only record which photos need them refreshed.

Revision ID: 0009_voice
Revises: 0008_folders_trash
"""
from alembic import op
import sqlalchemy as sa


revision = "0009_voice"
down_revision = "0008_folders_trash"
branch_labels = None
depends_on = None


def _mark(select_ids: str, meaning: int) -> str:
    """SQL that marks the photos of `select_ids` dirty (words always; meaning when the meaning text changed)."""
    return (f"INSERT INTO search_dirty (photo_id, words, meaning) SELECT photo_id, 1, {meaning} FROM ({select_ids}) "
            f"WHERE photo_id IS NOT NULL ON CONFLICT (photo_id) DO UPDATE SET words = 1, "
            f"meaning = max(meaning, excluded.meaning);")


def _create_trigger(dialect: str, name: str, event: str, table: str, select_ids: str, meaning: int) -> list[str]:
    """The statements that create one trigger: SQLite's inline body, or on Postgres a row trigger calling a
    function of its own (booleans are true/false there, and a subquery needs a name)."""
    if dialect != "postgresql":
        return [f"CREATE TRIGGER IF NOT EXISTS search_dirty_{name} {event} ON {table} "
                f"BEGIN {_mark(select_ids, meaning)} END"]
    value = "true" if meaning else "false"
    return [
        f"CREATE OR REPLACE FUNCTION search_dirty_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO search_dirty (photo_id, words, meaning) SELECT photo_id, true, {value} FROM ({select_ids}) "
        "AS marked WHERE photo_id IS NOT NULL ON CONFLICT (photo_id) DO UPDATE SET words = true, "
        "meaning = search_dirty.meaning OR excluded.meaning; RETURN NULL; END $$",
        f"CREATE TRIGGER search_dirty_{name} {event} ON {table} FOR EACH ROW EXECUTE FUNCTION search_dirty_{name}()",
    ]


# (trigger name, event, table, ids to mark, marks meaning text)
TRIGGERS = [
    ("photos_ins", "AFTER INSERT", "photos", "SELECT NEW.id AS photo_id", 0),
    ("photos_del", "AFTER DELETE", "photos", "SELECT OLD.id AS photo_id", 1),
    ("photos_cam", "AFTER UPDATE OF camera_make, camera_model, lens", "photos", "SELECT NEW.id AS photo_id", 0),
    ("files_ins", "AFTER INSERT", "photo_files", "SELECT NEW.photo_id AS photo_id", 0),
    ("files_del", "AFTER DELETE", "photo_files", "SELECT OLD.photo_id AS photo_id", 0),
    ("files_upd", "AFTER UPDATE OF path, photo_id", "photo_files",
     "SELECT NEW.photo_id AS photo_id UNION SELECT OLD.photo_id", 0),
    ("places_ins", "AFTER INSERT", "photo_places", "SELECT NEW.photo_id AS photo_id", 0),
    ("places_upd", "AFTER UPDATE", "photo_places", "SELECT NEW.photo_id AS photo_id", 0),
    ("places_del", "AFTER DELETE", "photo_places", "SELECT OLD.photo_id AS photo_id", 0),
    ("album_photos_ins", "AFTER INSERT", "album_photos", "SELECT NEW.photo_id AS photo_id", 0),
    ("album_photos_del", "AFTER DELETE", "album_photos", "SELECT OLD.photo_id AS photo_id", 0),
    ("albums_name", "AFTER UPDATE OF name", "albums",
     "SELECT photo_id FROM album_photos WHERE album_id = NEW.id", 0),
    ("event_photos_ins", "AFTER INSERT", "event_photos", "SELECT NEW.photo_id AS photo_id", 0),
    ("event_photos_del", "AFTER DELETE", "event_photos", "SELECT OLD.photo_id AS photo_id", 0),
    ("events_title", "AFTER UPDATE OF title", "events",
     "SELECT photo_id FROM event_photos WHERE event_id = NEW.id", 0),
    ("faces_ins", "AFTER INSERT", "faces", "SELECT NEW.photo_id AS photo_id", 0),
    ("faces_del", "AFTER DELETE", "faces", "SELECT OLD.photo_id AS photo_id", 0),
    ("faces_person", "AFTER UPDATE OF person_id", "faces", "SELECT NEW.photo_id AS photo_id", 0),
    ("people_name", "AFTER UPDATE OF name", "people",
     "SELECT DISTINCT photo_id FROM faces WHERE person_id = NEW.id", 0),
    ("voice_ins", "AFTER INSERT", "voice_notes", "SELECT NEW.photo_id AS photo_id", 1),
    ("voice_upd", "AFTER UPDATE OF transcript", "voice_notes", "SELECT NEW.photo_id AS photo_id", 1),
    ("voice_del", "AFTER DELETE", "voice_notes", "SELECT OLD.photo_id AS photo_id", 1),
    ("captions_ins", "AFTER INSERT", "captions", "SELECT NEW.photo_id AS photo_id", 1),
    ("captions_upd", "AFTER UPDATE OF text", "captions", "SELECT NEW.photo_id AS photo_id", 1),
    ("captions_del", "AFTER DELETE", "captions", "SELECT OLD.photo_id AS photo_id", 1),
]


def upgrade() -> None:
    op.create_table(
        "voice_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("audio", sa.String(length=256), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("transcript_edited", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("model_id", sa.String(length=128), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("voice_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voice_notes_photo_id"), ["photo_id"], unique=False)
    op.create_table(
        "captions",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("model_id", sa.String(length=128), nullable=True),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("photo_id"),
    )
    op.create_table(
        "search_dirty",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("words", sa.Boolean(), nullable=False),
        sa.Column("meaning", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("photo_id"),
    )
    dialect = op.get_bind().dialect.name
    for name, event, table, ids, meaning in TRIGGERS:
        for statement in _create_trigger(dialect, name, event, table, ids, meaning):
            op.execute(statement)
    # Every photo of an existing library needs its words indexed once.
    op.execute("INSERT INTO search_dirty (photo_id, words, meaning) SELECT id, 1, 0 FROM photos" if dialect == "sqlite"
               else "INSERT INTO search_dirty (photo_id, words, meaning) SELECT id, true, false FROM photos")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, _, table, *_ in TRIGGERS:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS search_dirty_{name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS search_dirty_{name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS search_dirty_{name}")
    op.drop_table("search_dirty")
    op.drop_table("captions")
    with op.batch_alter_table("voice_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voice_notes_photo_id"))
    op.drop_table("voice_notes")
