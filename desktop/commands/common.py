"""What every subcommand of `customer-desk` shares: the exit codes, CommandError, and opening the store.

Imported by `desktop.cli` and by each command module; it imports neither of them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from desktop.store.engine import Database, open_database, resolve_database_url

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A failure to report as one line (exit 1)."""


def open_store(args: argparse.Namespace) -> Database:
    """The store named by `--database` (else the environment, the app's setting, the default file)."""
    return open_database(resolve_database_url(args.database))


def in_store(args: argparse.Namespace, work: Callable[[Session], T], *, write: bool = False) -> T:
    """Open the store, run `work(session)` in one read (or, with `write`, one write transaction), close."""
    db = open_store(args)
    try:
        with db.transaction() if write else db.read() as session:
            return work(session)
    finally:
        db.dispose()
