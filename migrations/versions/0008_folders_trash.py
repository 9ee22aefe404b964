"""folders and trash: a watched folder can be paused (the watcher and start-up rescans leave it alone); files
moved to the trash wait beside their folder until the app closes, so the move can be undone

Revision ID: 0008_folders_trash
Revises: 0007_basics
"""
from alembic import op
import sqlalchemy as sa


revision = "0008_folders_trash"
down_revision = "0007_basics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("folders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "trash_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=32), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.String(), nullable=False),
        sa.Column("staged_path", sa.String(), nullable=False),
        sa.Column("trashed_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("trash_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trash_entries_batch"), ["batch"], unique=False)


def downgrade() -> None:
    op.drop_table("trash_entries")
    with op.batch_alter_table("folders", schema=None) as batch_op:
        batch_op.drop_column("paused")
