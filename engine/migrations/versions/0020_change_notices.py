"""a notice on every change that a process's caches depend on (PostgreSQL)

Processes keep the bearer tokens they looked up and the newest definition of each process
(``engine.token_cache``, ``engine.definition_cache``) and forget them when the database says
the rows they came from changed (``engine.change_notices``): statement triggers send
``NOTIFY ketenflow_changes, '<table>'`` (delivered when the change commits) for every change of
a column that decides what a token may do, every deployment, and every delete and truncate of
those tables. SQLite has no notices and caches nothing, so it gets no triggers.

Revision ID: 0020notices
Revises: 0019scale
"""
from alembic import op

revision = '0020notices'
down_revision = '0019scale'
branch_labels = None
depends_on = None

#: table -> the events that announce a change of it
ANNOUNCED = {
    "api_token": "UPDATE OF token_hash, revoked, user_id, organisation_id OR DELETE",
    "app_user": "UPDATE OF username, role, display_name, is_active, organisation_id OR DELETE",
    "organisation": "UPDATE OF slug, kind OR DELETE",
    "deployment": "INSERT OR UPDATE OF version OR DELETE",
    "process_definition": "INSERT OR UPDATE OR DELETE",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION ketenflow_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('ketenflow_changes', TG_TABLE_NAME);
            RETURN NULL;
        END $$""")
    for table, events in ANNOUNCED.items():
        op.execute(f"""
            CREATE TRIGGER {table}_announce_change AFTER {events} OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION ketenflow_announce_change()""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ANNOUNCED:
        op.execute(f"DROP TRIGGER {table}_announce_change ON {table}")
    op.execute("DROP FUNCTION ketenflow_announce_change()")
