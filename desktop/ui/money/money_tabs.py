"""Money in the workspace: the *Unpaid orders* and *Open credits* tabs of the customer detail pane (with
totals), the *Sales credits* section, and the Money menu whose actions open the entry dialogs and the
allocation dialog for the customer shown.

`install_money(window)` wires it all into a MainWindow. The tabs read their customer only when shown (a
customer with thousands of orders costs nothing while the clerk walks the customer list).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
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
from desktop.services.money import CreditAmounts, Totals
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.money.credits_section import SalesCreditsSection
from desktop.ui.money.money_models import MoneyRole, OpenCreditsModel, UnpaidOrdersModel, _ListModel
from desktop.ui.common.workers import Workers
from desktop.ui.common.views import record_table, select_row

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow

MUTED_STYLE = "color: palette(placeholder-text);"


def describe_totals(totals: Totals, keys: tuple[str, ...], labels: tuple[str, ...]) -> str:
    parts = []
    for currency, sums in sorted(totals.by_currency.items()):
        parts.append(f"{currency}: " + ", ".join(f"{label} {money.fmt(sums[k])}" for k, label in zip(keys, labels)))
    return "\n".join(parts)


class _MoneyTab(QWidget):
    """A table of one customer's money records with a totals line and buttons; read when shown."""

    customerShown = Signal()

    def __init__(self, db: Database, model: _ListModel, buttons: list[QAction], parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.customer: CustomerDetail | None = None
        self._stale = True
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
        row = QHBoxLayout()
        self.buttons: list[QPushButton] = []
        for action in buttons:
            button = QPushButton(action.text().replace("&", ""))
            button.setAutoDefault(False)
            button.setToolTip(f"{action.toolTip()} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
            button.clicked.connect(action.trigger)
            action.changed.connect(lambda b=button, a=action: b.setEnabled(a.isEnabled()))
            row.addWidget(button)
            self.buttons.append(button)
        row.addStretch(1)
        layout.addLayout(row)

    def show_customer(self, customer: CustomerDetail | None) -> None:
        changed = (customer.id if customer else None) != (self.customer.id if self.customer else None)
        self.customer = customer
        if changed or customer is None:
            self.model.set_rows([])
            self.summary.setText("")
            self.totals.setText("")
        self._stale = True
        if self.isVisible():
            self.reload()
        self.customerShown.emit()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> None:
        self._stale = False
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


class MoneyActions(QObject):
    """The Money menu's actions for the customer the detail pane shows, and what they refresh after."""

    changed = Signal()

    def __init__(self, db: Database, workers: Workers, parent_widget: QWidget,
                 customer: Callable[[], CustomerDetail | None], show_customer: Callable[[int], Any],
                 status: Callable[[str], None] | None = None):
        super().__init__(parent_widget)
        self.db = db
        self.workers = workers
        self.parent_widget = parent_widget
        self._customer = customer
        self._show_customer = show_customer
        self._status = status or (lambda _text: None)
        self.last_dialog: QWidget | None = None

        def action(text: str, slot: Callable[[], Any], shortcut: str, tip: str) -> QAction:
            a = QAction(text, parent_widget)
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.setToolTip(tip)
            a.setStatusTip(tip)
            a.triggered.connect(slot)
            parent_widget.addAction(a)
            return a

        self.actions = {
            "order": action("New sales &order…", self.new_order, "Ctrl+Shift+O",
                            "Enter a sales order for this customer"),
            "payment": action("Record &payment…", self.record_payment, "Ctrl+Shift+P",
                              "Record a payment against one of this customer's unpaid orders"),
            "fulfil": action("&Fulfil order…", self.fulfil, "Ctrl+Shift+F",
                             "Fulfil lines of one of this customer's orders (for shipping)"),
            "credit": action("New sales &credit…", self.new_credit, "Ctrl+Shift+R",
                             "Enter a sales credit for this customer"),
            "allocate": action("&Allocate credit…", self.allocate, "Ctrl+Shift+L",
                               "Allocate one of this customer's open credits to their unpaid orders"),
        }
        a = self.actions
        self.unpaid_tab = UnpaidOrdersTab(db, [a["order"], a["payment"], a["fulfil"], a["allocate"]])
        self.credits_tab = OpenCreditsTab(db, [a["allocate"], a["credit"]])
        self.section = SalesCreditsSection(db, self.allocate_credit, show_customer)
        self.unpaid_tab.customerShown.connect(self.update_actions)
        self.update_actions()

    @property
    def customer(self) -> CustomerDetail | None:
        return self._customer()

    def update_actions(self) -> None:
        c = self.customer
        for key, action in self.actions.items():
            action.setEnabled(c is not None and not (key == "order" and c.archived))
        if c is not None and c.archived:
            self.actions["order"].setToolTip("Archived customers cannot be given new sales orders")
        else:
            self.actions["order"].setToolTip("Enter a sales order for this customer")

    def refresh(self) -> None:
        for tab in (self.unpaid_tab, self.credits_tab):
            tab.show_customer(self.customer)
        self.section.mark_stale()
        self.changed.emit()

    # --- dialogs --------------------------------------------------------------------------------

    def _run(self, dialog: Any, done: Callable[[Any], str]) -> bool:
        self.last_dialog = dialog
        try:
            if dialog.exec():
                self._status(done(dialog))
                self.refresh()
                return True
            return False
        finally:
            dialog.deleteLater()

    def new_order(self) -> None:
        c = self.customer
        if c is None:
            return
        from desktop.ui.money.order_entry import OrderDialog

        self._run(OrderDialog(self.db, c.id, c.name, self.parent_widget),
                  lambda d: f"Created order {d.result_.order_number} ({d.result_.currency_code} "
                            f"{money.fmt(d.result_.total)}).")

    def record_payment(self) -> None:
        c = self.customer
        if c is None:
            return
        from desktop.ui.money.order_entry import PaymentDialog

        order_id = self.unpaid_tab.selected_id()
        self._run(PaymentDialog(self.db, c.id, order_id, self.parent_widget),
                  lambda d: f"Recorded a payment of {money.fmt(d.result_.amount)}; "
                            f"{money.fmt(d.result_.outstanding)} still outstanding.")

    def new_credit(self) -> None:
        c = self.customer
        if c is None:
            return
        from desktop.ui.money.order_entry import CreditDialog

        self._run(CreditDialog(self.db, c.id, c.name, self.parent_widget),
                  lambda d: f"Created credit {d.result_.sales_credit_number} ({d.result_.currency_code} "
                            f"{money.fmt(d.result_.total)}).")

    def fulfil(self) -> None:
        c = self.customer
        if c is None:
            return
        from desktop.ui.money.order_entry import FulfilmentDialog

        self._run(FulfilmentDialog(self.db, c.id, self.unpaid_tab.selected_id(), self.parent_widget),
                  lambda d: f"Created fulfilment {d.result_.fulfillment_number} (pending).")

    def allocate(self) -> None:
        c = self.customer
        if c is None:
            return
        self.open_allocation(c.id, self.credits_tab.selected_id())

    def allocate_credit(self, credit: CreditAmounts) -> None:
        self.open_allocation(credit.customer_id, credit.id)

    def open_allocation(self, customer_id: int, credit_id: int | None) -> None:
        from desktop.ui.money.allocation_dialog import AllocationDialog

        try:
            dialog = AllocationDialog(self.db, self.workers, customer_id, credit_id, self.parent_widget)
        except DomainError as exc:
            messages.show_error(self.parent_widget, exc)
            return
        self._run(dialog, lambda d: (f"Allocated {money.fmt(d.result_.total)} of credit "
                                     f"{d.result_.sales_credit_number}; {money.fmt(d.result_.remaining)} remaining."))


def install_money(window: MainWindow) -> MoneyActions:
    """Add the money tabs (after Addresses, as DESIGN orders them), the Sales credits section and the
    Money menu to `window`."""

    def status(text: str) -> None:
        window.statusBar().showMessage(text, 10_000)

    def show_customer(customer_id: int) -> None:
        window.show_section("Customers")
        window.show_customer(customer_id)

    actions = MoneyActions(window.db, window.workers, window, lambda: window.detail.customer, show_customer, status)
    pane = window.detail
    for widget, title in ((actions.unpaid_tab, "&Unpaid orders"), (actions.credits_tab, "O&pen credits")):
        pane.add_customer_tab(widget, title)
    after = pane.indexOf(pane.addresses_page)
    for offset, widget in enumerate((actions.unpaid_tab, actions.credits_tab), start=1):
        pane.tabBar().moveTab(pane.indexOf(widget), after + offset)
    window.add_section("Sales credits", actions.section)

    menu = QMenu("Mo&ney", window)
    a = actions.actions
    menu.addActions([a["order"], a["payment"], a["fulfil"]])
    menu.addSeparator()
    menu.addActions([a["credit"], a["allocate"]])
    bar = window.menuBar()
    help_action = next((x for x in bar.actions() if x.text().replace("&", "") == "Help"), None)
    bar.insertMenu(help_action, menu) if help_action is not None else bar.addMenu(menu)
    actions.menu = menu  # type: ignore[attr-defined]
    window.money = actions  # type: ignore[attr-defined]
    return actions
