"""The clerk's workspace: navigation, filter bar, the customer table, the detail pane, actions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from desktop import __version__
from desktop.services import customers as customer_service
from desktop.services.customer_list import CustomerQuery
from desktop.services.customers import BulkResult
from desktop.services.errors import Cancelled, DomainError
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui import messages
from desktop.ui import settings as opt
from desktop.ui.customer_model import CustomerTableModel
from desktop.ui.detail_pane import CustomerDetailPane
from desktop.ui.workers import Job, Workers

log = logging.getLogger("desktop.ui")

SEARCH_DEBOUNCE_MS = 150
ARCHIVED_CHOICES = (("Active", "active"), ("Archived", "archived"), ("All", "all"))
REFERENCE_FILTERS = (
    ("sales_rep_id", "Any sales rep", m.SalesRep),
    ("pricing_tier_id", "Any pricing tier", m.PricingTier),
    ("store_id", "Any store", m.Store),
    ("warehouse_id", "Any warehouse", m.Warehouse),
)


class FilterBar(QWidget):
    """Search-as-you-type (debounced), archived switch and reference filters. Emits `changed`."""

    changed = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(placeholderText="Search name, company, email, phone, zip  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMaxLength(200)
        self.archived = QComboBox()
        for title, value in ARCHIVED_CHOICES:
            self.archived.addItem(title, value)
        layout.addWidget(self.search, 3)
        layout.addWidget(self.archived)
        self.references: dict[str, QComboBox] = {}
        with db.read() as s:
            for key, blank, model in REFERENCE_FILTERS:
                combo = QComboBox()
                combo.addItem(blank, None)
                for ref_id, name in s.execute(select(model.id, model.name).order_by(model.name)):
                    combo.addItem(name, ref_id)
                combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
                self.references[key] = combo
                layout.addWidget(combo, 1)
        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.changed)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self._flush)
        self.archived.currentIndexChanged.connect(lambda _i: self.changed.emit())

    def _flush(self) -> None:
        self._debounce.stop()
        self.changed.emit()

    def query(self, sort: str) -> CustomerQuery:
        refs = {key: combo.currentData() for key, combo in self.references.items()}
        return CustomerQuery(search=self.search.text().strip() or None, archived=self.archived.currentData(),
                             sort=sort, **refs)

    def state(self) -> dict[str, Any]:
        return {"search": self.search.text(), "archived": self.archived.currentData(),
                **{k: c.currentData() for k, c in self.references.items()}}

    def restore(self, state: dict[str, Any]) -> None:
        blockers = [self.search, self.archived, *self.references.values()]
        for w in blockers:
            w.blockSignals(True)
        try:
            self.search.setText(str(state.get("search") or ""))
            index = self.archived.findData(state.get("archived", "active"))
            self.archived.setCurrentIndex(max(index, 0))
            for key, combo in self.references.items():
                index = combo.findData(state.get(key))
                combo.setCurrentIndex(max(index, 0))
        finally:
            for w in blockers:
                w.blockSignals(False)


class BulkResultDialog(QDialog):
    def __init__(self, result: BulkResult, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Bulk action finished")
        layout = QVBoxLayout(self)
        self.summary = QLabel(f"<b>{result.summary()}</b>")
        layout.addWidget(self.summary)
        skipped = result.skipped
        if skipped:
            layout.addWidget(QLabel("Skipped customers:"))
            self.details = QPlainTextEdit(readOnly=True)
            self.details.setPlainText("\n".join(
                f"{o.name or '(deleted)'} (id {o.customer_id}): {o.reason}" for o in skipped
            ))
            layout.addWidget(self.details)
            self.resize(560, 360)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)


class MainWindow(QMainWindow):
    def __init__(self, db: Database, settings: opt.Settings | None = None, workers: Workers | None = None):
        super().__init__()
        self.db = db
        self.settings = settings or opt.Settings()
        self.workers = workers or Workers()
        self.bulk_job: Job | None = None
        self.last_bulk_result: BulkResult | None = None
        self.setWindowTitle(f"Customer Desk — {db.location}")
        self.resize(1280, 780)

        self.nav = QListWidget()
        self.nav.addItem("Customers")
        self.nav.setCurrentRow(0)
        self.nav.setFixedWidth(150)

        self.filters = FilterBar(db)
        self.model = CustomerTableModel(db, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # Ascending by name until the clerk clicks a header (Qt's default indicator is descending).
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._table_menu)
        self.table.doubleClicked.connect(lambda _i: self.edit_customer())

        self.detail = CustomerDetailPane(db)
        self.detail.changed.connect(lambda _cid: self.model.refresh())

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([880, 400])

        center = QWidget()
        column = QVBoxLayout(center)
        column.setContentsMargins(6, 6, 6, 0)
        column.addWidget(self.filters)
        column.addWidget(self.splitter, 1)
        outer = QWidget()
        row = QHBoxLayout(outer)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(center, 1)
        self.setCentralWidget(outer)

        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status)
        self._build_actions()
        self._restore()

        self.filters.changed.connect(self.apply_filters)
        self.model.modelReset.connect(self._update_status)
        self.model.totalChanged.connect(lambda _n: self._update_status())
        self.model.loadFailed.connect(self._load_failed, Qt.ConnectionType.QueuedConnection)
        header.sortIndicatorChanged.connect(self._sort_indicator_changed)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.apply_filters()

    # --- actions and menus ----------------------------------------------------------------------

    def _action(self, text: str, slot: Callable[[], Any], shortcut: Any = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        k = QKeySequence.StandardKey
        self.actions_by_name = {
            "new": self._action("&New customer…", self.new_customer, k.New, "Create a customer"),
            "edit": self._action("&Edit customer…", self.edit_customer, "Return", "Edit the current customer"),
            "archive": self._action("&Archive", self.archive_selected, "Ctrl+Shift+A"),
            "unarchive": self._action("&Unarchive", self.unarchive_selected, "Ctrl+Shift+U"),
            "delete": self._action("&Delete…", self.delete_selected, k.Delete),
            "archive_all": self._action("Archive all matching…", lambda: self.bulk("archive", True)),
            "unarchive_all": self._action("Unarchive all matching…", lambda: self.bulk("unarchive", True)),
            "delete_all": self._action("Delete all matching…", lambda: self.bulk("delete", True)),
            "refresh": self._action("&Refresh", self.refresh, k.Refresh),
            "find": self._action("&Search", self.focus_search, k.Find),
            "find_match": self._action("Find &match…", self.find_match, "Ctrl+M"),
            "quit": self._action("&Quit", self.close, k.Quit),
            "about": self._action("&About Customer Desk", self.show_about),
        }
        a = self.actions_by_name
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions([a["new"], a["find_match"]])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        customer_menu = self.menuBar().addMenu("&Customer")
        customer_menu.addActions([a["edit"], a["archive"], a["unarchive"], a["delete"]])
        customer_menu.addSeparator()
        customer_menu.addActions([a["archive_all"], a["unarchive_all"], a["delete_all"]])
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addActions([a["find"], a["refresh"]])
        self.menuBar().addMenu("&Help").addAction(a["about"])

    def _table_menu(self, pos: QPoint) -> None:
        a = self.actions_by_name
        menu = QMenu(self)
        menu.addActions([a["new"], a["edit"]])
        menu.addSeparator()
        menu.addActions([a["archive"], a["unarchive"], a["delete"]])
        menu.addSeparator()
        menu.addActions([a["archive_all"], a["unarchive_all"], a["delete_all"]])
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _column_menu(self, pos: QPoint) -> None:
        header = self.table.horizontalHeader()
        menu = QMenu(self)
        for section in range(self.model.columnCount()):
            title = self.model.headerData(section, Qt.Orientation.Horizontal)
            action = menu.addAction(str(title))
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(section))
            action.toggled.connect(lambda on, s=section: header.setSectionHidden(s, not on))
        menu.popup(header.mapToGlobal(pos))

    # --- state ----------------------------------------------------------------------------------

    def _restore(self) -> None:
        s = self.settings
        geometry = s.get(opt.WINDOW_GEOMETRY)
        if geometry and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        splitter = s.get(opt.SPLITTER_STATE)
        if splitter and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        header = s.get(opt.TABLE_HEADER)
        if header and not header.isEmpty():
            self.table.horizontalHeader().restoreState(header)
        self.filters.restore(s.get(opt.LAST_FILTER) or {})

    def save_state(self) -> None:
        s = self.settings
        s.set(opt.WINDOW_GEOMETRY, self.saveGeometry())
        s.set(opt.SPLITTER_STATE, self.splitter.saveState())
        s.set(opt.TABLE_HEADER, self.table.horizontalHeader().saveState())
        s.set(opt.LAST_FILTER, self.filters.state())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.bulk_job is not None and self.bulk_job.running:
            self.bulk_job.cancel()
            self.workers.wait(30_000)
        self.save_state()
        super().closeEvent(event)

    # --- filtering and selection ----------------------------------------------------------------

    def current_sort(self) -> str:
        return self.model.query.sort

    def apply_filters(self) -> None:
        try:
            self.model.set_query(self.filters.query(self.current_sort()))
        except DomainError as exc:
            messages.show_error(self, exc)
        self._selection_changed()

    def refresh(self) -> None:
        selected = self.selected_ids()
        self.model.refresh()
        self.select_ids(selected)
        self.detail.show_customer(self.current_id())

    def focus_search(self) -> None:
        self.filters.search.setFocus()
        self.filters.search.selectAll()

    def selected_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        ids = [self.model.customer_id(r) for r in rows]
        return [i for i in ids if i is not None]

    def current_id(self) -> int | None:
        ids = self.selected_ids()
        return ids[0] if len(ids) == 1 else None

    def select_ids(self, ids: list[int]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        for customer_id in ids:
            row = self.model.row_for_id(customer_id)
            if row is not None:
                selection.select(self.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                                 | QItemSelectionModel.SelectionFlag.Rows)

    def _selection_changed(self) -> None:
        self.detail.show_customer(self.current_id())
        self._update_status()
        has = bool(self.table.selectionModel().selectedRows())
        for name in ("archive", "unarchive", "delete"):
            self.actions_by_name[name].setEnabled(has)
        self.actions_by_name["edit"].setEnabled(self.current_id() is not None)

    def _sort_indicator_changed(self, column: int, _order: Qt.SortOrder) -> None:
        if not self.model.is_sortable(column):
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(*self.model.sort_indicator())
            header.blockSignals(False)

    def _load_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"Could not read customers: {message} (F5 to retry)", 15_000)

    def _update_status(self) -> None:
        total = self.model.total
        selected = len(self.table.selectionModel().selectedRows())
        noun = "customer" if total == 1 else "customers"
        self.status.setText(f"{total:,} {noun} ({selected:,} selected)")

    # --- single-customer actions ----------------------------------------------------------------

    def new_customer(self) -> None:
        from desktop.ui.customer_form import CustomerForm

        form = CustomerForm.for_create(self.db, self)
        if form.exec():
            target = form.open_existing_id or (form.customer.id if form.customer else None)
            self.model.refresh()
            self._show_customer_id(target)

    def edit_customer(self) -> None:
        customer_id = self.current_id()
        if customer_id is None:
            return
        from desktop.ui.customer_form import CustomerForm

        try:
            form = CustomerForm.for_edit(self.db, customer_id, self)
        except DomainError as exc:  # deleted meanwhile
            messages.show_error(self, exc)
            self.refresh()
            return
        if form.exec():
            self.refresh()

    def find_match(self) -> None:
        from desktop.ui.find_match_dialog import FindMatchDialog

        dialog = FindMatchDialog(self.db, self)
        if dialog.exec() and dialog.chosen_customer_id is not None:
            self._show_customer_id(dialog.chosen_customer_id)

    def _show_customer_id(self, customer_id: int | None) -> None:
        if customer_id is None:
            return
        row = self.model.row_for_id(customer_id)
        if row is None:
            # Not in the current view (filtered out): show every customer so the clerk sees it.
            self.filters.restore({"search": "", "archived": "all"})
            self.apply_filters()
            row = self.model.locate(customer_id)
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
        self.detail.show_customer(customer_id)

    def archive_selected(self) -> None:
        self.bulk("archive", False)

    def unarchive_selected(self) -> None:
        self.bulk("unarchive", False)

    def delete_selected(self) -> None:
        self.bulk("delete", False)

    # --- bulk (selection or all matching) -------------------------------------------------------

    def bulk(self, action: str, all_matching: bool) -> None:
        if self.bulk_job is not None and self.bulk_job.running:
            return
        ids = [] if all_matching else self.selected_ids()
        count = self.model.total if all_matching else len(ids)
        if count == 0:
            return
        query = self.model.query
        noun = "customer" if count == 1 else "customers"
        scope = f"all {count:,} {noun} matching the filter" if all_matching else f"{count:,} {noun}"
        verb = {"archive": "Archive", "unarchive": "Unarchive", "delete": "Delete"}[action]
        extra = ("\n\nCustomers linked to orders, credits, payments or fulfilments are skipped."
                 if action == "delete" else "")
        if not messages.ask(self, f"{verb} customers", f"{verb} {scope}?{extra}", verb):
            return
        function = {"archive": customer_service.bulk_archive, "unarchive": customer_service.bulk_unarchive,
                    "delete": customer_service.bulk_delete}[action]
        db = self.db

        def work(progress: Callable[[int, int], None]) -> BulkResult:
            with db.transaction() as session:
                if all_matching:
                    return function(session, apply_to_all=True, query=query, progress=progress)
                return function(session, ids=ids, progress=progress)

        dialog = QProgressDialog(f"{verb} {scope}…", "Cancel", 0, 0, self)
        dialog.setWindowTitle(f"{verb} customers")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        job = Job(work, self)
        self.bulk_job = job
        self.bulk_dialog = dialog
        dialog.canceled.connect(job.cancel)

        def on_progress(done: int, total: int) -> None:
            dialog.setMaximum(max(total, 1))
            dialog.setValue(done)
            dialog.setLabelText(f"{verb} {scope}… {done:,} of {total:,}")

        job.progress.connect(on_progress)
        job.finished.connect(self._bulk_finished)
        job.failed.connect(self._bulk_failed)
        job.ended.connect(dialog.reset)
        self.workers.start(job, write=True)

    def _bulk_finished(self, result: BulkResult) -> None:
        self.last_bulk_result = result
        self.refresh()
        self.statusBar().showMessage(result.summary(), 10_000)
        if result.skipped:
            BulkResultDialog(result, self).open()

    def _bulk_failed(self, exc: Exception) -> None:
        self.last_bulk_result = None
        if isinstance(exc, Cancelled):
            self.statusBar().showMessage(str(exc), 10_000)
        else:
            messages.show_error(self, exc)
        self.refresh()

    # --- help -----------------------------------------------------------------------------------

    def show_about(self) -> None:
        QMessageBox.about(
            self, "About Customer Desk",
            f"<b>Customer Desk</b> {__version__}<br><br>Database: {self.db.location} ({self.db.backend})",
        )

