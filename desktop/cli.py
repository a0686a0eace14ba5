"""The `customer-desk` command line: opens the GUI, or runs `init`, `demo`, `export` and `find-match` (and the
commands of desktop.commands) on the same store. Bad input ends with one clear line on stderr and a non-zero
exit, never a traceback, SQL or a Python exception name; log lines reach stderr only with `--verbose`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict

from desktop import __version__, logs
from desktop.commands import COMMANDS as FEATURES
from desktop.commands.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    in_store,
    open_store,
    seconds,
    whole_number,
)
from desktop.store.engine import ENV_BUSY_WAIT, BadStoreUrl, StoreError, StoreMissing, describe_error

MAX_DEMO_CUSTOMERS = 10_000_000  # about 6 GB of store; more is a typo, not a demo

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "CommandError", "build_parser", "in_store", "main",
           "open_store"]

_open = open_store  # the former name

log = logging.getLogger("desktop.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="customer-desk",
        description="Customer Desk: keep your company's customers. Without a command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"customer-desk {__version__}")
    parser.add_argument(
        "--smoke-test", action="store_true",
        help="open the window on the store, load its first page, close it and exit (0 when all went well)",
    )
    parser.add_argument(
        "--database", metavar="URL",
        help="SQLAlchemy URL or SQLite file path (default: $CUSTOMER_DESK_DATABASE_URL, then the app's "
             "setting, then an SQLite file in your data folder)",
    )
    parser.add_argument(
        "--busy-wait", type=seconds, metavar="SECONDS",
        help=f"how long a write waits while another program writes to the store (default: ${ENV_BUSY_WAIT}, "
             f"else 120)",
    )
    parser.add_argument("--verbose", action="store_true", help="also print the log's lines on stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = commands.add_parser("init", help="create an empty store (an SQLite file or a PostgreSQL database)")
    init.add_argument("path", nargs="?", metavar="PATH",
                      help="SQLite file or PostgreSQL URL (default: --database, then the usual store)")

    demo = commands.add_parser("demo", help="fill the store with fictional sample data")
    demo.add_argument("--customers", type=whole_number("a number of customers", high=MAX_DEMO_CUSTOMERS),
                      required=True, metavar="N", help=f"0 to {MAX_DEMO_CUSTOMERS:,}")
    demo.add_argument("--seed", type=whole_number("a seed", high=2**32 - 1), default=1, metavar="S")

    export = commands.add_parser("export", help="write customers to a CSV file ('-' for standard output)")
    export.add_argument("file", metavar="FILE")
    export.add_argument("--search", metavar="TEXT")
    export.add_argument("--archived", choices=("active", "archived", "all"), default="active")
    export.add_argument("--bom", action="store_true", help="start the file with a UTF-8 BOM (for Excel)")

    match = commands.add_parser("find-match", help="rank existing customers that look like this one")
    match.add_argument("--name", required=True, metavar="N")
    match.add_argument("--zip", required=True, metavar="Z")
    match.add_argument("--address1", required=True, metavar="A")
    match.add_argument("--json", action="store_true", help="print JSON instead of a table")

    # Features add their own subcommands (desktop.commands.COMMANDS): `register(commands)` adds subparsers
    # and sets `handler=` (a function of the parsed args returning the exit code) on them with `set_defaults`.
    for feature in FEATURES:
        feature.register(commands)
    return parser


def cmd_init(args: argparse.Namespace) -> int:
    from desktop.store.engine import create_store, resolve_database_url

    db, new = create_store(args.path or resolve_database_url(args.database))
    try:
        print(f"{'Created an empty store' if new else 'A store is already there'} at {db.location}.",
              file=sys.stderr)
    finally:
        db.dispose()
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from desktop.services.demo import seed_demo

    db = open_store(args)
    try:
        def progress(done: int, total: int) -> None:
            print(f"\r{done:,} of {total:,} customers", end="", file=sys.stderr, flush=True)

        with db.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # The generator's rows are consistent by construction (the tests seed with foreign keys
                # enforced and check them); checking a million of them again costs a quarter of the load.
                # SQLite takes this pragma only outside a transaction, so it goes to the driver directly.
                driver = conn.connection.driver_connection
                driver.execute("PRAGMA foreign_keys = OFF")
                # Pages straight into the file instead of through the write-ahead log and a checkpoint
                # copy of the whole load; only possible while no other connection has the store open.
                journal = _leave_wal(driver)
            conn.execution_options(sqlite_immediate=True)  # the write lock first, waited for if taken
            try:
                with db.begin(conn, db.on_busy):
                    summary = seed_demo(conn, args.customers, seed=args.seed, progress=progress)
            finally:
                if sqlite:
                    driver.execute("PRAGMA foreign_keys = ON")
                    if journal != "wal":
                        driver.execute("PRAGMA journal_mode = WAL")
        print(file=sys.stderr)
        for table, count in asdict(summary).items():
            if isinstance(count, int):
                print(f"{table}: {count:,}")
    finally:
        db.dispose()
    return EXIT_OK


def _leave_wal(driver) -> str:  # type: ignore[no-untyped-def]
    """Switch an SQLite connection to a rollback journal when it is the store's only connection; the mode
    in effect afterwards ("wal" when another program, such as the open app, holds the store)."""
    import sqlite3

    timeout = driver.execute("PRAGMA busy_timeout").fetchone()[0]
    driver.execute("PRAGMA busy_timeout = 0")
    try:
        return str(driver.execute("PRAGMA journal_mode = TRUNCATE").fetchone()[0])
    except sqlite3.OperationalError:  # "database is locked": someone else has it open
        return "wal"
    finally:
        driver.execute(f"PRAGMA busy_timeout = {int(timeout)}")


def cmd_export(args: argparse.Namespace) -> int:
    from desktop.services.export import export_customers
    from desktop.services.customer_list import CustomerQuery

    if args.file == "-" and sys.stdout is None:
        raise CommandError("Standard output is closed: give a file name instead of '-'.")
    db = open_store(args)
    try:
        query = CustomerQuery(search=args.search, archived=args.archived, sort="id")
        progress = None
        if sys.stderr is not None and sys.stderr.isatty():
            def progress(done: int, total: int) -> None:
                print(f"\r{done:,} of {total:,} customers\033[K", end="", file=sys.stderr, flush=True)
        with db.read() as session:
            count = export_customers(session, query, args.file, bom=args.bom, progress=progress)
        if progress is not None:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        plain = describe_error(exc)
        raise CommandError(plain or f"Cannot write {args.file}: {exc.strerror or exc}.") from exc
    finally:
        db.dispose()
    if args.file != "-":
        print(f"Exported {count:,} customers to {args.file}", file=sys.stderr)
    return EXIT_OK


def cmd_find_match(args: argparse.Namespace) -> int:
    from desktop.services.matching import find_customer_match

    candidates = in_store(args, lambda s: find_customer_match(s, args.name, args.zip, args.address1))
    if args.json:
        print(json.dumps([asdict(c) for c in candidates], indent=2))
        return EXIT_OK
    if not candidates:
        print("No matching customers.")
        return EXIT_OK
    print(f"{'score':>5}  {'name':>4}  {'addr':>4}  {'id':>8}  customer / address")
    for c in candidates:
        who = c.name + (f" ({c.company})" if c.company else "") + (" [archived]" if c.archived else "")
        print(f"{c.score:5.1f}  {c.name_score:4.0f}  {c.address1_score:4.0f}  {c.customer_id:>8}  {who}")
        print(f"{'':33}{c.address1 or ''}, {c.city or ''} {c.zip or ''}")
    return EXIT_OK


def cmd_smoke_test(args: argparse.Namespace) -> int:
    try:
        from desktop.ui.app import run_smoke_test
    except ImportError as exc:
        raise CommandError(f"The window cannot open: Qt is not available ({exc}).") from exc
    return run_smoke_test(args.database)


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from desktop.ui.app import run_app
    except ImportError as exc:
        raise CommandError(f"The window cannot open: Qt is not available ({exc}).") from exc
    return run_app(args.database)


COMMANDS = {"init": cmd_init, "demo": cmd_demo, "export": cmd_export, "find-match": cmd_find_match, None: cmd_gui}


def _descending_values(argv: Sequence[str]) -> list[str]:
    """`--sort -name` as `--sort=-name`: argparse would take a value starting with '-' for an option."""
    out: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        if items[i] == "--sort" and i + 1 < len(items) and items[i + 1][:1] == "-" and items[i + 1][1:2].isalpha():
            out.append(f"--sort={items[i + 1]}")
            i += 2
            continue
        out.append(items[i])
        i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_descending_values(sys.argv[1:] if argv is None else argv))
    log_path = logs.setup(console_level=logging.INFO if args.verbose else None)
    from desktop.services.errors import DomainError

    try:
        if args.smoke_test:
            return cmd_smoke_test(args)
        handler = getattr(args, "handler", None) or COMMANDS[args.command]
        return handler(args)
    except (StoreMissing, BadStoreUrl) as exc:
        _say(str(exc))
        return EXIT_USAGE
    except (StoreError, CommandError, DomainError) as exc:
        _say(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _say("interrupted; nothing was changed.")
        return 130
    except BrokenPipeError:  # `customer-desk export - | head`: the reader has had enough
        _quiet_stdout()
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        log.error("unexpected error", exc_info=True)
        plain = describe_error(exc)
        if plain is not None:
            _say(plain)
            return EXIT_ERROR
        where = f"; details are in {log_path}" if log_path else ""
        _say(f"an unexpected error stopped the work{where}.")
        return EXIT_ERROR


def _say(text: str) -> None:
    """One line on stderr (if there is a stderr at all)."""
    if sys.stderr is None:
        return
    try:
        print(f"customer-desk: {text}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so that the interpreter's final flush stays silent."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
