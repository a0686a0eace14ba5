"""The *Import history* section (DESIGN §2 item 13, §3): every import batch, newest first, with Undo; and
below it every bulk archive and unarchive of customers, each undone as one.

Undo reverts a batch while its customers are untouched since; otherwise the refusal names the customers
that changed. Undoing a bulk action gives back what it changed to each customer untouched since and names
the others. Both run on the write worker in one transaction, like every write. The imports can be searched
(Ctrl+F) and sorted by any column, with what the listed ones add up to. The lists are a few hundred rows at
most and are read on the GUI thread when the section is shown and after an import or an undo.

Keys: Ctrl+F search, Ctrl+Z (in either list) undo its selected entry, Alt+R read the lists again.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
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
from desktop.ui.common.search_box import SearchBox

from desktop.services.customers import BulkActionView, BulkUndoResult, list_bulk_actions, undo_bulk_action

if TYPE_CHECKING:  # the import engine is imported when the page is first read
    from desktop.importing.commit import BatchView, UndoResult

log = logging.getLogger("desktop.ui.import")

Index = QModelIndex | QPersistentModelIndex
LIST_LIMIT = 5000  # batches listed (searched and sorted here); a store has a few hundred
MUTED_STYLE = "color: palette(placeholder-text);"


class BatchRole(IntEnum):
    Batch = Qt.ItemDataRole.UserRole + 1  # the BatchView
    Id = Qt.ItemDataRole.UserRole + 2
    Sort = Qt.ItemDataRole.UserRole + 3  # the value a column sorts by (numbers as numbers, times as times)


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
        if role == BatchRole.Sort:
            if key in NUMERIC:
                return b.id if key == "id" else getattr(b, key)
            if key == "committed":
                return b.committed_at.isoformat() if b.committed_at else ""
            return _display(b, key).casefold()
        return None


class BatchFilter(QSortFilterProxyModel):
    """The batches whose number, file, state or user contain the search; sorted by any column."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSortRole(BatchRole.Sort)
        self.search = ""

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self.search = " ".join(text.split()).casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        if not self.search:
            return True
        source = self.sourceModel()
        assert isinstance(source, BatchTableModel)
        b = source.batch(source_row)
        text = " ".join((str(b.id), b.file_name, _display(b, "state"), b.user or "")).casefold()
        return all(word in text for word in self.search.split())

    def batches(self) -> list[BatchView]:
        return [self.data(self.index(r, 0), BatchRole.Batch) for r in range(self.rowCount())]


BULK_COLUMNS = ("When", "Action", "Customers", "Chosen", "State", "User")
BULK_TITLES = {"archive": "Archive", "unarchive": "Unarchive"}


class BulkActionModel(QAbstractTableModel):
    """The bulk archives and unarchives, newest first (read-only)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[BulkActionView] = []

    def set_actions(self, actions: list[BulkActionView]) -> None:
        self.beginResetModel()
        self._rows = list(actions)
        self.endResetModel()

    def action(self, row: int) -> BulkActionView | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, action_id: int) -> int | None:
        return next((i for i, a in enumerate(self._rows) if a.id == action_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(BULK_COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(BULK_COLUMNS):
            return BULK_COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(BULK_COLUMNS):
            return None
        a = self._rows[index.row()]
        column = BULK_COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                "When": _when(a.done_at), "Action": BULK_TITLES.get(a.action, a.action), "Customers": f"{a.count:,}",
                "Chosen": a.description, "User": a.user or "",
                "State": f"Undone {_when(a.undone_at)}" if a.undone_at else "Done",
            }[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if column == "Customers" else _LEFT)
        if role == Qt.ItemDataRole.ForegroundRole and a.undone_at is not None:
            return QBrush(text_colour("muted"))
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

        self.search = SearchBox(self, "Search batch, file, state or user", "Search imports",
                                action_text="Search imports")
        self.search.applied.connect(lambda _t: self._apply_search())
        layout.addWidget(self.search)

        self.model = BatchTableModel(self)
        self.proxy = BatchFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = record_table(self.proxy, "Imports")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest first, as listed
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for section, (key, _title) in enumerate(COLUMNS):
            header.resizeSection(section, {"id": 60, "committed": 130, "file": 280, "state": 190,
                                           "user": 110}.get(key, 80))
        header.setSectionResizeMode(COLUMNS.index(("file", "File")), QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        layout.addWidget(self.table, 1)

        undo = QAction("Undo import", self.table)
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        undo.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        undo.triggered.connect(self.undo_selected)
        self.table.addAction(undo)
        self.empty_label = QLabel("No imports yet. Drop a CSV or Excel file on the window, or use File → Import "
                                  "(Ctrl+I).")
        self.empty_label.setStyleSheet(MUTED_STYLE)
        self.empty_label.setWordWrap(True)
        self.empty_label.linkActivated.connect(lambda _link: self.search.clear() or self._apply_search())
        layout.addWidget(self.empty_label)
        # What the listed (matching) imports add up to.
        self.totals_label = QLabel()
        self.totals_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.totals_label)

        bulk_title = QLabel("<b>Bulk archive and unarchive</b>")
        bulk_explain = QLabel("Each bulk archive or unarchive of customers, newest first. Undo gives its customers "
                              "their earlier state back; one changed since stays as it is and is named.")
        bulk_explain.setWordWrap(True)
        bulk_explain.setStyleSheet(MUTED_STYLE)
        layout.addWidget(bulk_title)
        layout.addWidget(bulk_explain)
        bulk_row = QHBoxLayout()
        self.bulk_undo_button = QPushButton("Undo &bulk action…")
        self.bulk_undo_button.setToolTip("Undo the selected bulk archive or unarchive (Ctrl+Z in this list)")
        self.bulk_undo_button.clicked.connect(self.undo_bulk_selected)
        self.bulk_status = QLabel()
        self.bulk_status.setWordWrap(True)
        bulk_row.addWidget(self.bulk_undo_button)
        bulk_row.addWidget(self.bulk_status, 1)
        layout.addLayout(bulk_row)
        self.bulk_model = BulkActionModel(self)
        self.bulk_table = record_table(self.bulk_model, "Bulk actions")
        bulk_header = self.bulk_table.horizontalHeader()
        for section, width in enumerate((130, 90, 90, 320, 190, 110)):
            bulk_header.resizeSection(section, width)
        bulk_header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.bulk_table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.bulk_table.setMaximumHeight(200)
        bulk_undo = QAction("Undo bulk action", self.bulk_table)
        bulk_undo.setShortcut(QKeySequence("Ctrl+Z"))
        bulk_undo.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        bulk_undo.triggered.connect(self.undo_bulk_selected)
        self.bulk_table.addAction(bulk_undo)
        layout.addWidget(self.bulk_table)
        self.bulk_empty = QLabel("No bulk archive or unarchive yet.")
        self.bulk_empty.setStyleSheet(MUTED_STYLE)
        layout.addWidget(self.bulk_empty)
        self.bulk_job: Job | None = None
        self.last_bulk_undo: BulkUndoResult | None = None
        self._update_buttons()

    # --- reading ---------------------------------------------------------------------------------

    def activated(self) -> None:
        """Shown: read the list again and put the focus on it."""
        self.reload()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def reload(self) -> None:
        from desktop.importing.commit import list_batches

        selected = self.selected_batch()
        chosen_bulk = self.selected_bulk()
        try:
            with self.db.read() as session:
                batches = list_batches(session, limit=LIST_LIMIT)
                actions = list_bulk_actions(session)
        except Exception as exc:  # noqa: BLE001 - a database problem is explained, not raised
            messages.show_error(self, exc)
            return
        self.model.set_batches(batches)
        self._select(selected.id if selected is not None else None)
        self.bulk_model.set_actions(actions)
        bulk_row = self.bulk_model.row_of(chosen_bulk.id) if chosen_bulk is not None else None
        if bulk_row is None and actions:
            bulk_row = 0
        if bulk_row is not None:
            select_row(self.bulk_table, bulk_row)
        self.bulk_empty.setVisible(not actions)
        self._show_counts()
        self._update_buttons()

    def _select(self, batch_id: int | None) -> None:
        row = None
        if batch_id is not None:
            row = next((r for r in range(self.proxy.rowCount())
                        if self.proxy.data(self.proxy.index(r, 0), BatchRole.Id) == batch_id), None)
        if row is None and self.proxy.rowCount():
            row = 0
        if row is not None:
            select_row(self.table, row)

    def _apply_search(self) -> None:
        self.search.stop()
        selected = self.selected_batch()
        self.proxy.set_search(self.search.text())
        self._select(selected.id if selected is not None else None)
        self._show_counts()
        self._update_buttons()

    def _show_counts(self) -> None:
        shown = self.proxy.batches()
        if not self.model.rowCount():
            self.empty_label.setText("No imports yet. Drop a CSV or Excel file on the window, or use File → Import "
                                     "(Ctrl+I).")
        elif not shown:
            self.empty_label.setText(f"No import matches “{html.escape(self.search.text().strip())}” — "
                                     "<a href='clear'>Clear search</a>")
        self.empty_label.setVisible(not shown)
        undone = sum(1 for b in shown if b.state == "undone")
        limited = " (the newest {:,})".format(LIST_LIMIT) if self.model.rowCount() >= LIST_LIMIT else ""
        self.totals_label.setText(
            f"{plural(len(shown), 'import')}{limited}: {sum(b.rows for b in shown):,} rows read, "
            f"{plural(sum(b.created for b in shown), 'customer')} created, {sum(b.updated for b in shown):,} "
            f"updated, {sum(b.errors for b in shown):,} rows with errors skipped"
            + (f"; {undone:,} undone" if undone else "") if shown else "")

    def selected_batch(self) -> BatchView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.proxy.data(rows[0], BatchRole.Batch) if rows else None

    def selected_bulk(self) -> BulkActionView | None:
        rows = self.bulk_table.selectionModel().selectedRows() if hasattr(self, "bulk_table") else []
        return self.bulk_model.action(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        if hasattr(self, "bulk_table"):
            chosen = self.selected_bulk()
            bulk_running = self.bulk_job is not None and self.bulk_job.running
            self.bulk_undo_button.setEnabled(chosen is not None and chosen.undone_at is None and not bulk_running)
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

    # --- undo a bulk archive or unarchive ----------------------------------------------------------

    def undo_bulk_selected(self) -> None:
        chosen = self.selected_bulk()
        if chosen is None or chosen.undone_at is not None or (self.bulk_job is not None and self.bulk_job.running):
            return
        back = "active again" if chosen.action == "archive" else "archived again, each with its earlier archive time"
        if not messages.ask(
            self, "Undo bulk action",
            f"Undo the bulk {chosen.action} of {plural(chosen.count, 'customer')} ({chosen.description}), "
            f"{_when(chosen.done_at)}?\n\nThey become {back}. A customer changed since stays as it is.",
            f"Undo {chosen.action}",
        ):
            return
        db, action_id = self.db, chosen.id

        def work(progress: Callable[[int, int], None]) -> BulkUndoResult:
            with db.transaction() as session:
                return undo_bulk_action(session, action_id, progress=progress)

        job = Job(work, self)
        job.finished.connect(self._bulk_undo_finished)
        job.failed.connect(self._bulk_undo_failed)
        job.ended.connect(self._update_buttons)
        job.ended.connect(self.undoEnded)
        self.bulk_job = job
        self.bulk_status.setText(f"Undoing the bulk {chosen.action}…")
        self.workers.start(job, write=True)
        self._update_buttons()

    def _bulk_undo_finished(self, result: BulkUndoResult) -> None:
        self.last_bulk_undo = result
        verb = "unarchived" if result.action == "archive" else "archived again"
        text = f"Bulk {result.action} undone: {plural(result.restored, 'customer')} {verb}."
        if result.changed_since:
            names = ", ".join(f"{name} (id {cid})" for cid, name in result.changed_since[:10])
            more = f" and {len(result.changed_since) - 10:,} more" if len(result.changed_since) > 10 else ""
            text += f" Changed since, so left as they are: {names}{more}."
        if result.gone:
            text += f" {plural(result.gone, 'customer')} deleted since."
        self.bulk_status.setText(text)
        self.reload()
        self.undone.emit(result.bulk_action_id)

    def _bulk_undo_failed(self, exc: Exception) -> None:
        self.last_bulk_undo = None
        self.bulk_status.setText(str(exc) if isinstance(exc, Cancelled) else "")
        if not isinstance(exc, Cancelled):
            messages.show_error(self, exc)
        self.reload()
