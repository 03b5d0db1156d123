"""retention

The retention purge (``engine.chain.retention``) marks a case whose personal data it erased,
and the worker's daily jobs keep a watermark so several workers run each once a day.

Revision ID: 0016
Revises: 0014g
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0016'
down_revision = '0014g'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case') as batch:
        batch.add_column(sa.Column('erased_at', engine.db.UTCDateTime(), nullable=True))
    op.create_table('job_watermark',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.Column('last_run_at', engine.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_watermark'))
    )


def downgrade() -> None:
    op.drop_table('job_watermark')
    with op.batch_alter_table('case') as batch:
        batch.drop_column('erased_at')
