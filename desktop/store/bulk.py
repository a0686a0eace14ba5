"""Fast bulk inserts for loaders (the demo data generator, the importer): plain tuples straight to the driver.

The ORM and even Core `insert()` spend microseconds per row in Python; a million rows need the driver's own
bulk path instead: `executemany` on SQLite, `COPY … FROM STDIN` on PostgreSQL (psycopg 3). Everything here
runs inside the caller's transaction and never commits, so a failed load leaves nothing behind.

Rows are tuples in the order of `columns`. By default each value goes through its column type's bind
processor, so rows may hold the same Python values the ORM accepts (datetime, date, Decimal, bool, dict for
JSON) and are stored exactly as the ORM would store them. Loaders that need the last bit of speed pass
`convert=False` and give values both back-ends take as they are: `None`, `int`, `float`, `bool`, `str`, with
datetimes as `storage_datetime()` strings, dates as `"YYYY-MM-DD"`, money as `"12.34"` and JSON as text.

Explicit ids: loaders that must know ids before inserting (a customer pointing at its default address)
take them from `next_id()` and call `reset_sequences()` afterwards so that PostgreSQL's next ordinary
INSERT does not collide with them. Run such a load while nobody else writes the same tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Table

SQLITE_CHUNK_ROWS = 50_000


def storage_datetime(value: dt.datetime) -> str:
    """A naive UTC datetime in the text form SQLAlchemy stores on SQLite (PostgreSQL's COPY parses it too)."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def next_id(conn: Connection, table: Table) -> int:
    """The first id that is free above every row of `table` (and, on PostgreSQL, above its sequence)."""
    name = _table_sql(conn, table)
    top = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {name}").scalar_one()
    if conn.dialect.name == "postgresql":
        sequence = _pg_sequence(conn, table)
        if sequence is not None:
            last, called = conn.exec_driver_sql(f"SELECT last_value, is_called FROM {sequence}").one()
            top = max(top, last if called else last - 1)
    return int(top) + 1


def reset_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """After explicit-id inserts, move each table's id sequence past max(id) (PostgreSQL; no-op on SQLite).

    A sequence that is already further on is left alone, so ids handed out before are never reused.
    """
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        sequence = _pg_sequence(conn, table)
        if sequence is None:
            continue
        top = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {_table_sql(conn, table)}").scalar_one()
        last, called = conn.exec_driver_sql(f"SELECT last_value, is_called FROM {sequence}").one()
        current = last if called else last - 1
        if top > current:
            conn.exec_driver_sql(f"SELECT setval('{sequence}', {int(top)}, true)")


def bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    *,
    convert: bool = True,
) -> int:
    """Insert `rows` (tuples ordered like `columns`) into `table` inside `conn`'s transaction; return the count.

    `rows` is consumed lazily (a generator of millions of rows is fine): SQLite gets them in chunks of
    `SQLITE_CHUNK_ROWS` through the raw cursor's `executemany`, PostgreSQL through one `COPY`. Column
    defaults of the models are NOT applied: give every NOT NULL column (id, created_at, updated_at,
    version …) a value. With `convert=False` values skip the column types' bind processors (see the module
    docstring for what the values must then look like). Triggers, constraints and foreign keys apply as
    for any INSERT.
    """
    columns = list(columns)
    unknown = [c for c in columns if c not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {', '.join(unknown)}")
    backend = conn.dialect.name
    if backend not in ("sqlite", "postgresql"):
        # Any other back-end: Core executemany chunk by chunk (it converts values itself).
        total = 0
        for chunk in _chunks(rows, SQLITE_CHUNK_ROWS):
            conn.execute(table.insert(), [dict(zip(columns, row)) for row in chunk])
            total += len(chunk)
        return total
    if convert:
        rows = _converted(conn, table, columns, rows)
    dbapi = conn.connection.driver_connection
    if dbapi is None:  # pragma: no cover - a detached connection
        raise RuntimeError("bulk_insert needs a live DBAPI connection")
    preparer = conn.dialect.identifier_preparer
    table_sql = preparer.format_table(table)
    columns_sql = ", ".join(preparer.quote(c) for c in columns)
    if backend == "postgresql":
        return _copy_rows(dbapi, table_sql, columns_sql, rows)
    sql = f"INSERT INTO {table_sql} ({columns_sql}) VALUES ({', '.join('?' * len(columns))})"
    return _executemany_rows(dbapi, sql, rows)


# --- internals ----------------------------------------------------------------------------------


def _table_sql(conn: Connection, table: Table) -> str:
    return conn.dialect.identifier_preparer.format_table(table)


def _pg_sequence(conn: Connection, table: Table) -> str | None:
    qualified = _table_sql(conn, table)
    return conn.exec_driver_sql(
        "SELECT pg_get_serial_sequence(%(t)s, 'id')", {"t": qualified}
    ).scalar_one()


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _executemany_rows(dbapi: Any, sql: str, rows: Iterable[tuple[Any, ...]]) -> int:
    cursor = dbapi.cursor()
    total = 0
    try:
        for chunk in _chunks(rows, SQLITE_CHUNK_ROWS):
            cursor.executemany(sql, chunk)
            total += len(chunk)
    finally:
        cursor.close()
    return total


def _copy_rows(dbapi: Any, table_sql: str, columns_sql: str, rows: Iterable[tuple[Any, ...]]) -> int:
    total = 0
    with dbapi.cursor() as cursor:
        with cursor.copy(f"COPY {table_sql} ({columns_sql}) FROM STDIN") as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)
                total += 1
    return total


def _converted(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> Iterator[tuple[Any, ...]]:
    dialect = conn.dialect
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors.append((index, processor))
    if not processors:
        yield from rows
        return
    for row in rows:
        values = list(row)
        for index, processor in processors:
            values[index] = processor(values[index])
        yield tuple(values)
