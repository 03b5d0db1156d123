"""process versions: change notes and migration jobs

A deployment keeps the process owner's change note; migrating running instances to another
version is a job with one item per instance (its outcome and, when refused, why).

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.db

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_note', sa.Text(), nullable=True))
    op.create_table(
        'migration_job',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('process_id', sa.String(length=200), nullable=False),
        sa.Column('source_definition_id', sa.Integer(), nullable=False),
        sa.Column('target_definition_id', sa.Integer(), nullable=False),
        sa.Column('actor', JSON, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('processed', sa.Integer(), nullable=False),
        sa.Column('migrated', sa.Integer(), nullable=False),
        sa.Column('refused', sa.Integer(), nullable=False),
        sa.Column('created_at', engine.db.UTCDateTime(), nullable=False),
        sa.Column('updated_at', engine.db.UTCDateTime(), nullable=False),
        sa.Column('finished_at', engine.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['source_definition_id'], ['process_definition.id'],
                                name=op.f('fk_migration_job_source_definition_id_process_definition')),
        sa.ForeignKeyConstraint(['target_definition_id'], ['process_definition.id'],
                                name=op.f('fk_migration_job_target_definition_id_process_definition')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_migration_job')))
    with op.batch_alter_table('migration_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migration_job_process_id'), ['process_id'],
                              unique=False)
    op.create_table(
        'migration_job_item',
        sa.Column('job_id', sa.String(length=32), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['job_id'], ['migration_job.id'], ondelete='CASCADE',
                                name=op.f('fk_migration_job_item_job_id_migration_job')),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_migration_job_item_instance_id_process_instance')),
        sa.PrimaryKeyConstraint('job_id', 'instance_id', name=op.f('pk_migration_job_item')))


def downgrade() -> None:
    op.drop_table('migration_job_item')
    with op.batch_alter_table('migration_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_migration_job_process_id'))
    op.drop_table('migration_job')
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.drop_column('change_note')
