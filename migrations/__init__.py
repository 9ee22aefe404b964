"""Alembic migrations for the library database.

Libraries upgrade automatically when opened (`upgrade_to_head`). To add a migration after changing
app/core/db/models.py: `alembic -c migrations/alembic.ini revision --autogenerate -m "what changed"`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade_to_head(connection, revision: str = "head") -> None:
    """Run pending migrations on an open connection (used by Database.upgrade and the tests)."""
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)
