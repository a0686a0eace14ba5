"""Small helpers shared by the item views."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QAbstractItemView


def select_row(view: QAbstractItemView, row: int) -> None:
    """Make `row` the selection and the current row.

    `QTableView.selectRow` follows the keyboard modifiers Qt last saw: with Ctrl still down from a
    shortcut it toggles the row instead, and can leave nothing selected. Programmatic selection must not
    depend on that.
    """
    model = view.model()
    if model is None or not 0 <= row < model.rowCount():
        return
    flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    view.selectionModel().setCurrentIndex(model.index(row, 0), flags)
