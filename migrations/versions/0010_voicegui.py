"""voicegui: photo titles and descriptions mark their photo for the word index and the meaning vectors

The user's own title and description (photo_edits) are searchable like notes and captions: these triggers mark a
photo in `search_dirty` when either changes (the same entries are in app/core/search/dirty.py). Photos that
already have a title or description are marked once, so that their text is indexed and embedded.

Revision ID: 0010_voicegui
Revises: 0009_voice
"""
from alembic import op


revision = "0010_voicegui"
down_revision = "0009_voice"
branch_labels = None
depends_on = None


def _mark(select_ids: str, meaning: int) -> str:
    return (f"INSERT INTO search_dirty (photo_id, words, meaning) SELECT photo_id, 1, {meaning} FROM ({select_ids}) "
            f"WHERE photo_id IS NOT NULL ON CONFLICT (photo_id) DO UPDATE SET words = 1, "
            f"meaning = max(meaning, excluded.meaning);")


def _create_trigger(dialect: str, name: str, event: str, table: str, select_ids: str, meaning: int) -> list[str]:
    """As in 0009_voice: SQLite's inline body, or on Postgres a row trigger calling a function of its own."""
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


# (trigger name, event, table, ids to mark, marks meaning text): a rating or rotation alone marks nothing.
TRIGGERS = [
    ("edits_ins", "AFTER INSERT", "photo_edits",
     "SELECT NEW.photo_id AS photo_id WHERE NEW.title IS NOT NULL OR NEW.description IS NOT NULL", 1),
    ("edits_upd", "AFTER UPDATE OF title, description", "photo_edits",
     "SELECT NEW.photo_id AS photo_id WHERE NEW.title IS DISTINCT FROM OLD.title OR NEW.description IS DISTINCT FROM OLD.description", 1),
    ("edits_del", "AFTER DELETE", "photo_edits",
     "SELECT OLD.photo_id AS photo_id WHERE OLD.title IS NOT NULL OR OLD.description IS NOT NULL", 1),
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, event, table, ids, meaning in TRIGGERS:
        for statement in _create_trigger(dialect, name, event, table, ids, meaning):
            op.execute(statement)
    op.execute("INSERT INTO search_dirty (photo_id, words, meaning) SELECT photo_id, true, true FROM photo_edits "
               "WHERE title IS NOT NULL OR description IS NOT NULL "
               "ON CONFLICT (photo_id) DO UPDATE SET words = true, meaning = true")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, _event, table, *_ in TRIGGERS:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS search_dirty_{name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS search_dirty_{name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS search_dirty_{name}")
