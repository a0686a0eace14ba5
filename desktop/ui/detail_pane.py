"""The detail pane beside the customer table: Details, Addresses and History tabs of one customer."""

from __future__ import annotations

import json
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.services import addresses as address_service
from desktop.services import changelog
from desktop.services.addresses import AddressView
from desktop.services.customers import CustomerDetail, get_customer
from desktop.services.errors import DomainError, NotFound
from desktop.store import models as m
from desktop.store.engine import Database

Index = QModelIndex | QPersistentModelIndex


class Role(IntEnum):
    Address = Qt.ItemDataRole.UserRole + 1


class AddressTableModel(QAbstractTableModel):
    COLUMNS = ("Default", "Label", "Address", "City", "Zip", "Country")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[AddressView] = []

    def set_addresses(self, rows: list[AddressView]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def address(self, row: int) -> AddressView | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        a = self._rows[index.row()]
        if role == Role.Address:
            return a
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                marks = [name for flag, name in ((a.is_default_shipping, "Shipping"),
                                                 (a.is_default_billing, "Billing")) if flag]
                return " + ".join(marks)
            lines = ", ".join(p for p in (a.address1, a.address2, a.address3) if p)
            return (None, a.label, lines, a.city, a.zip, a.country_code or a.country)[index.column()]
        if role == Qt.ItemDataRole.FontRole and index.column() == 0 and (a.is_default_shipping or a.is_default_billing):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return a.one_line()
        return None


class HistoryModel(QAbstractTableModel):
    COLUMNS = ("When (UTC)", "Who", "What", "Changes")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[tuple[str, str, str, str]] = []

    def set_entries(self, entries: list[m.ChangeLog]) -> None:
        self.beginResetModel()
        self._rows = [
            (e.created_at.strftime("%Y-%m-%d %H:%M:%S"), e.os_user or "", f"{e.entity} {e.action}",
             describe_changes(e.changes))
            for e in entries
        ]
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]
        return None


def describe_changes(changes: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        return "—" if value in (None, "") else (value if isinstance(value, str) else json.dumps(value))

    return "; ".join(f"{field}: {show(before)} → {show(after)}" for field, (before, after) in changes.items())


class CustomerDetailPane(QTabWidget):
    """Shows one customer. Emits `changed(customer_id)` after an address action changed it."""

    changed = Signal(int)

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.customer: CustomerDetail | None = None
        self._build_details()
        self._build_addresses()
        self._build_history()
        self.show_customer(None)

    # --- building -------------------------------------------------------------------------------

    def _build_details(self) -> None:
        page = QWidget()
        self.form = QFormLayout(page)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.labels: dict[str, QLabel] = {}
        for key, title in (
            ("name", "Name"), ("company", "Company"), ("email", "Email"), ("phone", "Phone"), ("fax", "Fax"),
            ("shipping", "Default shipping"), ("billing", "Default billing"),
            ("sales_rep", "Sales rep"), ("pricing_tier", "Pricing tier"), ("store", "Store"),
            ("warehouse", "Warehouse"), ("ship_domestic", "Shipping (domestic)"),
            ("ship_international", "Shipping (international)"), ("notes", "Notes"), ("status", "Status"),
            ("created", "Created"), ("updated", "Updated"),
        ):
            label = QLabel()
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            self.labels[key] = label
            self.form.addRow(f"{title}:", label)
        self.addTab(page, "&Details")

    def _build_addresses(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.address_model = AddressTableModel(self)
        self.address_view = QTableView()
        self.address_view.setModel(self.address_model)
        self.address_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.address_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.address_view.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.address_view.verticalHeader().hide()
        self.address_view.doubleClicked.connect(lambda _i: self.edit_address())
        layout.addWidget(self.address_view)
        buttons = QHBoxLayout()
        self.address_buttons: dict[str, QPushButton] = {}
        for key, text, slot in (
            ("add", "&Add…", self.add_address), ("edit", "&Edit…", self.edit_address),
            ("delete", "De&lete", self.delete_address),
            ("shipping", "Default s&hipping", lambda: self.set_default("shipping")),
            ("billing", "Default &billing", lambda: self.set_default("billing")),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.address_buttons[key] = button
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.address_view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.addTab(page, "&Addresses")

    def _build_history(self) -> None:
        self.history_model = HistoryModel(self)
        self.history_view = QTableView()
        self.history_view.setModel(self.history_model)
        self.history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_view.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.history_view.verticalHeader().hide()
        self.history_view.setWordWrap(False)
        self.addTab(self.history_view, "&History")

    # --- showing --------------------------------------------------------------------------------

    def show_customer(self, customer_id: int | None) -> None:
        self.customer = None
        names: dict[str, str | None] = {}
        entries: list[m.ChangeLog] = []
        if customer_id is not None:
            try:
                with self.db.read() as s:
                    self.customer = get_customer(s, customer_id)
                    names = _reference_names(s, self.customer)
                    entries = changelog.history(s, "customer", customer_id)
                    address_ids = [a.id for a in self.customer.addresses]
                    for address_id in address_ids:
                        entries += changelog.history(s, "address", address_id, limit=50)
            except NotFound:
                self.customer = None
        entries.sort(key=lambda e: e.id, reverse=True)
        c = self.customer
        self.setEnabled(c is not None)
        values: dict[str, str] = {}
        if c is not None:
            values = {
                "name": c.name, "company": c.company or "", "email": c.email or "", "phone": c.phone or "",
                "fax": c.fax or "", "notes": c.notes or "",
                "shipping": c.default_shipping_address.one_line() if c.default_shipping_address else "",
                "billing": c.default_billing_address.one_line() if c.default_billing_address else "",
                "status": f"Archived {c.archived_at:%Y-%m-%d}" if c.archived_at else "Active",
                "created": f"{c.created_at:%Y-%m-%d %H:%M}", "updated": f"{c.updated_at:%Y-%m-%d %H:%M}",
                **{k: v or "" for k, v in names.items()},
            }
        for key, label in self.labels.items():
            label.setText(values.get(key, ""))
        self.address_model.set_addresses(c.addresses if c else [])
        self.history_model.set_entries(entries)
        self._update_buttons()

    def _selected_address(self) -> AddressView | None:
        rows = self.address_view.selectionModel().selectedRows()
        return self.address_model.address(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        selected = self._selected_address()
        self.address_buttons["add"].setEnabled(self.customer is not None)
        for key in ("edit", "delete", "shipping", "billing"):
            self.address_buttons[key].setEnabled(selected is not None)

    # --- address actions ------------------------------------------------------------------------

    def _after_change(self) -> None:
        assert self.customer is not None
        customer_id = self.customer.id
        self.show_customer(customer_id)
        self.changed.emit(customer_id)

    def add_address(self) -> None:
        if self.customer is None:
            return
        from desktop.ui.address_form import AddressForm

        form = AddressForm.for_add(self.db, self.customer.id, self)
        if form.exec():
            self._after_change()

    def edit_address(self) -> None:
        address = self._selected_address()
        if address is None:
            return
        from desktop.ui.address_form import AddressForm

        form = AddressForm.for_edit(self.db, address.customer_id, address.id, self)
        if form.exec():
            self._after_change()

    def delete_address(self) -> None:
        from desktop.ui import messages

        address = self._selected_address()
        if address is None:
            return
        if not messages.ask(self, "Delete address", f"Delete the address {address.one_line()}?", "Delete"):
            return
        try:
            with self.db.transaction() as s:
                address_service.delete_address(s, address.id, expected_version=address.version)
        except DomainError as exc:
            messages.show_error(self, exc)
            return
        self._after_change()

    def set_default(self, role: str) -> None:
        from desktop.ui import messages

        address = self._selected_address()
        if address is None or self.customer is None:
            return
        try:
            with self.db.transaction() as s:
                address_service.set_default_address(s, self.customer.id, address.id, role)
        except DomainError as exc:
            messages.show_error(self, exc)
            return
        self._after_change()


def _reference_names(session: Any, c: CustomerDetail) -> dict[str, str | None]:
    def name(model: type[Any], ref: int | None) -> str | None:
        row = session.get(model, ref) if ref else None
        return row.name if row is not None else None

    return {
        "sales_rep": c.default_sales_rep,
        "pricing_tier": name(m.PricingTier, c.product_pricing_tier_id),
        "store": name(m.Store, c.store_id),
        "warehouse": name(m.Warehouse, c.warehouse_id),
        "ship_domestic": name(m.ShippingMethod, c.shipping_method_domestic_id),
        "ship_international": name(m.ShippingMethod, c.shipping_method_international_id),
    }
