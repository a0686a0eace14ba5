"""Fast bulk inserts for loaders (the demo data generator, the importer): plain tuples straight to the driver.

The ORM and even Core `insert()` spend microseconds per row in Python; a million rows need the driver's own
bulk path instead: `executemany` on SQLite, `COPY … FROM STDIN` on PostgreSQL (psycopg 3). Everything here
runs inside the caller's transaction and never commits: the caller's rollback undoes a failed load.

Rows are tuples in the order of `columns`. By default each value goes through its column type's bind
processor, so rows may hold the same Python values the ORM accepts (datetime, date, Decimal, bool, dict for
JSON) and are stored exactly as the ORM would store them. Loaders that need the last bit of speed pass
`convert=False` and give values both back-ends take as they are: `None`, `int`, `float`, `bool`, `str`, with
datetimes as `storage_datetime()` strings ("2026-06-30 12:00:00.000000"), dates as "2026-06-30", money as
"12.34" and JSON as text.

Explicit ids: loaders that must know ids before inserting (a customer pointing at its default address)
take them from `next_id()` and call `reset_sequences()` afterwards so that PostgreSQL's next ordinary
INSERT does not collide with them. Run such a load while nobody else writes the same tables.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Table

SQLITE_CHUNK_ROWS = 50_000
# SQLite index builds: a cache small enough that big sorts spill and run on helper threads.
INDEX_BUILD_CACHE_KIB = 16 * 1024
INDEX_BUILD_THREADS = 2


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
            conn.exec_driver_sql("SELECT setval(CAST(%(s)s AS regclass), %(v)s, true)", {"s": sequence, "v": int(top)})


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


@contextlib.contextmanager
def deferred_indexes(conn: Connection, tables: Iterable[Table], keep: Iterable[str] = ()) -> Iterator[list[str]]:
    """For a load that is large next to what `tables` hold: build their secondary indexes once, at the end.

    Inside `conn`'s transaction, the secondary indexes of `tables` are dropped and, when the block ends,
    created again from their own definitions, so that each is built by one sort instead of a million
    index inserts (on PostgreSQL that includes the trigram GIN indexes of the search). Constraint indexes
    (primary keys, UNIQUE constraints) stay. SQLite also keeps, for each foreign key that points at one of
    `tables`, the narrowest index led by its column: SQLite needs it while deferred foreign keys are
    pending (inserting a parent row then looks up its children). So the block may insert into `tables`
    and into tables that reference them, but should not delete parents. A unique index is checked when it
    is recreated, so a duplicate fails the load there.

    The block runs in a SAVEPOINT: if it raises, everything it did is undone and the indexes are back at
    once (no rebuild), and the caller's transaction stays usable. On PostgreSQL the tables stay locked
    against other sessions until the transaction ends, and pending deferred constraints are checked
    before the rebuild (SET CONSTRAINTS ALL IMMEDIATE, for the rest of the transaction). The indexes named
    in `keep` stay (those the load itself looks things up by). On PostgreSQL the tables are analysed
    after the rebuild (ANALYZE, in the same transaction). Yields the names of the dropped indexes.
    """
    tables = list(tables)
    backend = conn.dialect.name
    if backend not in ("sqlite", "postgresql") or not tables:
        yield []
        return
    saved = _sqlite_secondary_indexes(conn, tables) if backend == "sqlite" else _pg_secondary_indexes(conn, tables)
    kept = set(keep)
    saved = [entry for entry in saved if entry[0] not in kept]
    savepoint = conn.begin_nested()
    try:
        for _name, drop_sql, _create_sql in saved:
            conn.exec_driver_sql(drop_sql)
        yield [name for name, _drop_sql, _create_sql in saved]
    except BaseException:
        savepoint.rollback()  # the indexes are back, the block's writes are gone
        raise
    with _fast_index_builds(conn):
        for _name, _drop_sql, create_sql in saved:
            conn.exec_driver_sql(create_sql)
    if backend == "postgresql":
        # The planner's statistics of tables that have just grown many-fold. Autovacuum would gather
        # them only a minute or more after the commit; until then a search can be planned as if the
        # tables were still small (seconds instead of milliseconds). About half a second a table at 1M.
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {_table_sql(conn, table)}")
    savepoint.commit()


# --- internals ----------------------------------------------------------------------------------


def _sqlite_secondary_indexes(conn: Connection, tables: Sequence[Table]) -> list[tuple[str, str, str]]:
    """(name, DROP statement, CREATE statement) of each index to rebuild."""
    loaded = {table.name for table in tables}
    saved: list[tuple[str, str, str]] = []
    for table in tables:
        needed = {
            row[3]  # the child column of a foreign key into a table being loaded
            for row in conn.exec_driver_sql(f"PRAGMA foreign_key_list({_quote(conn, table.name)})")
            if row[2] in loaded
        }
        indexes = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table.name,),
        ).all()
        keep: dict[str, tuple[int, str]] = {}  # column -> (width, index) of the narrowest index it leads
        for index_name, _sql in indexes:
            info = conn.exec_driver_sql(f"PRAGMA index_info({_quote(conn, index_name)})").all()
            leading = next((row[2] for row in info if row[0] == 0), None)
            if leading in needed and (leading not in keep or len(info) < keep[leading][0]):
                keep[leading] = (len(info), index_name)
        kept = {index_name for _width, index_name in keep.values()}
        saved.extend(
            (name, f"DROP INDEX {_quote(conn, name)}", sql) for name, sql in indexes if name not in kept
        )
    return saved


def _pg_secondary_indexes(conn: Connection, tables: Sequence[Table]) -> list[tuple[str, str, str]]:
    saved: list[tuple[str, str, str]] = []
    for table in tables:
        rows = conn.exec_driver_sql(
            "SELECT n.nspname, c.relname, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE i.indrelid = CAST(%(t)s AS regclass) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
            "ORDER BY c.relname",
            {"t": _table_sql(conn, table)},
        ).all()
        saved.extend(
            (name, f"DROP INDEX {_quote(conn, schema)}.{_quote(conn, name)}", definition)
            for schema, name, definition in rows
        )
    return saved


@contextlib.contextmanager
def _fast_index_builds(conn: Connection) -> Iterator[None]:
    """Settings for building big indexes: SQLite sorts with a helper thread (which it only does when the
    sort spills out of a modest cache); PostgreSQL gets more sort memory for this transaction."""
    if conn.dialect.name == "postgresql":
        # CREATE INDEX refuses a table with pending deferred-constraint checks: run them now.
        conn.exec_driver_sql("SET CONSTRAINTS ALL IMMEDIATE")
        conn.exec_driver_sql("SELECT set_config('maintenance_work_mem', '256MB', true)")
        yield
        return
    cache_size = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    threads = conn.exec_driver_sql("PRAGMA threads").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{INDEX_BUILD_CACHE_KIB}")
    conn.exec_driver_sql(f"PRAGMA threads = {max(int(threads), INDEX_BUILD_THREADS)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache_size)}")
        conn.exec_driver_sql(f"PRAGMA threads = {int(threads)}")


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


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
