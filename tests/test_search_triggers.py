"""The word-index triggers a migrated library has are the ones `dirty.TRIGGERS` describes.

`ensure_triggers` recreates missing triggers from dirty.py's list, while new libraries get them from migrations
0009_voice and 0010_voicegui, which keep their own copies (a migration must not change when the app does). This
test keeps the copies in step: a trigger edited in one place only would behave differently after a table rebuild.
"""

from __future__ import annotations

import re

from sqlalchemy import text

from app.core.search.dirty import TRIGGERS, _create_trigger


def _normalise(sql: str) -> str:
    return re.sub(r"\s+", " ", sql.replace("IF NOT EXISTS ", "")).strip().rstrip(";")


def test_migrated_triggers_match_the_list_ensure_triggers_recreates(library):
    with library.db.read_session() as s:
        postgres = s.get_bind().dialect.name == "postgresql"
        if postgres:
            rows = s.execute(text(
                "SELECT t.tgname, pg_get_triggerdef(t.oid), p.prosrc FROM pg_trigger t "
                "JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal AND t.tgname LIKE 'search_dirty_%'"))
            present = {name: (definition, body) for name, definition, body in rows}
        else:
            rows = s.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                  "AND name LIKE 'search_dirty_%'"))
            present = {name: sql for name, sql in rows}

    assert sorted(present) == sorted(f"search_dirty_{t[0]}" for t in TRIGGERS)
    for trigger in TRIGGERS:
        name, event, table = f"search_dirty_{trigger[0]}", trigger[1], trigger[2]
        if postgres:
            function_sql, _create = _create_trigger("postgresql", *trigger)
            expected_body = function_sql.split("$$", 2)[1]
            definition, body = present[name]
            assert body == expected_body, name
            assert f"{event} ON public.{table} FOR EACH ROW EXECUTE FUNCTION {name}()" in definition, name
        else:
            (expected,) = _create_trigger("sqlite", *trigger)
            assert _normalise(present[name]) == _normalise(expected), name
