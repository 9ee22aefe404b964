"""embed failures per (photo, model); crop-tolerant pHashes per photo

Revision ID: 0003_searchdup
Revises: 0002_tasks
"""
from alembic import op
import sqlalchemy as sa


revision = "0003_searchdup"
down_revision = "0002_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embed_failures",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("preview_stamp", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("photo_id", "model_id"),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phash_crops", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_column("phash_crops")
    op.drop_table("embed_failures")
