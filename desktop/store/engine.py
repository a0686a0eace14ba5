"""Opening the store: which database, engine settings per back-end, migrations, units of work.

The database is chosen, first match wins, from `--database URL`, the `CUSTOMER_DESK_DATABASE_URL`
environment variable, the app's setting, and finally an SQLite file in the user's data folder.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("desktop.store")

APP_NAME = "customer-desk"
ENV_DATABASE_URL = "CUSTOMER_DESK_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 10_000


class StoreError(Exception):
    """The store cannot be opened or used; the message is one clear sentence for the clerk."""


def default_database_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "customers.sqlite3"


def resolve_database_url(cli_value: str | None = None, setting: str | None = None) -> str:
    """The URL to open: `--database`, then the environment, then the app setting, then the default."""
    for candidate in (cli_value, os.environ.get(ENV_DATABASE_URL), setting):
        if candidate and candidate.strip():
            return candidate.strip()
    return f"sqlite:///{default_database_path()}"


def parse_url(raw: str) -> URL:
    """Parse a database URL; a bare file path means an SQLite file. PostgreSQL goes through psycopg 3."""
    if "://" not in raw:
        return make_url(f"sqlite:///{Path(raw).expanduser()}")
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"Not a database URL: {raw!r}.") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"Unsupported database {url.get_backend_name()!r}: use an SQLite file or a PostgreSQL URL."
        )
    return url


def describe_url(url: URL) -> str:
    """A human-readable location without the password, for titles, logs and error messages."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def _py_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event decide how transactions start (deferred or immediate).
        dbapi_connection.isolation_level = None
        # SQLite's lower() and LIKE fold ASCII only; searches with other letters use Python's folding.
        dbapi_connection.create_function("py_lower", 1, _py_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 10, "application_name": APP_NAME},
    )


@dataclass
class Database:
    """An opened, migrated store. Hand out one Session per unit of work; never share one across threads."""

    engine: Engine
    url: URL

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @property
    def location(self) -> str:
        return describe_url(self.url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write unit of work: commits when the block ends, rolls everything back on any error.

        On SQLite the transaction takes the write lock at its start (BEGIN IMMEDIATE), so two writers queue
        instead of failing halfway; on PostgreSQL rows are locked by the services that need it.
        """
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_immediate=True)
            with Session(bind=conn, expire_on_commit=False) as session:
                with conn.begin():
                    yield session
                    session.flush()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end)."""
        with self._sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(raw_url: str, *, migrate: bool = True) -> Database:
    """Open (creating if needed) and migrate the store at `raw_url`, or raise StoreError with one sentence."""
    url = parse_url(raw_url)
    try:
        engine = make_engine(url)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"Cannot use database {describe_url(url)}: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"Cannot open database {describe_url(url)}: {exc.strerror or exc}") from exc
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        if migrate:
            from desktop.store.migrate import upgrade_to_head

            upgrade_to_head(engine)
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreError(f"Cannot open database {describe_url(url)}: {reason}") from exc
    except OSError as exc:
        engine.dispose()
        raise StoreError(f"Cannot open database {describe_url(url)}: {exc.strerror or exc}") from exc
    log.info("opened %s database at %s", engine.dialect.name, describe_url(url))
    return Database(engine=engine, url=url)
