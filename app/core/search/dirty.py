"""Which photos' searchable text changed: triggers fill `search_dirty`, the word index and text vectors empty it.

Migrations 0009_voice and 0010_voicegui (titles and descriptions) create these triggers; `ensure_triggers`
recreates any that a later table rebuild dropped (SQLite drops a table's triggers with it, as Alembic's batch
mode does when it alters a table) and then marks every photo, so nothing is missed. Keep this list in step with
the migrations' copies (tests/test_search_triggers.py checks it on SQLite and Postgres).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


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


# (trigger name, event, table, ids to mark, marks the meaning text); the same as in migrations 0009_voice and
# 0010_voicegui.
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
    # The user's title and description; a rating or rotation alone marks nothing.
    ("edits_ins", "AFTER INSERT", "photo_edits",
     "SELECT NEW.photo_id AS photo_id WHERE NEW.title IS NOT NULL OR NEW.description IS NOT NULL", 1),
    ("edits_upd", "AFTER UPDATE OF title, description", "photo_edits",
     "SELECT NEW.photo_id AS photo_id WHERE NEW.title IS DISTINCT FROM OLD.title OR NEW.description IS DISTINCT FROM OLD.description", 1),
    ("edits_del", "AFTER DELETE", "photo_edits",
     "SELECT OLD.photo_id AS photo_id WHERE OLD.title IS NOT NULL OR OLD.description IS NOT NULL", 1),
]


def ensure_triggers(session: Session) -> bool:
    """Recreate missing triggers (then every photo is marked); True when some were missing."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        present = set(session.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                                           "AND tgname LIKE 'search_dirty_%'")))
    else:
        present = set(session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                           "AND name LIKE 'search_dirty_%'")))
    missing = [t for t in TRIGGERS if f"search_dirty_{t[0]}" not in present]
    if not missing:
        return False
    for trigger in missing:
        for statement in _create_trigger(dialect, *trigger):
            session.execute(text(statement))
    session.execute(text("INSERT INTO search_dirty (photo_id, words, meaning) SELECT id, true, true FROM photos "
                         "WHERE true ON CONFLICT (photo_id) DO UPDATE SET words = true, meaning = true"))
    return True
