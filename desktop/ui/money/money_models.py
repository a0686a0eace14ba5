"""Item models of the money screens: a customer's unpaid orders and open credits (small lists, read once
per customer), the allocation table (one editable amount per order, every rule checked as the clerk types)
and every customer's open credits (keyset pages fetched as the view scrolls).

The rules come from `services.money` (`check_order_line`, `check_allocation`): the dialog and the service
judge an allocation with the same code.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush
from sqlalchemy.exc import SQLAlchemyError

from desktop.services import money
from desktop.services.money import CreditAmounts, OrderAmounts, Problem, Requested, fmt
from desktop.store.engine import Database
from desktop.ui.common.colours import background_colour, text_colour

log = logging.getLogger("desktop.ui.money")

Index = QModelIndex | QPersistentModelIndex
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class MoneyRole(IntEnum):
    Id = Qt.ItemDataRole.UserRole + 1
    Record = Qt.ItemDataRole.UserRole + 2  # the OrderAmounts / CreditAmounts of the row
    Amount = Qt.ItemDataRole.UserRole + 3  # a Decimal (money columns; the valid typed amount)
    Problems = Qt.ItemDataRole.UserRole + 4  # list[Problem] of an allocation row


class _ListModel(QAbstractTableModel):
    """A read-only table over `_rows`, columns = (title, attribute, is money)."""

    COLUMNS: tuple[tuple[str, str, bool], ...] = ()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def record(self, row: int) -> Any:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list[Any]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.COLUMNS[section][0]
            if role == Qt.ItemDataRole.TextAlignmentRole and self.COLUMNS[section][2]:
                return RIGHT
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        title, attr, is_money = self.COLUMNS[index.column()]
        value = getattr(row, attr)
        if role == Qt.ItemDataRole.DisplayRole:
            if is_money:
                return fmt(value)
            return value.isoformat() if hasattr(value, "isoformat") else str(value if value is not None else "")
        if role == Qt.ItemDataRole.TextAlignmentRole and is_money:
            return RIGHT
        if role == MoneyRole.Id:
            return row.id
        if role == MoneyRole.Record:
            return row
        if role == MoneyRole.Amount and is_money:
            return value
        return None


class UnpaidOrdersModel(_ListModel):
    COLUMNS = (("Order", "order_number", False), ("Date", "order_date", False), ("Cur.", "currency_code", False),
               ("Total", "total", True), ("Paid", "paid", True), ("Credited", "credited", True),
               ("Outstanding", "outstanding", True))


class OpenCreditsModel(_ListModel):
    COLUMNS = (("Credit", "sales_credit_number", False), ("Date", "credit_date", False),
               ("Cur.", "currency_code", False), ("Total", "total", True), ("Allocated", "allocated", True),
               ("Remaining", "remaining", True))


# --- every open credit, lazily ------------------------------------------------------------------


class AllOpenCreditsModel(_ListModel):
    """Every customer's open credits matching a search, in the chosen order, one page at a time as the view
    scrolls (keyset down the date index for the everyday newest-first list; pages by position otherwise),
    with the count and per-currency sums of all that match."""

    COLUMNS = (("Credit", "sales_credit_number", False), ("Date", "credit_date", False),
               ("Customer", "customer_name", False), ("Cur.", "currency_code", False),
               ("Total", "total", True), ("Allocated", "allocated", True), ("Remaining", "remaining", True))
    PAGE = 200
    DEFAULT_SORT = "-credit_date"

    loadFailed = Signal(str)

    def __init__(self, db: Database, parent: QObject | None = None):
        super().__init__(parent)
        self.db = db
        self._cursor: money.CreditCursor | None = None
        self._more = False
        self.search: str | None = None
        self.sort_key = self.DEFAULT_SORT
        self.matching = 0  # how many match, all pages
        self.totals = money.Totals({})

    def reload(self) -> None:
        """Count and sum what matches and read the first page, then show them (one reset: a view that
        fetches more as it lays out never does so while the reset is under way)."""
        try:
            with self.db.read() as s:
                matching, totals = money.open_credits_totals(s, search=self.search)
                page, cursor, more = self._page(s, None, 0)
        except SQLAlchemyError as exc:
            log.warning("cannot read open credits: %s", exc)
            self.loadFailed.emit(f"The open credits could not be read: {exc.__class__.__name__}")
            matching, totals, page, cursor, more = 0, money.Totals({}), [], None, False
        self.beginResetModel()
        self.matching, self.totals = matching, totals
        self._rows, self._cursor, self._more = list(page), cursor, more
        self.endResetModel()

    def _page(self, s: Any, cursor: money.CreditCursor | None, offset: int
              ) -> tuple[list[Any], money.CreditCursor | None, bool]:
        if self.search is None and self.sort_key == self.DEFAULT_SORT:
            page, cursor = money.all_open_credits(s, after=cursor, limit=self.PAGE)
            return page, cursor, cursor is not None
        page = money.search_open_credits(s, search=self.search, sort=self.sort_key, offset=offset, limit=self.PAGE)
        return page, None, len(page) == self.PAGE

    def set_search(self, text: str) -> None:
        text = text.strip() or None
        if text != self.search:
            self.search = text
            self.reload()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.COLUMNS):
            return
        key = self.COLUMNS[column][1]
        sort = f"-{key}" if order == Qt.SortOrder.DescendingOrder else key
        if sort != self.sort_key:
            self.sort_key = sort
            self.reload()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if parent.isValid() or not self._more:
            return
        try:
            with self.db.read() as s:
                page, cursor, more = self._page(s, self._cursor, len(self._rows))
        except SQLAlchemyError as exc:
            log.warning("cannot read open credits: %s", exc)
            self._more = False
            self.loadFailed.emit(f"The open credits could not be read: {exc.__class__.__name__}")
            return
        self._more = more
        self._cursor = cursor
        if page:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()

    @property
    def complete(self) -> bool:
        return not self._more


# --- the allocation table -----------------------------------------------------------------------


class AllocationColumn(IntEnum):
    ORDER = 0
    DATE = 1
    TOTAL = 2
    OUTSTANDING = 3
    AMOUNT = 4
    CHECK = 5


ALLOCATION_TITLES = ("Order", "Date", "Total", "Outstanding", "Allocate", "Check")


class AllocationModel(QAbstractTableModel):
    """The credit's customer's unpaid orders (in the credit's currency), each with an editable amount.

    Every keystroke (`setData` on the Allocate column) re-checks that row with the service's rules and
    the running total against the credit's remaining; `changed` tells the dialog to update its totals. The
    sum rule is shown on the rows where the credit runs out (walking the orders oldest first).
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.credit: CreditAmounts | None = None
        self._orders: list[OrderAmounts] = []
        self._by_id: dict[int, OrderAmounts] = {}
        self._text: list[str] = []
        self._problems: list[list[Problem]] = []
        self._valid: dict[int, Decimal] = {}  # row -> valid amount
        self._typed_rows: set[int] = set()  # rows with something typed (valid or not)
        self._over: set[int] = set()  # rows where the credit has run out
        self.total = Decimal("0.00")

    # --- content ----------------------------------------------------------------------------------

    def set_orders(self, credit: CreditAmounts | None, orders: Sequence[OrderAmounts],
                   amounts: dict[int, str] | None = None) -> None:
        """A new credit or a reload; `amounts` (order id -> typed text) are kept where the order still is."""
        self.beginResetModel()
        self.credit = credit
        self._orders = list(orders)
        self._by_id = {o.id: o for o in self._orders}
        self._text = [""] * len(self._orders)
        self._problems = [[] for _ in self._orders]
        self._valid = {}
        self._typed_rows = set()
        self._over = set()
        if amounts:
            for row, order in enumerate(self._orders):
                if order.id in amounts:
                    self._text[row] = amounts[order.id]
                    self._check_row(row)
        self.total = sum(self._valid.values(), Decimal("0.00"))
        self._over = self._over_rows()
        self.endResetModel()
        self.changed.emit()

    def order(self, row: int) -> OrderAmounts | None:
        return self._orders[row] if 0 <= row < len(self._orders) else None

    def row_of(self, order_id: int) -> int | None:
        return next((r for r, o in enumerate(self._orders) if o.id == order_id), None)

    def typed(self) -> dict[int, str]:
        """order id -> the text typed (non-empty only), in row order."""
        return {self._orders[r].id: self._text[r] for r in sorted(self._typed_rows)}

    def requested(self) -> list[Requested]:
        return [Requested(order_id, text) for order_id, text in self.typed().items()]

    def check(self) -> money.Checked:
        """The service's own verdict on what is typed (the Allocate button follows it)."""
        if self.credit is None:
            return money.Checked(problems=[Problem(money.Rule.NO_ORDERS, "choose a credit")])
        return money.check_allocation(self.credit, self._by_id, self.requested())

    def problems(self, row: int) -> list[Problem]:
        return list(self._problems[row]) if 0 <= row < len(self._problems) else []

    def message(self, row: int) -> str:
        problems = self._problems[row]
        if problems:
            return "; ".join(_short(p, self._orders[row], self._text[row]) for p in problems)
        if row in self._over and self.credit is not None:
            return f"The credit runs out here: {fmt(self._cumulative_over(row))} more than remaining"
        if row in self._valid:
            left = self._orders[row].outstanding - self._valid[row]
            return "Pays the order in full" if left == 0 else f"Leaves {fmt(left)} outstanding"
        return ""

    def row_ok(self, row: int) -> bool:
        return not self._problems[row] and row not in self._over

    # --- editing ----------------------------------------------------------------------------------

    def set_amount(self, row: int, text: str) -> bool:
        return self.setData(self.index(row, AllocationColumn.AMOUNT), text, Qt.ItemDataRole.EditRole)

    def set_amounts(self, amounts: dict[int, Decimal | str]) -> None:
        """Many rows at once (oldest first, clear): order id -> amount; every other row is emptied."""
        for row in list(self._typed_rows):  # emptied unless given again
            self._text[row] = ""
            self._check_row(row)
        for row, order in enumerate(self._orders):
            value = amounts.get(order.id)
            if value is not None:
                self._text[row] = f"{value:.2f}" if isinstance(value, Decimal) else value
                self._check_row(row)
        self.total = sum(self._valid.values(), Decimal("0.00"))
        self._over = self._over_rows()
        if self._orders:
            self.dataChanged.emit(self.index(0, AllocationColumn.AMOUNT),
                                  self.index(len(self._orders) - 1, AllocationColumn.CHECK))
        self.changed.emit()

    def _check_row(self, row: int) -> None:
        self._valid.pop(row, None)
        text = self._text[row].strip()
        if text:
            self._typed_rows.add(row)
        else:
            self._typed_rows.discard(row)
        if not text or self.credit is None:
            self._problems[row] = []
            return
        order = self._orders[row]
        amount, problems = money.check_order_line(self.credit, order, order.id, text)
        self._problems[row] = problems
        if amount is not None:
            self._valid[row] = amount

    def _over_rows(self) -> set[int]:
        if self.credit is None:
            return set()
        left = self.credit.remaining
        over = set()
        for row in sorted(self._valid):
            left -= self._valid[row]
            if left < 0:
                over.add(row)
        return over

    def _cumulative_over(self, row: int) -> Decimal:
        assert self.credit is not None
        used = sum((a for r, a in self._valid.items() if r <= row), Decimal("0.00"))
        return min(used - self.credit.remaining, self._valid.get(row, Decimal(0)))

    # --- Qt -------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._orders)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(ALLOCATION_TITLES)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(ALLOCATION_TITLES):
            if role == Qt.ItemDataRole.DisplayRole:
                return ALLOCATION_TITLES[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in (2, 3, 4):
                return RIGHT
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if index.column() == AllocationColumn.AMOUNT:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._orders):
            return None
        row, col = index.row(), index.column()
        order = self._orders[row]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == AllocationColumn.ORDER:
                return order.order_number
            if col == AllocationColumn.DATE:
                return order.order_date.isoformat()
            if col == AllocationColumn.TOTAL:
                return fmt(order.total)
            if col == AllocationColumn.OUTSTANDING:
                return fmt(order.outstanding)
            if col == AllocationColumn.AMOUNT:
                return self._text[row]
            return self.message(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (2, 3, 4):
            return RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and col in (AllocationColumn.AMOUNT, AllocationColumn.CHECK):
            full = "; ".join(p.message[:1].upper() + p.message[1:] for p in self._problems[row])
            return full or self.message(row) or "Type an amount to allocate to this order (at most its outstanding)"
        if role == Qt.ItemDataRole.BackgroundRole and col == AllocationColumn.AMOUNT and not self.row_ok(row):
            return QBrush(background_colour("error"))
        if role == Qt.ItemDataRole.ForegroundRole and col == AllocationColumn.CHECK:
            return QBrush(text_colour("error" if not self.row_ok(row) else "ok"))
        if role == MoneyRole.Id:
            return order.id
        if role == MoneyRole.Record:
            return order
        if role == MoneyRole.Amount:
            if col == AllocationColumn.AMOUNT:
                return self._valid.get(row)
            if col == AllocationColumn.TOTAL:
                return order.total
            if col == AllocationColumn.OUTSTANDING:
                return order.outstanding
        if role == MoneyRole.Problems:
            return self.problems(row)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() != AllocationColumn.AMOUNT
                or not 0 <= index.row() < len(self._orders)):
            return False
        row = index.row()
        text = "" if value is None else str(value)
        if text == self._text[row]:
            return True
        self._text[row] = text
        old = self._valid.get(row, Decimal(0))
        self._check_row(row)
        self.total += self._valid.get(row, Decimal(0)) - old
        before = self._over
        self._over = self._over_rows()
        # One range per row whose look changed (the amount and its check; rows where the credit now runs
        # out, or no longer does). A range of two cells: an open editor is not reset under the clerk.
        for r in sorted({row} | (before ^ self._over)):
            self.dataChanged.emit(self.index(r, AllocationColumn.AMOUNT), self.index(r, AllocationColumn.CHECK))
        self.changed.emit()
        return True


def _short(problem: Problem, order: OrderAmounts, text: str) -> str:
    """The problem in the few words that fit beside the cell (the whole sentence is the cell's tooltip)."""
    rule = problem.rule
    if rule == money.Rule.AMOUNT_PRECISION:
        return "More than two decimals: cents are the smallest unit"
    if rule == money.Rule.AMOUNT_NOT_POSITIVE:
        return "Must be more than 0 (leave it empty to skip the order)"
    if rule == money.Rule.AMOUNT_INVALID:
        return f"{text.strip()!r} is not an amount"
    if rule == money.Rule.OVER_OUTSTANDING:
        try:
            over = Decimal(text.strip()) - order.outstanding
        except ArithmeticError:
            return "More than the outstanding"
        return f"{fmt(over)} more than the {fmt(order.outstanding)} outstanding"
    message = problem.message
    return message[:1].upper() + message[1:]
