"""Small helpers shared by the item views."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel
from PySide6.QtWidgets import QAbstractItemView, QTableView


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


def record_table(model: QAbstractItemModel, name: str = "", *, multi: bool = False) -> QTableView:
    """A read-only table of records: whole rows selected (one, or several with `multi`), alternating
    colours, one line per row at a height that follows the font, no row numbers, no highlighted headers."""
    view = QTableView()
    view.setModel(model)
    if name:
        view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                          else QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.horizontalHeader().setHighlightSections(False)
    return view
