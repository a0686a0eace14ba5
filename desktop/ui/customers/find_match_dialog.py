"""Find Customer Match (DESIGN §2 item 5): name, zip and address 1 in, ranked candidates out; and the
candidate table the customer form reuses for its duplicate warning."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.services.errors import MatchCandidate
from desktop.services.matching import find_customer_match
from desktop.services.validation import LOCATION_FIELDS
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.views import select_row

Index = QModelIndex | QPersistentModelIndex


class Role(IntEnum):
    Candidate = Qt.ItemDataRole.UserRole + 1  # the row's MatchCandidate
    CustomerId = Qt.ItemDataRole.UserRole + 2


def _percent(value: float) -> str:
    return f"{value:.0f} %"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[MatchCandidate], Any]
    numeric: bool = False
    tooltip: str = ""


COLUMNS: dict[str, Column] = {
    "score": Column("Score", lambda c: _percent(c.score), True, "Overall match, best first"),
    "name_score": Column("Name %", lambda c: _percent(c.name_score), True, "How alike the names are"),
    "address_score": Column("Address %", lambda c: _percent(c.address1_score), True,
                            "How alike address 1 is (same zip)"),
    "customer_id": Column("Id", lambda c: str(c.customer_id), True, "Customer id"),
    "name": Column("Customer", lambda c: c.name),
    "company": Column("Company", lambda c: c.company or ""),
    "address1": Column("Address 1", lambda c: c.address1 or ""),
    "city": Column("City", lambda c: c.city or ""),
    "zip": Column("Zip", lambda c: c.zip or ""),
    "archived": Column("Archived", lambda c: "Archived" if c.archived else ""),
}
FIND_COLUMNS = ("score", "name_score", "address_score", "customer_id", "name", "company", "address1", "city",
                "zip", "archived")
DUPLICATE_COLUMNS = ("name", "company", "address1", "zip", "score", "name_score", "address_score",
                     "customer_id", "archived")


class MatchTableModel(QAbstractTableModel):
    """Match candidates in the order given (ranked), one per row; read-only."""

    def __init__(self, columns: Sequence[str] = FIND_COLUMNS, parent: QWidget | None = None):
        super().__init__(parent)
        self._columns = [COLUMNS[c] for c in columns]
        self._keys = tuple(columns)
        self._rows: list[MatchCandidate] = []

    def set_candidates(self, candidates: Sequence[MatchCandidate]) -> None:
        self.beginResetModel()  # a new search: a new result set
        self._rows = list(candidates)
        self.endResetModel()

    def candidate(self, row: int) -> MatchCandidate | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def column_of(self, key: str) -> int:
        return self._keys.index(key)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        column = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip or None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        candidate = self.candidate(index.row())
        if candidate is None or not 0 <= index.column() < len(self._columns):
            return None
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.value(candidate)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{candidate.name}: name {_percent(candidate.name_score)}, address 1 "
                    f"{_percent(candidate.address1_score)}, zip {_percent(candidate.zip_score)}"
                    f" — overall {_percent(candidate.score)}")
        if role == Qt.ItemDataRole.ForegroundRole and candidate.archived:
            return QBrush(QPalette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        if role == Role.Candidate:
            return candidate
        if role == Role.CustomerId:
            return candidate.customer_id
        return None


class CandidateView(QTableView):
    """A read-only row-selecting table where Enter, like a double-click, means "take this one"."""

    chosen = Signal(int)  # the row

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.horizontalHeader().setHighlightSections(False)
        self.horizontalHeader().setStretchLastSection(False)
        self.doubleClicked.connect(lambda index: self.chosen.emit(index.row()))

    def setModel(self, model: QAbstractItemModel | None) -> None:  # noqa: N802 - Qt override
        super().setModel(model)
        # The customer's name takes the spare width, not the narrow flag column at the end.
        if isinstance(model, MatchTableModel) and "name" in model._keys:
            self.horizontalHeader().setSectionResizeMode(
                model.column_of("name"), QHeaderView.ResizeMode.Stretch
            )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.chosen.emit(self.currentIndex().row())
            event.accept()
            return
        super().keyPressEvent(event)

    def current_row(self) -> int | None:
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        return rows[0].row() if rows else None

    def fit_columns(self) -> None:
        self.resizeColumnsToContents()
        header = self.horizontalHeader()
        for section in range(header.count()):
            header.resizeSection(section, min(header.sectionSize(section), 260))


class FindMatchDialog(QDialog):
    """Search for a customer by name, zip and address 1. After `accept`: `chosen_customer_id`."""

    def __init__(self, db: Database, parent: QWidget | None = None, *, name: str = "", zip_code: str = "",
                 address1: str = ""):
        super().__init__(parent)
        self.db = db
        self.chosen_customer_id: int | None = None
        self.setWindowTitle("Find customer match")

        self.name_edit = QLineEdit(name)
        self.name_edit.setMaxLength(m.NAME_LEN)
        self.zip_edit = QLineEdit(zip_code)
        self.zip_edit.setMaxLength(LOCATION_FIELDS["zip"])
        self.address1_edit = QLineEdit(address1)
        self.address1_edit.setMaxLength(LOCATION_FIELDS["address1"])
        self.find_button = QPushButton("&Find")
        self.find_button.setDefault(True)
        self.find_button.clicked.connect(self.find)

        inputs = QFormLayout()
        inputs.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for label, edit in (("&Name", self.name_edit), ("&Zip", self.zip_edit), ("&Address 1", self.address1_edit)):
            caption = QLabel(label)
            caption.setBuddy(edit)
            inputs.addRow(caption, edit)
            edit.textChanged.connect(self._inputs_changed)
        search_row = QHBoxLayout()
        search_row.addLayout(inputs, 1)
        find_column = QVBoxLayout()
        find_column.addStretch(1)
        find_column.addWidget(self.find_button)
        search_row.addLayout(find_column)

        self.model = MatchTableModel(FIND_COLUMNS, self)
        self.table = CandidateView(self)
        self.table.setModel(self.model)
        self.table.chosen.connect(self._choose_row)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.status = QLabel("Enter the name, zip and address 1 of the customer you are looking for.")
        self.status.setWordWrap(True)
        self.results_label = QLabel("&Matches")
        self.results_label.setBuddy(self.table)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.open_button = self.buttons.addButton("&Open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button.setEnabled(False)
        self.buttons.accepted.connect(self.open_selected)
        self.buttons.rejected.connect(self.reject)

        root = QVBoxLayout(self)
        root.addLayout(search_row)
        root.addWidget(self.results_label)
        root.addWidget(self.table, 1)
        root.addWidget(self.status)
        root.addWidget(self.buttons)
        self.resize(900, 420)
        self._inputs_changed()
        if name and zip_code and address1:
            self.find()

    def _inputs_changed(self) -> None:
        self.find_button.setEnabled(all(e.text().strip() for e in (self.name_edit, self.zip_edit, self.address1_edit)))

    def find(self) -> None:
        name, zip_code, address1 = (e.text().strip() for e in (self.name_edit, self.zip_edit, self.address1_edit))
        if not (name and zip_code and address1):
            self.status.setText("Enter all three: name, zip and address 1 (matches share the zip).")
            return
        try:
            with self.db.read() as session:
                candidates = find_customer_match(session, name, zip_code, address1, limit=50)
        except Exception as exc:  # noqa: BLE001 - explained, never a traceback
            messages.show_error(self, exc)
            return
        self.model.set_candidates(candidates)
        self.table.fit_columns()
        if candidates:
            self.status.setText(
                f"{len(candidates)} possible {'match' if len(candidates) == 1 else 'matches'}, best first. "
                "Double-click or press Enter on one to open it."
            )
            select_row(self.table, 0)
            self.table.setFocus()
        else:
            self.status.setText("No customer matches this name, zip and address 1.")

    def _selection_changed(self) -> None:
        self.open_button.setEnabled(self.table.current_row() is not None)

    def _choose_row(self, row: int) -> None:
        candidate = self.model.candidate(row)
        if candidate is not None:
            self.chosen_customer_id = candidate.customer_id
            self.accept()

    def open_selected(self) -> None:
        row = self.table.current_row()
        if row is not None:
            self._choose_row(row)
