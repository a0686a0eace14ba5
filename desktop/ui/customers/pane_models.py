"""The detail pane's item models: the customer's addresses, and its history (the ChangeLog of the
customer and of its addresses, in words a clerk reads)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QWidget,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.services import changelog
from desktop.services.addresses import AddressView
from desktop.services.customers import CustomerDetail
from desktop.store import models as m
from desktop.ui.common import messages
from desktop.ui.common.formats import local_time

Index = QModelIndex | QPersistentModelIndex

HISTORY_LIMIT = 500
EMPTY = "—"


class Role(IntEnum):
    Address = Qt.ItemDataRole.UserRole + 1


class _RowsModel(QAbstractTableModel):
    """A read-only table over a small list held in `_rows`, with fixed `COLUMNS` titles."""

    COLUMNS: tuple[str, ...] = ()
    _rows: list[Any]

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(self.COLUMNS)):
            return self.COLUMNS[section]
        return None


class AddressTableModel(_RowsModel):
    COLUMNS = ("Default", "Label", "Address")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[AddressView] = []

    def set_addresses(self, rows: list[AddressView]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def address(self, row: int) -> AddressView | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, address_id: int) -> int | None:
        return next((r for r, a in enumerate(self._rows) if a.id == address_id), None)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        a = self._rows[index.row()]
        if role == Role.Address:
            return a
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return default_marks(a)
            if index.column() == 1:
                return a.label
            return address_text(a)
        if role == Qt.ItemDataRole.FontRole and index.column() == 0 and (a.is_default_shipping or a.is_default_billing):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return a.one_line()
        return None


def address_text(a: AddressView) -> str:
    """Two lines: the street lines, then city, province, zip and country."""
    street = ", ".join(p for p in (a.address1, a.address2, a.address3) if p)
    place = " ".join(p for p in (a.city, a.province_code or a.province, a.zip) if p)
    country = a.country_code or a.country
    place = ", ".join(p for p in (place, country) if p)
    return "\n".join(p for p in (street, place) if p)


def default_marks(a: AddressView) -> str:
    marks = [name for flag, name in ((a.is_default_shipping, "Shipping"), (a.is_default_billing, "Billing")) if flag]
    return " + ".join(marks)


# --- history ------------------------------------------------------------------------------------

# (entity, action) -> what the clerk reads; unknown pairs fall back to "Entity action".
ACTIONS = {
    ("customer", "create"): "Customer created",
    ("customer", "update"): "Details changed",
    ("customer", "delete"): "Customer deleted",
    ("customer", "archive"): "Archived",
    ("customer", "unarchive"): "Unarchived",
    ("customer", "set_default_shipping"): "Default shipping address changed",
    ("customer", "set_default_billing"): "Default billing address changed",
    ("address", "create"): "Address added",
    ("address", "update"): "Address changed",
    ("address", "delete"): "Address deleted",
}
HISTORY_LABELS = {
    "default_shipping_address_id": "Default shipping address",
    "default_billing_address_id": "Default billing address",
    "archived_at": "Archived",
}
HIDDEN_FIELDS = frozenset({"customer_id"})  # always this customer


def _label(field: str) -> str:
    if field.startswith("shipping."):
        return f"Shipping address {_label(field.removeprefix('shipping.')).lower()}"
    return HISTORY_LABELS.get(field) or messages.field_label(field)


def _shown(value: Any, field: str = "", addresses: Mapping[int, str] | None = None) -> str:
    if value in (None, ""):
        return EMPTY
    if field.endswith("_address_id") and isinstance(value, int):
        return (addresses or {}).get(value) or f"address {value} (since deleted)"
    if isinstance(value, str):
        # ISO timestamps (archived_at) read better without the T and the seconds' fraction.
        if len(value) >= 19 and value[4] == "-" and value[10] == "T":
            return value[:16].replace("T", " ")
        return value.replace("\n", " ⏎ ")
    return json.dumps(value)


def describe_changes(changes: Mapping[str, Any], addresses: Mapping[int, str] | None = None) -> str:
    """'Phone: +64 1 → +64 2; City: — → Napier'; a creation lists only the values it set, a deletion
    the values it removed. Address ids are shown as the addresses (`addresses`: id -> one line)."""
    pairs = [(f, v) for f, v in changes.items()
             if f not in HIDDEN_FIELDS and isinstance(v, (list, tuple)) and len(v) == 2]

    def shown(field: str, value: Any) -> str:
        return _shown(value, field, addresses)

    if pairs and all(before in (None, "") for _f, (before, _after) in pairs):
        return "; ".join(f"{_label(f)}: {shown(f, after)}" for f, (_before, after) in pairs
                         if after not in (None, ""))
    if pairs and all(after in (None, "") for _f, (_before, after) in pairs):
        return "; ".join(f"{_label(f)} was {shown(f, before)}" for f, (before, _after) in pairs
                         if before not in (None, ""))
    return "; ".join(f"{_label(f)}: {shown(f, before)} → {shown(f, after)}" for f, (before, after) in pairs)


def describe_action(entity: str, action: str) -> str:
    return ACTIONS.get((entity, action)) or f"{entity.capitalize()} {action.replace('_', ' ')}"


@dataclass(frozen=True)
class HistoryEntry:
    """One ChangeLog row, copied out of its session (a read session expires what it loaded)."""

    id: int
    created_at: dt.datetime
    os_user: str | None
    entity: str
    entity_id: int
    action: str
    changes: dict[str, Any]

    @classmethod
    def of(cls, row: m.ChangeLog) -> HistoryEntry:
        return cls(row.id, row.created_at, row.os_user, row.entity, row.entity_id, row.action,
                   dict(row.changes or {}))


class HistoryRole(IntEnum):
    Who = Qt.ItemDataRole.UserRole + 1
    What = Qt.ItemDataRole.UserRole + 2
    Changes = Qt.ItemDataRole.UserRole + 3


class HistoryModel(_RowsModel):
    """Newest first; two columns that fit a narrow pane: when (and who, below), and what changed (the
    action, then the values below it). The parts are also available by HistoryRole."""

    COLUMNS = ("When", "Change")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[tuple[str, str, str, str]] = []

    def set_entries(self, entries: Sequence[HistoryEntry | m.ChangeLog],
                    addresses: Mapping[int, str] | None = None) -> None:
        self.beginResetModel()
        self._rows = [
            (f"{local_time(e.created_at):%Y-%m-%d %H:%M}", e.os_user or "",
             describe_action(e.entity, e.action), describe_changes(e.changes or {}, addresses))
            for e in entries
        ]
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        when, who, what, changes = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if index.column() == 0:
                return f"{when}\n{who}" if who else when
            return f"{what}\n{changes}" if changes else what
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        if role == HistoryRole.Who:
            return who
        if role == HistoryRole.What:
            return what
        if role == HistoryRole.Changes:
            return changes
        return None


def load_history(session: Session, customer: CustomerDetail) -> list[HistoryEntry]:
    """The customer's ChangeLog and that of its addresses, newest first."""
    entries = changelog.history(session, "customer", customer.id, limit=HISTORY_LIMIT)
    address_ids = [a.id for a in customer.addresses]
    if address_ids:
        entries += session.scalars(
            select(m.ChangeLog)
            .where(m.ChangeLog.entity == "address", m.ChangeLog.entity_id.in_(address_ids))
            .order_by(m.ChangeLog.id.desc()).limit(HISTORY_LIMIT)
        ).all()
    entries.sort(key=lambda e: e.id, reverse=True)
    return [HistoryEntry.of(e) for e in entries[:HISTORY_LIMIT]]
