"""indexes for national volume: search, referral scopes, due timers

Case numbers searched by prefix through a bytewise index (``COLLATE "C"`` on PostgreSQL),
names and addresses through a trigram index (pg_trgm on PostgreSQL, an FTS5 trigram table kept
in step by triggers on SQLite), the SDD and Meldpunt case lists through partial indexes on the
case's referral flags, and the timer claim through a partial index on the due instances
(``engine.search``, ``engine.access.case_scope``, ``engine.timers.claim_due``).

Revision ID: 0018
Revises: 0014ops
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0014ops'
branch_labels = None
depends_on = None

#: The text the name/address search reads (``engine.search.search_text``).
_SEARCH_TEXT = "tenant_name || ' ' || street || ' ' || house_number"
#: The lanes whose tasks referred a case to the SDD and the Meldpunt (``policy.REFERRAL_FLAGS``).
_DUE = "status IN ('running', 'waiting') AND next_timer_due IS NOT NULL"
_REFERRALS = {"referred_to_sdd": "budget_advice", "referred_to_care": "care_referral"}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # The flags already follow every step (cases.after_step); set them where a task of the desk
    # exists, so the scope that now reads them sees what the task scan saw.
    for flag, lane in _REFERRALS.items():
        op.execute(f'UPDATE "case" SET {flag} = true WHERE {flag} = false AND EXISTS ('
                   f"SELECT 1 FROM human_task WHERE human_task.case_number = \"case\".case_number"
                   f" AND human_task.role = '{lane}')")
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_referred_sdd', ['created_at', 'id'], unique=False,
                              postgresql_where=sa.text('referred_to_sdd'),
                              sqlite_where=sa.text('referred_to_sdd = 1'))
        batch_op.create_index('ix_case_referred_care', ['created_at', 'id'], unique=False,
                              postgresql_where=sa.text('referred_to_care'),
                              sqlite_where=sa.text('referred_to_care = 1'))
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.create_index(
            'ix_process_instance_due', ['next_timer_due', 'id'], unique=False,
            postgresql_where=sa.text(_DUE), sqlite_where=sa.text(_DUE))
    if dialect == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX ix_case_number_bytewise ON "case" ((case_number COLLATE "C"))')
        op.execute(f'CREATE INDEX ix_case_search_trgm ON "case" USING gin '
                   f'((lower({_SEARCH_TEXT})) gin_trgm_ops)')
    elif dialect == 'sqlite':
        op.execute("CREATE VIRTUAL TABLE case_search USING fts5("
                   "search_text, tokenize = 'trigram case_sensitive 0')")
        op.execute(f'INSERT INTO case_search (rowid, search_text) '
                   f'SELECT id, {_SEARCH_TEXT} FROM "case"')
        op.execute(f'CREATE TRIGGER case_search_insert AFTER INSERT ON "case" BEGIN '
                   f'INSERT INTO case_search (rowid, search_text) '
                   f'VALUES (new.id, {_new(_SEARCH_TEXT)}); END')
        op.execute(f'CREATE TRIGGER case_search_update AFTER UPDATE OF tenant_name, street, '
                   f'house_number ON "case" BEGIN '
                   f'UPDATE case_search SET search_text = {_new(_SEARCH_TEXT)} '
                   f'WHERE rowid = new.id; END')
        op.execute('CREATE TRIGGER case_search_delete AFTER DELETE ON "case" BEGIN '
                   'DELETE FROM case_search WHERE rowid = old.id; END')


def _new(expression: str) -> str:
    return " || ' ' || ".join(f"new.{c.strip()}" for c in expression.split("|| ' ' ||"))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_case_search_trgm')
        op.execute('DROP INDEX IF EXISTS ix_case_number_bytewise')
    elif dialect == 'sqlite':
        for trigger in ('case_search_insert', 'case_search_update', 'case_search_delete'):
            op.execute(f'DROP TRIGGER IF EXISTS {trigger}')
        op.execute('DROP TABLE IF EXISTS case_search')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_process_instance_due')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_referred_care')
        batch_op.drop_index('ix_case_referred_sdd')
