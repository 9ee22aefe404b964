"""gridperf: a covering index in the grid's display order (newest first, undated last), so the id list the
window re-reads on every live refresh is an index scan, not a sort of every photo (100k: 107 -> 24 ms)

Revision ID: 0015_gridperf
Revises: 0014_reimport
"""
from alembic import op


revision = "0015_gridperf"
down_revision = "0014_reimport"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_photos_display_order", "photos", ["taken_at", "id", "hidden"])


def downgrade() -> None:
    op.drop_index("ix_photos_display_order", table_name="photos")
