"""A kept preview's rows off the heap (issue "Import at the speed of the disk"): the import dialog keeps
every row's plan to show, decide on and commit, and a million of them as Python objects would not fit.

`PlanStore` is a `Sequence[RowPlan]`: the plans are pickled in pages of `PAGE` rows into a private
temporary SQLite database (SQLite deletes its file when the connection closes, or when the process ends),
and only what the table filters on stays in memory as compact arrays — each row's file row number, status
and whether it has a financial alert — with the alerts' lines. A page read is kept in a small cache, so a
table painting the rows around one row reads one page.

Rows are added chunk by chunk while the preview runs (on a worker thread) and read meanwhile (by the GUI
thread): every use of the database holds a lock, and a row counts (`len`) once its page can be read.
Records (the file's cells) are kept only for rows with errors: nothing else reads them after planning.
"""

from __future__ import annotations

import pickle
import sqlite3
import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from desktop.importing.plan import Kind, RowPlan, Status

PAGE = 128  # rows pickled together (one read paints a screenful and more)
CACHED_PAGES = 16
STATUSES = tuple(Status)
STATUS_CODE = {s: n for n, s in enumerate(STATUSES)}


def alert_lines(p: RowPlan) -> list[tuple[int, str]]:
    """(file row, 'Row 12  ·  Pricing tier: …') of each financial alert of the row."""
    lines = []
    for issue in p.issues:
        if issue.kind is Kind.ALERT:
            text = f"{issue.column}: {issue.message}" if issue.column else issue.message
            lines.append((p.row, f"Row {p.row}  ·  {text[:1].upper()}{text[1:]}"))
    return lines


class PlanStore(Sequence[RowPlan]):
    def __init__(self) -> None:
        # "": a private temporary database on disk, deleted when closed; its cache is kept small.
        self._db: sqlite3.Connection | None = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA cache_size = -4096")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE pages (page INTEGER PRIMARY KEY, plans BLOB NOT NULL)")
        self._lock = threading.Lock()
        self._tail: list[RowPlan] = []  # the rows after the last full page (in memory)
        self._stored = 0  # rows in full pages
        self._cache: OrderedDict[int, list[RowPlan]] = OrderedDict()
        self.file_rows = array("q")  # the file's row number of each row (ascending)
        self.statuses = bytearray()  # STATUS_CODE of each row
        self.alert_rows = array("q")  # indexes of the rows with a financial alert
        self.alerts: list[tuple[int, str]] = []  # their lines, as `alert_lines` gives them
        self.counts: Counter[Status] = Counter()

    # --- adding (the preview) ----------------------------------------------------------------------

    def extend(self, rows: Iterable[RowPlan]) -> None:
        """Add planned rows (in file order). Their records are dropped unless they have errors."""
        new = list(rows)
        for p in new:
            if p.status is not Status.ERROR:
                p.record = None
        start = len(self)
        statuses = bytes(STATUS_CODE[p.status] for p in new)
        alerting = [(start + n, lines) for n, p in enumerate(new) if p.issues and (lines := alert_lines(p))]
        tail = self._tail + new
        full = len(tail) // PAGE * PAGE
        first_page = self._stored // PAGE
        pages = [(first_page + n // PAGE, pickle.dumps(tail[n:n + PAGE], pickle.HIGHEST_PROTOCOL))
                 for n in range(0, full, PAGE)]
        with self._lock:
            db = self._live()
            if pages:
                db.executemany("INSERT INTO pages (page, plans) VALUES (?, ?)", pages)
            # What the table reads grows in one step, arrays first (a reader checks `len` before them).
            self.file_rows.extend(p.row for p in new)
            self.statuses.extend(statuses)
            self.counts.update(p.status for p in new)
            for index, lines in alerting:
                self.alert_rows.append(index)
                self.alerts.extend(lines)
            self._tail = tail[full:]
            self._stored += full

    # --- reading -----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._stored + len(self._tail)

    @overload
    def __getitem__(self, index: int) -> RowPlan: ...

    @overload
    def __getitem__(self, index: slice) -> list[RowPlan]: ...

    def __getitem__(self, index: int | slice) -> RowPlan | list[RowPlan]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self._range(start, stop)
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("plan index out of range")
        with self._lock:
            if index >= self._stored:
                return self._tail[index - self._stored]
            return self._page(index // PAGE)[index % PAGE]

    def __iter__(self) -> Iterator[RowPlan]:
        for start in range(0, len(self), 8 * PAGE):
            yield from self._range(start, min(start + 8 * PAGE, len(self)))

    def _range(self, start: int, stop: int) -> list[RowPlan]:
        """Rows start..stop-1, reading each page once (pages read in bulk are not cached)."""
        found: list[RowPlan] = []
        if start >= stop:
            return found
        with self._lock:
            stored = self._stored
            first, last = start // PAGE, (min(stop, stored) - 1) // PAGE
            if start < stored:
                cached = {n: self._cache[n] for n in range(first, last + 1) if n in self._cache}
                missing = [n for n in range(first, last + 1) if n not in cached]
                read = dict(cached)
                for chunk in range(0, len(missing), 500):
                    wanted = missing[chunk:chunk + 500]
                    marks = ",".join("?" * len(wanted))
                    for page, blob in self._live().execute(
                            f"SELECT page, plans FROM pages WHERE page IN ({marks})", wanted):
                        read[page] = pickle.loads(blob)
                for n in range(first, last + 1):
                    plans = read[n]
                    lo = max(start - n * PAGE, 0)
                    hi = min(stop - n * PAGE, PAGE)
                    found.extend(plans[lo:hi])
            if stop > stored:
                found.extend(self._tail[max(start - stored, 0):stop - stored])
        return found

    def _page(self, page: int) -> list[RowPlan]:
        plans = self._cache.get(page)
        if plans is not None:
            self._cache.move_to_end(page)
            return plans
        found = self._live().execute("SELECT plans FROM pages WHERE page = ?", (page,)).fetchone()
        plans = pickle.loads(found[0])
        self._cache[page] = plans
        if len(self._cache) > CACHED_PAGES:
            self._cache.popitem(last=False)
        return plans

    def _live(self) -> sqlite3.Connection:
        if self._db is None:
            raise ValueError("the preview's rows were closed")
        return self._db

    # --- what the table filters on -----------------------------------------------------------------

    def indexes_of(self, status: Status, start: int = 0, stop: int | None = None) -> list[int]:
        """Indexes (from `start` to `stop`) of the rows with `status`, ascending."""
        code = STATUS_CODE[status]
        statuses = self.statuses
        stop = len(statuses) if stop is None else stop
        found: list[int] = []
        at = statuses.find(code, start, stop)
        while at != -1:
            found.append(at)
            at = statuses.find(code, at + 1, stop)
        return found

    def of_status(self, status: Status) -> Iterator[RowPlan]:
        """The rows with `status`, in file order, reading only the pages that hold one."""
        for n in self.indexes_of(status):
            yield self[n]

    def close(self) -> None:
        """Free the temporary database (the rows can no longer be read)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            self._cache.clear()
            self._tail = []

    def __del__(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()


__all__ = ["PAGE", "PlanStore", "alert_lines"]
