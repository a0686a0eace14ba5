"""The *Import history* section (DESIGN §2 item 13, §3): every import batch, newest first, with Undo.

Undo reverts a batch while its customers are untouched since; otherwise the refusal names the customers
that changed. It runs on the write worker in one transaction, like every write. The list is a few hundred
rows at most and is read on the GUI thread when the section is shown and after an import or an undo.

Keys while the section has the focus: Ctrl+Z undo the selected import, Alt+R read the list again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services.errors import Cancelled
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.views import record_table, select_row
from desktop.ui.common.workers import Job, Workers
from desktop.ui.common.formats import local_minute
from desktop.ui.common.colours import text_colour

if TYPE_CHECKING:  # the import engine is imported when the page is first read
    from desktop.importing.commit import BatchView, UndoResult

log = logging.getLogger("desktop.ui.import")

Index = QModelIndex | QPersistentModelIndex
LIST_LIMIT = 500
MUTED_STYLE = "color: palette(placeholder-text);"


class BatchRole(IntEnum):
    Batch = Qt.ItemDataRole.UserRole + 1  # the BatchView
    Id = Qt.ItemDataRole.UserRole + 2


COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "Batch"), ("committed", "Committed"), ("file", "File"), ("rows", "Rows"), ("created", "Created"),
    ("updated", "Updated"), ("state", "State"), ("user", "User"),
)
NUMERIC = frozenset({"id", "rows", "created", "updated"})
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"


def _when(value: Any) -> str:
    return local_minute(value)


def _display(b: BatchView, key: str) -> str:
    if key == "id":
        return str(b.id)
    if key == "committed":
        return _when(b.committed_at)
    if key == "file":
        return b.file_name
    if key in ("rows", "created", "updated"):
        return f"{getattr(b, key):,}"
    if key == "state":
        if b.state == "undone":
            return f"Undone {_when(b.undone_at)}"
        return b.state.capitalize()
    return b.user or ""


class BatchTableModel(QAbstractTableModel):
    """The batches as listed (newest first); a new list resets the model (it is short)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[BatchView] = []

    def set_batches(self, batches: list[BatchView]) -> None:
        self.beginResetModel()
        self._rows = list(batches)
        self.endResetModel()

    def batch(self, row: int) -> BatchView:
        return self._rows[row]

    def row_of(self, batch_id: int) -> int | None:
        return next((i for i, b in enumerate(self._rows) if b.id == batch_id), None)

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
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if COLUMNS[section][0] in NUMERIC else _LEFT)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        b = self._rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(b, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"Import {b.id} of {b.file_name}: {b.rows:,} rows read, {b.created:,} customers created, "
                    f"{b.updated:,} updated, {b.errors:,} rows with errors skipped")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if key in NUMERIC else _LEFT)
        if role == Qt.ItemDataRole.ForegroundRole and b.state != "committed":
            return QBrush(text_colour("muted"))  # undone and incomplete batches
        if role == BatchRole.Batch:
            return b
        if role == BatchRole.Id:
            return b.id
        return None


class ImportHistorySection(QWidget):
    """The batches with Undo. `undone(batch_id)` after an undo (the customer list then reads again)."""

    undone = Signal(int)
    undoEnded = Signal()  # after an undo attempt, whatever its end

    def __init__(self, db: Database, workers: Workers, on_undone: Callable[[], None] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.workers = workers
        self.undo_job: Job | None = None
        self.last_undo: UndoResult | None = None
        if on_undone is not None:
            self.undone.connect(lambda _id: on_undone())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        title = QLabel("<b>Import history</b>")
        explain = QLabel("Every import, newest first. Undo deletes the customers an import created and gives the "
                         "ones it updated their earlier values back, while none of them has changed since.")
        explain.setWordWrap(True)
        explain.setStyleSheet(MUTED_STYLE)
        layout.addWidget(title)
        layout.addWidget(explain)

        buttons = QHBoxLayout()
        self.undo_button = QPushButton("&Undo import…")
        self.undo_button.setToolTip("Undo the selected import (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo_selected)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setToolTip("Read the list of imports again")
        self.refresh_button.clicked.connect(self.reload)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.status_label, 1)
        layout.addLayout(buttons)

        self.model = BatchTableModel(self)
        self.table = record_table(self.model, "Imports")
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for section, (key, _title) in enumerate(COLUMNS):
            header.resizeSection(section, {"id": 60, "committed": 130, "file": 280, "state": 190,
                                           "user": 110}.get(key, 80))
        header.setSectionResizeMode(COLUMNS.index(("file", "File")), QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        layout.addWidget(self.table, 1)

        undo = QAction("Undo import", self)
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        undo.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        undo.triggered.connect(self.undo_selected)
        self.addAction(undo)
        self.empty_label = QLabel("No imports yet. Drop a CSV or Excel file on the window, or use File → Import "
                                  "(Ctrl+I).")
        self.empty_label.setStyleSheet(MUTED_STYLE)
        layout.addWidget(self.empty_label)
        self._update_buttons()

    # --- reading ---------------------------------------------------------------------------------

    def activated(self) -> None:
        """Shown: read the list again and put the focus on it."""
        self.reload()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def reload(self) -> None:
        from desktop.importing.commit import list_batches

        selected = self.selected_batch()
        try:
            with self.db.read() as session:
                batches = list_batches(session, limit=LIST_LIMIT)
        except Exception as exc:  # noqa: BLE001 - a database problem is explained, not raised
            messages.show_error(self, exc)
            return
        self.model.set_batches(batches)
        row = self.model.row_of(selected.id) if selected is not None else None
        if row is None and batches:
            row = 0
        if row is not None:
            select_row(self.table, row)
        self.empty_label.setVisible(not batches)
        self._update_buttons()

    def selected_batch(self) -> BatchView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.batch(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        b = self.selected_batch()
        running = self.undo_job is not None and self.undo_job.running
        self.undo_button.setEnabled(b is not None and b.state == "committed" and not running)
        if b is not None and b.state == "undone":
            self.undo_button.setToolTip(f"Import {b.id} was already undone")
        else:
            self.undo_button.setToolTip("Undo the selected import (Ctrl+Z)")

    # --- undo ------------------------------------------------------------------------------------

    def undo_selected(self) -> None:
        b = self.selected_batch()
        if b is None or b.state != "committed" or (self.undo_job is not None and self.undo_job.running):
            return
        created, updated = plural(b.created, "customer"), plural(b.updated, "customer")
        if not messages.ask(
            self, "Undo import",
            f"Undo import {b.id} of {b.file_name}?\n\nThe {created} it created are deleted and the {updated} it "
            f"updated get their earlier values back. This is refused if any of them has changed since.",
            "Undo import",
        ):
            return
        db, batch_id = self.db, b.id

        def work(_progress: Callable[[int, int], None]) -> UndoResult:
            from desktop.importing.commit import undo_batch

            with db.transaction() as session:
                return undo_batch(session, batch_id)

        job = Job(work, self)
        job.finished.connect(self._undo_finished)
        job.failed.connect(self._undo_failed)
        job.ended.connect(self._update_buttons)
        job.ended.connect(self.undoEnded)
        self.undo_job = job
        self.status_label.setText(f"Undoing import {batch_id}…")
        self.workers.start(job, write=True)
        self._update_buttons()

    def _undo_finished(self, result: UndoResult) -> None:
        self.last_undo = result
        self.status_label.setText(
            f"Import {result.batch_id} undone: {plural(result.deleted, 'customer')} deleted, "
            f"{result.restored:,} restored, {plural(result.addresses_removed, 'address', 'addresses')} removed."
        )
        self.reload()
        self.undone.emit(result.batch_id)

    def _undo_failed(self, exc: Exception) -> None:
        self.last_undo = None
        self.status_label.setText("")
        if isinstance(exc, Cancelled):
            self.status_label.setText(str(exc))
        else:
            messages.show_error(self, exc)  # a refusal names the customers that changed
        self.reload()
