"""figures for the managers' cockpit

Counts per figure, month, municipality, corporation and category (``figure_cell``), the cells
each case counts in (``figure_case``) and the queue of cases whose facts changed
(``figure_dirty``). Existing cases are counted by ``ketenflow figures rebuild``.

Revision ID: 0012f
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0012f'
down_revision = '0015'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'figure_cell',
        sa.Column('id', _ID, nullable=False),
        sa.Column('figure', sa.String(length=20), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('municipality', sa.String(length=64), nullable=False),
        sa.Column('corporation', sa.String(length=64), nullable=False),
        sa.Column('category', sa.String(length=100), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('figure', 'month', 'municipality', 'corporation', 'category',
                            name='uq_figure_cell'))
    op.create_index('ix_figure_cell_slice', 'figure_cell',
                    ['municipality', 'corporation', 'month', 'figure', 'category', 'n'])
    op.create_table(
        'figure_case',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('cells', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id'))
    op.create_table(
        'figure_dirty',
        sa.Column('id', _ID, nullable=False),
        sa.Column('case_number', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id'))


def downgrade() -> None:
    op.drop_table('figure_dirty')
    op.drop_table('figure_case')
    op.drop_index('ix_figure_cell_slice', table_name='figure_cell')
    op.drop_table('figure_cell')
