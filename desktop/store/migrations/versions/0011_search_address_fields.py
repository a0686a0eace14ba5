"""Search covers the address fields, as the customer API says ("customer name, email, or address fields")

- SQLite: the search index (FTS5, trigram) gains the default shipping address's address1, address2, city
  and province beside its zip; rebuilt once, its triggers follow those fields.
- PostgreSQL: trigram indexes on those columns of addresses.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

from desktop.store import search

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

NEW_PG_INDEXES = ("ix_addresses_address1_trgm", "ix_addresses_address2_trgm", "ix_addresses_city_trgm",
                  "ix_addresses_province_trgm")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        search.drop(conn)
        search.create(conn)  # the table with the new columns, its triggers, every row written once
        op.execute(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}, rank) "
                   f"VALUES ('crisismerge', {int(search.FTS_CRISISMERGE)})")
    else:
        for name in NEW_PG_INDEXES:
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {search.PG_TRIGRAM_INDEXES[name]}")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        for name in NEW_PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    # SQLite keeps the wider index: the code of revision 0010 reads only the columns it knows.
