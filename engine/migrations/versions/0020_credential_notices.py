"""a notice on every change of a token, a user or an organisation (PostgreSQL)

Web workers keep the tokens they have looked up (``engine.token_cache``) and forget them when
the database says a credential changed: statement triggers on ``api_token``, ``app_user`` and
``organisation`` send ``NOTIFY ketenflow_credentials`` (delivered when the change commits) for
every update of a column that decides what a token may do, every delete and every truncate.
SQLite has no notices and its workers cache nothing, so it gets no triggers.

Revision ID: 0020tokens
Revises: 0019scale
"""
from alembic import op

revision = '0020tokens'
down_revision = '0019scale'
branch_labels = None
depends_on = None

#: table -> the columns whose change alters what its tokens may do
WATCHED = {
    "api_token": "token_hash, revoked, user_id, organisation_id",
    "app_user": "username, role, display_name, is_active, organisation_id",
    "organisation": "slug, kind",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION ketenflow_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('ketenflow_credentials', TG_TABLE_NAME);
            RETURN NULL;
        END $$""")
    for table, columns in WATCHED.items():
        op.execute(f"""
            CREATE TRIGGER {table}_credentials_changed
            AFTER UPDATE OF {columns} OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION ketenflow_credentials_changed()""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in WATCHED:
        op.execute(f"DROP TRIGGER {table}_credentials_changed ON {table}")
    op.execute("DROP FUNCTION ketenflow_credentials_changed()")
