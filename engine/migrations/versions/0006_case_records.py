"""case records

What each completed human task recorded (its validated form data and what the process had
decided by then), kept per case for the case file.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('case_record',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_number', sa.String(length=100), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('bpmn_id', sa.String(length=200), nullable=False),
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('task_name', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('deployment_id', sa.Integer(), nullable=True),
    sa.Column('form_file', sa.String(length=300), nullable=True),
    sa.Column('data', JSON, nullable=False),
    sa.Column('context', JSON, nullable=False),
    sa.Column('completed_by', sa.String(length=100), nullable=False),
    sa.Column('completed_at', engine.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                            name=op.f('fk_case_record_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_record')),
    sa.UniqueConstraint('task_id', name=op.f('uq_case_record_task_id'))
    )
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.create_index('ix_case_record_case', ['case_number', 'completed_at', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_index('ix_case_record_case')
    op.drop_table('case_record')
