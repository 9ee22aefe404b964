"""reimport: partial indexes for the questions every import asks at its end, so that an unchanged re-import of a
100,000-photo library reads no whole table to answer "nothing" (issue 16): which photos were never grouped as
near duplicates, which lack their crop hashes, and whether any finished task is old enough to prune. Each index
holds only the rows that answer yes, normally none.

Revision ID: 0014_reimport
Revises: 0013_hybrid
"""
from alembic import op
import sqlalchemy as sa


revision = "0014_reimport"
down_revision = "0013_hybrid"
branch_labels = None
depends_on = None

# The same terms as app.core.db.models (a query uses a partial index only when it repeats its terms as they are).
UNGROUPED = "phash IS NOT NULL AND dup_key IS NULL"
WITHOUT_CROPS = "phash IS NOT NULL AND phash_crops IS NULL"
FINISHED = "state IN ('done', 'cancelled')"


def upgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index("ix_photos_ungrouped", ["id"], unique=False,
                              sqlite_where=sa.text(UNGROUPED), postgresql_where=sa.text(UNGROUPED))
        batch_op.create_index("ix_photos_without_crops", ["id"], unique=False,
                              sqlite_where=sa.text(WITHOUT_CROPS), postgresql_where=sa.text(WITHOUT_CROPS))
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_finished", ["finished_at"], unique=False,
                              sqlite_where=sa.text(FINISHED), postgresql_where=sa.text(FINISHED))


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_finished")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index("ix_photos_without_crops")
        batch_op.drop_index("ix_photos_ungrouped")
