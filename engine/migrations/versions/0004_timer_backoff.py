"""timer failure back-off

A timer step that fails is recorded on its own instance: how often it failed in a row and
when the worker may try it again, so one bad case never holds up the other due timers.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timer_failures', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('timer_retry_at', engine.db.UTCDateTime(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('timer_retry_at')
        batch_op.drop_column('timer_failures')
