"""mail outbox

The outbox of notification mails (one row per cause and recipient), each person's mail
preferences and their e-mail address (``engine.notifications``, ``engine.mailer``).

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cause_key', sa.String(length=200), nullable=False),
    sa.Column('cause', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('case_number', sa.String(length=100), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('next_attempt_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('lease_until', engine.db.UTCDateTime(), nullable=True),
    sa.Column('sent_at', engine.db.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                            name=op.f('fk_mail_outbox_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
    sa.UniqueConstraint('cause_key', name=op.f('uq_mail_outbox_cause_key'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_due', ['state', 'next_attempt_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_mail_outbox_task', ['task_id', 'kind'], unique=False)
    op.create_table('mail_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                            name=op.f('fk_mail_preference_user_id_app_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_mail_preference'))
    )


def downgrade() -> None:
    op.drop_table('mail_preference')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_outbox_task')
        batch_op.drop_index('ix_mail_outbox_due')
    op.drop_table('mail_outbox')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('email')
