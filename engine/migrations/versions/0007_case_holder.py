"""case holder and generic outcome

Who holds a case (the caseworker who took the outreach, or whom the team lead handed it to;
a deactivated holder's user row is kept, a deleted one leaves the case to the team) and the
generic outcome a corporation may learn once the case is closed (domain.md §1.4).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('holder_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_holder_id'), ['holder_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_case_holder_id_app_user'), 'app_user',
                                    ['holder_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_holder_id_app_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_case_holder_id'))
        batch_op.drop_column('holder_id')
        batch_op.drop_column('outcome')
