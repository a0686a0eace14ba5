"""Search tuning: indexes that earn their cost at a million customers

- `ix_addresses_customer_id` goes: `ix_addresses_customer_dedup` (customer_id, dedup_key) leads with the
  same column and serves every lookup by customer (and the foreign key's cascade) just as well, so a
  second index on it only cost writes and space.
- PostgreSQL: `ix_addresses_zip_key` also carries the address id (INCLUDE), so Find Match reads its zip
  block from the index alone instead of visiting one heap page per address. (SQLite's index already ends
  with the rowid, which is the id.)
- SQLite: the search index may keep up to 64 segments on one level before it merges them all at once
  (FTS5 `crisismerge`, default 16). Bulk loads then skip most forced merges; ordinary writes keep
  merging in small steps (automerge), and a search reads a few more segments (still well under 5 ms).

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa  # noqa: F401

from desktop.store.search import FTS_CRISISMERGE, FTS_TABLE

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

DEFAULT_CRISISMERGE = 16


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _set_crisismerge(value: int) -> None:
    op.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('crisismerge', {int(value)})")


def upgrade() -> None:
    op.drop_index("ix_addresses_customer_id", table_name="addresses")
    if _is_sqlite():
        _set_crisismerge(FTS_CRISISMERGE)
    else:
        op.drop_index("ix_addresses_zip_key", table_name="addresses")
        op.create_index("ix_addresses_zip_key", "addresses", ["zip_key", "address1_key"],
                        postgresql_include=["id"])


def downgrade() -> None:
    if _is_sqlite():
        _set_crisismerge(DEFAULT_CRISISMERGE)
    else:
        op.drop_index("ix_addresses_zip_key", table_name="addresses")
        op.create_index("ix_addresses_zip_key", "addresses", ["zip_key", "address1_key"])
    op.create_index("ix_addresses_customer_id", "addresses", ["customer_id"])
