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
from desktop.services.matching import find_by_any, find_customer_match
from desktop.services.validation import LOCATION_FIELDS
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.views import select_row

Index = QModelIndex | QPersistentModelIndex


class Role(IntEnum):
    Candidate = Qt.ItemDataRole.UserRole + 1  # the row's MatchCandidate
    CustomerId = Qt.ItemDataRole.UserRole + 2


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0f} %"


def _evidence(candidate: Any, field: str) -> float | None:
    """A field's score, from either kind of match (the seed's rule, or any fields)."""
    evidence = getattr(candidate, "evidence", None)
    if evidence is not None:
        return evidence.get(field)
    return getattr(candidate, {"name": "name_score", "address1": "address1_score", "zip": "zip_score"}[field])


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[MatchCandidate], Any]
    numeric: bool = False
    tooltip: str = ""


COLUMNS: dict[str, Column] = {
    "score": Column("Score", lambda c: _percent(c.score), True, "Overall match, best first"),
    "name_score": Column("Name %", lambda c: _percent(_evidence(c, "name")), True, "How alike the names are"),
    "address_score": Column("Address %", lambda c: _percent(_evidence(c, "address1")), True,
                            "How alike address 1 is"),
    "customer_id": Column("Id", lambda c: str(c.customer_id), True, "Customer id"),
    "name": Column("Customer", lambda c: c.name),
    "company": Column("Company", lambda c: c.company or ""),
    "address1": Column("Address 1", lambda c: c.address1 or ""),
    "city": Column("City", lambda c: c.city or ""),
    "zip": Column("Zip", lambda c: c.zip or ""),
    "archived": Column("Archived", lambda c: "Archived" if c.archived else ""),
    "email": Column("Email", lambda c: c.email or ""),
    "phone": Column("Phone", lambda c: getattr(c, "phone", None) or ""),
    "evidence": Column("Evidence", lambda c: _evidence_text(c), False, "How well each field given matches"),
}
FIND_COLUMNS = ("score", "name_score", "address_score", "customer_id", "name", "company", "address1", "city",
                "zip", "archived", "email", "phone", "evidence")
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
            return f"{candidate.name}: {_evidence_text(candidate)} — overall {_percent(candidate.score)}"
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


def _evidence_text(candidate: Any) -> str:
    if hasattr(candidate, "evidence_text"):
        return candidate.evidence_text()
    return (f"name {_percent(candidate.name_score)}, address 1 {_percent(candidate.address1_score)}, zip "
            f"{_percent(candidate.zip_score)}")


class FindMatchDialog(QDialog):
    """Search for a customer from whatever the clerk has: any of name, company, email, phone, zip,
    address 1 and city (each given counts, with its evidence). Name, zip and address 1 alone are the
    seed's rule (a shared zip, 90 % alike address 1), as the create warning applies it. After `accept`:
    `chosen_customer_id`."""

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
        self.company_edit = QLineEdit()
        self.company_edit.setMaxLength(m.COMPANY_LEN)
        self.email_edit = QLineEdit()
        self.email_edit.setMaxLength(m.EMAIL_LEN)
        self.phone_edit = QLineEdit()
        self.phone_edit.setMaxLength(m.PHONE_LEN)
        self.city_edit = QLineEdit()
        self.city_edit.setMaxLength(LOCATION_FIELDS["city"])
        self.find_button = QPushButton("&Find")
        self.find_button.setDefault(True)
        self.find_button.clicked.connect(self.find)

        inputs = QFormLayout()
        inputs.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.edits = {"name": self.name_edit, "zip": self.zip_edit, "address1": self.address1_edit,
                      "company": self.company_edit, "email": self.email_edit, "phone": self.phone_edit,
                      "city": self.city_edit}
        more = QFormLayout()
        more.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for layout, label, edit in ((inputs, "&Name", self.name_edit), (inputs, "&Zip", self.zip_edit),
                                    (inputs, "&Address 1", self.address1_edit), (more, "Co&mpany", self.company_edit),
                                    (more, "&Email", self.email_edit), (more, "P&hone", self.phone_edit),
                                    (more, "Cit&y", self.city_edit)):
            caption = QLabel(label)
            caption.setBuddy(edit)
            layout.addRow(caption, edit)
            edit.textChanged.connect(self._inputs_changed)
        search_row = QHBoxLayout()
        search_row.addLayout(inputs, 1)
        search_row.addLayout(more, 1)
        find_column = QVBoxLayout()
        find_column.addStretch(1)
        find_column.addWidget(self.find_button)
        search_row.addLayout(find_column)

        self.model = MatchTableModel(FIND_COLUMNS, self)
        self.table = CandidateView(self)
        self.table.setModel(self.model)
        self.table.chosen.connect(self._choose_row)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.status = QLabel("Enter what you have of the customer you are looking for: a name and an email, a "
                             "name and a town, a phone number…")
        self.status.setWordWrap(True)
        self.results_label = QLabel("Ma&tches")
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

    def given(self) -> dict[str, str]:
        return {k: e.text().strip() for k, e in self.edits.items() if e.text().strip()}

    def _inputs_changed(self) -> None:
        self.find_button.setEnabled(bool(self.given()))

    def find(self) -> None:
        given = self.given()
        if not given:
            self.status.setText("Enter at least one of name, company, email, phone, zip, address 1 or city.")
            return
        seed_rule = set(given) == {"name", "zip", "address1"}
        try:
            with self.db.read() as session:
                if seed_rule:
                    candidates: list[Any] = find_customer_match(session, given["name"], given["zip"],
                                                                given["address1"], limit=50)
                else:
                    candidates = find_by_any(session, given, limit=50)
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
            self.status.setText("No customer matches this name, zip and address 1." if seed_rule else
                                "No customer matches what was given: try fewer fields, or another spelling.")

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
