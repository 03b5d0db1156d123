"""access log at volume: one row per read with its cases, a hash chain; break-glass grants

A list view was one row per case shown; now it is one ``access_log`` row with its case numbers
in ``access_log_case``. Every row carries ``seq`` and ``hash`` (``engine.access_log``); the old
rows are carried over in their order, one case each, and chained. ``break_glass_grant`` holds a
caseworker's time-limited access to a case outside their scope.

Revision ID: 0015
Revises: 0018
"""
from datetime import UTC

import sqlalchemy as sa
from alembic import op

import engine.db
from engine.access_log import GENESIS, Entry, content_hash

revision = '0015'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    old = op.get_bind().execute(sa.text(
        'SELECT at, user_id, username, role, organisation, case_number, what '
        'FROM access_log ORDER BY id')).all()
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_index('ix_access_log_case')
    op.drop_table('access_log')
    log = op.create_table('access_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('organisation', sa.String(length=64), nullable=False),
    sa.Column('what', sa.String(length=200), nullable=False),
    sa.Column('case_count', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log')),
    sa.UniqueConstraint('seq', name=op.f('uq_access_log_seq'))
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index('ix_access_log_at', ['at'], unique=False)
        batch_op.create_index('ix_access_log_organisation_at', ['organisation', 'at'],
                              unique=False)
        batch_op.create_index('ix_access_log_role_at', ['role', 'at'], unique=False)
        batch_op.create_index('ix_access_log_username_at', ['username', 'at'], unique=False)
    cases = op.create_table('access_log_case',
    sa.Column('log_id', sa.Integer(), nullable=False),
    sa.Column('case_number', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['log_id'], ['access_log.id'],
                            name=op.f('fk_access_log_case_log_id_access_log')),
    sa.PrimaryKeyConstraint('log_id', 'case_number', name=op.f('pk_access_log_case'))
    )
    with op.batch_alter_table('access_log_case', schema=None) as batch_op:
        batch_op.create_index('ix_access_log_case_number', ['case_number', 'log_id'],
                              unique=False)
    head = op.create_table('access_log_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log_head'))
    )
    op.create_table('break_glass_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('organisation', sa.String(length=64), nullable=False),
    sa.Column('case_number', sa.String(length=100), nullable=False),
    sa.Column('municipality', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('granted_at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', engine.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                            name=op.f('fk_break_glass_grant_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_break_glass_grant'))
    )
    with op.batch_alter_table('break_glass_grant', schema=None) as batch_op:
        batch_op.create_index('ix_break_glass_grant_granted_at', ['granted_at'], unique=False)
        batch_op.create_index('ix_break_glass_grant_user_case',
                              ['user_id', 'case_number', 'expires_at'], unique=False)
    _carry_over(old, log, cases, head)


def _carry_over(old, log, cases, head) -> None:  # type: ignore[no-untyped-def]
    """The old rows, in their order, one case each (``-`` was "no case"), chained."""
    previous, rows, links = GENESIS, [], []
    for seq, (at, user_id, username, role, organisation, number, what) in enumerate(old, 1):
        numbers = () if number == "-" else (number,)
        if isinstance(at, str):
            parse = sa.DateTime().result_processor(op.get_bind().dialect, None)
            at = parse(at) if parse else at  # SQLite gives text
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        entry = Entry(at, user_id, username, role, organisation, what, numbers)
        previous = content_hash(previous, seq, entry)
        rows.append({"id": seq, "seq": seq, "at": at, "user_id": user_id,
                     "username": username, "role": role, "organisation": organisation,
                     "what": what, "case_count": len(numbers), "hash": previous})
        links += [{"log_id": seq, "case_number": n} for n in numbers]
    if rows:
        op.bulk_insert(log, rows)
        op.bulk_insert(cases, links)
        if op.get_bind().dialect.name == "postgresql":
            op.execute("SELECT setval('access_log_id_seq', (SELECT max(id) FROM access_log))")
    op.bulk_insert(head, [{"id": 1, "seq": len(rows), "hash": previous}])


def downgrade() -> None:
    op.drop_table('break_glass_grant')
    op.drop_table('access_log_head')
    op.drop_table('access_log_case')
    op.drop_table('access_log')
    op.create_table('access_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', engine.db.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('organisation', sa.String(length=64), nullable=False),
    sa.Column('case_number', sa.String(length=100), nullable=False),
    sa.Column('what', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log'))
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index('ix_access_log_case', ['case_number', 'at'], unique=False)
