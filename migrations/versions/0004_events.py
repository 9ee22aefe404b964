"""albums (hand-made and smart), the persisted undo log, place names per photo, events and the user's event edits (issue 11)

Revision ID: 0004_events
Revises: 0003_searchdup
Create Date: 2026-11-30 04:27:12.857630
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_events'
down_revision = '0003_searchdup'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('undo_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('undone', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('albums',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('query', sa.Text(), nullable=True),
    sa.Column('cover_photo_id', sa.Integer(), nullable=True),
    sa.Column('sort', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['cover_photo_id'], ['photos.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('event_edits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('other_photo_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=256), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['other_photo_id'], ['photos.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=256), nullable=False),
    sa.Column('start', sa.String(length=32), nullable=False),
    sa.Column('end', sa.String(length=32), nullable=False),
    sa.Column('place', sa.String(length=128), nullable=True),
    sa.Column('cover_photo_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cover_photo_id'], ['photos.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_start'), ['start'], unique=False)

    op.create_table('photo_places',
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('city', sa.String(length=128), nullable=True),
    sa.Column('region', sa.String(length=128), nullable=True),
    sa.Column('country', sa.String(length=128), nullable=True),
    sa.Column('country_code', sa.String(length=4), nullable=True),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('photo_id')
    )
    with op.batch_alter_table('photo_places', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_places_city'), ['city'], unique=False)

    op.create_table('album_photos',
    sa.Column('album_id', sa.Integer(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['album_id'], ['albums.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('album_id', 'photo_id')
    )
    with op.batch_alter_table('album_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_album_photos_photo_id'), ['photo_id'], unique=False)

    op.create_table('event_photos',
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('photo_id')
    )
    with op.batch_alter_table('event_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_photos_event_id'), ['event_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('event_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_photos_event_id'))

    op.drop_table('event_photos')
    with op.batch_alter_table('album_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_album_photos_photo_id'))

    op.drop_table('album_photos')
    with op.batch_alter_table('photo_places', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_places_city'))

    op.drop_table('photo_places')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_start'))

    op.drop_table('events')
    op.drop_table('event_edits')
    op.drop_table('albums')
    op.drop_table('undo_log')
