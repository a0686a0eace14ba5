"""What every subcommand of `customer-desk` shares: the exit codes, CommandError, and opening the store.

Imported by `desktop.cli` and by each command module; it imports neither of them.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from desktop.store.engine import Database, busy_wait_default, open_database, resolve_database_url

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


MAX_ID = 2**63 - 1  # the largest id a store can hold (a signed 64-bit integer on both back-ends)
_WHOLE = re.compile(r"\s*\+?[0-9]{1,30}\s*")


class CommandError(Exception):
    """A failure to report as one line (exit 1)."""


def whole_number(what: str, *, low: int = 0, high: int = MAX_ID) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`, else a usage error (exit 2) naming `what`."""

    def parse(text: str) -> int:
        if not _WHOLE.fullmatch(text):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what} (a whole number)")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range for {what} ({low:,} to {high:,})")
        return value

    return parse


def seconds(text: str) -> float:
    """An argparse type: seconds from 0 to a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 86_400:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text} is out of range (0 to 86,400 seconds)")
    return value


class _BusyLine:
    """While another program writes to the store: a line on stderr, rewritten in place on a terminal,
    said once to a log or a pipe."""

    def __init__(self) -> None:
        self.said = False

    def __call__(self, waited: float, limit: float) -> None:
        stream = sys.stderr
        if stream is None:
            return
        text = f"Waiting for the store: another program is writing to it ({waited:.0f} s of {limit:.0f} s)…"
        try:
            if stream.isatty():
                print(f"\r{text}\033[K", end="", file=stream, flush=True)
            elif not self.said:
                print(text, file=stream, flush=True)
            self.said = True
        except (OSError, ValueError):
            pass


def open_store(args: argparse.Namespace, *, create: bool = False) -> Database:
    """The store named by `--database` (else the environment, the app's setting, the default file).

    Never created on the way (StoreMissing: `customer-desk init` does that); a write waits up to
    `--busy-wait` seconds for another program holding the store, with a line on stderr meanwhile."""
    wait = getattr(args, "busy_wait", None)
    db = open_database(resolve_database_url(getattr(args, "database", None)), create=create,
                       busy_wait=busy_wait_default() if wait is None else wait)
    db.on_busy = _BusyLine()
    return db


def in_store(args: argparse.Namespace, work: Callable[[Session], T], *, write: bool = False) -> T:
    """Open the store, run `work(session)` in one read (or, with `write`, one write transaction), close."""
    db = open_store(args)
    try:
        with db.transaction() if write else db.read() as session:
            return work(session)
    finally:
        db.dispose()
