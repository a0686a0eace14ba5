"""The clerk's workspace: navigation, filter bar, the customer table, the detail pane, actions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
)
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
    QStackedWidget,
    QTableView,
    QToolBar,
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
from desktop.ui.common import messages
from desktop.ui.common import settings as opt
from desktop.ui.customers.customer_model import COLUMNS, CustomerRole, CustomerTableModel
from desktop.ui.customers.detail_pane import CustomerDetailPane
from desktop.ui.common.workers import Job, Workers
from desktop.ui.common.views import select_row

log = logging.getLogger("desktop.ui")

SEARCH_DEBOUNCE_MS = 150
ARCHIVED_CHOICES = (("Active", "active"), ("Archived", "archived"), ("All", "all"))
REFERENCE_FILTERS = (
    ("sales_rep_id", "Any sales rep", m.SalesRep),
    ("pricing_tier_id", "Any pricing tier", m.PricingTier),
    ("store_id", "Any store", m.Store),
    ("warehouse_id", "Any warehouse", m.Warehouse),
)
# Initial column widths in pixels (until the clerk's own layout is restored).
COLUMN_WIDTHS = {
    "name": 190, "company": 180, "email": 220, "phone": 135, "city": 115, "zip": 75, "country_code": 70,
    "sales_rep": 130, "pricing_tier": 110, "store": 130, "warehouse": 140, "created_at": 95, "archived_at": 80,
}
KEEP_SELECTION_MAX = 200  # a selection up to this size survives a new filter or sort (when still shown)
BULK_VERBS = {"archive": "Archive", "unarchive": "Unarchive", "delete": "Delete"}


WINDOW_SIZE = (1360, 800)  # the first time, on a screen that has room for it


def initial_size() -> QSize:
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(*WINDOW_SIZE)
    room = screen.availableGeometry()
    return QSize(min(WINDOW_SIZE[0], int(room.width() * 0.95)), min(WINDOW_SIZE[1], int(room.height() * 0.9)))


def plural(n: int, noun: str = "customer") -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


class FilterBar(QWidget):
    """Search-as-you-type (debounced), archived switch and reference filters. Emits `changed`."""

    changed = Signal()
    leaveDown = Signal()  # Down in the search box: on to the results

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(placeholderText="Search name, company, email, phone, zip  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMaxLength(200)
        self.search.setToolTip("Type to search; Down goes to the results, Esc clears the search")
        self.search.installEventFilter(self)
        self.archived = QComboBox()
        self.archived.setToolTip("Show active customers, archived ones, or all")
        for title, value in ARCHIVED_CHOICES:
            self.archived.addItem(title, value)
        layout.addWidget(self.search, 3)
        layout.addWidget(self.archived)
        self.references: dict[str, QComboBox] = {}
        for key, blank, _model in REFERENCE_FILTERS:
            combo = QComboBox()
            combo.addItem(blank, None)
            combo.setToolTip(blank.replace("Any", "Only customers of this", 1))
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
            self.references[key] = combo
            layout.addWidget(combo, 1)
        self.reload_references()
        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.changed)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self.flush)
        self.archived.currentIndexChanged.connect(lambda _i: self.changed.emit())

    def widgets(self) -> list[QWidget]:
        """The inputs in tab order."""
        return [self.search, self.archived, *self.references.values()]

    def reload_references(self) -> None:
        """(Re)read the sales reps, tiers, stores and warehouses, keeping what is picked."""
        with self.db.read() as s:
            rows = {key: list(s.execute(select(model.id, model.name).order_by(model.name)))
                    for key, _blank, model in REFERENCE_FILTERS}
        for key, blank, _model in REFERENCE_FILTERS:
            combo = self.references[key]
            picked = combo.currentData()
            combo.blockSignals(True)
            try:
                combo.clear()
                combo.addItem(blank, None)
                for ref_id, name in rows[key]:
                    combo.addItem(name, ref_id)
                combo.setCurrentIndex(max(combo.findData(picked), 0))
            finally:
                combo.blockSignals(False)
            if combo.currentData() != picked:  # the picked row is gone: the filter changed
                self.changed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.search and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.modifiers() == Qt.KeyboardModifier.NoModifier):
            if event.key() == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                self.flush()
                return True
            if event.key() == Qt.Key.Key_Down:
                if self.pending:
                    self.flush()
                self.leaveDown.emit()
                return True
        return super().eventFilter(watched, event)

    def flush(self) -> None:
        """Apply a pending search now (Enter, or a test that does not want to wait)."""
        self._debounce.stop()
        self.changed.emit()

    @property
    def pending(self) -> bool:
        return self._debounce.isActive()

    def query(self, sort: str) -> CustomerQuery:
        refs = {key: combo.currentData() for key, combo in self.references.items()}
        return CustomerQuery(search=self.search.text().strip() or None, archived=self.archived.currentData(),
                             sort=sort, **refs)

    def is_filtered(self) -> bool:
        return bool(self.search.text().strip()) or any(c.currentData() is not None for c in self.references.values())

    def state(self) -> dict[str, Any]:
        return {"search": self.search.text(), "archived": self.archived.currentData(),
                **{k: c.currentData() for k, c in self.references.items()}}

    def restore(self, state: dict[str, Any]) -> None:
        blockers = self.widgets()
        for w in blockers:
            w.blockSignals(True)
        try:
            self._debounce.stop()
            self.search.setText(str(state.get("search") or ""))
            index = self.archived.findData(state.get("archived", "active"))
            self.archived.setCurrentIndex(max(index, 0))
            for key, combo in self.references.items():
                value = state.get(key)
                index = combo.findData(int(value)) if isinstance(value, (int, str)) and str(value).isdigit() else 0
                combo.setCurrentIndex(max(index, 0))
        finally:
            for w in blockers:
                w.blockSignals(False)


class BulkResultDialog(QDialog):
    """What a bulk action did: the summary, and every skipped customer with the reason. After a delete,
    the customers skipped for their links can be archived instead (`archiveRequested(ids)`)."""

    archiveRequested = Signal(list)

    def __init__(self, result: BulkResult, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Customers {result.action}")
        layout = QVBoxLayout(self)
        self.summary = QLabel(f"<b>{result.summary()}</b>")
        layout.addWidget(self.summary)
        self.details: QPlainTextEdit | None = None
        skipped = result.skipped
        if skipped:
            layout.addWidget(QLabel(f"Not {result.action} ({len(skipped):,}):"))
            self.details = QPlainTextEdit(readOnly=True)
            self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
            self.details.setPlainText("\n".join(
                f"{o.name or '(deleted)'} (id {o.customer_id}): {o.reason}" for o in skipped
            ))
            layout.addWidget(self.details)
            self.resize(680, 320)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        self.linked_ids = [o.customer_id for o in skipped
                           if result.action == "deleted" and o.name is not None and "archive instead" in (o.reason or "")]
        self.archive_button = None
        if self.linked_ids:
            n = len(self.linked_ids)
            self.archive_button = buttons.addButton(f"&Archive {'it' if n == 1 else f'these {n:,}'} instead",
                                                    QDialogButtonBox.ButtonRole.ActionRole)
            self.archive_button.setToolTip("Archive the customers that could not be deleted because of their links")
            self.archive_button.clicked.connect(self._archive_instead)
        layout.addWidget(buttons)

    def _archive_instead(self) -> None:
        self.accept()
        self.archiveRequested.emit(list(self.linked_ids))

    def text(self) -> str:
        return self.summary.text() + "\n" + (self.details.toPlainText() if self.details else "")


class MainWindow(QMainWindow):
    def __init__(self, db: Database, settings: opt.Settings | None = None, workers: Workers | None = None):
        super().__init__()
        self.db = db
        self.settings = settings or opt.Settings()
        self.workers = workers or Workers()
        self.bulk_job: Job | None = None
        self.bulk_dialog: QProgressDialog | None = None
        self.bulk_result_dialog: BulkResultDialog | None = None
        self.about_box: QMessageBox | None = None
        self.last_bulk_result: BulkResult | None = None
        self.import_dialog: QDialog | None = None  # the import preview open now (desktop/ui/importing/import_dialog.py)
        self._kept: list[int] = []
        self._kept_query: CustomerQuery | None = None
        self.setWindowTitle(f"Customer Desk — {db.location}")
        self.resize(initial_size())

        self.nav = QListWidget()
        self.nav.addItem("Customers")  # further sections arrive with their features, never as placeholders
        self.nav.setFixedWidth(130)
        self.nav.setStyleSheet("QListWidget::item { padding: 6px 4px; }")
        self.nav.setAccessibleName("Sections")

        self.filters = FilterBar(db)
        self.model = CustomerTableModel(db, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Customers")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSortIndicatorShown(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        self.reset_columns()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._table_menu)
        self.table.doubleClicked.connect(lambda _i: self.edit_customer())

        self.detail = CustomerDetailPane(db)
        self.detail.changed.connect(self._customer_changed)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("tableDetailSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([820, 400])

        center = QWidget()
        column = QVBoxLayout(center)
        column.setContentsMargins(6, 6, 6, 0)
        column.addWidget(self.filters)
        column.addWidget(self.splitter, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(center)
        self.sections: dict[str, QWidget] = {"Customers": center}
        self.nav.currentRowChanged.connect(self._show_page)
        self.nav.setCurrentRow(0)
        outer = QWidget()
        row = QHBoxLayout(outer)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.pages, 1)
        self.setCentralWidget(outer)
        self.setAcceptDrops(True)  # a CSV or workbook dropped anywhere on the window opens the import preview

        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status)
        self._build_actions()
        self._build_sections()
        self._tab_order()
        self._restore()

        # The first query sorts as the restored header says; only then may a header click sort.
        self.filters.changed.connect(self.apply_filters)
        self.filters.leaveDown.connect(self._into_table)
        self.model.modelAboutToBeReset.connect(self._about_to_reset)
        self.model.modelReset.connect(self._model_reset)
        self.model.totalChanged.connect(lambda _n: self._update_status())
        self.model.loadFailed.connect(self._load_failed, Qt.ConnectionType.QueuedConnection)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.apply_filters(self._header_sort())
        self.table.setSortingEnabled(True)  # sorts by the indicator: the query already does
        header.sortIndicatorChanged.connect(self._sort_indicator_changed)

    # --- sections -------------------------------------------------------------------------------

    def add_section(self, title: str, widget: QWidget) -> None:
        """Add a navigation section (a page beside Customers). A page with `activated()` is told when shown."""
        self.nav.addItem(title)
        self.pages.addWidget(widget)
        self.sections[title] = widget

    def _build_sections(self) -> None:
        """The sections beside Customers, in DESIGN's order; each feature adds its own line."""
        from desktop.ui.money.money_tabs import install_money
        install_money(self)  # Sales credits section; Unpaid orders and Open credits tabs; Money menu
        from desktop.ui.nominal_codes.nominal_codes_section import NominalCodesSection
        self.add_section("Nominal codes", NominalCodesSection(self.db))
        from desktop.ui.shipping.shipping import install_shipping
        install_shipping(self)  # Shipping queue section; Shipping tab; Settings → Starshipit
        from desktop.ui.importing.import_history import ImportHistorySection
        self.add_section("Import history", ImportHistorySection(self.db, self.workers, on_undone=self.refresh))

    def show_section(self, title: str) -> QWidget:
        self.nav.setCurrentRow(list(self.sections).index(title))
        return self.sections[title]

    CUSTOMER_ACTIONS = ("new", "edit", "archive", "unarchive", "delete", "archive_all", "unarchive_all",
                        "delete_all", "find", "find_match", "refresh")

    def customers_shown(self) -> bool:
        return self.pages.currentIndex() == 0

    def _gate_customer_actions(self) -> None:
        """Customer actions (and their shortcuts) act on the customer table: off while another section is
        shown, so that Ctrl+Shift+A in Nominal codes never archives a customer nobody sees."""
        if not self.customers_shown():
            for name in self.CUSTOMER_ACTIONS:
                self.actions_by_name[name].setEnabled(False)

    def _show_page(self, row: int) -> None:
        if row < 0:
            return
        self.pages.setCurrentIndex(row)
        if not hasattr(self, "actions_by_name"):  # the first row is set while the window is being built
            return
        on_customers = row == 0
        self.toolbar.setVisible(on_customers)
        self.status.setVisible(on_customers)
        if on_customers:
            self.actions_by_name["new"].setEnabled(True)
            self.actions_by_name["find"].setEnabled(True)
            self.actions_by_name["find_match"].setEnabled(True)
            self.actions_by_name["refresh"].setEnabled(True)
            self._selection_changed()
        else:
            self._gate_customer_actions()
        page = self.pages.currentWidget()
        activated = getattr(page, "activated", None)
        if callable(activated):
            activated()

    # --- actions and menus ----------------------------------------------------------------------

    def _action(self, text: str, slot: Callable[[], Any], shortcut: Any = None, tip: str = "",
                *, on: QWidget | None = None) -> QAction:
        """An action; its shortcut works anywhere in the window, or only while `on` has the focus."""
        action = QAction(text, self)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut if on is not None
                                      else Qt.ShortcutContext.WindowShortcut)
        action.setStatusTip(tip)
        action.setToolTip(tip or text.replace("&", "").rstrip("…"))
        action.triggered.connect(slot)
        (on or self).addAction(action)
        return action

    def _build_actions(self) -> None:
        k = QKeySequence.StandardKey
        t = self.table
        self.actions_by_name = {
            "new": self._action("&New customer…", self.new_customer, k.New, "Create a customer"),
            # Enter and Delete act on the table only: in the search box or the address list they mean
            # something else.
            "edit": self._action("&Edit customer…", self.edit_customer, ["Return", "Enter"],
                                 "Edit the selected customer", on=t),
            "archive": self._action("&Archive", self.archive_selected, "Ctrl+Shift+A",
                                    "Archive the selected customers"),
            "unarchive": self._action("&Unarchive", self.unarchive_selected, "Ctrl+Shift+U",
                                      "Unarchive the selected customers"),
            "delete": self._action("&Delete…", self.delete_selected, k.Delete,
                                   "Delete the selected customers", on=t),
            "archive_all": self._action("Archive all matching…", lambda: self.bulk("archive", True)),
            "unarchive_all": self._action("Unarchive all matching…", lambda: self.bulk("unarchive", True)),
            "delete_all": self._action("Delete all matching…", lambda: self.bulk("delete", True)),
            "refresh": self._action("&Refresh", self.refresh, k.Refresh, "Read the customers again (F5)"),
            "find": self._action("&Search", self.focus_search, k.Find, "Search customers (Ctrl+F)"),
            "find_match": self._action("Find &match…", self.find_match, "Ctrl+M",
                                       "Find customers by name, zip and address"),
            "import": self._action("&Import customers…", lambda: self.import_customers(), "Ctrl+I",
                                   "Import customers from a CSV or Excel file (or drop the file on the window)"),
            "reset_columns": self._action("Reset &columns", self.reset_columns,
                                          tip="Show every column at its initial width and place"),
            "quit": self._action("&Quit", self.close, k.Quit),
            "about": self._action("&About Customer Desk", self.show_about),
        }
        a = self.actions_by_name
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions([a["new"], a["find_match"]])
        file_menu.addAction(a["import"])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        customer_menu = self.menuBar().addMenu("&Customer")
        customer_menu.addActions([a["new"], a["edit"], a["archive"], a["unarchive"], a["delete"]])
        customer_menu.addSeparator()
        customer_menu.addActions([a["archive_all"], a["unarchive_all"], a["delete_all"]])
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addActions([a["find"], a["refresh"]])
        view_menu.addSeparator()
        self.columns_menu = view_menu.addMenu("C&olumns")
        self.columns_menu.aboutToShow.connect(lambda: self._fill_column_menu(self.columns_menu))
        self._fill_column_menu(self.columns_menu)
        self.menuBar().addMenu("&Help").addAction(a["about"])

        self.toolbar = QToolBar("Customer actions")
        self.toolbar.setObjectName("customerToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setFloatable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for name, text in (("new", "New"), ("edit", "Edit"), ("", ""), ("archive", "Archive"),
                           ("unarchive", "Unarchive"), ("delete", "Delete"), ("", ""), ("find_match", "Find match"),
                           ("import", "Import"), ("refresh", "Refresh")):
            if not name:
                self.toolbar.addSeparator()
                continue
            a[name].setIconText(text)
            self.toolbar.addAction(a[name])
            button = self.toolbar.widgetForAction(a[name])
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes filter -> table -> detail
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)

    def _tab_order(self) -> None:
        chain: list[QWidget] = [*self.filters.widgets(), self.table, self.detail]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def table_menu(self) -> QMenu:
        a = self.actions_by_name
        menu = QMenu(self)
        menu.addActions([a["new"], a["edit"]])
        menu.addSeparator()
        menu.addActions([a["archive"], a["unarchive"], a["delete"]])
        menu.addSeparator()
        menu.addActions([a["archive_all"], a["unarchive_all"], a["delete_all"]])
        return menu

    def _table_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if index.isValid() and not self.table.selectionModel().isRowSelected(index.row()):
            select_row(self.table, index.row())  # right-click acts on the row under the mouse
        self.table_menu().popup(self.table.viewport().mapToGlobal(pos))

    def column_menu(self) -> QMenu:
        menu = QMenu(self)
        self._fill_column_menu(menu)
        return menu

    def _fill_column_menu(self, menu: QMenu) -> None:
        header = self.table.horizontalHeader()
        menu.clear()
        visible = [s for s in range(header.count()) if not header.isSectionHidden(s)]
        for visual in range(header.count()):  # in the order the clerk sees them
            section = header.logicalIndex(visual)
            action = menu.addAction(COLUMNS[section].title)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(section))
            action.setEnabled(visible != [section])  # the last visible column stays
            action.toggled.connect(lambda on, s=section: self.set_column_visible(s, on))
        menu.addSeparator()
        menu.addAction(self.actions_by_name["reset_columns"])

    def _column_menu(self, pos: QPoint) -> None:
        header = self.table.horizontalHeader()
        self.column_menu().popup(header.mapToGlobal(pos))

    def set_column_visible(self, section: int, visible: bool) -> None:
        header = self.table.horizontalHeader()
        header.setSectionHidden(section, not visible)
        if visible and header.sectionSize(section) < 30:
            header.resizeSection(section, COLUMN_WIDTHS.get(COLUMNS[section].key, 100))

    def reset_columns(self) -> None:
        header = self.table.horizontalHeader()
        for section, column in enumerate(COLUMNS):
            header.setSectionHidden(section, False)
            header.moveSection(header.visualIndex(section), section)
            header.resizeSection(section, COLUMN_WIDTHS.get(column.key, 100))

    # --- state ----------------------------------------------------------------------------------

    def _restore(self) -> None:
        s = self.settings
        geometry = s.get(opt.WINDOW_GEOMETRY)
        if geometry and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = s.get(opt.WINDOW_STATE)
        if state and not state.isEmpty():
            self.restoreState(state)
        splitter = s.get(opt.SPLITTER_STATE)
        if splitter and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        header = self.table.horizontalHeader()
        saved = s.get(opt.TABLE_HEADER)
        if not (saved and not saved.isEmpty() and header.restoreState(saved)) or header.count() != len(COLUMNS):
            self.reset_columns()
            header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        if all(header.isSectionHidden(s) for s in range(header.count())):
            self.reset_columns()
        self.filters.restore(s.get(opt.LAST_FILTER) or {})

    def _header_sort(self) -> str:
        """The sort the header's indicator shows, as a list sort key (name when it shows none)."""
        header = self.table.horizontalHeader()
        section, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
        if not self.model.is_sortable(section):
            header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
            return "name"
        key = str(COLUMNS[section].sort_key)
        return f"-{key}" if order == Qt.SortOrder.DescendingOrder else key

    def save_state(self) -> None:
        s = self.settings
        s.set(opt.WINDOW_GEOMETRY, self.saveGeometry())
        s.set(opt.WINDOW_STATE, self.saveState())
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

    def apply_filters(self, sort: str | None = None) -> None:
        try:
            self.model.set_query(self.filters.query(sort or self.current_sort()))
        except DomainError as exc:
            messages.show_error(self, exc)

    def refresh(self) -> None:
        """F5: read the reference lists, the count and the rows again; the selection stays."""
        # A huge selection (Ctrl+A) keeps its rows; reading every id to re-select them is not worth it.
        keep = self.selected_count() <= KEEP_SELECTION_MAX
        selected = self.selected_ids() if keep else []
        self.filters.blockSignals(True)
        try:
            self.filters.reload_references()
        finally:
            self.filters.blockSignals(False)
        query = self.filters.query(self.current_sort())
        if query != self.model.query:  # a reference filter pointed at a row that is gone
            self.apply_filters()
        else:
            self.model.refresh()
        if keep:
            self.select_ids(selected)
        self._selection_changed()

    def focus_search(self) -> None:
        self.filters.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filters.search.selectAll()

    def _into_table(self) -> None:
        self.table.setFocus(Qt.FocusReason.TabFocusReason)
        if self.selected_count() == 0 and self.model.total:
            select_row(self.table, 0)

    def selected_rows(self) -> list[int]:
        """The selected rows, in order (from the selection's ranges: no index per cell)."""
        spans = sorted((r.top(), r.bottom()) for r in self.table.selectionModel().selection())
        rows: list[int] = []
        last = -1
        for top, bottom in spans:
            start = max(top, last + 1)
            rows.extend(range(start, bottom + 1))
            last = max(last, bottom)
        return rows

    def selected_count(self) -> int:
        spans = sorted((r.top(), r.bottom()) for r in self.table.selectionModel().selection())
        count, last = 0, -1
        for top, bottom in spans:
            if bottom > last:
                count += bottom - max(top, last + 1) + 1
                last = bottom
        return count

    def selected_ids(self) -> list[int]:
        ids = [self.model.customer_id(r) for r in self.selected_rows()]
        return [i for i in ids if i is not None]

    def current_id(self) -> int | None:
        if self.selected_count() != 1:
            return None
        return self.model.customer_id(self.selected_rows()[0])

    def select_ids(self, ids: list[int]) -> None:
        selection = self.table.selectionModel()
        rows = [r for r in (self.model.row_for_id(i) for i in ids) if r is not None]
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in rows:
            selection.select(self.model.index(row, 0), flags)
        if rows:
            selection.setCurrentIndex(self.model.index(rows[0], 0), QItemSelectionModel.SelectionFlag.NoUpdate)

    def _about_to_reset(self) -> None:
        count = self.selected_count()
        self._kept = self.selected_ids() if 0 < count <= KEEP_SELECTION_MAX else []
        self._kept_query = self.model.query

    def _model_reset(self) -> None:
        """A new query (filter or sort): keep the selected customers selected where they are still shown;
        after a new sort, find the one selected customer wherever it went and scroll to it."""
        kept, before = self._kept, self._kept_query
        self._kept, self._kept_query = [], None
        if kept:
            self.select_ids(kept)
            if (len(kept) == 1 and self.selected_count() == 0 and before is not None
                    and before.with_(sort=self.model.query.sort) == self.model.query):
                row = self.model.locate(kept[0])
                if row is not None:
                    self.select_ids(kept)
            rows = self.selected_rows()
            if rows:
                self.table.scrollTo(self.model.index(rows[0], 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        self._selection_changed()

    def _selection_changed(self) -> None:
        count = self.selected_count()
        current = self.current_id()
        self.detail.show_customer(current, selected=count)
        self._update_status()
        archived = (self.model.data(self.model.index(self.selected_rows()[0], 0), CustomerRole.ArchivedRole)
                    if count == 1 else None)
        a = self.actions_by_name
        a["archive"].setEnabled(count > 1 or (count == 1 and archived is False))
        a["unarchive"].setEnabled(count > 1 or (count == 1 and archived is True))
        a["delete"].setEnabled(count > 0)
        a["edit"].setEnabled(current is not None)
        self._gate_customer_actions()

    def _sort_indicator_changed(self, column: int, _order: Qt.SortOrder) -> None:
        if not self.model.is_sortable(column):
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(*self.model.sort_indicator())
            header.blockSignals(False)
            self.statusBar().showMessage(f"The {COLUMNS[column].title} column cannot be sorted.", 5_000)

    def _load_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"{message} (F5 to try again)", 15_000)

    def _update_status(self) -> None:
        total = self.model.total
        self.status.setText(f"{plural(total)} ({self.selected_count():,} selected)")
        for action, verb in (("archive_all", "Archive"), ("unarchive_all", "Unarchive"), ("delete_all", "Delete")):
            self.actions_by_name[action].setText(f"{verb} all {total:,} matching…")
            self.actions_by_name[action].setEnabled(total > 0)
        self._gate_customer_actions()

    def _customer_changed(self, customer_id: int) -> None:
        """An address action in the detail pane changed the customer: its row shows the new values. The
        pane already shows them (and the address just added or changed): it is not read again."""
        self.model.refresh()
        if self.selected_ids() != [customer_id]:  # the new values moved the row (a sort by city…)
            selection = self.table.selectionModel()
            selection.blockSignals(True)
            try:
                self.select_ids([customer_id])
            finally:
                selection.blockSignals(False)
            self.table.viewport().update()
            self._update_status()

    # --- single-customer actions ----------------------------------------------------------------

    def new_customer(self) -> None:
        from desktop.ui.customers.customer_form import CustomerForm

        form = CustomerForm.for_create(self.db, self)
        try:
            if not form.exec():
                return
            if form.open_existing_id is not None:
                self.show_customer(form.open_existing_id)
            elif form.customer is not None:
                self.model.refresh()
                cleared = self.show_customer(form.customer.id)
                self.statusBar().showMessage(
                    f"Created {form.customer.name}." + (" The filter was cleared to show it." if cleared else ""),
                    10_000)
        finally:
            form.deleteLater()

    def edit_customer(self) -> None:
        customer_id = self.current_id()
        if customer_id is None:
            return
        from desktop.ui.customers.customer_form import CustomerForm

        try:
            form = CustomerForm.for_edit(self.db, customer_id, self)
        except DomainError as exc:  # deleted meanwhile
            messages.show_error(self, exc)
            self.refresh()
            return
        try:
            if form.exec():
                self.refresh()
                if form.customer is not None:
                    self.statusBar().showMessage(f"Saved {form.customer.name}.", 10_000)
        finally:
            form.deleteLater()

    def find_match(self) -> None:
        from desktop.ui.customers.find_match_dialog import FindMatchDialog

        dialog = FindMatchDialog(self.db, self)
        try:
            if dialog.exec() and dialog.chosen_customer_id is not None:
                self.show_customer(dialog.chosen_customer_id)
        finally:
            dialog.deleteLater()

    # --- import (desktop/ui/importing/import_dialog.py) ----------------------------------------------------

    def import_customers(self, path: str | None = None) -> None:
        """File → Import… (Ctrl+I) asks for the file; a dropped file comes with its path."""
        from desktop.ui.importing.import_dialog import open_import

        open_import(self, path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        from desktop.ui.importing.import_dialog import importable_paths

        if importable_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        from desktop.ui.importing.import_dialog import importable_paths

        if importable_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        from desktop.ui.importing.import_dialog import importable_paths

        paths = importable_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        if len(paths) > 1:
            self.statusBar().showMessage(f"One file at a time: importing {paths[0].name}.", 10_000)
        self.import_customers(str(paths[0]))

    def show_customer(self, customer_id: int) -> bool:
        """Select `customer_id` in the table and show it; when the filter hides it, clear the filter
        (and return True)."""
        cleared = False
        row = self.model.row_for_id(customer_id)
        if row is None:
            row = self.model.locate(customer_id)
        if row is None:
            self.filters.restore({"archived": "all"})
            self.apply_filters()
            row = self.model.locate(customer_id)
            cleared = True
            self.statusBar().showMessage("The filter was cleared to show the customer.", 10_000)
        if row is None:
            self.detail.show_customer(customer_id)  # not in the list at all (deleted meanwhile?)
            return cleared
        select_row(self.table, row)
        self.table.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        return cleared

    def archive_selected(self) -> None:
        self.bulk("archive", False)

    def unarchive_selected(self) -> None:
        self.bulk("unarchive", False)

    def delete_selected(self) -> None:
        self.bulk("delete", False)

    # --- bulk (selection or all matching) -------------------------------------------------------

    def bulk(self, action: str, all_matching: bool, ids: list[int] | None = None) -> None:
        """Archive, unarchive or delete the selection (or every customer matching the filter, or `ids`)
        on the write worker, with progress and Cancel; the result comes back in `_bulk_finished`."""
        if self.bulk_job is not None and self.bulk_job.running:
            self.statusBar().showMessage("Another bulk action is still running.", 5_000)
            return
        given = ids is not None
        count = len(ids) if ids is not None else self.model.total if all_matching else self.selected_count()
        if count == 0:
            return
        if not given and not all_matching and count == self.model.total and count > KEEP_SELECTION_MAX:
            all_matching = True  # Ctrl+A: the filter says which customers, no need to read every id
        if ids is None:
            ids = [] if all_matching else self.selected_ids()
        query = self.model.query
        verb = BULK_VERBS[action]
        if all_matching:
            scope = f"all {plural(count)} matching the filter"
        elif given:
            scope = plural(count)
        elif count == 1:
            name = self.model.data(self.model.index(self.selected_rows()[0], 0))
            scope = f"{name}" if name else "1 customer"
        else:
            scope = plural(count)
        extra = {
            "delete": "\n\nCustomers linked to sales orders, credits, payments or fulfilments are not deleted "
                      "(archive them instead). Deleting cannot be undone.",
            "archive": "\n\nArchived customers are hidden from the list and cannot be given new orders.",
            "unarchive": "",
        }[action]
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
        dialog.setMinimumDuration(400)
        dialog.setAutoReset(False)
        dialog.setAutoClose(False)
        job = Job(work, self)
        self.bulk_job = job
        self.bulk_dialog = dialog
        dialog.canceled.connect(job.cancel)
        dialog.canceled.connect(lambda: dialog.setLabelText("Cancelling… (nothing is kept)"))

        def on_progress(done: int, total: int) -> None:
            if job.cancel_requested:
                return
            dialog.setMaximum(max(total, 1))
            dialog.setValue(min(done, max(total, 1)))
            dialog.setLabelText(f"{verb} {scope}… {done:,} of {total:,}")

        def ended() -> None:
            dialog.reset()  # stops the timer that would show it
            dialog.hide()
            dialog.deleteLater()
            if self.bulk_dialog is dialog:
                self.bulk_dialog = None

        job.progress.connect(on_progress)
        job.finished.connect(self._bulk_finished)
        job.failed.connect(self._bulk_failed)
        job.ended.connect(ended)
        self.statusBar().showMessage(f"{verb} {scope}…")
        self.workers.start(job, write=True)

    def _bulk_finished(self, result: BulkResult) -> None:
        self.last_bulk_result = result
        self.refresh()
        self.statusBar().showMessage(result.summary(), 15_000)
        if result.skipped:
            if self.bulk_result_dialog is not None:
                self.bulk_result_dialog.deleteLater()
            self.bulk_result_dialog = BulkResultDialog(result, self)
            self.bulk_result_dialog.archiveRequested.connect(lambda ids: self.bulk("archive", False, ids))
            self.bulk_result_dialog.open()

    def _bulk_failed(self, exc: Exception) -> None:
        self.last_bulk_result = None
        if isinstance(exc, Cancelled):
            self.statusBar().showMessage(str(exc), 15_000)
        else:
            messages.show_error(self, exc)
        self.refresh()

    # --- help -----------------------------------------------------------------------------------

    def about_text(self) -> str:
        from desktop import logs

        return (f"<h3>Customer Desk {__version__}</h3>"
                f"<p>Keeps your company's customers and their addresses.</p>"
                f"<p><b>Database:</b> {_escape(self.db.location)} ({self.db.backend})<br>"
                f"<b>Log file:</b> {_escape(str(logs.log_file()))}</p>")

    def show_about(self) -> None:
        if self.about_box is None:
            self.about_box = QMessageBox(QMessageBox.Icon.Information, "About Customer Desk", "",
                                         QMessageBox.StandardButton.Ok, self)
            self.about_box.setTextFormat(Qt.TextFormat.RichText)
            self.about_box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.about_box.setText(self.about_text())
        self.about_box.open()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

