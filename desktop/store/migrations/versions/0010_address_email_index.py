"""An email is one customer's across customers and their addresses: addresses' emails looked up by index

- `ix_addresses_email_lower`: lower(email) of addresses, so that the check (on create, update, address add
  and import) reads an index, not every address. Not unique: stores may hold clashes from before the rule
  (`customer-desk customers email-clashes` lists them); only new ones are refused.

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_addresses_email_lower", "addresses", [sa.text("lower(email)")], unique=False)


def downgrade() -> None:
    op.drop_index("ix_addresses_email_lower", table_name="addresses")
