"""worker heartbeat

Every timer loop touches its row each round (``engine.heartbeat``); the readiness endpoint and
``ketenflow seed-demo`` read it.

Revision ID: 0014ops
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0014ops'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('worker_heartbeat',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('started_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('beat_at', engine.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_heartbeat'))
    )
    op.create_index(op.f('ix_worker_heartbeat_beat_at'), 'worker_heartbeat', ['beat_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_worker_heartbeat_beat_at'), table_name='worker_heartbeat')
    op.drop_table('worker_heartbeat')
