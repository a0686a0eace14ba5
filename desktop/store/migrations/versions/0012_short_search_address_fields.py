"""A search word of one or two characters also matches the start of the address fields

Indexes on lower(address1), lower(address2), lower(city) and lower(province) of addresses (text_pattern_ops
on PostgreSQL), so that such a word is an index range over the default shipping address's street lines,
city and province too, as it already was over the name, company, email, phone and zip.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

from desktop.store import search

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    search.create_address_prefix_indexes(conn)
    if conn.dialect.name == "postgresql":
        # Statistics of the new expressions: without them the planner guesses how many addresses a
        # prefix matches (autovacuum analyses after writes, not after a new index).
        op.execute("ANALYZE addresses")


def downgrade() -> None:
    search.drop_address_prefix_indexes(op.get_bind())
