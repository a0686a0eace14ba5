"""Entry dialogs beside allocation: a sales order with lines, a payment, a sales credit, a fulfilment.

Keyboard first: every field has a mnemonic, Enter saves, Esc cancels, the line tables take Ins (add a
line) and Ctrl+Del (remove it) and grow a new empty line as the last one is filled. Amounts are checked
as they are typed with the services' own rules; saving is one short transaction, and a refusal is shown
in the dialog's banner in the clerk's words.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from desktop.services import money
from desktop.services import orders as order_service
from desktop.services.errors import DomainError
from desktop.services.money import AmountError, OrderAmounts, fmt, parse_amount
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.colours import text_style

CURRENCIES = ("NZD", "AUD", "USD", "GBP", "EUR", "CAD")
PAYMENT_METHODS = ("card", "bank transfer", "cash", "cheque", "online")


def _date_edit(value: dt.date | None = None) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    day = value or dt.date.today()
    edit.setDate(QDate(day.year, day.month, day.day))
    return edit


def _date(edit: QDateEdit) -> dt.date:
    d = edit.date()
    return dt.date(d.year(), d.month(), d.day())


def _currency_combo(default: str | None) -> QComboBox:
    combo = QComboBox()
    combo.setEditable(True)
    combo.addItems(CURRENCIES)
    combo.setCurrentText(default or CURRENCIES[0])
    combo.lineEdit().setMaxLength(3)  # type: ignore[union-attr]
    return combo


def _buddy(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    return label


class _EntryDialog(QDialog):
    """Banner, form, buttons (Save is the default); `save()` runs `_write` and shows a refusal."""

    def __init__(self, db: Database, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.setWindowTitle(title)
        self.outer = QVBoxLayout(self)
        self.banner = messages.Banner(self)
        self.outer.addWidget(self.banner)
        self.form = QFormLayout()
        self.outer.addLayout(self.form)
        self.check_label = QLabel()
        self.check_label.setWordWrap(True)
        self.check_label.setStyleSheet(text_style("error"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.result_: Any = None

    def finish_layout(self) -> None:
        self.outer.addWidget(self.check_label)
        self.outer.addWidget(self.buttons)
        self.recheck()

    def recheck(self) -> None:
        problem = self.problem()
        self.check_label.setText(problem or "")
        self.check_label.setVisible(bool(problem))
        self.save_button.setEnabled(not problem)

    def problem(self) -> str | None:
        """What stops saving, in a sentence (None: Save is enabled)."""
        return None

    def save(self) -> None:
        if self.problem():
            return
        try:
            with self.db.transaction() as s:
                self.result_ = self._write(s)
        except DomainError as exc:
            self.banner.show_message(messages.explain(exc)[1], "error")
            return
        self.accept()

    def _write(self, session: Any) -> Any:
        raise NotImplementedError


# --- sales order --------------------------------------------------------------------------------

LINE_COLUMNS = ("SKU", "Description", "Quantity", "Price", "Line total")


class OrderDialog(_EntryDialog):
    """A new sales order for one customer (archived customers are refused by the service)."""

    def __init__(self, db: Database, customer_id: int, customer_name: str, parent: QWidget | None = None):
        super().__init__(db, f"New sales order — {customer_name}", parent)
        self.customer_id = customer_id
        with db.read() as s:
            currency = order_service.last_currency(s, customer_id)
        self.number = QLineEdit(placeholderText="generated (SO-…) when left empty")
        self.number.setMaxLength(50)
        self.order_date = _date_edit()
        self.currency = _currency_combo(currency)
        self.status = QComboBox()
        self.status.addItem("Open", "open")
        self.status.addItem("Draft (not yet owed)", "draft")
        self.form.addRow(_buddy("Order &number:", self.number), self.number)
        self.form.addRow(_buddy("&Date:", self.order_date), self.order_date)
        self.form.addRow(_buddy("C&urrency:", self.currency), self.currency)
        self.form.addRow(_buddy("S&tatus:", self.status), self.status)

        self.lines = QTableWidget(0, len(LINE_COLUMNS))
        self.lines.setHorizontalHeaderLabels(list(LINE_COLUMNS))
        self.lines.setAccessibleName("Order lines")
        self.lines.verticalHeader().hide()
        self.lines.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        header = self.lines.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.lines.itemChanged.connect(self._line_changed)
        lines_label = _buddy("&Lines (Ins adds, Ctrl+Del removes):", self.lines)
        self.outer.addWidget(lines_label)
        self.outer.addWidget(self.lines, 1)
        row = QHBoxLayout()
        add = QPushButton("&Add line")
        add.setAutoDefault(False)
        add.clicked.connect(self.add_line)
        remove = QPushButton("&Remove line")
        remove.setAutoDefault(False)
        remove.clicked.connect(self.remove_line)
        self.total_label = QLabel()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        row.addWidget(self.total_label)
        self.outer.addLayout(row)
        for keys, slot in (("Ins", self.add_line), ("Ctrl+Del", self.remove_line)):
            shortcut = QShortcut(QKeySequence(keys), self.lines, activated=slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.currency.currentTextChanged.connect(lambda _t: self.recheck())
        self.add_line()
        self.resize(720, 480)
        self.finish_layout()

    def add_line(self) -> None:
        self.lines.blockSignals(True)
        row = self.lines.rowCount()
        self.lines.insertRow(row)
        for col in range(len(LINE_COLUMNS)):
            item = QTableWidgetItem("")
            if col >= 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if col == 4:
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            self.lines.setItem(row, col, item)
        self.lines.blockSignals(False)
        self.lines.setCurrentCell(row, 0)

    def remove_line(self) -> None:
        row = self.lines.currentRow()
        if row >= 0 and self.lines.rowCount() > 1:
            self.lines.removeRow(row)
            self.recheck()

    def set_line(self, row: int, sku: str, description: str, quantity: str, price: str) -> None:
        while self.lines.rowCount() <= row:
            self.add_line()
        for col, text in enumerate((sku, description, quantity, price)):
            self.lines.item(row, col).setText(text)

    def _text(self, row: int, col: int) -> str:
        item = self.lines.item(row, col)
        return item.text().strip() if item is not None else ""

    def _line_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == 4:
            return
        row = item.row()
        if row == self.lines.rowCount() - 1 and any(self._text(row, c) for c in range(4)):
            self.add_line()
            self.lines.setCurrentCell(row, item.column())
        self.recheck()

    def line_values(self) -> list[dict[str, str]]:
        return [{"sku": self._text(r, 0), "description": self._text(r, 1), "quantity": self._text(r, 2),
                 "price": self._text(r, 3)}
                for r in range(self.lines.rowCount()) if any(self._text(r, c) for c in range(4))]

    def problem(self) -> str | None:
        if not hasattr(self, "lines"):
            return None
        total = Decimal("0.00")
        problems = []
        self.lines.blockSignals(True)
        try:
            for r in range(self.lines.rowCount()):
                if not any(self._text(r, c) for c in range(4)):
                    self.lines.item(r, 4).setText("")
                    continue
                try:
                    qty = Decimal(self._text(r, 2))
                    price = Decimal(self._text(r, 3))
                    if not qty.is_finite() or not price.is_finite():
                        raise InvalidOperation
                except InvalidOperation:
                    self.lines.item(r, 4).setText("")
                    problems.append(f"line {r + 1}: give a quantity and a price")
                    continue
                if qty <= 0 or qty != qty.quantize(Decimal("0.001"), rounding="ROUND_DOWN"):
                    problems.append(f"line {r + 1}: the quantity must be more than 0, at most 3 decimals")
                if price < 0 or price != price.quantize(Decimal("0.01"), rounding="ROUND_DOWN"):
                    problems.append(f"line {r + 1}: the price must be 0 or more, in cents")
                line_total = (qty * price).quantize(Decimal("0.01"))
                self.lines.item(r, 4).setText(fmt(line_total))
                total += line_total
        finally:
            self.lines.blockSignals(False)
        self.total_label.setText(f"Total {self.currency.currentText().upper()} {fmt(total)}")
        if not self.line_values():
            return "Add at least one line."
        if len(self.currency.currentText().strip()) != 3:
            return "The currency is a three-letter code such as NZD."
        return "; ".join(problems).capitalize() if problems else None

    def _write(self, session: Any) -> order_service.CreatedOrder:
        data: dict[str, Any] = {
            "order_date": _date(self.order_date), "currency_code": self.currency.currentText().strip(),
            "status": self.status.currentData(), "lines": self.line_values(),
        }
        if self.number.text().strip():
            data["order_number"] = self.number.text().strip()
        return order_service.create_sales_order(session, self.customer_id, data)


# --- payment ------------------------------------------------------------------------------------


class PaymentDialog(_EntryDialog):
    """A payment against one of the customer's unpaid orders (at most its outstanding)."""

    def __init__(self, db: Database, customer_id: int, order_id: int | None = None, parent: QWidget | None = None):
        super().__init__(db, "Record payment", parent)
        with db.read() as s:
            self.orders: list[OrderAmounts] = money.unpaid_orders(s, customer_id).orders
        self.order = QComboBox()
        for o in self.orders:
            self.order.addItem(f"{o.order_number} — {o.order_date.isoformat()} — {o.currency_code} "
                               f"{fmt(o.outstanding)} outstanding", o.id)
        if order_id is not None:
            self.order.setCurrentIndex(max(self.order.findData(order_id), 0))
        self.amount = QLineEdit()
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.payment_date = _date_edit()
        self.method = QComboBox()
        self.method.setEditable(True)
        self.method.addItems(PAYMENT_METHODS)
        self.reference = QLineEdit(placeholderText="bank or card reference (optional)")
        self.reference.setMaxLength(m.NAME_LEN)
        self.form.addRow(_buddy("&Order:", self.order), self.order)
        self.form.addRow(_buddy("&Amount:", self.amount), self.amount)
        self.form.addRow(_buddy("&Date:", self.payment_date), self.payment_date)
        self.form.addRow(_buddy("&Method:", self.method), self.method)
        self.form.addRow(_buddy("&Reference:", self.reference), self.reference)
        self.order.currentIndexChanged.connect(self._order_chosen)
        self.amount.textChanged.connect(lambda _t: self.recheck())
        self._order_chosen()
        self.resize(520, 0)
        self.finish_layout()
        self.amount.setFocus()
        self.amount.selectAll()

    def current_order(self) -> OrderAmounts | None:
        return next((o for o in self.orders if o.id == self.order.currentData()), None)

    def _order_chosen(self, _index: int = -1) -> None:
        order = self.current_order()
        self.amount.setText(f"{order.outstanding:.2f}" if order else "")
        self.amount.selectAll()

    def problem(self) -> str | None:
        if not hasattr(self, "amount"):
            return None
        order = self.current_order()
        if order is None:
            return "The customer has no unpaid order."
        try:
            amount = parse_amount(self.amount.text())
        except AmountError as exc:
            return f"The amount {exc}."
        if amount > order.outstanding:
            return f"{fmt(amount)} is more than the {fmt(order.outstanding)} outstanding on {order.order_number}."
        return None

    def _write(self, session: Any) -> order_service.RecordedPayment:
        order = self.current_order()
        assert order is not None
        return order_service.record_payment(session, order.id, {
            "amount": self.amount.text(), "payment_date": _date(self.payment_date),
            "method": self.method.currentText(), "external_reference": self.reference.text()})


# --- sales credit -------------------------------------------------------------------------------


class CreditDialog(_EntryDialog):
    def __init__(self, db: Database, customer_id: int, customer_name: str, parent: QWidget | None = None):
        super().__init__(db, f"New sales credit — {customer_name}", parent)
        self.customer_id = customer_id
        with db.read() as s:
            currency = order_service.last_currency(s, customer_id)
            orders = list(s.execute(select(m.SalesOrder.id, m.SalesOrder.order_number, m.SalesOrder.currency_code)
                                    .where(m.SalesOrder.customer_id == customer_id)
                                    .order_by(m.SalesOrder.order_date.desc(), m.SalesOrder.id.desc()).limit(500)))
        self.number = QLineEdit(placeholderText="generated (SC-…) when left empty")
        self.number.setMaxLength(50)
        self.credit_date = _date_edit()
        self.currency = _currency_combo(currency)
        self.total = QLineEdit()
        self.total.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.order = QComboBox()
        self.order.addItem("(none)", None)
        for oid, number, cur in orders:
            self.order.addItem(f"{number} ({cur})", oid)
        self.note = QPlainTextEdit()
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(70)
        self.form.addRow(_buddy("Credit &number:", self.number), self.number)
        self.form.addRow(_buddy("&Date:", self.credit_date), self.credit_date)
        self.form.addRow(_buddy("C&urrency:", self.currency), self.currency)
        self.form.addRow(_buddy("&Total:", self.total), self.total)
        self.form.addRow(_buddy("For &order:", self.order), self.order)
        self.form.addRow(_buddy("N&ote:", self.note), self.note)
        self.total.textChanged.connect(lambda _t: self.recheck())
        self.currency.currentTextChanged.connect(lambda _t: self.recheck())
        self.resize(520, 0)
        self.finish_layout()
        self.total.setFocus()

    def problem(self) -> str | None:
        if not hasattr(self, "total"):
            return None
        if not self.total.text().strip():
            return "Type the credit's total."
        try:
            parse_amount(self.total.text())
        except AmountError as exc:
            return f"The total {exc}."
        if len(self.currency.currentText().strip()) != 3:
            return "The currency is a three-letter code such as NZD."
        return None

    def _write(self, session: Any) -> order_service.CreatedCredit:
        data: dict[str, Any] = {"credit_date": _date(self.credit_date), "total": self.total.text(),
                                "currency_code": self.currency.currentText().strip(),
                                "sales_order_id": self.order.currentData(),
                                "sales_credit_note": self.note.toPlainText()}
        if self.number.text().strip():
            data["sales_credit_number"] = self.number.text().strip()
        return order_service.create_sales_credit(session, self.customer_id, data)


# --- fulfilment ---------------------------------------------------------------------------------

FULFIL_COLUMNS = ("SKU", "Description", "Ordered", "Fulfilled", "To fulfil")


class FulfilmentDialog(_EntryDialog):
    """A pending fulfilment of an order's lines (for shipping): each quantity at most what is unfulfilled."""

    def __init__(self, db: Database, customer_id: int, order_id: int | None = None, parent: QWidget | None = None):
        super().__init__(db, "Fulfil order", parent)
        with db.read() as s:
            self.choices = order_service.orders_to_fulfil(s, customer_id)
            warehouses = list(s.execute(select(m.Warehouse.id, m.Warehouse.name).order_by(m.Warehouse.name)))
            customer = s.get(m.Customer, customer_id)
            default_warehouse = customer.warehouse_id if customer is not None else None
        self.order = QComboBox()
        for c in self.choices:
            self.order.addItem(f"{c.order_number} — {c.order_date.isoformat()} ({c.status})", c.id)
        if order_id is not None:
            self.order.setCurrentIndex(max(self.order.findData(order_id), 0))
        self.warehouse = QComboBox()
        self.warehouse.addItem("(none)", None)
        for wid, name in warehouses:
            self.warehouse.addItem(name, wid)
        self.warehouse.setCurrentIndex(max(self.warehouse.findData(default_warehouse), 0))
        self.form.addRow(_buddy("&Order:", self.order), self.order)
        self.form.addRow(_buddy("&Warehouse:", self.warehouse), self.warehouse)
        self.lines = QTableWidget(0, len(FULFIL_COLUMNS))
        self.lines.setHorizontalHeaderLabels(list(FULFIL_COLUMNS))
        self.lines.setAccessibleName("Lines to fulfil")
        self.lines.verticalHeader().hide()
        self.lines.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.lines.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.lines.itemChanged.connect(lambda _i: self.recheck())
        self.outer.addWidget(_buddy("&Lines:", self.lines))
        self.outer.addWidget(self.lines, 1)
        self.line_rows: list[order_service.FulfilmentLine] = []
        self.order.currentIndexChanged.connect(self._order_chosen)
        self._order_chosen()
        self.resize(640, 380)
        self.finish_layout()

    def _order_chosen(self, _index: int = -1) -> None:
        order_id = self.order.currentData()
        self.line_rows = []
        if order_id is not None:
            with self.db.read() as s:
                self.line_rows = order_service.fulfilment_lines(s, order_id)
        self.lines.blockSignals(True)
        self.lines.setRowCount(len(self.line_rows))
        for r, line in enumerate(self.line_rows):
            for col, text in enumerate((line.sku or "", line.description or "", f"{line.quantity.normalize():f}",
                                        f"{line.fulfilled.normalize():f}", f"{line.unfulfilled.normalize():f}")):
                item = QTableWidgetItem(text)
                if col != 4:
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                if col >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.lines.setItem(r, col, item)
        self.lines.blockSignals(False)
        self.recheck()

    def quantities(self) -> dict[int, str]:
        return {line.id: (self.lines.item(r, 4).text().strip() or "0") for r, line in enumerate(self.line_rows)}

    def set_quantity(self, row: int, text: str) -> None:
        self.lines.item(row, 4).setText(text)

    def problem(self) -> str | None:
        if not hasattr(self, "line_rows"):
            return None
        if not self.line_rows:
            return "The customer has no order with anything left to fulfil."
        any_quantity = False
        for r, line in enumerate(self.line_rows):
            text = self.lines.item(r, 4).text().strip() or "0"
            try:
                qty = Decimal(text)
                if not qty.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                return f"Line {r + 1}: {text!r} is not a quantity."
            if qty < 0 or qty != qty.quantize(Decimal("0.001"), rounding="ROUND_DOWN"):
                return f"Line {r + 1}: a quantity is 0 or more, with at most 3 decimals."
            if qty > line.unfulfilled:
                return (f"Line {r + 1}: {qty.normalize():f} is more than the "
                        f"{line.unfulfilled.normalize():f} still to fulfil.")
            any_quantity = any_quantity or qty > 0
        return None if any_quantity else "Give a quantity to fulfil for at least one line."

    def _write(self, session: Any) -> order_service.CreatedFulfilment:
        return order_service.create_fulfillment(session, self.order.currentData(), self.quantities(),
                                                warehouse_id=self.warehouse.currentData())
