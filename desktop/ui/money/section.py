"""The Money section: the Money menu (new sales order, record payment, fulfil, new sales credit, allocate
credit) for the customer the detail pane shows, the Unpaid orders and Open credits tabs of that pane, and the
Sales credits page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from desktop.services import money
from desktop.services.customers import CustomerDetail
from desktop.services.errors import DomainError
from desktop.services.money import CreditAmounts
from desktop.ui.common import messages
from desktop.ui.common.section import Host, Section
from desktop.ui.money.credits_section import SalesCreditsSection
from desktop.ui.money.tabs import OpenCreditsTab, UnpaidOrdersTab


class Money(Section):
    """The Money menu's actions for the customer the detail pane shows, the two customer tabs, the Sales
    credits page, and what they refresh after."""

    key = "money"
    title = "Sales credits"
    changed = Signal()

    def __init__(self, host: Host):
        super().__init__(host)
        self.db = host.db
        self.workers = host.workers
        self.parent_widget = parent_widget = host.widget
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
        self.unpaid_tab = UnpaidOrdersTab(self.db, [a["order"], a["payment"], a["fulfil"], a["allocate"]])
        self.credits_tab = OpenCreditsTab(self.db, [a["allocate"], a["credit"]])
        self.section = SalesCreditsSection(self.db, self.allocate_credit, host.open_customer)
        self.page = self.section
        self.unpaid_tab.customerShown.connect(self.update_actions)
        # After Addresses, as DESIGN orders them (the pane adds each before History).
        host.add_customer_tab(self.unpaid_tab, "&Unpaid orders")
        host.add_customer_tab(self.credits_tab, "O&pen credits")
        self.menu = QMenu("Mo&ney", parent_widget)
        self.menu.addActions([a["order"], a["payment"], a["fulfil"]])
        self.menu.addSeparator()
        self.menu.addActions([a["credit"], a["allocate"]])
        self.menus = [("Mo&ney", [self.menu])]
        self.update_actions()

    @property
    def customer(self) -> CustomerDetail | None:
        return self.host.current_customer()

    def _status(self, text: str) -> None:
        self.host.show_message(text, 10_000)

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
