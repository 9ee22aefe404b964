"""grid: a person's card can show a face the user chose ("Set as Cover" on a photo in the person's album)

Revision ID: 0012_grid
Revises: 0011_video
"""
from alembic import op
import sqlalchemy as sa


revision = "0012_grid"
down_revision = "0011_video"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cover_face_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("cover_face_id")
