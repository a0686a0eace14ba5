"""The import dialog's answer to a file whose encoding is unclear: the two candidates side by side, with the
lines of the file that read differently in them, and a button for each. The clerk sees which one spells
the names right and picks it; the dialog remembers the choice for files named alike.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.importing.encodings import Candidate, common_name, differing_lines

Index = QModelIndex | QPersistentModelIndex
SHOWN_LINES = 8
MAX_LINE = 240  # characters of a line shown (a line of a file can be as long as it likes)


class DifferencesModel(QAbstractTableModel):
    """Lines of the file as each candidate reads them: one column per candidate."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._titles: list[str] = []
        self._lines: list[tuple[str, str]] = []

    def set_candidates(self, first: Candidate | None, second: Candidate | None) -> None:
        self.beginResetModel()
        if first is None or second is None:
            self._titles, self._lines = [], []
        else:
            self._titles = [first.label, second.label]
            self._lines = differing_lines(first, second, SHOWN_LINES)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._titles)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self._titles):
            return self._titles[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._lines)) or not (0 <= index.column() < 2):
            return None
        text = self._lines[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return text if len(text) <= MAX_LINE else text[:MAX_LINE - 1] + "…"
        if role == Qt.ItemDataRole.ToolTipRole:
            return text[:2000]
        return None


class EncodingChoice(QGroupBox):
    """Shown when the file reads as two encodings equally well; `chosen(codec)` when the clerk picks one."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Which encoding is right?", parent)
        self.candidates: tuple[Candidate, Candidate] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        layout.addWidget(self.explanation)
        self.model = DifferencesModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Lines that read differently")
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view.setMaximumHeight((self.fontMetrics().height() + 6) * (SHOWN_LINES + 1) + 8)
        layout.addWidget(self.view)
        buttons = QHBoxLayout()
        self.first_button = QPushButton()
        self.second_button = QPushButton()
        for button, which in ((self.first_button, 0), (self.second_button, 1)):
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, w=which: self._pick(w))
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.hide()

    def show_candidates(self, first: Candidate, second: Candidate) -> None:
        self.candidates = (first, second)
        self.model.set_candidates(first, second)
        self.explanation.setText(
            f"This file reads as {common_name(first.codec)} or as {common_name(second.codec)}, and the two give "
            f"different text. Look at the lines below: choose the one whose names are spelt right. The choice "
            f"is remembered for files named like this one.")
        self.first_button.setText(f"&1  Read as {common_name(first.codec)}")
        self.second_button.setText(f"&2  Read as {common_name(second.codec)}")
        self.show()

    def clear(self) -> None:
        self.candidates = None
        self.model.set_candidates(None, None)
        self.hide()

    def _pick(self, which: int) -> None:
        if self.candidates is not None:
            codec = self.candidates[which].codec
            self.clear()
            self.chosen.emit(codec)
