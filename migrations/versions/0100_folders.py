"""folders: a watched folder can be paused (the watcher and start-up rescans leave it alone)

Revision ID: 0100_folders
Revises: 0006_scale
"""
from alembic import op
import sqlalchemy as sa


revision = "0100_folders"
down_revision = "0006_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("folders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("folders", schema=None) as batch_op:
        batch_op.drop_column("paused")
