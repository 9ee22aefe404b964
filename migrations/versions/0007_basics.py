"""basics: the user's own edits per photo (orientation override, favourite, rating, reject flag, title,
description) and tags, kept in the library and never written to the originals (issue 14)

Revision ID: 0007_basics
Revises: 0006_scale
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import CITEXT


revision = "0007_basics"
down_revision = "0006_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS citext")  # tags.name compares case-insensitively
    op.create_table(
        "photo_edits",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("rotation", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("favourite", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("rating", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rejected", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("photo_id"),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=256, collation="NOCASE").with_variant(CITEXT(), "postgresql"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "photo_tags",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("photo_id", "tag_id"),
    )
    with op.batch_alter_table("photo_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photo_tags_tag_id"), ["tag_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("photo_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photo_tags_tag_id"))
    op.drop_table("photo_tags")
    op.drop_table("tags")
    op.drop_table("photo_edits")
