"""urgent referral tasks

A human task of an urgent referral (a crisis case, or a referral marked urgent) is flagged,
so that the SDD's and the Meldpunt's queues put it first on an index. Existing open tasks of
those desks are flagged from their case's crisis signal and the care referral's urgency.

Revision ID: 0008
Revises: 0007
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

DESKS = ('budget_advice', 'care_referral')


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.create_index('ix_human_task_urgent_queue',
                              ['state', 'role', 'urgent', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_human_task_urgent_queue_due',
                              ['state', 'role', 'urgent', 'due_at', 'id'], unique=False)
    tasks = sa.table('human_task', sa.column('case_number', sa.String),
                     sa.column('role', sa.String), sa.column('urgent', sa.Boolean))
    cases = sa.table('case', sa.column('case_number', sa.String),
                     sa.column('crisis', sa.Boolean))
    records = sa.table('case_record', sa.column('case_number', sa.String),
                       sa.column('bpmn_id', sa.String), sa.column('data', sa.JSON))
    connection = op.get_bind()
    crisis = sorted(connection.scalars(sa.select(cases.c.case_number)
                                       .where(cases.c.crisis.is_(True))))
    care_urgent = set()
    for number, data in connection.execute(sa.select(records.c.case_number, records.c.data)
                                           .where(records.c.bpmn_id == 'prepare_care_referral')):
        values = json.loads(data) if isinstance(data, str) else (data or {})
        if values.get('care_urgency') == 'urgent':
            care_urgent.add(number)
    for desks, numbers in ((DESKS, crisis), (('care_referral',), sorted(care_urgent))):
        for start in range(0, len(numbers), 500):
            connection.execute(sa.update(tasks).where(
                tasks.c.role.in_(desks), tasks.c.case_number.in_(numbers[start:start + 500]))
                .values(urgent=True))

def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_urgent_queue_due')
        batch_op.drop_index('ix_human_task_urgent_queue')
        batch_op.drop_column('urgent')
