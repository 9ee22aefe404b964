"""video: short clips are photos with media 'video' and a duration; their keyframes (one per scene) and each
keyframe's image vector, so smart search finds a clip by any of its scenes

Plain ADD COLUMN on photos (no table rebuild), so the search triggers of 0009_voice on it stay.

Revision ID: 0011_video
Revises: 0010_voicegui
"""
from alembic import op
import sqlalchemy as sa


revision = "0011_video"
down_revision = "0010_voicegui"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("photos", sa.Column("media", sa.String(length=8), nullable=False, server_default="photo"))
    op.add_column("photos", sa.Column("duration_s", sa.Float(), nullable=True))
    op.create_table(
        "video_keyframes",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("time_s", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("photo_id", "frame"),
    )
    op.create_table(
        "keyframe_embeddings",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=128), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("photo_id", "model_id", "frame"),
    )
    op.create_index("ix_keyframe_embeddings_model_id", "keyframe_embeddings", ["model_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_keyframe_embeddings_model_id", table_name="keyframe_embeddings")
    op.drop_table("keyframe_embeddings")
    op.drop_table("video_keyframes")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_column("duration_s")
        batch_op.drop_column("media")
