"""Opening the store: which database, engine settings per back-end, migrations, units of work.

The database is chosen, first match wins, from `--database URL`, the `CUSTOMER_DESK_DATABASE_URL`
environment variable, the app's setting, and finally an SQLite file in the user's data folder.
"""

from __future__ import annotations

import contextvars
import errno
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from desktop.store.migrate import HEAD, NewerStore

log = logging.getLogger("desktop.store")

APP_NAME = "customer-desk"
ENV_DATABASE_URL = "CUSTOMER_DESK_DATABASE_URL"
ENV_BUSY_WAIT = "CUSTOMER_DESK_BUSY_WAIT"
DEFAULT_BUSY_WAIT_S = 120.0  # how long a write waits for another writer before giving up (a setting)
# One attempt at SQLite's write lock waits this long inside the driver; between attempts the store reports
# the wait (a progress line, a status) and may be cancelled, until the busy limit is spent.
SQLITE_BUSY_TIMEOUT_MS = 1_000
# On PostgreSQL a statement may run this many times the busy limit before the server cancels it: a guard
# against a session stuck for ever, far above what the longest import statement needs.
PG_STATEMENT_FACTOR = 10

BUSY_MESSAGE = "The store is busy: another program is writing to it. Nothing was changed; try again."


class StoreError(Exception):
    """The store cannot be opened or used; the message is one clear sentence for the clerk."""


class StoreMissing(StoreError):
    """There is no store at the location given: nothing is created without being asked."""

    def __init__(self, location: str, *, postgres: bool = False):
        self.location = location
        self.postgres = postgres
        where = f"in the PostgreSQL database {location}" if postgres else f"at {location}"
        super().__init__(f"No store {where}; create one with `customer-desk init {_quoted(location)}`.")


class BadStoreUrl(StoreError):
    """The text given as the store is neither a file path nor a database URL this app can use."""


class StoreBusy(StoreError):
    """Another program held the store's write lock for longer than the busy limit."""

    def __init__(self, message: str = BUSY_MESSAGE):
        super().__init__(message)


def _quoted(text: str) -> str:
    return text if re.fullmatch(r"[\w@%+=:,./~-]+", text) else "'" + text.replace("'", "'\\''") + "'"


def busy_wait_default() -> float:
    """The busy limit in seconds: $CUSTOMER_DESK_BUSY_WAIT, else 2 minutes."""
    raw = os.environ.get(ENV_BUSY_WAIT, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_BUSY_WAIT_S
    except ValueError:
        return DEFAULT_BUSY_WAIT_S
    return min(max(value, 0.0), 24 * 3600.0) if value == value else DEFAULT_BUSY_WAIT_S


def default_database_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "customers.sqlite3"


def resolve_database_url(cli_value: str | None = None, setting: str | None = None) -> str:
    """The URL to open: `--database`, then the environment, then the app setting, then the default."""
    for candidate in (cli_value, os.environ.get(ENV_DATABASE_URL), setting):
        if candidate and candidate.strip():
            return candidate.strip()
    return f"sqlite:///{default_database_path()}"


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")  # C:\ or C:/ on Windows is a path, not a scheme
URL_HINT = "give an SQLite file path or a URL such as postgresql://user@host/dbname"


def parse_url(raw: str) -> URL:
    """Parse a database URL; a bare file path means an SQLite file. PostgreSQL goes through psycopg 3.

    Refused with one line: anything that is neither a path nor a URL (`::x::`, `file:/…`), an SQLite store
    in memory (it would vanish with the program, taking an import with it), other back-ends."""
    raw = raw.strip()
    if not raw or "\x00" in raw:
        raise BadStoreUrl(f"Not a database URL or file path: {raw!r}; {URL_HINT}.")
    if "://" not in raw:
        if raw == ":memory:" or raw.startswith(":") or (_SCHEME.match(raw) and not _DRIVE.match(raw)):
            raise BadStoreUrl(f"Not a database URL or file path: {raw!r}; {URL_HINT}.")
        return make_url("sqlite:///").set(database=str(Path(raw).expanduser()))
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        raise BadStoreUrl(f"Not a database URL: {raw!r}; {URL_HINT}.") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(f"Unsupported database {backend!r}: use an SQLite file or a PostgreSQL URL.")
    if backend == "sqlite":
        database = url.database or ""
        if (not database or database == ":memory:" or database.startswith("file:")
                or url.query.get("mode") == "memory" or url.query.get("uri")):
            raise BadStoreUrl(
                f"{raw!r} is not a store on disk: an SQLite store must be a file (nothing in memory or by "
                f"URI); {URL_HINT}."
            )
    elif not url.database:
        raise BadStoreUrl(f"{url.render_as_string(hide_password=True)!r} names no database; {URL_HINT}.")
    return url


def describe_url(url: URL) -> str:
    """A human-readable location without the password, for titles, logs and error messages."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def sqlite_file(url: URL) -> Path | None:
    """The store's file when it is SQLite (what no export may overwrite), else None."""
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


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


def make_engine(url: URL, *, busy_wait: float | None = None) -> Engine:
    """An engine for `url`; PostgreSQL sessions give up waiting for a lock after `busy_wait` seconds."""
    wait = busy_wait_default() if busy_wait is None else busy_wait
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    lock_ms = max(1, int(wait * 1000))
    # Custom plans always: psycopg prepares a statement run five times, and PostgreSQL's generic plan of a
    # search cannot turn `LIKE $1 || '%'` into an index range (it read every customer instead).
    options = (f"-c lock_timeout={lock_ms} -c statement_timeout={lock_ms * PG_STATEMENT_FACTOR} "
               "-c plan_cache_mode=force_custom_plan")
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 10, "application_name": APP_NAME, "options": options},
    )


# --- what a database error means, in the clerk's words ----------------------------------------------

_SQLITE_BUSY = ("database is locked", "database table is locked", "database schema is locked")


def is_busy(exc: BaseException) -> bool:
    """True when `exc` says another program holds the lock this work needs."""
    orig = getattr(exc, "orig", exc)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in ("55P03", "40P01"):  # lock_not_available (lock_timeout), deadlock_detected
        return True
    text = str(orig).lower()
    return any(m in text for m in _SQLITE_BUSY)


def describe_error(exc: BaseException) -> str | None:
    """One plain sentence for a fault of the store or the machine, or None when it is not one of those.

    Never SQL, parameters or exception names: disk full, read-only store, out of memory, busy, gone."""
    if isinstance(exc, StoreError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "The computer ran out of memory; nothing was changed. Close other programs or use a smaller file."
    if isinstance(exc, OSError) and not isinstance(exc, DBAPIError):
        if exc.errno == errno.ENOSPC:
            return "The disk is full; nothing was changed. Free some space and try again."
        if exc.errno == errno.EDQUOT:
            return "The disk quota is used up; nothing was changed. Free some space and try again."
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            name = f" {exc.filename}" if exc.filename else ""
            return f"Cannot write{name}: {'the disk is read-only' if exc.errno == errno.EROFS else 'permission denied'}."
        return None
    if not isinstance(exc, DBAPIError):
        return None
    if is_busy(exc):
        return BUSY_MESSAGE
    orig = getattr(exc, "orig", exc)
    text = str(orig).lower()
    sqlstate = getattr(orig, "sqlstate", None) or ""
    if "disk is full" in text or "disk i/o error" in text and "full" in text or sqlstate == "53100":
        return "The disk of the store is full; nothing was changed. Free some space and try again."
    if "readonly database" in text or "read-only" in text or sqlstate == "25006":
        return "The store is read-only (its file or folder cannot be written); nothing was changed."
    if "out of memory" in text or sqlstate == "53200":
        return "The store ran out of memory; nothing was changed."
    if sqlstate == "57014" or "statement timeout" in text:
        return "The store took too long to answer and the work was stopped; nothing was changed."
    if "not a database" in text or "malformed" in text:
        return "The store's file is not a Customer Desk store or is damaged; nothing was changed."
    if "unable to open database" in text:
        return "The store's file cannot be opened (its folder is missing or not readable)."
    if isinstance(exc, OperationalError) and (exc.connection_invalidated or sqlstate.startswith("08")
                                              or "connection" in text or "server closed" in text):
        return "The connection to the store was lost; nothing was changed. Check the network and try again."
    return None


BusyHook = Callable[[float, float], None]
"""`on_busy(waited_s, limit_s)`: called while a write waits for another writer; raising cancels the wait."""


LOCK_POLL_S = 0.5  # how often a PostgreSQL write's lock wait is looked at from a second session


class _LockWatch(threading.Thread):
    """While a PostgreSQL write runs, a second session looks every LOCK_POLL_S at whether it waits for a
    lock another session holds (pg_stat_activity), and tells `on_busy` how long it has waited, in the
    writer's context (the job whose Cancel it checks). When `on_busy` raises (Cancel), the waiting
    statement is cancelled (pg_cancel_backend) and the write rolls back; the lock_timeout still ends
    the wait at the limit. Nothing is opened for a write that is done within the first poll."""

    def __init__(self, engine: Engine, pid: int, on_busy: BusyHook, limit: float):
        super().__init__(name="store-lock-watch", daemon=True)
        self.engine, self.pid, self.on_busy, self.limit = engine, pid, on_busy, limit
        self.context = contextvars.copy_context()
        self.done = threading.Event()
        self.cancelled: BaseException | None = None

    def run(self) -> None:
        conn = None
        since: float | None = None
        try:
            while not self.done.wait(LOCK_POLL_S):
                if conn is None:
                    conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                waiting = conn.exec_driver_sql(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (self.pid,)).scalar()
                if waiting != "Lock":
                    since = None
                    continue
                now = time.monotonic()
                since = since if since is not None else now - LOCK_POLL_S
                try:
                    self.context.run(self.on_busy, now - since, self.limit)
                except BaseException as exc:  # noqa: BLE001 - Cancelled, or whatever the hook raised
                    self.cancelled = exc
                    conn.exec_driver_sql("SELECT pg_cancel_backend(%s)", (self.pid,))
                    return
        except Exception:  # noqa: BLE001 - the watch is a courtesy: the write goes on without it
            log.info("could not watch the store's locks", exc_info=True)
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        self.done.set()
        if self.is_alive():
            self.join(timeout=5)


def _backend_pid(conn) -> int | None:  # type: ignore[no-untyped-def]
    try:
        return int(conn.connection.dbapi_connection.info.backend_pid)
    except Exception:  # noqa: BLE001 - another driver: no watch
        return None


@dataclass
class Database:
    """An opened, migrated store. Hand out one Session per unit of work; never share one across threads.

    `busy_wait` is how long (seconds) a write waits for another program holding the store's write lock
    before it gives up with StoreBusy; `on_busy` hears about the wait (a progress line, a status)."""

    engine: Engine
    url: URL
    busy_wait: float = DEFAULT_BUSY_WAIT_S
    on_busy: BusyHook | None = None

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @property
    def location(self) -> str:
        return describe_url(self.url)

    @property
    def file(self) -> Path | None:
        return sqlite_file(self.url)

    @contextmanager
    def transaction(self, on_busy: BusyHook | None = None) -> Iterator[Session]:
        """One write unit of work: commits when the block ends, rolls everything back on any error.

        On SQLite the transaction takes the write lock at its start (BEGIN IMMEDIATE), so two writers queue
        instead of failing halfway: while another program holds it, the start is retried with backoff up to
        `busy_wait`, then StoreBusy. On PostgreSQL the session's lock_timeout does the same for row and
        table locks; a lock wait that runs out is StoreBusy too.
        """
        hook = on_busy or self.on_busy
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_immediate=True)
            with Session(bind=conn, expire_on_commit=False) as session:
                begun = self.begin(conn, hook)
                watch = None
                if hook is not None and self.backend == "postgresql":
                    pid = _backend_pid(conn)
                    if pid is not None:
                        watch = _LockWatch(self.engine, pid, hook, self.busy_wait)
                        watch.start()
                try:
                    with begun:
                        yield session
                        session.flush()
                except (OperationalError, DBAPIError) as exc:
                    if watch is not None and watch.cancelled is not None:
                        raise watch.cancelled from exc  # the clerk cancelled the wait: rolled back
                    if is_busy(exc):
                        raise StoreBusy() from exc
                    raise
                finally:
                    if watch is not None:
                        watch.stop()

    def begin(self, conn, on_busy: BusyHook | None = None):  # type: ignore[no-untyped-def]
        """Start a transaction on `conn`, waiting (with backoff) while another program holds the write lock
        (SQLite with `sqlite_immediate`), up to `busy_wait`; then StoreBusy. Returns the transaction."""
        started = time.monotonic()
        pause = 0.05
        while True:
            try:
                return conn.begin()
            except OperationalError as exc:
                if not is_busy(exc):
                    raise
                conn.rollback()
                waited = time.monotonic() - started
                if waited >= self.busy_wait:
                    raise StoreBusy() from exc
                log.info("store busy for %.1f s; waiting (limit %.0f s)", waited, self.busy_wait)
                if on_busy is not None:
                    on_busy(waited, self.busy_wait)
                time.sleep(min(pause, max(0.0, self.busy_wait - waited)))
                pause = min(pause * 2, 1.0)

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


def open_database(raw_url: str, *, migrate: bool = True, create: bool = True,
                  busy_wait: float | None = None) -> Database:
    """Open and migrate the store at `raw_url`, or raise StoreError with one sentence.

    With `create=False` (the command line and the window) a store that is not there raises StoreMissing
    instead of being made: a mistyped path must not look like a store whose customers are gone."""
    url = parse_url(raw_url)
    sqlite = url.get_backend_name() == "sqlite"
    wait = busy_wait_default() if busy_wait is None else busy_wait
    if sqlite:
        path = Path(url.database or "")
        if path.exists() and not path.is_file():
            raise StoreError(f"Cannot open database {describe_url(url)}: it is a folder, not a file.")
        if not path.exists():
            if not create:
                raise StoreMissing(describe_url(url))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"Cannot create the store {describe_url(url)}: {exc.strerror or exc}.") from exc
    try:
        engine = make_engine(url, busy_wait=wait)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"Cannot use database {describe_url(url)}: {_first_line(exc)}") from exc
    except OSError as exc:
        raise StoreError(f"Cannot open database {describe_url(url)}: {exc.strerror or exc}") from exc
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if not sqlite and not create and not _has_tables(conn):
                raise StoreMissing(describe_url(url), postgres=True)
        if migrate:
            _migrate_waiting(engine, wait)
    except StoreError:
        engine.dispose()
        raise
    except NewerStore as exc:
        engine.dispose()
        raise StoreError(f"The store {describe_url(url)} was written by a newer version of Customer Desk (its "
                         f"schema is {exc.revision}; this version knows up to {HEAD}): update this app to use it. "
                         f"Nothing was changed.") from None
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        if is_busy(exc):
            raise StoreBusy() from exc
        if sqlite and _read_only(Path(url.database or "")):
            raise StoreError(f"Cannot open database {describe_url(url)}: the store is read-only (its file or "
                             f"folder cannot be written); nothing was changed.") from exc
        # The driver's own first line names the host, port or file (never SQL: only SELECT 1 and the
        # migrations run here).
        raise StoreError(f"Cannot open database {describe_url(url)}: {_first_line(getattr(exc, 'orig', exc))}") from exc
    except OSError as exc:
        engine.dispose()
        raise StoreError(f"Cannot open database {describe_url(url)}: {exc.strerror or exc}") from exc
    log.info("opened %s database at %s", engine.dialect.name, describe_url(url))
    return Database(engine=engine, url=url, busy_wait=wait)


def _migrate_waiting(engine: Engine, wait: float) -> None:
    """Bring the store up to date; the migration is one transaction, so while another program writes
    (another workstation migrating the same store) it is simply tried again, up to the busy limit."""
    from desktop.store.migrate import upgrade_to_head

    started, pause = time.monotonic(), 0.05
    while True:
        try:
            upgrade_to_head(engine)
            return
        except OperationalError as exc:
            if not is_busy(exc) or time.monotonic() - started >= wait:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


def create_store(raw_url: str) -> tuple[Database, bool]:
    """`customer-desk init`: make (or bring up to date) the store at `raw_url`; (store, it was new)."""
    try:
        open_database(raw_url, create=False, migrate=False).dispose()
        existed = True
    except StoreMissing:
        existed = False
    return open_database(raw_url, create=True), not existed


def _read_only(path: Path) -> bool:
    """The SQLite file or its folder cannot be written (a WAL store then cannot even be opened)."""
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def _has_tables(conn) -> bool:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    return bool(inspect(conn).get_table_names())


def _first_line(exc: object) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
