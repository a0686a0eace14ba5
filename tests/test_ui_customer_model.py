"""The main customer table's model: windows of keyset-loaded rows over a sorted, filtered query.

Most tests read one store of a few thousand demo customers (SQLite, made once for the module) and compare
what the model shows with what the list service returns for the same query; the ones that write, and a
few cheap ones, run on both back-ends. SQL statements are counted with an engine event listener.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import event, text, update
from sqlalchemy.exc import OperationalError

from desktop.services import customer_list
from desktop.services.customer_list import (
    CustomerQuery,
    CustomerRow,
    count_customers,
    iter_customers,
    list_customers,
    list_customers_page,
)
from desktop.services.customers import create_customer
from desktop.services.errors import Cancelled
from desktop.services.demo import seed_demo
from desktop.store import models as m
from desktop.store.engine import Database, open_database
from desktop.ui.customers import customer_model
from desktop.ui.customers.customer_model import (
    COLUMNS,
    WINDOW,
    CustomerRole,
    CustomerTableModel,
    local_time,
)

# The model tester reports through Qt warnings: make them fail the test.
pytestmark = pytest.mark.qt_log_level_fail("WARNING")

NOW = dt.datetime(2026, 6, 30, 12, 0, 0)
SHARED_CUSTOMERS = 3_000
ALL = CustomerQuery(archived="all")
SORTABLE = [number for number, column in enumerate(COLUMNS) if column.sort_key is not None]
ORDERS = (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder)
DISPLAY = Qt.ItemDataRole.DisplayRole


def seed(db: Database, customers: int, seed: int = 1) -> None:
    with db.engine.begin() as conn:
        seed_demo(conn, customers, seed=seed, now=NOW)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A few thousand demo customers (some archived) on SQLite, read by the tests that do not write."""
    path: Path = tmp_path_factory.mktemp("customer_model") / "store.sqlite3"
    db = open_database(f"sqlite:///{path}")
    seed(db, SHARED_CUSTOMERS, seed=11)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def seeded(db: Database) -> Database:
    """A small demo store on each back-end."""
    seed(db, 120, seed=5)
    return db


class Statements:
    def __init__(self) -> None:
        self.all: list[str] = []

    @property
    def selects(self) -> list[str]:
        return [s for s in self.all if s.lstrip().upper().startswith(("SELECT", "WITH"))]

    def clear(self) -> None:
        self.all.clear()


@contextmanager
def counting(db: Database) -> Iterator[Statements]:
    seen = Statements()

    def listener(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.all.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def service_ids(db: Database, q: CustomerQuery) -> list[int]:
    with db.read() as s:
        return [row.id for row in iter_customers(s, q, chunk=1000)]


def model_ids(model: CustomerTableModel, rows: range | list[int] | None = None) -> list[int | None]:
    order = range(model.rowCount()) if rows is None else rows
    return [model.data(model.index(r, 0), CustomerRole.CustomerIdRole) for r in order]


def paint(model: CustomerTableModel, rows: range) -> None:
    """What a view asks for while it paints these rows."""
    roles = (DISPLAY, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole,
             Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.DecorationRole)
    for r in rows:
        for c in range(model.columnCount()):
            index = model.index(r, c)
            for role in roles:
                model.data(index, role)


def at(model: CustomerTableModel, row: int) -> CustomerRow:
    customer = model.customer_row(row)
    assert customer is not None
    return customer


def make(db: Database, q: CustomerQuery | None = None, **options: int) -> CustomerTableModel:
    model = CustomerTableModel(db, **options)
    if q is not None:
        model.set_query(q)
    return model


# --- structure, empty and small stores (both back-ends) ----------------------------------------------


def sorted_by(qtbot: QtBot, model: CustomerTableModel, column: int, order: Qt.SortOrder) -> None:
    """Sort as a header click does (read off the GUI thread) and wait for the rows."""
    with qtbot.waitSignal(model.queryApplied, timeout=10_000):
        model.sort(column, order)
    assert not model.busy
    qtbot.waitUntil(lambda: not model.counting, timeout=10_000)  # the total comes after the first page


def test_empty_store_passes_the_model_tester(db: Database, qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    model = CustomerTableModel(db)
    assert model.rowCount() == 0 and model.total == 0 and model.query == CustomerQuery()
    qtmodeltester.check(model)
    model.set_query(CustomerQuery())
    sorted_by(qtbot, model, COLUMNS.index(next(c for c in COLUMNS if c.key == "created_at")),
              Qt.SortOrder.DescendingOrder)
    model.refresh()
    assert model.rowCount() == 0 and model.columnCount() == len(COLUMNS)
    assert model.customer_id(0) is None and model.row_for_id(1) is None and model.locate(1) is None
    assert model.data(model.index(0, 0)) is None


def test_small_store_shows_the_service_order(seeded: Database, qtmodeltester: ModelTester) -> None:
    model = CustomerTableModel(seeded, window=25)
    qtmodeltester.check(model)
    for q in (ALL, ALL.with_(sort="-created_at"), CustomerQuery(sort="city"), CustomerQuery(sort="-sales_rep")):
        model.set_query(q)
        expected = service_ids(seeded, q)
        assert model.rowCount() == model.total == len(expected) > 25
        assert model_ids(model) == expected
        # From the bottom up (keyset backwards, from the end), then in a shuffled order: the same rows.
        model.set_query(q)
        assert model_ids(model, list(reversed(range(len(expected))))) == expected[::-1]
        model.set_query(q)
        shuffled = list(range(len(expected)))
        random.Random(3).shuffle(shuffled)
        assert model_ids(model, shuffled) == [expected[r] for r in shuffled]


def test_refresh_after_changes_keeps_rows_and_signals_narrowly(
    seeded: Database, qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    model = make(seeded, CustomerQuery(sort="id"), window=40)
    qtmodeltester.check(model)
    before = model.total
    paint(model, range(model.rowCount()))  # every window cached, the first three most recently used
    model.data(model.index(0, 0))
    fifth = model.customer_id(5)
    resets: list[int] = []
    inserted: list[tuple[int, int]] = []
    changed: list[tuple[int, int]] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.dataChanged.connect(lambda tl, br, _roles: changed.append((tl.row(), br.row())))

    with seeded.transaction() as s:
        new_id = create_customer(s, {"name": "Zed Newcomer", "email": "zed.newcomer@example.com"}).id
    with qtbot.waitSignal(model.totalChanged, check_params_cb=lambda n: n == before + 1, timeout=1000):
        model.refresh()
    assert resets == [] and inserted == [(before, before)] and changed == [(0, before - 1)]
    with counting(seeded) as seen:
        assert model.row_for_id(fifth or 0) == 5  # the recent windows were reloaded: re-select by id
    assert seen.all == []
    assert model.rowCount() == before + 1 and model.customer_id(before) == new_id
    assert model_ids(model) == service_ids(seeded, model.query)

    # Archive two customers: they leave the (active only) list; rows go at the end, the rest changed.
    gone = model_ids(model, [1, 2])
    with seeded.transaction() as s:
        s.execute(update(m.Customer).where(m.Customer.id.in_(gone)).values(archived_at=NOW))
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    model.refresh()
    assert removed == [(before - 1, before)] and model.total == before - 1
    assert model_ids(model) == service_ids(seeded, model.query)
    assert model.row_for_id(gone[0]) is None


def test_refresh_of_a_large_list_counts_off_the_gui_thread(
    seeded: Database, qtbot: QtBot, qtmodeltester: ModelTester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past REFRESH_COUNT_INLINE_MAX the rows shown are read again at once but the total is counted on a
    worker (a million customers' count is a quarter of a second): rows come and go once it is known."""
    monkeypatch.setattr(customer_model, "REFRESH_COUNT_INLINE_MAX", 10)
    model = make(seeded, CustomerQuery(sort="id"), window=40)
    qtmodeltester.check(model)
    before = model.total
    model.data(model.index(0, 0))
    with seeded.transaction() as s:
        new_id = create_customer(s, {"name": "Zed Newcomer", "email": "zed.newcomer@example.com"}).id
        s.execute(update(m.Customer).where(m.Customer.id == model.customer_id(0)).values(name="Aaron Renamed"))
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    caller = threading.get_ident()
    counted_on: list[int] = []

    def listener(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "count(" in statement.lower():
            counted_on.append(threading.get_ident())

    event.listen(seeded.engine, "before_cursor_execute", listener)
    try:
        model.refresh()
        assert model.counting and model.total == before and inserted == []
        assert model.data(model.index(0, 0)) == "Aaron Renamed"  # the rows shown are fresh already
        qtbot.waitUntil(lambda: not model.counting, timeout=5000)
    finally:
        event.remove(seeded.engine, "before_cursor_execute", listener)
    assert counted_on and caller not in counted_on
    assert inserted == [(before, before)] and model.total == before + 1
    assert model.customer_id(before) == new_id
    assert model_ids(model) == service_ids(seeded, model.query)

    with seeded.transaction() as s:  # and fewer: the rows at the end go once counted
        s.execute(update(m.Customer).where(m.Customer.id == new_id).values(archived_at=NOW))
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    model.refresh()
    qtbot.waitUntil(lambda: not model.counting, timeout=5000)
    assert removed == [(before, before)] and model.total == before
    assert model_ids(model) == service_ids(seeded, model.query)


# --- reading and sorting (the shared SQLite store) -----------------------------------------------------


def test_columns_headers_and_roles(store: Database, qtmodeltester: ModelTester) -> None:
    model = make(store, ALL)
    qtmodeltester.check(model)
    assert [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())] == [
        "Name", "Company", "Email", "Phone", "City", "Zip", "Country", "Sales rep", "Pricing tier", "Store",
        "Warehouse", "Created", "Archived",
    ]
    assert {c.sort_key for c in COLUMNS} - {None} <= set(customer_list.SORT_KEYS)
    assert all(hasattr(model.customer_row(0), c.key) for c in COLUMNS)
    assert [int(r) for r in CustomerRole] == [int(Qt.ItemDataRole.UserRole) + i for i in range(4)]
    row = model.customer_row(0)
    assert row is not None
    assert model.data(model.index(0, 0), CustomerRole.RowRole) is row
    assert model.data(model.index(0, 3), CustomerRole.CustomerIdRole) == row.id == model.customer_id(0)
    assert model.data(model.index(0, 0), CustomerRole.VersionRole) == row.version
    assert model.data(model.index(0, 0)) == row.name
    created = [c.key for c in COLUMNS].index("created_at")
    assert model.data(model.index(0, created)) == local_time(row.created_at).strftime("%Y-%m-%d")
    assert len(model.data(model.index(0, created))) == 10
    assert model.data(model.index(0, created), Qt.ItemDataRole.ToolTipRole).startswith(
        model.data(model.index(0, created))
    )
    left = int(model.data(model.index(0, 0), Qt.ItemDataRole.TextAlignmentRole))
    assert left & int(Qt.AlignmentFlag.AlignLeft)
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsSelectable
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable
    assert model.data(QModelIndex()) is None
    assert model.data(QPersistentModelIndex(model.index(1, 0))) == at(model, 1).name
    # Long texts carry a tooltip, short ones do not.
    long_row = next(r for r in range(model.rowCount()) if len(at(model, r).email or "") >= 30)
    email = [c.key for c in COLUMNS].index("email")
    assert model.data(model.index(long_row, email), Qt.ItemDataRole.ToolTipRole) == at(model, long_row).email
    short_row = next(r for r in range(model.rowCount()) if len(at(model, r).name) < 20)
    assert model.data(model.index(short_row, 0), Qt.ItemDataRole.ToolTipRole) is None


def test_first_and_last_rows_match_the_service(store: Database) -> None:
    q = CustomerQuery()
    model = make(store, q)
    with store.read() as s:
        total = count_customers(s, q)
        first = list_customers_page(s, q, page=1, limit=WINDOW).rows[0]
        last = list_customers_page(s, q, page=(total - 1) // WINDOW + 1, limit=WINDOW).rows[-1]
    assert model.rowCount() == model.total == total > 2 * WINDOW
    assert model.customer_row(0) == first
    assert model.customer_row(total - 1) == last
    assert [model.data(model.index(total - 1, c)) for c in range(3)] == [last.name, last.company, last.email]


@pytest.mark.parametrize("order", ORDERS, ids=["ascending", "descending"])
@pytest.mark.parametrize("column", SORTABLE, ids=[COLUMNS[c].key for c in SORTABLE])
def test_sort_by_each_sortable_column(store: Database, qtbot: QtBot, column: int, order: Qt.SortOrder) -> None:
    model = make(store, ALL)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    sort_key = str(COLUMNS[column].sort_key)
    expected_sort = f"-{sort_key}" if order == Qt.SortOrder.DescendingOrder else sort_key
    if expected_sort == ALL.sort:
        model.sort(column, order)  # already so: nothing to read
    else:
        sorted_by(qtbot, model, column, order)
    assert model.query == ALL.with_(sort=expected_sort)
    assert model.sort_indicator() == (column, order)
    assert resets == ([] if expected_sort == ALL.sort else [1])
    with store.read() as s:
        total = count_customers(s, model.query)
        first = list_customers_page(s, model.query, page=1, limit=WINDOW).rows
        last = list_customers_page(s, model.query, page=(total - 1) // WINDOW + 1, limit=WINDOW).rows
    assert model.rowCount() == total
    assert model.customer_row(0) == first[0]
    assert model.customer_row(total - 1) == last[-1]  # a jump: from the bottom, not window after window
    middle = total // 2
    with store.read() as s:
        expected_middle = list_customers_page(s, model.query, page=middle // WINDOW + 1, limit=WINDOW).rows
    assert model.customer_row(middle) == expected_middle[middle % WINDOW]


def test_every_row_in_order_whatever_the_path(store: Database) -> None:
    """Windows reached in any order (top, bottom, jumps, neighbours either side) hold the service's rows."""
    for q in (ALL, ALL.with_(sort="-name"), CustomerQuery(sort="created_at"), CustomerQuery(sort="-zip")):
        expected = service_ids(store, q)
        model = make(store, q, window=50, max_windows=4)
        rows = random.Random(q.sort).sample(range(len(expected)), 60)
        assert model_ids(model, rows) == [expected[r] for r in rows]
        assert len(model.cached_windows) <= 4


def test_non_sortable_column_and_same_sort_are_ignored(store: Database, qtbot: QtBot) -> None:
    model = make(store, CustomerQuery())
    archived = [c.key for c in COLUMNS].index("archived_at")
    assert not model.is_sortable(archived) and model.is_sortable(0)
    with qtbot.assertNotEmitted(model.modelReset):
        model.sort(archived, Qt.SortOrder.DescendingOrder)
        model.sort(len(COLUMNS), Qt.SortOrder.AscendingOrder)
        model.sort(0, Qt.SortOrder.AscendingOrder)  # already by name, ascending
    assert model.query == CustomerQuery()
    assert "not sortable" in model.headerData(archived, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    model.set_query(CustomerQuery(sort="updated_at"))
    assert model.sort_indicator() == (-1, Qt.SortOrder.AscendingOrder)


def test_filter_changes_row_count(store: Database, qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    model = make(store, CustomerQuery())
    qtmodeltester.check(model)
    everyone = model.rowCount()
    name = at(model, 0).name
    q = CustomerQuery(search=name)
    with store.read() as s:
        expected = count_customers(s, q)
    with qtbot.waitSignals([model.modelReset, model.totalChanged], timeout=1000):
        model.set_query(q)
    assert 0 < model.rowCount() == model.total == expected < everyone
    assert all(at(model, r).name == name for r in range(model.rowCount()))
    model.set_query(CustomerQuery(search="no such customer anywhere"))
    assert model.rowCount() == 0
    model.set_query(CustomerQuery(archived="archived", sort="-created_at"))
    assert 0 < model.rowCount() < everyone
    assert model_ids(model) == service_ids(store, model.query)


def test_archived_rows_are_flagged_and_greyed(store: Database) -> None:
    model = make(store, ALL)
    archived_column = [c.key for c in COLUMNS].index("archived_at")
    grey = QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    flags = [model.data(model.index(r, 0), CustomerRole.ArchivedRole) for r in range(model.rowCount())]
    assert True in flags and False in flags
    archived_row, active_row = flags.index(True), flags.index(False)
    archived = model.customer_row(archived_row)
    assert archived is not None and archived.archived_at is not None
    assert model.data(model.index(archived_row, archived_column)) == "Archived"
    assert model.data(model.index(archived_row, archived_column), Qt.ItemDataRole.ToolTipRole) == (
        f"Archived {local_time(archived.archived_at):%Y-%m-%d %H:%M}"
    )
    for column in (0, archived_column):
        foreground = model.data(model.index(archived_row, column), Qt.ItemDataRole.ForegroundRole)
        assert isinstance(foreground, QColor) and foreground == grey
        assert model.data(model.index(active_row, column), Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(model.index(active_row, archived_column)) == ""


# --- cost: queries per action, memory ------------------------------------------------------------------


def test_painting_cached_rows_runs_no_query(store: Database) -> None:
    model = make(store, CustomerQuery())
    with counting(store) as seen:
        paint(model, range(100))
        assert model.customer_id(99) is not None and model.row_for_id(model.customer_id(50) or 0) == 50
    assert seen.all == []


def test_uncached_window_is_one_query_not_one_per_cell(store: Database) -> None:
    model = make(store, CustomerQuery())
    with counting(store) as seen:
        paint(model, range(WINDOW, WINDOW + 100))
    assert len(seen.selects) == 1  # keyset after the first window's last row


def test_jump_to_last_row_costs_a_bounded_number_of_queries(store: Database) -> None:
    for q in (CustomerQuery(), CustomerQuery(sort="-created_at"), ALL.with_(sort="city")):
        model = make(store, q)
        last = model.rowCount() - 1
        assert last > 10 * WINDOW
        with counting(store) as seen:
            paint(model, range(last - 40, last + 1))  # the screen End shows
        assert len(seen.selects) <= 3, seen.selects
        with store.read() as s:
            rows = list_customers(s, customer_model._reversed(q), limit=41, with_total=False).rows
        assert model_ids(model, range(last - 40, last + 1)) == [r.id for r in reversed(rows)]
        # A jump to the middle: one seek, one window.
        with counting(store) as seen:
            paint(model, range(last // 2, last // 2 + 30))
        assert len(seen.selects) <= 3, seen.selects


def test_ctrl_end_in_a_table_view_fills_the_last_screen_with_few_queries(store: Database, qtbot: QtBot) -> None:
    model = make(store, CustomerQuery())
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    view.setCurrentIndex(model.index(0, 0))
    with counting(store) as seen:
        qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
        view.viewport().grab()  # paints now (repaint() may not, offscreen)
    last = model.rowCount() - 1
    assert view.currentIndex().row() == last
    assert view.rowAt(view.viewport().height() - 2) in (last, -1) and view.rowAt(0) > last - 100
    assert len(seen.selects) <= 3, seen.selects
    assert last // WINDOW in model.cached_windows
    with counting(store) as seen:
        view.viewport().grab()  # paints now (repaint() may not, offscreen)
    assert seen.all == []


def test_window_cache_is_bounded(store: Database) -> None:
    model = make(store, ALL, window=100, max_windows=5)
    for r in range(0, model.rowCount(), 37):
        model.data(model.index(r, 0))
        assert len(model.cached_windows) <= 5
    assert model.cached_windows == tuple(range((model.rowCount() - 1) // 100 - 4, (model.rowCount() - 1) // 100 + 1))
    assert model.row_for_id(model.customer_id(0) or 0) == 0  # reloaded (from its neighbours' cursors)
    with counting(store) as seen:
        model.data(model.index(150, 0))
    assert len(seen.selects) == 1  # window 1: keyset after window 0's last row, no seek
    with pytest.raises(ValueError):
        CustomerTableModel(store, window=customer_list.MAX_LIMIT + 1)


def test_row_for_id_and_locate(store: Database) -> None:
    model = make(store, CustomerQuery(sort="email"))
    expected = service_ids(store, model.query)
    far = expected[len(expected) * 2 // 3]
    assert model.row_for_id(expected[5]) == 5
    assert model.row_for_id(far) is None  # not loaded: no database access
    assert model.locate(far) == expected.index(far)
    assert model.row_for_id(far) == expected.index(far)
    assert model_ids(model, range(len(expected) * 2 // 3 - 60, len(expected) * 2 // 3 + 60)) == (
        expected[len(expected) * 2 // 3 - 60:len(expected) * 2 // 3 + 60]
    )
    with store.read() as s:
        archived_id = list_customers(s, CustomerQuery(archived="archived"), limit=1, with_total=False).rows[0].id
    assert model.locate(archived_id) is None  # filtered out
    assert model.locate(10**9) is None


def test_a_failed_load_leaves_empty_cells_and_says_so(
    store: Database, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make(store, CustomerQuery())

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(customer_model, "list_customers", broken)
    with qtbot.waitSignal(model.loadFailed, timeout=1000) as blocker:
        assert model.data(model.index(WINDOW + 1, 0)) is None
    assert "database is locked" in blocker.args[0]
    with qtbot.assertNotEmitted(model.loadFailed):
        assert model.data(model.index(WINDOW + 2, 0)) is None  # no retry per cell
    monkeypatch.undo()
    model.refresh()
    assert model.data(model.index(WINDOW + 1, 0)) is not None


# --- queries read off the GUI thread -------------------------------------------------------------------


def _hold_py_lower(db: Database) -> tuple[threading.Event, list[int]]:
    """SQLite's py_lower (how a non-ASCII filter compares) made to wait for the returned event: a query
    using it is held in the store, on its worker thread, until the test lets it go."""
    gate, calls = threading.Event(), []

    def held(value: Any) -> Any:
        calls.append(1)
        gate.wait(10)
        return value.lower() if isinstance(value, str) else value

    event.listen(db.engine, "connect", lambda conn, _record: conn.create_function("py_lower", 1, held))
    db.engine.dispose()  # new connections, with the held function
    return gate, calls


def test_a_request_keeps_the_rows_until_read_and_the_newest_cancels_the_older(tmp_path: Path, qtbot: QtBot) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'held.sqlite3'}")
    try:
        seed(db, 300, seed=4)
        gate, calls = _hold_py_lower(db)
        model = make(db, CustomerQuery())
        before = model.total
        first_row = at(model, 0)
        applied: list[CustomerQuery] = []
        model.queryApplied.connect(lambda: applied.append(model.query))
        busy: list[bool] = []
        model.busyChanged.connect(busy.append)

        held = CustomerQuery(name="Ō")  # compared through py_lower: held in the store
        model.request(held)
        qtbot.waitUntil(lambda: bool(calls))
        # Meanwhile the table shows what it showed, and says it is busy.
        assert model.busy and model.pending_query == held and model.query == CustomerQuery()
        assert model.rowCount() == before and at(model, 0) == first_row and busy == [True]

        newest = CustomerQuery(sort="-created_at")
        with qtbot.waitSignal(model.queryApplied, timeout=10_000):
            model.request(newest)
            gate.set()
        assert applied == [newest] and model.query == newest and not model.busy
        assert model.counting and model.total == WINDOW  # the first page; the rest is being counted
        qtbot.waitUntil(lambda: not model.counting, timeout=10_000)
        with db.read() as s:
            assert model.total == count_customers(s, newest)
            assert at(model, 0) == list_customers(s, newest, limit=1).rows[0]
        # The held query was interrupted, not run to its end over every customer.
        assert len(calls) < before
        model.shutdown()
        assert applied == [newest]  # its answer never came
    finally:
        db.dispose()


def test_query_cancel_stops_a_running_statement(db: Database) -> None:
    """What a newer request does to the older one's statement, on each back-end."""
    if db.backend == "sqlite":
        gate, calls = _hold_py_lower(db)
        statement = text("SELECT py_lower('x') FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                         "SELECT i + 1 FROM n WHERE i < 1000) SELECT i FROM n)")

        def is_running() -> bool:
            return bool(calls)
    else:
        gate = threading.Event()
        statement = text("SELECT pg_sleep(30) AS held_by_the_test")

        def is_running() -> bool:
            with db.read() as s:
                return bool(s.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                    "AND query LIKE '%held_by_the_test%' AND pid <> pg_backend_pid()")).scalar_one())
    cancel = customer_model.QueryCancel()
    outcome: list[BaseException | None] = []
    running = threading.Event()

    def work() -> None:
        try:
            with db.read() as s:
                with cancel.watching(s):
                    running.set()
                    s.execute(statement).all()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - what the test checks
            outcome.append(exc)

    thread = threading.Thread(target=work)
    started = time.monotonic()
    thread.start()
    assert running.wait(10)
    while not is_running():  # the statement is under way in the store
        assert thread.is_alive() and time.monotonic() - started < 10
    cancel.cancel()
    gate.set()
    thread.join(20)
    assert not thread.is_alive() and time.monotonic() - started < 15
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    with pytest.raises(Cancelled):  # a cancelled switch stops the next statement before it starts
        with db.read() as s, cancel.watching(s):
            pass
