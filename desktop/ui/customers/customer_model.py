"""The main customer table's model: a million rows without holding them (Anki's browser table style).

The query sorts and filters; the model holds the total, a small LRU cache of windows of rows and the
keyset cursors of rows it has seen (its "anchors"). Row r lives in window r // WINDOW. A window that is not
cached is loaded synchronously (a few milliseconds) with one keyset query from the nearest known cursor;
when no known cursor is next to it (a jump: End, a scrollbar drag), a cheap seek query first finds the
cursor next to the window, counting from the nearest anchor, the top or the bottom. Reading from the
bottom goes through the reversed sort, so End costs the same as Home.

A new query (a search, a filter, a sort) is read off the GUI thread by `request()`: the table keeps
showing the previous rows (`busy` is true) until the new count and first window arrive; a newer request
cancels the older one (sqlite3 `interrupt()`, psycopg `cancel()`), so only the latest is ever shown.
A window far from every known row (a scrollbar jump) starts from a cursor estimated from a small random
sample of the query's sort keys, so the jump costs a few index lookups instead of counting its way there;
the rows' positions near it are then approximate (as any scrollbar is), their order exact.

Used on the GUI thread only; every load opens its own read session.
"""

from __future__ import annotations

import bisect
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from collections import OrderedDict
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QPalette
from sqlalchemy import ColumnElement, Select, and_, func, literal, select, tuple_
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from desktop.services.customer_list import (
    JOIN_SORTS,
    JOINS,
    MAX_LIMIT,
    SORT_KEYS,
    Cursor,
    CustomerQuery,
    CustomerRow,
    count_customers,
    filter_conditions,
    list_customers,
    search_plan,
)
from desktop.services.errors import Cancelled
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui.common.formats import local_time
from desktop.ui.common.workers import Job, start_in

log = logging.getLogger("desktop.ui.customer_model")

Index = QModelIndex | QPersistentModelIndex
C = m.Customer

WINDOW = 200  # rows per load
MAX_WINDOWS = 50  # windows kept in memory (10,000 rows)
# A refresh counts a total up to this at once (a few ms); a larger one in the background.
REFRESH_COUNT_INLINE_MAX = 20_000
REFRESH_WINDOWS = 3  # most recently used windows reloaded by refresh() (the visible rows and a margin)
TOOLTIP_MIN_CHARS = 30  # a text cell gets its full text as a tooltip from this length on
# A column of another table (city, sales rep…) has no index on the customers: sorting by it sorts every
# matching row. Above this many rows the sort is refused (search or filter first); below, it stays fast.
JOIN_SORT_MAX = 20_000
# A window further than this from every known row is reached from an estimated cursor, not by counting.
ESTIMATE_BEYOND = 20_000
SAMPLE_SIZE = 500  # random customers whose sort keys estimate where a far row is


@dataclass(frozen=True)
class Column:
    key: str  # the CustomerRow attribute shown
    title: str
    sort_key: str | None  # a key of customer_list.SORT_KEYS, or None: not sortable
    kind: Literal["text", "date", "archived"] = "text"


COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", "name"),
    Column("company", "Company", "company"),
    Column("email", "Email", "email"),
    Column("phone", "Phone", "phone"),
    Column("city", "City", "city"),
    Column("zip", "Zip", "zip"),
    Column("country_code", "Country", "country_code"),
    Column("sales_rep", "Sales rep", "sales_rep"),
    Column("pricing_tier", "Pricing tier", "pricing_tier"),
    Column("store", "Store", "store"),
    Column("warehouse", "Warehouse", "warehouse"),
    Column("created_at", "Created", "created_at", "date"),
    # The list service has no archived_at sort key; sorting by id instead would look like a bug.
    Column("archived_at", "Archived", None, "archived"),
)


class CustomerRole(IntEnum):
    CustomerIdRole = Qt.ItemDataRole.UserRole
    VersionRole = Qt.ItemDataRole.UserRole + 1
    ArchivedRole = Qt.ItemDataRole.UserRole + 2
    RowRole = Qt.ItemDataRole.UserRole + 3  # the whole CustomerRow


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ID, _VERSION, _ARCHIVED, _ROW = (int(r) for r in CustomerRole)
_HANDLED = frozenset((_DISPLAY, _TOOLTIP, _ALIGN, _FOREGROUND, _ID, _VERSION, _ARCHIVED, _ROW))
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_CENTER = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
# Plain ints: a view asks for these once per cell and paint, and Python enums convert slowly.
_ALIGNMENT = tuple(int((_LEFT if c.kind == "text" else _CENTER).value) for c in COLUMNS)
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


def _display(row: CustomerRow, column: Column) -> str | None:
    value = getattr(row, column.key)
    if column.kind == "archived":
        return "Archived" if value is not None else ""
    if value is None:
        return None
    if column.kind == "date":
        return local_time(value).strftime("%Y-%m-%d")
    return str(value)


def _tooltip(row: CustomerRow, column: Column) -> str | None:
    value = getattr(row, column.key)
    if value is None:
        return None
    if column.kind == "archived":
        return f"Archived {local_time(value):%Y-%m-%d %H:%M}"
    if column.kind == "date":
        return f"{local_time(value):%Y-%m-%d %H:%M}"
    text = str(value)
    return text if len(text) >= TOOLTIP_MIN_CHARS else None


# --- positioning: the seek and count queries the list service has no public form of --------------
# They follow customer_list's order exactly (the sort key, then id, both in the query's direction, and
# id alone for the id sort); the tests compare every window with list_customers_page to keep it so.


def _reversed(q: CustomerQuery) -> CustomerQuery:
    return q.with_(sort=q.sort_column if q.descending else f"-{q.sort_column}")


def _keys(session: Session, q: CustomerQuery) -> tuple[Select[Any], ColumnElement[Any]]:
    """SELECT sort_value, id of the matching customers, joined only to what the sort key needs."""
    key = SORT_KEYS[q.sort_column]
    stmt = select(key.label("sort_value"), C.id).select_from(C)
    for target, onclause, sort_keys in JOINS:
        if q.sort_column in sort_keys:
            stmt = stmt.outerjoin(target, onclause)
    return stmt.where(*filter_conditions(session, q)), key


def _beyond(q: CustomerQuery, key: ColumnElement[Any], cursor: Cursor) -> ColumnElement[bool]:
    """Rows after `cursor` in q's order. The redundant range on the key alone lets SQLite seek in an
    expression index (lower(name)): it cannot for the row-value comparison, and would scan from the top."""
    if q.sort_column == "id":
        return C.id < cursor.id if q.descending else C.id > cursor.id
    value = literal(cursor.value)
    position, mark = tuple_(key, C.id), tuple_(value, literal(cursor.id))
    if q.descending:
        return and_(key <= value, position < mark)
    return and_(key >= value, position > mark)


def _seek(session: Session, q: CustomerQuery, anchor: Cursor | None, steps: int) -> Cursor | None:
    """The cursor of the row `steps` (>= 1) rows after `anchor` (None: before the first row) in q's order."""
    stmt, key = _keys(session, q)
    if anchor is not None:
        stmt = stmt.where(_beyond(q, key, anchor))
    if q.sort_column == "id":
        order = [C.id.desc() if q.descending else C.id.asc()]
    else:
        order = [key.desc(), C.id.desc()] if q.descending else [key.asc(), C.id.asc()]
    found = session.execute(stmt.order_by(*order).offset(steps - 1).limit(1)).first()
    return Cursor(found.sort_value, found.id) if found is not None else None


_RUNNING: set[Job] = set()  # the requests being read (kept alive until their thread is done)


class QueryCancel:
    """The cancel switch of one read on a worker thread: cancelling stops the statement running on its
    connection at once (sqlite3 `interrupt()`, psycopg `cancel()`) and every later one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._raw: Any = None
        self.cancelled = False

    @contextmanager
    def watching(self, session: Session) -> Iterator[None]:
        raw = session.connection().connection.dbapi_connection
        with self._lock:
            if self.cancelled:
                raise Cancelled()
            self._raw = raw
        try:
            yield
        except SQLAlchemyError as exc:
            if self.cancelled:  # the interrupt's own error: nothing went wrong
                raise Cancelled() from exc
            raise
        finally:
            with self._lock:
                self._raw = None

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            raw, self._raw = self._raw, None
            if raw is None:
                return
            try:
                if hasattr(raw, "interrupt"):  # sqlite3
                    raw.interrupt()
                elif hasattr(raw, "cancel"):  # psycopg
                    raw.cancel()
            except Exception:  # noqa: BLE001 - the statement then just runs to its end, unseen
                log.debug("cannot cancel a customer query", exc_info=True)


def _sample(session: Session, q: CustomerQuery, size: int) -> list[Cursor]:
    """The sort keys of about `size` random matching customers, in q's order (ids are dense enough that
    random ids between the smallest and the largest are a fair sample; a few index lookups each)."""
    low, high = session.execute(select(func.min(C.id), func.max(C.id))).one()
    if low is None:
        return []
    chooser = random.Random(high)
    ids = sorted({chooser.randint(low, high) for _ in range(size * 2)})
    stmt, key = _keys(session, q)
    if q.sort_column == "id":
        order = [C.id.desc() if q.descending else C.id.asc()]
    else:
        order = [key.desc(), C.id.desc()] if q.descending else [key.asc(), C.id.asc()]
    # Sorted by the store (its collation, not Python's), in one query of a few hundred index lookups.
    return [Cursor(r.sort_value, r.id) for r in session.execute(stmt.where(C.id.in_(ids)).order_by(*order))]


class CustomerTableModel(QAbstractTableModel):
    """Rows of `list_customers` for one CustomerQuery; rowCount is the query's total.

    Empty until `set_query()`. `refresh()` re-reads the same query after changes to the store.
    """

    totalChanged = Signal(int)
    countingChanged = Signal(bool)  # the total of the query shown is being counted
    busyChanged = Signal(bool)  # a requested query is being read (the rows shown are the previous ones)
    queryApplied = Signal()  # a requested query's rows are shown
    queryFailed = Signal(object)  # a requested query could not be read (the exception); the rows stay
    sortRefused = Signal(str)  # why a sort was not done (for the status bar)
    # A window could not be read while painting (the cells stay empty until refresh); the message is
    # for the status bar. Connect with a queued connection if the slot may open a dialog.
    loadFailed = Signal(str)

    def __init__(
        self,
        db: Database,
        parent: QObject | None = None,
        *,
        window: int = WINDOW,
        max_windows: int = MAX_WINDOWS,
    ):
        super().__init__(parent)
        if not 1 <= window <= MAX_LIMIT or max_windows < 1:
            raise ValueError("window must be 1..MAX_LIMIT rows and max_windows at least 1")
        self._db = db
        self._window = window
        self._max_windows = max_windows
        self._query = CustomerQuery()
        self._plan = self._query  # the query as read: with its search plan (customer_list.search_plan)
        self._counter: QueryCancel | None = None  # the background count of the query shown
        self._total = 0  # what rowCount() says
        self._count = 0  # the store's count the cache and anchors belong to (differs only inside refresh)
        self._windows: OrderedDict[int, list[CustomerRow]] = OrderedDict()
        self._hot = -1  # the window data() used last: no LRU bookkeeping while a view paints it
        self._hot_rows: list[CustomerRow] = []
        self._anchors: dict[int, Cursor] = {}  # row position -> cursor of the row there
        self._anchor_positions: list[int] = []  # the same positions, sorted
        self._announced = 0  # the total totalChanged last reported
        self._generation = 0  # of the latest request(); older answers are dropped
        self._pending: QueryCancel | None = None
        self._pending_query: CustomerQuery | None = None
        self._when_ready: list[Callable[[], None]] = []
        self._sample: list[Cursor] | None = None  # of the current query, for far jumps
        self._pool: QThreadPool | None = None  # made by the first request()

    # --- public API ---------------------------------------------------------------------------------

    @property
    def query(self) -> CustomerQuery:
        return self._query

    @property
    def total(self) -> int:
        return self._total

    @property
    def window_size(self) -> int:
        return self._window

    @property
    def cached_windows(self) -> tuple[int, ...]:
        """Indexes of the windows in memory, least recently used first."""
        return tuple(self._windows)

    @property
    def busy(self) -> bool:
        """A requested query is still being read."""
        return self._pending is not None

    @property
    def pending_query(self) -> CustomerQuery:
        """The query the table will show: the one being read, else the one shown."""
        return self._pending_query if self._pending_query is not None else self._query

    @property
    def counting(self) -> bool:
        """The first page is shown and the total is still being counted (`total` is the rows so far)."""
        return self._counter is not None

    def set_query(self, query: CustomerQuery) -> None:
        """Show `query` now (on this thread): count it and load its first window (both before the reset,
        so an error leaves the model as it was), then reset. Cancels a request() still being read."""
        self._cancel_pending()
        with self._db.read() as session:
            plan = search_plan(session, query)
            total = count_customers(session, plan)
            size = min(self._window, total)
            first = list_customers(session, plan, limit=size, with_total=False).rows if total else []
        self._apply(query, plan, total, first)

    def start(self, query: CustomerQuery) -> None:
        """Show `query`'s first page now (on this thread) and count it in the background: how the window
        opens (a million customers cost no count before the first paint)."""
        self._cancel_pending()
        with self._db.read() as session:
            plan = search_plan(session, query)
            first = list_customers(session, plan, limit=self._window, with_total=False).rows
        self._generation += 1
        self._show_first(self._generation, query, plan, first)

    def request(self, query: CustomerQuery) -> None:
        """Show `query` once its first page has been read on a worker thread (its total is counted after,
        also off the GUI thread: `counting`); meanwhile the rows stay and `busy` is true. A newer request
        (or set_query) cancels this one. Errors come as `queryFailed`."""
        self._cancel_pending(notify=False)
        self._generation += 1
        generation = self._generation
        cancel = QueryCancel()
        self._pending, self._pending_query = cancel, query
        window = self._window

        def read(_progress: Any) -> tuple[CustomerQuery, list[CustomerRow]]:
            with self._db.read() as session, cancel.watching(session):
                plan = search_plan(session, query)
                return plan, list_customers(session, plan, limit=window, with_total=False).rows

        self._run(read, lambda result: self._arrived(generation, query, result),
                  lambda exc: self._request_failed(generation, exc))
        self.busyChanged.emit(True)

    def _run(self, fn: Callable[[Any], Any], done: Callable[[Any], None], failed: Callable[[Any], None]) -> None:
        # Not a child of the model: a model deleted while its query runs must not take the job with it.
        job = Job(fn)
        _RUNNING.add(job)
        job.finished.connect(done)
        job.failed.connect(failed)
        job.ended.connect(lambda: _RUNNING.discard(job))
        if self._pool is None:
            self._pool = QThreadPool()
            self._pool.setMaxThreadCount(2)  # a cancelled read may still be unwinding as the next starts
        start_in(self._pool, job)

    def when_ready(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the requested query is shown (or failed); at once when none is pending."""
        if self._pending is None:
            callback()
        else:
            self._when_ready.append(callback)

    def shutdown(self, msecs: int = 5_000) -> None:
        """Cancel what is being read and wait for the query threads (the window is closing)."""
        self._cancel_pending()
        if self._pool is not None:
            self._pool.waitForDone(msecs)

    def _stop_counting(self) -> bool:
        """Drop the background count of the query shown (its answer, if it still comes, is not used)."""
        if self._counter is None:
            return False
        self._counter.cancel()
        self._counter = None
        self._generation += 1
        return True

    def _cancel_pending(self, notify: bool = True) -> None:
        self._stop_counting()
        if self._pending is None:
            return
        self._pending.cancel()
        self._generation += 1
        self._pending, self._pending_query = None, None
        if notify:
            self._done()

    def _done(self) -> None:
        self.busyChanged.emit(False)
        callbacks, self._when_ready = self._when_ready, []
        for callback in callbacks:
            callback()

    def _arrived(self, generation: int, query: CustomerQuery,
                 result: tuple[CustomerQuery, list[CustomerRow]]) -> None:
        if generation != self._generation:
            return  # an older request's answer: a newer one is on its way
        self._pending, self._pending_query = None, None
        plan, first = result
        self._show_first(generation, query, plan, first)
        self.queryApplied.emit()
        self._done()

    def _show_first(self, generation: int, query: CustomerQuery, plan: CustomerQuery,
                    first: list[CustomerRow]) -> None:
        """The first window is shown; a full one means there may be more: counted in the background."""
        if len(first) < self._window:  # that is all of them
            self._apply(query, plan, len(first), first)
            return
        self._counter = QueryCancel()  # before the reset: its slots see that the total is still to come
        self._apply(query, plan, len(first), first)
        self._count_in_background(generation, plan)

    def _count_in_background(self, generation: int, plan: CustomerQuery) -> None:
        counter = self._counter = self._counter or QueryCancel()

        def count(_progress: Any) -> tuple[int, list[Cursor] | None]:
            with self._db.read() as session, counter.watching(session):
                total = count_customers(session, plan)
                # Where a scrollbar jump lands, sampled now: the jump itself then costs one window.
                sample = _sample(session, plan, SAMPLE_SIZE) if total > ESTIMATE_BEYOND else None
                return total, sample

        self._run(count, lambda total: self._counted(generation, total),
                  lambda exc: self._count_failed(generation, exc))
        self.countingChanged.emit(True)

    def _counted(self, generation: int, result: tuple[int, list[Cursor] | None]) -> None:
        if generation != self._generation:
            return
        self._counter = None
        total, sample = result
        if sample is not None:
            self._sample = sample
        self._resize(total, reread_last=True)
        self._set_total(self._total)
        self.countingChanged.emit(False)

    def _resize(self, total: int, *, reread_last: bool = False) -> None:
        """Rows added or gone at the end (the view keeps its place). `reread_last`: a last window read short,
        up to the old end, is read again (to the new one) when next shown."""
        old = self._total
        if total > old:
            self._count = total  # what a window is read up to, from now (views look during the insert)
            last = (old - 1) // self._window
            if old and reread_last and len(self._windows.get(last, ())) < self._window:
                self._windows.pop(last, None)  # a short window: it ended at the old end
                if self._hot == last:
                    self._hot, self._hot_rows = -1, []
            self.beginInsertRows(QModelIndex(), old, total - 1)
            self._total = self._count = total
            self.endInsertRows()
        elif total < old:
            self.beginRemoveRows(QModelIndex(), total, old - 1)
            self._total = self._count = total
            self.endRemoveRows()

    def _count_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._counter = None
        if not isinstance(exc, Cancelled):
            log.error("cannot count customers", exc_info=exc)
            self.loadFailed.emit(f"Cannot count the customers: {getattr(exc, 'orig', exc)}")
        self.countingChanged.emit(False)

    def _request_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._pending, self._pending_query = None, None
        if not isinstance(exc, Cancelled):
            self.queryFailed.emit(exc)
        self._done()

    def _apply(self, query: CustomerQuery, plan: CustomerQuery, total: int, first: list[CustomerRow]) -> None:
        size = min(self._window, total)
        self.beginResetModel()
        self._query, self._plan = query, plan
        self._forget()
        self._total = self._count = total
        if total:
            self._store(0, first, size)
        self.endResetModel()
        self._set_total(total)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS) or COLUMNS[column].sort_key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        key = str(COLUMNS[column].sort_key)
        sort = f"-{key}" if descending else key
        target = self.pending_query
        if sort == target.sort:
            return
        if key in JOIN_SORTS and self._total > JOIN_SORT_MAX:
            self.sortRefused.emit(
                f"Sorting {self._total:,} customers by {COLUMNS[column].title} would take too long: "
                f"search or filter to {JOIN_SORT_MAX:,} or fewer first.")
            return
        self.request(target.with_(sort=sort))

    def sort_indicator(self) -> tuple[int, Qt.SortOrder]:
        """The column and order the query sorts by (or will, once read), for the header; column -1 when
        no column shows it."""
        query = self.pending_query
        order = Qt.SortOrder.DescendingOrder if query.descending else Qt.SortOrder.AscendingOrder
        for number, column in enumerate(COLUMNS):
            if column.sort_key == query.sort_column:
                return number, order
        return -1, order

    @staticmethod
    def is_sortable(column: int) -> bool:
        return 0 <= column < len(COLUMNS) and COLUMNS[column].sort_key is not None

    def refresh(self) -> None:
        """Re-read the same query after the store changed: new total, fresh rows.

        Row positions stay (rows added or gone at the end, `dataChanged` for the rest) so the view keeps
        its scroll position; the most recently used windows are reloaded at once, so `row_for_id()`
        finds the customers the clerk was looking at (to re-select them by id). A small total is counted
        at once; a large one (a quarter of a second at a million) in the background, as a new query's is
        (`counting` meanwhile, the rows shown already fresh).
        """
        recent = sorted(list(self._windows)[-REFRESH_WINDOWS:])
        counting = self._stop_counting()
        old = self._total
        inline = old <= REFRESH_COUNT_INLINE_MAX
        with self._db.read() as session:
            count = count_customers(session, self._plan) if inline else old
            self._forget()
            self._count = count
            try:
                for number in recent:
                    start = number * self._window
                    size = min(self._window, count - start)
                    if size > 0:
                        self._store(number, self._fetch(session, self._plan, start, size, count), size)
            except SQLAlchemyError as exc:  # the rows load again when painted; the count is what matters
                log.error("cannot reload customer rows", exc_info=True)
                self._forget()
                self.loadFailed.emit(f"Cannot read customers from the database: {getattr(exc, 'orig', exc)}")
        self._resize(count)
        if min(old, count) > 0:
            self.dataChanged.emit(self.index(0, 0), self.index(min(old, count) - 1, len(COLUMNS) - 1))
        if not inline:
            self._count_in_background(self._generation, self._plan)
            return
        self._set_total(count)
        if counting:
            self.countingChanged.emit(False)

    def customer_row(self, row: int) -> CustomerRow | None:
        """The row's customer (loading its window if needed), None outside the table."""
        return self._row_at(row)

    def customer_id(self, row: int) -> int | None:
        customer = self._row_at(row)
        return customer.id if customer is not None else None

    def row_for_id(self, customer_id: int) -> int | None:
        """The row showing `customer_id` among the windows in memory (no database access), or None."""
        for number, rows in self._windows.items():
            for offset, customer in enumerate(rows):
                if customer.id == customer_id:
                    row = number * self._window + offset
                    return row if row < self._total else None
        return None

    def locate(self, customer_id: int) -> int | None:
        """The row of `customer_id` in the current query, reading the store if it is not in memory;
        None when the query does not match it. Costs a count of the rows before it (an index walk)."""
        row = self.row_for_id(customer_id)
        if row is not None:
            return row
        q = self._plan
        with self._db.read() as session:
            stmt, key = _keys(session, q)
            found = session.execute(stmt.where(C.id == customer_id)).first()
            if found is None:
                return None
            cursor = Cursor(found.sort_value, found.id)
            before, _key = _keys(session, _reversed(q))
            before = before.where(_beyond(_reversed(q), key, cursor)).order_by(None)
            position = int(session.execute(select(func.count()).select_from(before.subquery())).scalar_one())
        if position >= self._total:
            return None  # the store changed since the count: refresh() first
        self._add_anchor(position, cursor)
        customer = self._row_at(position)
        return position if customer is not None and customer.id == customer_id else None

    # --- Qt model interface -------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _ROW_FLAGS

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            column = COLUMNS[section]
            if role == _DISPLAY:
                return column.title
            if role == _TOOLTIP and column.sort_key is None:
                return f"{column.title} (not sortable)"
            if role == Qt.ItemDataRole.InitialSortOrderRole and column.kind == "date":
                return Qt.SortOrder.DescendingOrder  # newest first on the first click
            return None
        return super().headerData(section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _HANDLED or not index.isValid():
            return None
        if role == _ALIGN:
            return _ALIGNMENT[index.column()]
        row = self._row_at(index.row())
        if row is None:
            return None
        if role == _DISPLAY:
            return _display(row, COLUMNS[index.column()])
        if role == _FOREGROUND:
            if row.archived_at is None:
                return None
            return QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        if role == _TOOLTIP:
            return _tooltip(row, COLUMNS[index.column()])
        if role == _ID:
            return row.id
        if role == _VERSION:
            return row.version
        if role == _ARCHIVED:
            return row.archived_at is not None
        return row  # _ROW

    # --- the cache ----------------------------------------------------------------------------------

    def _set_total(self, total: int) -> None:
        if self._announced != total:
            self._announced = total
            self.totalChanged.emit(total)

    def _forget(self) -> None:
        self._sample = None
        self._windows.clear()
        self._hot, self._hot_rows = -1, []
        self._anchors.clear()
        self._anchor_positions.clear()

    def _row_at(self, row: int) -> CustomerRow | None:
        if not 0 <= row < self._total:
            return None
        number = row // self._window
        if number == self._hot:
            rows = self._hot_rows
        else:
            cached = self._windows.get(number)
            if cached is None:
                rows = self._load(number)
            else:
                self._windows.move_to_end(number)
                rows = cached
            self._hot, self._hot_rows = number, rows
        offset = row - number * self._window
        return rows[offset] if offset < len(rows) else None

    def _load(self, number: int) -> list[CustomerRow]:
        start = number * self._window
        size = min(self._window, self._count - start)
        if size <= 0:
            return []
        began = time.perf_counter()
        try:
            with self._db.read() as session:
                rows = self._fetch(session, self._plan, start, size, self._count)
        except SQLAlchemyError as exc:
            # data() cannot raise: keep the cells empty (an empty window, so painting does not retry the
            # store for every cell) and say so; refresh() or a new query tries again.
            log.error("cannot load customer rows %d-%d", start, start + size - 1, exc_info=True)
            self._store(number, [], size)
            self.loadFailed.emit(f"Cannot read customers from the database: {getattr(exc, 'orig', exc)}")
            return []
        log.debug("rows %d-%d loaded in %.1f ms", start, start + size - 1, (time.perf_counter() - began) * 1000)
        self._store(number, rows, size)
        return rows

    def _store(self, number: int, rows: list[CustomerRow], size: int) -> None:
        rows = rows[:size]
        self._windows[number] = rows
        self._windows.move_to_end(number)
        while len(self._windows) > self._max_windows:
            evicted, _rows = self._windows.popitem(last=False)
            if evicted == self._hot:
                self._hot, self._hot_rows = -1, []
        if len(rows) == size:  # a short window means the store changed: its positions are not reliable
            start = number * self._window
            self._add_anchor(start, rows[0].cursor)
            self._add_anchor(start + size - 1, rows[-1].cursor)

    def _add_anchor(self, position: int, cursor: Cursor) -> None:
        if position not in self._anchors:
            bisect.insort(self._anchor_positions, position)
        self._anchors[position] = cursor

    def _nearest(self, target: int, count: int) -> tuple[int, Cursor | None]:
        """The known position closest to `target`: an anchor, the top (-1) or the bottom (count)."""
        best = (-1, None) if target + 1 <= count - target else (count, None)
        at = bisect.bisect_left(self._anchor_positions, target)
        for i in (at - 1, at):
            if 0 <= i < len(self._anchor_positions):
                position = self._anchor_positions[i]
                if abs(position - target) < abs(best[0] - target):
                    best = (position, self._anchors[position])
        return best

    def _cursor_at(self, session: Session, q: CustomerQuery, target: int, count: int) -> Cursor | None:
        position, cursor = self._nearest(target, count)
        if position == target:
            return cursor
        if abs(position - target) > ESTIMATE_BEYOND:
            estimate = self._estimate(session, q, target, count)
            if estimate is not None:
                self._add_anchor(target, estimate)
                return estimate
        if position < target:
            found = _seek(session, q, cursor, target - position)
        else:
            found = _seek(session, _reversed(q), cursor, position - target)
        if found is not None:
            self._add_anchor(target, found)
        return found

    def _estimate(self, session: Session, q: CustomerQuery, target: int, count: int) -> Cursor | None:
        """A cursor about `target` rows down, from the sampled sort keys (None: no sample to go by)."""
        if self._sample is None:
            self._sample = _sample(session, q, SAMPLE_SIZE)
        sample = self._sample
        if len(sample) < 10:
            return None
        return sample[min(len(sample) - 1, round(target / max(count, 1) * len(sample)))]

    def _fetch(self, session: Session, q: CustomerQuery, start: int, size: int, count: int) -> list[CustomerRow]:
        """Rows [start, start + size): keyset from the row before them or from the row after them,
        whichever the nearest known position reaches with less seeking."""
        end = start + size
        before_distance = 0 if start == 0 else abs(self._nearest(start - 1, count)[0] - (start - 1))
        after_distance = 0 if end >= count else abs(self._nearest(end, count)[0] - end)
        if before_distance <= after_distance:
            after = None if start == 0 else self._cursor_at(session, q, start - 1, count)
            if start and after is None:
                return []
            return list_customers(session, q, limit=size, after=after, with_total=False).rows
        before = None if end >= count else self._cursor_at(session, q, end, count)
        if end < count and before is None:
            return []
        rows = list_customers(session, _reversed(q), limit=size, after=before, with_total=False).rows
        rows.reverse()
        return rows
