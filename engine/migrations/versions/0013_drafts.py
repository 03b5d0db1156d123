"""drafts

A process owner's change to the chain's process files is a draft kept on the server until it
is published (``engine.drafts``); cases never see it.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('published_version', sa.Integer(), nullable=True),
    sa.Column('created_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft'))
    )
    op.create_table('draft_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['draft.id'],
                            name=op.f('fk_draft_file_draft_id_draft')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft_file')),
    sa.UniqueConstraint('draft_id', 'name', name=op.f('uq_draft_file_draft_id'))
    )
    with op.batch_alter_table('draft_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draft_file_draft_id'), ['draft_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('draft_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draft_file_draft_id'))
    op.drop_table('draft_file')
    op.drop_table('draft')
