"""Money in the workspace: the *Unpaid orders* and *Open credits* tabs of the customer detail pane (with
totals), the *Sales credits* section, and the Money menu whose actions open the entry dialogs and the
allocation dialog for the customer shown.

The Money section (desktop/ui/money/section.py) puts them in the window. The tabs read their customer only when shown (a
customer with thousands of orders costs nothing while the clerk walks the customer list).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QGridLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services import money
from desktop.services.customers import CustomerDetail
from desktop.services.errors import DomainError
from desktop.services.money import Totals
from desktop.store.engine import Database
from desktop.ui.common.tabs import ReadWhenShown
from desktop.ui.common.views import record_table, select_row
from desktop.ui.money.money_models import (
    MoneyRole,
    OpenCreditsModel,
    UnpaidOrdersModel,
    _ListModel,
)

MUTED_STYLE = "color: palette(placeholder-text);"


def describe_totals(totals: Totals, keys: tuple[str, ...], labels: tuple[str, ...]) -> str:
    parts = []
    for currency, sums in sorted(totals.by_currency.items()):
        parts.append(f"{currency}: " + ", ".join(f"{label} {money.fmt(sums[k])}" for k, label in zip(keys, labels)))
    return "\n".join(parts)


class _MoneyTab(ReadWhenShown):
    """A table of one customer's money records with a totals line and buttons; read when shown."""

    customerShown = Signal()

    def __init__(self, db: Database, model: _ListModel, buttons: list[QAction], parent: QWidget | None = None):
        super().__init__(parent, stale=True)
        self.db = db
        self.customer: CustomerDetail | None = None
        self.model = model
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.view = record_table(model)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        layout.addWidget(self.view, 1)
        self.totals = QLabel()
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.totals.font()
        font.setBold(True)
        self.totals.setFont(font)
        layout.addWidget(self.totals)
        self.menu_actions = buttons
        # Two buttons a row: the pane beside the customer table stays narrow enough for a laptop screen.
        row = QGridLayout()
        self.buttons: list[QPushButton] = []
        for number, action in enumerate(buttons):
            button = QPushButton(action.text().replace("&", ""))
            button.setAutoDefault(False)
            button.setToolTip(f"{action.toolTip()} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
            button.clicked.connect(action.trigger)
            action.changed.connect(lambda b=button, a=action: b.setEnabled(a.isEnabled()))
            row.addWidget(button, number // 2, number % 2)
            self.buttons.append(button)
        row.setColumnStretch(2, 1)
        layout.addLayout(row)

    def show_customer(self, customer: CustomerDetail | None) -> None:
        changed = (customer.id if customer else None) != (self.customer.id if self.customer else None)
        self.customer = customer
        if changed or customer is None:
            self.model.set_rows([])
            self.summary.setText("")
            self.totals.setText("")
        self.read_soon()
        self.customerShown.emit()

    def read(self) -> None:
        if self.customer is None:
            self.model.set_rows([])
            return
        selected = self.selected_id()
        try:
            with self.db.read() as s:
                self._load(s, self.customer.id)
        except DomainError as exc:  # the customer was deleted meanwhile
            self.model.set_rows([])
            self.summary.setText(str(exc))
            return
        if selected is not None:
            row = next((r for r in range(self.model.rowCount()) if self.model.record(r).id == selected), None)
            if row is not None:
                select_row(self.view, row)

    def _load(self, session: Any, customer_id: int) -> None:
        raise NotImplementedError

    def selected_id(self) -> int | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.data(rows[0], MoneyRole.Id) if rows else None

    def _menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            select_row(self.view, index.row())
        menu = QMenu(self)
        menu.addActions(self.menu_actions)
        menu.popup(self.view.viewport().mapToGlobal(pos))


class UnpaidOrdersTab(_MoneyTab):
    def __init__(self, db: Database, buttons: list[QAction], parent: QWidget | None = None):
        super().__init__(db, UnpaidOrdersModel(), buttons, parent)
        self.model.setParent(self)
        self.view.setAccessibleName("Unpaid orders")

    def _load(self, session: Any, customer_id: int) -> None:
        result = money.unpaid_orders(session, customer_id)
        self.model.set_rows(result.orders)
        n = len(result.orders)
        self.summary.setText(f"{n:,} unpaid order{'s' if n != 1 else ''}, oldest first." if n
                             else "Nothing owed: no unpaid orders.")
        self.totals.setText(describe_totals(result.totals, ("outstanding", "total", "paid", "credited"),
                                            ("outstanding", "of total", "paid", "credited")))


class OpenCreditsTab(_MoneyTab):
    def __init__(self, db: Database, buttons: list[QAction], parent: QWidget | None = None):
        super().__init__(db, OpenCreditsModel(), buttons, parent)
        self.model.setParent(self)
        self.view.setAccessibleName("Open credits")
        self.view.doubleClicked.connect(lambda _i: buttons[0].trigger())

    def _load(self, session: Any, customer_id: int) -> None:
        result = money.open_credits(session, customer_id)
        self.model.set_rows(result.credits)
        n = len(result.credits)
        self.summary.setText(f"{n:,} open credit{'s' if n != 1 else ''}, oldest first." if n
                             else "No open sales credits.")
        self.totals.setText(describe_totals(result.totals, ("remaining", "total", "allocated"),
                                            ("remaining", "of total", "allocated")))
