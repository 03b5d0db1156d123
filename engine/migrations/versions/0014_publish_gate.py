"""publish gate

A draft keeps its last gate run (revision, verdict, report) and its approval by a second
process owner (``engine.drafts``): publishing needs both, for the revision published.

Revision ID: 0014g
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0014g'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gate_revision', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('gate_passed', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('gate_report', engine.db.JSONType, nullable=True))
        batch_op.add_column(sa.Column('gate_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('gate_at', engine.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('approved_revision', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approved_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('approved_at', engine.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('draft', schema=None) as batch_op:
        for column in ('approved_at', 'approved_by', 'approved_revision', 'gate_at', 'gate_by',
                       'gate_report', 'gate_passed', 'gate_revision'):
            batch_op.drop_column(column)
