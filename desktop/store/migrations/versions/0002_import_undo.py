"""Import batches keep what undo needs

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("undo", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("os_user", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_column("os_user")
        batch.drop_column("undo")
