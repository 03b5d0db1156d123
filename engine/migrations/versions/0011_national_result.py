"""national result of a case

The national result (DDAS ``EnumEindresultaat``) becomes a column of the case, filled by the
case read model at closure and correctable by the social team lead. Closed cases keep it
empty until they are corrected: their result lives only in their finished instance's data.

Revision ID: 0011
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('national_result', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('national_result')
