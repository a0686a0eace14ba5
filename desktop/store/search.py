"""The customer search index, per back-end.

SQLite: an FTS5 table with the trigram tokenizer (substring search in any of name, company, email, phone
and the default shipping address's zip, street lines, city and province), kept current by triggers. PostgreSQL: `pg_trgm` GIN indexes on the same
columns, used by `ILIKE '%term%'`. Bulk loaders that append customers wrap their work in `bulk_append()` so that the index is
rebuilt once at the end instead of row by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

FTS_TABLE = "customer_search"
# Terms shorter than this cannot use a trigram index; the query falls back to a scan in name order.
MIN_INDEXED_TERM = 3
# FTS5 "crisismerge" of the SQLite search index (set by migration 0005): how many segments one level may
# hold before they are all merged at once. Each bulk-load chunk adds one segment; FTS5's default of 16
# would rewrite the whole index about every 16 chunks of a big load.
FTS_CRISISMERGE = 64

# What the index holds of each customer: its own fields, then its default shipping address's (the customer
# API searches "customer name, email, or address fields").
CUSTOMER_COLUMNS = ("name", "company", "email", "phone")
ADDRESS_COLUMNS = ("zip", "address1", "address2", "city", "province")
_COLUMNS = ", ".join((*CUSTOMER_COLUMNS, *ADDRESS_COLUMNS))
_NEW_ROW = ", ".join(f"new.{c}" for c in CUSTOMER_COLUMNS) + ", " + ", ".join(f"a.{c}" for c in ADDRESS_COLUMNS)
_SET_ADDRESS = ", ".join(f"{c} = new.{c}" for c in ADDRESS_COLUMNS)

_SQLITE_TABLE = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE}
USING fts5({_COLUMNS}, tokenize = 'trigram')
"""

_SQLITE_TRIGGERS = {
    "customer_search_ai": f"""
        CREATE TRIGGER customer_search_ai AFTER INSERT ON customers BEGIN
          INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS})
          SELECT new.id, {_NEW_ROW}
          FROM (SELECT 1) LEFT JOIN addresses a ON a.id = new.default_shipping_address_id;
        END""",
    "customer_search_au": f"""
        CREATE TRIGGER customer_search_au
        AFTER UPDATE OF name, company, email, phone, default_shipping_address_id ON customers BEGIN
          DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
          INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS})
          SELECT new.id, {_NEW_ROW}
          FROM (SELECT 1) LEFT JOIN addresses a ON a.id = new.default_shipping_address_id;
        END""",
    "customer_search_ad": f"""
        CREATE TRIGGER customer_search_ad AFTER DELETE ON customers BEGIN
          DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
        END""",
    # A new address can already be the default (a customer and its address are inserted in one go).
    "customer_search_address_ai": f"""
        CREATE TRIGGER customer_search_address_ai AFTER INSERT ON addresses BEGIN
          UPDATE {FTS_TABLE} SET {_SET_ADDRESS}
          WHERE rowid IN (SELECT id FROM customers WHERE default_shipping_address_id = new.id);
        END""",
    "customer_search_address_au": f"""
        CREATE TRIGGER customer_search_address_au AFTER UPDATE OF {", ".join(ADDRESS_COLUMNS)} ON addresses BEGIN
          UPDATE {FTS_TABLE} SET {_SET_ADDRESS}
          WHERE rowid IN (SELECT id FROM customers WHERE default_shipping_address_id = new.id);
        END""",
}

_SQLITE_REBUILD = f"""
INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS})
SELECT c.id, {", ".join(f"c.{c}" for c in CUSTOMER_COLUMNS)}, {", ".join(f"a.{c}" for c in ADDRESS_COLUMNS)}
FROM customers c LEFT JOIN addresses a ON a.id = c.default_shipping_address_id
"""

PG_TRIGRAM_INDEXES = {
    "ix_customers_name_trgm": "customers USING gin (name gin_trgm_ops)",
    "ix_customers_company_trgm": "customers USING gin (company gin_trgm_ops)",
    "ix_customers_email_trgm": "customers USING gin (email gin_trgm_ops)",
    "ix_customers_phone_trgm": "customers USING gin (phone gin_trgm_ops)",
    "ix_addresses_zip_trgm": "addresses USING gin (zip gin_trgm_ops)",
    "ix_addresses_address1_trgm": "addresses USING gin (address1 gin_trgm_ops)",
    "ix_addresses_address2_trgm": "addresses USING gin (address2 gin_trgm_ops)",
    "ix_addresses_city_trgm": "addresses USING gin (city gin_trgm_ops)",
    "ix_addresses_province_trgm": "addresses USING gin (province gin_trgm_ops)",
}

# PostgreSQL: a search word of one or two characters matches the start of these (LIKE 'ab%'), which a
# text_pattern_ops index serves whatever the database's collation. SQLite's own sort indexes serve the
# same prefix ranges, as its text compares byte by byte.
PG_PREFIX_INDEXES = {
    "ix_customers_name_prefix": "customers (lower(name) text_pattern_ops)",
    "ix_customers_company_prefix": "customers (lower(coalesce(company, '')) text_pattern_ops)",
    "ix_customers_email_prefix": "customers (lower(coalesce(email, '')) text_pattern_ops)",
    "ix_customers_phone_prefix": "customers (coalesce(phone, '') text_pattern_ops)",
    "ix_addresses_zip_key_prefix": "addresses (zip_key text_pattern_ops)",
}
# Both back-ends: the address fields a short word matches the start of (lower(field), as the search
# compares them); text_pattern_ops on PostgreSQL, for LIKE 'ab%' whatever the collation.
PREFIX_ADDRESS_COLUMNS = ("address1", "address2", "city", "province")
ADDRESS_PREFIX_INDEXES = {f"ix_addresses_{c}_prefix": c for c in PREFIX_ADDRESS_COLUMNS}


def create_address_prefix_indexes(conn: Connection) -> None:
    ops = " text_pattern_ops" if conn.dialect.name == "postgresql" else ""
    for name, column in ADDRESS_PREFIX_INDEXES.items():
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON addresses (lower({column}){ops})")


def drop_address_prefix_indexes(conn: Connection) -> None:
    for name in ADDRESS_PREFIX_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def create(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_SQLITE_TABLE)
        create_triggers(conn)
        conn.exec_driver_sql(f"DELETE FROM {FTS_TABLE}")
        conn.exec_driver_sql(_SQLITE_REBUILD)
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, target in PG_TRIGRAM_INDEXES.items():
            conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        drop_triggers(conn)
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif conn.dialect.name == "postgresql":
        for name in PG_TRIGRAM_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def create_triggers(conn: Connection) -> None:
    for name, sql in _SQLITE_TRIGGERS.items():
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        conn.exec_driver_sql(sql)


def drop_triggers(conn: Connection) -> None:
    for name in _SQLITE_TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


@contextmanager
def bulk_append(conn: Connection) -> Iterator[None]:
    """Suspend per-row index maintenance while new customers are appended inside `conn`'s transaction.

    Only for loads that insert customers with ids above every existing one (and their addresses); the
    index rows of those customers are written in one statement at the end. On SQLite the triggers are
    dropped and recreated in the same transaction (DDL is transactional there), so a failed load leaves
    the index exactly as it was. PostgreSQL's indexes maintain themselves.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    last_id = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM customers").scalar_one()
    drop_triggers(conn)
    yield
    conn.exec_driver_sql(f"{_SQLITE_REBUILD} WHERE c.id > ?", (last_id,))
    create_triggers(conn)


def refresh(conn: Connection, customer_ids: Iterable[int]) -> None:
    """Write the index rows of these customers again (SQLite; after changes made while `bulk_append`
    had the triggers off). PostgreSQL's indexes maintain themselves."""
    if conn.dialect.name != "sqlite":
        return
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        marks = ", ".join("?" * len(part))
        conn.exec_driver_sql(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({marks})", tuple(part))
        conn.exec_driver_sql(f"{_SQLITE_REBUILD} WHERE c.id IN ({marks})", tuple(part))
