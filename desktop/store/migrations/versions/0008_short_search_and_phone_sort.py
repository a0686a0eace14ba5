"""Short searches and the phone sort served by indexes (a million customers never scanned)

- `ix_customers_phone_sort` (coalesce(phone, ''), id): the table's Phone column sorts by walking it.
- PostgreSQL: text_pattern_ops indexes on the name, company, email and phone sort keys and on the
  addresses' zip key, for a search word of one or two characters (it matches their start: LIKE 'ab%').
  SQLite seeks the same prefixes as ranges of its existing sort indexes.

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa

from desktop.store.search import PG_PREFIX_INDEXES

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_customers_phone_sort", "customers",
                    [sa.text("coalesce(phone, '')"), "id"])
    if op.get_bind().dialect.name == "postgresql":
        for name, target in PG_PREFIX_INDEXES.items():
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_PREFIX_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_customers_phone_sort", table_name="customers")
