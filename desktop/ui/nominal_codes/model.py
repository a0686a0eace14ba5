"""The Nominal codes table: one row per code with what uses it (order lines, mapping settings), sorted
naturally by code; roles give the row, its id and whether it can be deleted."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

from desktop.services import nominal_codes as svc
from desktop.services.nominal_codes import NominalCodeRow

Index = QModelIndex | QPersistentModelIndex


class NominalCodeRole(IntEnum):
    Row = Qt.ItemDataRole.UserRole + 1  # the NominalCodeRow
    Id = Qt.ItemDataRole.UserRole + 2
    Deletable = Qt.ItemDataRole.UserRole + 3


COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "Code"), ("name", "Name"), ("type", "Type"), ("order_lines", "Order lines"),
    ("mappings", "Mapping settings"),
)
NUMERIC = frozenset({"order_lines"})


def _sort_value(row: NominalCodeRow, key: str) -> Any:
    if key == "code":
        return svc.natural_key(row.code)
    if key == "order_lines":
        return row.usage.order_lines
    if key == "mappings":
        return (len(row.usage.mappings), row.usage.mappings)
    return str(getattr(row, key)).casefold()


class NominalCodeTableModel(QAbstractTableModel):
    """The codes (a short list, held whole), sorted in Python by the clicked column. A new read of the same
    codes changes only the cells that differ; a reset only when codes come or go."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[NominalCodeRow] = []
        self._sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)

    # --- reading ---------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[section][0] in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(COLUMNS):
            return None
        row = self._rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "order_lines":
                return f"{row.usage.order_lines:,}"
            if key == "mappings":
                return ", ".join(svc.setting_label(s) for s in row.usage.mappings)
            return getattr(row, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.label}: {row.verdict()}"
        if role == Qt.ItemDataRole.TextAlignmentRole and key in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == NominalCodeRole.Row:
            return row
        if role == NominalCodeRole.Id:
            return row.id
        if role == NominalCodeRole.Deletable:
            return row.deletable
        return None

    def code_row(self, row: int) -> NominalCodeRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, code_id: int) -> int | None:
        return next((r for r, c in enumerate(self._rows) if c.id == code_id), None)

    def rows(self) -> list[NominalCodeRow]:
        return list(self._rows)

    # --- changing --------------------------------------------------------------------------------

    def _sorted(self, rows: Sequence[NominalCodeRow]) -> list[NominalCodeRow]:
        column, order = self._sort
        key = COLUMNS[column][0]
        ordered = sorted(rows, key=lambda r: (_sort_value(r, key), svc.natural_key(r.code), r.id))
        return ordered[::-1] if order == Qt.SortOrder.DescendingOrder else ordered

    def set_rows(self, rows: Sequence[NominalCodeRow]) -> None:
        new = self._sorted(rows)
        if [r.id for r in new] != [r.id for r in self._rows]:
            self.beginResetModel()
            self._rows = new
            self.endResetModel()
            return
        old, self._rows = self._rows, new
        for r, (before, after) in enumerate(zip(old, new)):
            if before != after:
                self.dataChanged.emit(self.index(r, 0), self.index(r, len(COLUMNS) - 1))

    def update_rows(self, rows: Sequence[NominalCodeRow]) -> None:
        """Fresher copies of rows already shown (after a check): their cells change, nothing moves."""
        fresh = {r.id: r for r in rows}
        for r, current in enumerate(self._rows):
            newer = fresh.get(current.id)
            if newer is not None and newer != current:
                self._rows[r] = newer
                self.dataChanged.emit(self.index(r, 0), self.index(r, len(COLUMNS) - 1))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        ids = [self._rows[i.row()].id if 0 <= i.row() < len(self._rows) else None for i in before]
        self._rows = self._sorted(self._rows)
        position = {r.id: n for n, r in enumerate(self._rows)}
        after = [self.index(position[i], p.column()) if i in position else QModelIndex()
                 for i, p in zip(ids, before)]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

