"""tasks: partial indexes over waiting tasks, so claiming the next task is O(log n) however long the queue

Revision ID: 0002_tasks
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_tasks"
down_revision = "0001"
branch_labels = None
depends_on = None

# Kept word for word equal to app.core.db.models.TASKS_WAITING_SQL (the claim query repeats it), but copied:
# a migration must not change when the models do.
WAITING = "state IN ('pending', 'failed')"


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_waiting", ["priority", "id"], unique=False,
                              sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))
        batch_op.create_index("ix_tasks_waiting_due", ["next_run_at"], unique=False,
                              sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_waiting_due")
        batch_op.drop_index("ix_tasks_waiting")
