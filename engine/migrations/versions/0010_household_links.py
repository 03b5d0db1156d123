"""household links: reopened, repeat and follow-up cases

A case can name the household's earlier case (``previous_case_id``): the closed case a legal
event reopened, a case closed in the last twelve months (``repeat``), or the running case whose
arrears have grown. ``opened_by`` says which; ``known_sdd_trajectory`` marks a household already
in an SDD trajectory; ``closed_at`` is when a case closed (existing closed cases: their last
update).

Revision ID: 0010
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', engine.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('previous_case_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('repeat', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('opened_by', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('known_sdd_trajectory', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_case_previous_case_id', ['previous_case_id'], unique=False)
        batch_op.create_foreign_key('fk_case_previous_case_id_case', 'case',
                                    ['previous_case_id'], ['id'], ondelete='SET NULL')
    cases = sa.table('case', sa.column('closed', sa.Boolean),
                     sa.column('closed_at', sa.DateTime),
                     sa.column('updated_at', sa.DateTime))
    op.get_bind().execute(sa.update(cases).where(cases.c.closed.is_(True))
                          .values(closed_at=cases.c.updated_at))


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_constraint('fk_case_previous_case_id_case', type_='foreignkey')
        batch_op.drop_index('ix_case_previous_case_id')
        batch_op.drop_column('known_sdd_trajectory')
        batch_op.drop_column('opened_by')
        batch_op.drop_column('repeat')
        batch_op.drop_column('previous_case_id')
        batch_op.drop_column('closed_at')
