"""referral packages

Referral packages become versioned documents of their own (``engine.chain.referral_packages``).
The packages already sent are kept as version 1, read from the referral tasks' case records
(without a ZRM summary: the old referral forms did not ask whether the consent covers it).

Revision ID: 0009
Revises: 0008
"""
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.db

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

#: referral task -> (recipient role, organisation, summary, service, consent, ground, urgency)
SOURCES = {
    'prepare_sdd_referral': ('budget_advice', 'sdd', 'referral_summary', 'sdd_service',
                             'consent_given', 'legal_ground', 'sdd_urgency'),
    'prepare_care_referral': ('care_referral', 'veilig-thuis', 'care_referral_summary',
                              'care_service', 'care_consent_given', 'care_legal_ground',
                              'care_urgency'),
}


def upgrade() -> None:
    op.create_table('referral_package',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_number', sa.String(length=100), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('recipient_organisation', sa.String(length=64), nullable=False),
    sa.Column('recipient_role', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('summary', sa.String(length=2000), nullable=False),
    sa.Column('requested_service', sa.String(length=64), nullable=True),
    sa.Column('consent_given', sa.Boolean(), nullable=False),
    sa.Column('legal_ground', sa.String(length=64), nullable=True),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('zrm_summary', JSON, nullable=True),
    sa.Column('source_task_id', sa.String(length=36), nullable=True),
    sa.Column('correction_reason', sa.String(length=2000), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', engine.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                            name=op.f('fk_referral_package_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_package')),
    sa.UniqueConstraint('case_number', 'recipient_role', 'version',
                        name='uq_referral_package_version')
    )
    with op.batch_alter_table('referral_package', schema=None) as batch_op:
        batch_op.create_index('ix_referral_package_case',
                              ['case_number', 'recipient_role', 'version'], unique=False)
    _backfill()


def _backfill() -> None:
    records = sa.table('case_record', sa.column('id', sa.Integer),
                       sa.column('case_number', sa.String), sa.column('instance_id', sa.Integer),
                       sa.column('task_id', sa.String), sa.column('bpmn_id', sa.String),
                       sa.column('data', sa.JSON), sa.column('context', sa.JSON),
                       sa.column('completed_by', sa.String),
                       sa.column('completed_at', engine.db.UTCDateTime()))
    cases = sa.table('case', sa.column('case_number', sa.String),
                     sa.column('crisis', sa.Boolean))
    packages = sa.table('referral_package', *(sa.column(name) for name in (
        'case_number', 'instance_id', 'recipient_organisation', 'recipient_role', 'version',
        'summary', 'requested_service', 'consent_given', 'legal_ground', 'urgency',
        'zrm_summary', 'source_task_id', 'correction_reason', 'created_by', 'created_at')))
    connection = op.get_bind()
    crisis = set(connection.scalars(sa.select(cases.c.case_number)
                                    .where(cases.c.crisis.is_(True))))
    versions: dict[tuple[str, str], int] = {}
    rows = []
    for row in connection.execute(sa.select(records).where(
            records.c.bpmn_id.in_(sorted(SOURCES))).order_by(records.c.completed_at,
                                                              records.c.id)):
        role, org, summary, service, consent, ground, urgency = SOURCES[row.bpmn_id]
        data = json.loads(row.data) if isinstance(row.data, str) else (row.data or {})
        context = json.loads(row.context) if isinstance(row.context, str) \
            else (row.context or {})
        key = (row.case_number, role)
        versions[key] = versions.get(key, 0) + 1
        urgent = data.get(urgency) == 'urgent' or context.get('crisis') is True \
            or row.case_number in crisis
        rows.append({
            'case_number': row.case_number, 'instance_id': row.instance_id,
            'recipient_organisation': org, 'recipient_role': role, 'version': versions[key],
            'summary': str(data.get(summary) or '')[:2000],
            'requested_service': data.get(service), 'consent_given': data.get(consent) is True,
            'legal_ground': data.get(ground), 'urgency': 'urgent' if urgent else 'regular',
            'zrm_summary': None, 'source_task_id': row.task_id, 'correction_reason': None,
            'created_by': row.completed_by, 'created_at': row.completed_at})
    for start in range(0, len(rows), 500):
        connection.execute(sa.insert(packages), rows[start:start + 500])


def downgrade() -> None:
    with op.batch_alter_table('referral_package', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_package_case')
    op.drop_table('referral_package')
