"""case-number counters, and signal batches accepted as a job

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000

The counters are seeded from the existing cases, so numbering continues where it stood.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import engine.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    counter = op.create_table('case_number_counter',
    sa.Column('prefix', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', 'year', name=op.f('pk_case_number_counter'))
    )
    op.create_table('signal_batch',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('corporation', sa.String(length=64), nullable=False),
    sa.Column('actor', _JSON, nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('existing', sa.Integer(), nullable=False),
    sa.Column('invalid', sa.Integer(), nullable=False),
    sa.Column('created_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', engine.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signal_batch'))
    )
    with op.batch_alter_table('signal_batch', schema=None) as batch_op:
        batch_op.create_index('ix_signal_batch_corporation_created',
                              ['corporation', 'created_at'], unique=False)
    op.create_table('signal_batch_row',
    sa.Column('batch_id', sa.String(length=32), nullable=False),
    sa.Column('row', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('signal', _JSON, nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('case_number', sa.String(length=32), nullable=True),
    sa.Column('errors', _JSON, nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['signal_batch.id'],
                            name=op.f('fk_signal_batch_row_batch_id_signal_batch'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('batch_id', 'row', name=op.f('pk_signal_batch_row'))
    )
    op.bulk_insert(counter, _counters_of_existing_cases())


def _counters_of_existing_cases() -> list[dict[str, object]]:
    """The highest number per (prefix, year) among the cases (``DR-2026-000123``)."""
    highest: dict[tuple[str, int], int] = {}
    for (case_number,) in op.get_bind().execute(sa.text('SELECT case_number FROM "case"')):
        prefix, _, rest = str(case_number).partition("-")
        year, _, number = rest.partition("-")
        if not (prefix and year.isdigit() and number.isdigit()):
            continue
        key = (prefix, int(year))
        highest[key] = max(highest.get(key, 0), int(number))
    return [{"prefix": prefix, "year": year, "last_number": last}
            for (prefix, year), last in sorted(highest.items())]


def downgrade() -> None:
    op.drop_table('signal_batch_row')
    with op.batch_alter_table('signal_batch', schema=None) as batch_op:
        batch_op.drop_index('ix_signal_batch_corporation_created')
    op.drop_table('signal_batch')
    op.drop_table('case_number_counter')
