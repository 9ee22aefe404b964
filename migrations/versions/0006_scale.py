"""scale: the hash state each photo was last grouped at (incremental near-duplicate grouping); totals of pruned
finished tasks (metrics survive pruning)

Revision ID: 0006_scale
Revises: 0005_people
"""
from alembic import op
import sqlalchemy as sa


revision = "0006_scale"
down_revision = "0005_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dup_key", sa.String(length=64), nullable=True))
    op.create_table(
        "task_totals",
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("duration_count", sa.Integer(), nullable=False),
        sa.Column("duration_sum", sa.Float(), nullable=False),
        sa.Column("duration_buckets", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("type", "state"),
    )


def downgrade() -> None:
    op.drop_table("task_totals")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_column("dup_key")
