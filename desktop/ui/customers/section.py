"""The Customers section: the filter bar, the customer table, the detail pane, and the customer actions
(new, edit, archive, unarchive, delete, the "… all matching" bulk actions, search, find match, refresh,
columns).

Why this file is ~640 lines: it is the wiring of one section (its actions, menus, selection rules and the
bulk runs on the write worker); the table model, filter bar, detail pane, forms and dialogs are their own
modules beside it.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QMenu,
    QProgressDialog,
    QSplitter,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from sqlalchemy import select

from desktop.services.customer_list import CustomerQuery
from desktop.store import models as m
from desktop.services.customers import BulkResult, CustomerDetail
from desktop.services.errors import Cancelled, DomainError
from desktop.ui.common import messages
from desktop.ui.common import settings as opt
from desktop.ui.common.section import Host, Section
from desktop.ui.common.views import select_row
from desktop.ui.common.workers import Job
from desktop.ui.customers.bulk import (
    BULK_VERBS,
    BULK_WARNINGS,
    BulkResultDialog,
    bulk_work,
    plural,
)
from desktop.ui.customers.customer_model import (
    COLUMNS,
    CustomerRole,
    CustomerTableModel,
)
from desktop.ui.customers.detail_pane import CustomerDetailPane
from desktop.ui.customers.filter_bar import FilterBar

# Initial column widths in pixels (until the clerk's own layout is restored).
COLUMN_WIDTHS = {
    # Name to Country fit beside the detail pane on a 1366 px laptop screen.
    "name": 155, "company": 135, "email": 180, "phone": 118, "city": 92, "zip": 56, "country_code": 54,
    "sales_rep": 130, "pricing_tier": 110, "store": 130, "warehouse": 140, "created_at": 95, "archived_at": 80,
}
KEEP_SELECTION_MAX = 200  # a selection up to this size survives a new filter or sort (when still shown)
CUSTOMER_ACTIONS = ("new", "edit", "archive", "unarchive", "delete", "archive_all", "unarchive_all",
                    "delete_all", "find", "find_match", "refresh", "export")
# The toolbar, in order ("" a separator); an action another section adds (import) is placed when present.
BULK_TYPE_COUNT = 1000
TOOLBAR = (("new", "New"), ("edit", "Edit"), ("", ""), ("archive", "Archive"), ("unarchive", "Unarchive"),
           ("delete", "Delete"), ("", ""), ("find_match", "Find match"), ("import", "Import"), ("refresh", "Refresh"))


class Customers(Section):
    key = "customers"
    title = "Customers"

    def __init__(self, host: Host):
        super().__init__(host)
        self.db = host.db
        self.settings = host.settings
        self.workers = host.workers
        self.shown = True  # the first page
        self.bulk_job: Job | None = None
        self.bulk_dialog: QProgressDialog | None = None
        self.exporter: Any = None  # the File → Export job (desktop.ui.customers.export), made when first used
        self.bulk_result_dialog: BulkResultDialog | None = None
        self.last_bulk_result: BulkResult | None = None
        self._kept: list[int] = []
        self._kept_query: CustomerQuery | None = None
        self._relocate: int | None = None  # the customer to find again once the new sort is counted

        self.filters = FilterBar(self.db)
        self.model = CustomerTableModel(self.db, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Customers")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table for the detail pane, as on a form
        self.table.installEventFilter(self)  # typing a name in the table goes to the search
        self.table.setAlternatingRowColors(True)
        # What to do when nothing is listed, over the empty table (links: Tab reaches them too).
        self.empty = QLabel()
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setTextFormat(Qt.TextFormat.RichText)
        self.empty.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                           | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.empty.linkActivated.connect(self._empty_link)
        overlay = QVBoxLayout(self.table.viewport())
        overlay.addStretch(1)
        overlay.addWidget(self.empty)
        overlay.addStretch(2)
        self.empty.hide()
        self._other_actions: Mapping[str, QAction] = {}
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
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

        self.detail = CustomerDetailPane(self.db)
        self.detail.changed.connect(self._customer_changed)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("tableDetailSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([900, 360])  # the pane starts at its narrowest: the table gets the room

        self.page = QWidget()
        column = QVBoxLayout(self.page)
        column.setContentsMargins(6, 6, 6, 0)
        column.addWidget(self.filters)
        column.addWidget(self.splitter, 1)

        self.status = QLabel()
        self.status_widget = self.status
        self._build_actions()
        self._tab_order()
        self._restore()

        # The first query sorts as the restored header says; only then may a header click sort.
        self.filters.changed.connect(self.apply_filters)
        self.filters.leaveDown.connect(self._into_table)
        self.filters.search.returnPressed.connect(self._first_hit)  # Enter: on to the first hit, if any
        self.model.modelAboutToBeReset.connect(self._about_to_reset)
        self.model.modelReset.connect(self._model_reset)
        self.model.totalChanged.connect(lambda _n: self._update_status())
        self.model.loadFailed.connect(self._load_failed, Qt.ConnectionType.QueuedConnection)
        self.model.queryFailed.connect(self._query_failed)
        self.model.busyChanged.connect(self._busy_changed)
        self.model.countingChanged.connect(self._counting_changed)
        self.model.sortRefused.connect(self._sort_refused)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        # The first page is read before the window shows (it never opens on an empty table); every later
        # query runs off the GUI thread.
        try:
            self.model.start(self.filters.query(self._header_sort()))
        except DomainError as exc:
            messages.show_error(self.host.widget, exc)
        if self.model.rowCount():  # the detail pane shows someone from the start, not an empty pane
            select_row(self.table, 0)
        self.table.setSortingEnabled(True)  # sorts by the indicator: the query already does
        header.sortIndicatorChanged.connect(self._sort_indicator_changed)

    # --- in the window --------------------------------------------------------------------------

    def activated(self) -> None:
        self.shown = True
        for name in ("new", "find", "find_match", "refresh", "export"):
            self.actions[name].setEnabled(True)
        self._selection_changed()

    def deactivated(self) -> None:
        self.shown = False
        self._gate_customer_actions()

    def _gate_customer_actions(self) -> None:
        """Customer actions (and their shortcuts) act on the customer table: off while another section is
        shown, so that Ctrl+Shift+A in Nominal codes never archives a customer nobody sees."""
        if not self.shown:
            for name in CUSTOMER_ACTIONS:
                self.actions[name].setEnabled(False)

    def sections_ready(self, actions: Mapping[str, QAction]) -> None:
        """Every section's actions exist: the toolbar takes the ones of other sections it shows (Import)."""
        assert self.toolbar is not None
        self._other_actions = actions
        self._update_empty()
        for name, text in TOOLBAR:
            if not name:
                self.toolbar.addSeparator()
                continue
            action = actions.get(name)
            if action is None:
                continue
            action.setIconText(text)
            self.toolbar.addAction(action)
            button = self.toolbar.widgetForAction(action)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes filter -> table -> detail

    def current_customer(self) -> CustomerDetail | None:
        return self.detail.customer

    def add_customer_tab(self, widget: QWidget, title: str) -> None:
        self.detail.add_customer_tab(widget, title)

    # --- actions and menus ----------------------------------------------------------------------

    def _action(self, text: str, slot: Callable[[], Any], shortcut: Any = None, tip: str = "",
                *, on: QWidget | None = None) -> QAction:
        """An action; its shortcut works anywhere in the window, or only while `on` has the focus."""
        action = QAction(text, self.host.widget)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut if on is not None
                                      else Qt.ShortcutContext.WindowShortcut)
        action.setStatusTip(tip)
        action.setToolTip(tip or text.replace("&", "").rstrip("…"))
        action.triggered.connect(slot)
        (on or self.host.widget).addAction(action)
        return action

    def _build_actions(self) -> None:
        k = QKeySequence.StandardKey
        t = self.table
        self.actions = {
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
            "export": self._action("&Export…", self.export_customers, "Ctrl+E",
                                   "Write the customers listed (search, filters, sort) to a CSV file or an "
                                   "Excel workbook (Ctrl+E)"),
            "reset_columns": self._action("Reset &columns", self.reset_columns,
                                          tip="Show every column at its initial width and place"),
            "detail_pane": self._action("&Details pane", lambda: self.show_detail_pane(
                self.actions["detail_pane"].isChecked()), "Ctrl+Shift+D",
                "Show or hide the customer's details beside the table (Ctrl+Shift+D)"),
        }
        self.actions["detail_pane"].setCheckable(True)
        self.actions["detail_pane"].setChecked(True)
        a = self.actions
        self.columns_menu = QMenu("C&olumns", self.host.widget)
        self.columns_menu.aboutToShow.connect(lambda: self._fill_column_menu(self.columns_menu))
        self._fill_column_menu(self.columns_menu)
        self.menus = [
            ("&File", [a["new"], a["find_match"], a["export"]]),
            ("&Customer", [a["new"], a["edit"], a["archive"], a["unarchive"], a["delete"], None,
                           a["archive_all"], a["unarchive_all"], a["delete_all"]]),
            ("&View", [a["find"], a["refresh"], None, a["detail_pane"], self.columns_menu]),
        ]

        self.toolbar = QToolBar("Customer actions")
        self.toolbar.setObjectName("customerToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setFloatable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

    def _tab_order(self) -> None:
        chain: list[QWidget] = [*self.filters.widgets(), self.table, self.detail]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def table_menu(self) -> QMenu:
        a = self.actions
        menu = QMenu(self.host.widget)
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
        menu = QMenu(self.host.widget)
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
        menu.addAction(self.actions["reset_columns"])

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
        self.filters.restore(s.get(opt.LAST_FILTER) or {}, announce=True)
        self.show_detail_pane(bool(s.get(opt.DETAIL_PANE)), remember=False)

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
        s.set(opt.SPLITTER_STATE, self.splitter.saveState())
        s.set(opt.TABLE_HEADER, self.table.horizontalHeader().saveState())
        s.set(opt.LAST_FILTER, self.filters.state())
        s.set(opt.DETAIL_PANE, 0 if self.detail.isHidden() else 1)

    def closing(self) -> None:
        self.model.shutdown()
        self.detail.shutdown()
        if self.bulk_job is not None and self.bulk_job.running:
            self.bulk_job.cancel()
            self.workers.wait(30_000)

    # --- filtering and selection ----------------------------------------------------------------

    def current_sort(self) -> str:
        return self.model.pending_query.sort

    def apply_filters(self, sort: str | None = None) -> None:
        """Read the filter bar's query off the GUI thread; the table shows it once read."""
        try:
            query = self.filters.query(sort or self.current_sort())
        except DomainError as exc:
            messages.show_error(self.host.widget, exc)
            return
        self.model.request(query)

    def _counting_changed(self, counting: bool) -> None:
        if counting:
            return self._update_status()
        customer_id, self._relocate = self._relocate, None
        if customer_id is not None and self.selected_count() == 0:
            row = self.model.locate(customer_id)
            if row is not None:
                self.select_ids([customer_id])
                self.table.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        self._update_status()

    def _busy_changed(self, busy: bool) -> None:
        self.filters.set_busy(busy)
        if not busy:
            self._update_status()

    def _query_failed(self, exc: BaseException) -> None:
        messages.show_error(self.host.widget, exc)

    def _sort_refused(self, message: str) -> None:
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(*self.model.sort_indicator())
        header.blockSignals(False)
        self.host.show_message(message, 10_000)

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

    def _first_hit(self) -> None:
        """Enter in the search: once the search is read, the first hit selected, the keyboard on it; with
        no hit the keyboard stays in the search, to change it."""
        def go() -> None:
            if self.model.total and self.filters.search.hasFocus():
                self._into_table()
                select_row(self.table, 0)
        self.model.when_ready(go)

    def panes(self) -> list[QWidget]:
        return [self.filters.search, self.table] + ([] if self.detail.isHidden() else [self.detail])

    def show_detail_pane(self, shown: bool, *, remember: bool = True) -> None:
        """The detail pane beside the table, or the table alone at full width (remembered per desk)."""
        focus = QApplication.focusWidget()
        if not shown and focus is not None and self.detail.isAncestorOf(focus):
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.detail.setVisible(shown)
        self.actions["detail_pane"].setChecked(shown)
        if remember:
            self.settings.set(opt.DETAIL_PANE, 1 if shown else 0)

    def focus_first(self) -> None:
        self.filters.search.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A letter or digit typed in the table starts a search with it (the table has no use for it)."""
        if (watched is self.table and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier)):
            text = event.text()
            if text and text.isprintable() and not text.isspace():
                search = self.filters.search
                search.setFocus(Qt.FocusReason.ShortcutFocusReason)
                search.setText(text)
                search.setCursorPosition(len(text))
                return True
        return super().eventFilter(watched, event)

    def focus_search(self) -> None:
        self.filters.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filters.search.selectAll()

    def _into_table(self) -> None:
        """The keyboard on the table; the first row selected once the query being read is shown."""
        self.table.setFocus(Qt.FocusReason.TabFocusReason)

        def first() -> None:
            if self.selected_count() == 0 and self.model.total:
                select_row(self.table, 0)
        self.model.when_ready(first)

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
        self._relocate = None
        count = self.selected_count()
        self._kept = self.selected_ids() if 0 < count <= KEEP_SELECTION_MAX else []
        self._kept_query = self.model.query

    def _model_reset(self) -> None:
        """A new query (filter or sort): keep the selected customers selected where they are still shown;
        after a new sort, find the one selected customer wherever it went and scroll to it."""
        # Lay the view out now (the scrollbar's range, the headers) rather than after its first paint,
        # which would then paint the whole table a second time.
        self.table.executeDelayedItemsLayout()
        kept, before = self._kept, self._kept_query
        self._kept, self._kept_query = [], None
        if kept:
            self.select_ids(kept)
            if (len(kept) == 1 and self.selected_count() == 0 and before is not None
                    and before.with_(sort=self.model.query.sort) == self.model.query):
                if self.model.counting:  # its row may be past the first page: once the total is known
                    self._relocate = kept[0]
                    return self._selection_changed()
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
        a = self.actions
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
            self.host.show_message(f"The {COLUMNS[column].title} column cannot be sorted.", 5_000)

    def _load_failed(self, message: str) -> None:
        self.host.show_message(f"{message} (F5 to try again)", 15_000)

    def _update_empty(self) -> None:
        """The empty table says why and offers the ways on (clear the search, include archived, create the
        customer searched for, import)."""
        if self.model.total or self.model.busy:
            self.empty.hide()
            return
        text = self.filters.search.text().strip()
        archived = self.filters.archived.currentData()
        links = []
        if text or self.filters.has_filter():
            what = f"No customers match “{html.escape(text)}”." if text else "No customers match these filters."
            links.append('<a href="clear">Clear the search and filters</a>')
        else:
            with self.db.read() as s:
                anyone = s.scalar(select(m.Customer.id).limit(1)) is not None
            what = "No archived customers." if archived == "archived" else (
                "No active customers." if anyone else "This store has no customers yet.")
        if archived == "active" and (text or self.filters.has_filter() or what.startswith("No active")):
            links.append('<a href="archived">Include archived customers</a>')
        links.append(f'<a href="new">New customer “{html.escape(text)}”</a>' if text
                     else '<a href="new">New customer</a>')
        if "import" in self._other_actions:
            links.append('<a href="import">Import customers from a file…</a>')
        self.empty.setText(f"<p style='font-size: large'>{what}</p><p>{' &nbsp;·&nbsp; '.join(links)}</p>")
        self.empty.show()

    def _empty_link(self, link: str) -> None:
        if link == "clear":
            self.filters.clear_all()
        elif link == "archived":
            self.filters.archived.setCurrentIndex(self.filters.archived.findData("all"))
        elif link == "new":
            self.new_customer(name=self.filters.search.text().strip() or None)
        elif link == "import" and "import" in self._other_actions:
            self._other_actions["import"].trigger()

    def _update_status(self) -> None:
        self._update_empty()
        total = self.model.total
        counting = self.model.counting
        if counting:  # the first page is shown, the rest still counted
            self.status.setText(f"{total:,}+ customers, counting… ({self.selected_count():,} selected)")
        else:
            self.status.setText(f"{plural(total)} ({self.selected_count():,} selected)")
        for action, verb in (("archive_all", "Archive"), ("unarchive_all", "Unarchive"), ("delete_all", "Delete")):
            self.actions[action].setText(f"{verb} all matching…" if counting else f"{verb} all {total:,} matching…")
            self.actions[action].setEnabled(total > 0 and not counting)
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

    def new_customer(self, name: str | None = None) -> None:
        from desktop.ui.customers.customer_form import CustomerForm

        form = CustomerForm.for_create(self.db, self.host.widget, self.settings.get(opt.NEW_CUSTOMER_DEFAULTS))
        if name:  # from the empty search: the name the clerk looked for
            form.fields["name"].widget.setText(name)
        try:
            if not form.exec():
                return
            if form.open_existing_id is not None:
                self.show_customer(form.open_existing_id)
            elif form.customer is not None:
                self.settings.set(opt.NEW_CUSTOMER_DEFAULTS, form.remembered_defaults())
                self.model.refresh()
                cleared = self.show_customer(form.customer.id)
                self.host.show_message(
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
            form = CustomerForm.for_edit(self.db, customer_id, self.host.widget)
        except DomainError as exc:  # deleted meanwhile
            messages.show_error(self.host.widget, exc)
            self.refresh()
            return
        try:
            if form.exec():
                self.refresh()
                if form.open_existing_id is not None:  # the clerk went to the customer with that email
                    self.show_customer(form.open_existing_id)
                elif form.customer is not None:
                    self.host.show_message(f"Saved {form.customer.name}.", 10_000)
        finally:
            form.deleteLater()

    def find_match(self) -> None:
        from desktop.ui.customers.find_match_dialog import FindMatchDialog

        dialog = FindMatchDialog(self.db, self.host.widget)
        try:
            if dialog.exec() and dialog.chosen_customer_id is not None:
                self.show_customer(dialog.chosen_customer_id)
        finally:
            dialog.deleteLater()

    def show_customer(self, customer_id: int) -> bool:
        """Select `customer_id` in the table and show it; when the filter hides it, clear the filter
        (and return True)."""
        cleared = False
        row = self.model.row_for_id(customer_id)
        if row is None:
            row = self.model.locate(customer_id)
        if row is None:
            self.filters.restore({"archived": "all"})
            self.filters.chip.hide()
            try:  # at once: the clerk asked for this one customer and waits for it
                self.model.set_query(self.filters.query(self.current_sort()))
            except DomainError as exc:
                messages.show_error(self.host.widget, exc)
                return cleared
            row = self.model.locate(customer_id)
            cleared = True
            self.host.show_message("The filter was cleared to show the customer.", 10_000)
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
    # More than this many customers, or every customer (no search, no filter): the clerk types the number.

    def bulk(self, action: str, all_matching: bool, ids: list[int] | None = None) -> None:
        """Archive, unarchive or delete the selection (or every customer matching the filter, or `ids`)
        on the write worker, with progress and Cancel; the result comes back in `_bulk_finished`."""
        if self.bulk_job is not None and self.bulk_job.running:
            self.host.show_message("Another bulk action is still running.", 5_000)
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
        question = f"{verb} {scope}?{BULK_WARNINGS[action]}"
        unfiltered = all_matching and not (self.filters.search.text().strip() or self.filters.has_filter())
        if count > BULK_TYPE_COUNT or unfiltered:  # many, or every customer of the store: typed, not clicked
            if unfiltered:
                question = f"{verb} every {'active ' if query.archived == 'active' else ''}customer of the store " \
                           f"({plural(count)}): no search or filter is set.{BULK_WARNINGS[action]}"
            if not messages.ask_count(self.host.widget, f"{verb} customers", question, verb, count):
                return
        elif not messages.ask(self.host.widget, f"{verb} customers", question, verb):
            return
        search = " ".join(self.filters.search.text().split())
        if all_matching:
            description = f"all {plural(count)} matching" + (f" “{search}”" if search else "") + (
                " and the filters" if self.filters.has_filter() else "")
        else:
            description = scope if count == 1 else f"{plural(count)} chosen"
        work = bulk_work(self.db, action, all_matching=all_matching, query=query, ids=ids, description=description)

        dialog = QProgressDialog(f"{verb} {scope}…", "Cancel", 0, 0, self.host.widget)
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
        self.host.show_message(f"{verb} {scope}…")
        self.workers.start(job, write=True)

    def export_customers(self, path: str | None = None) -> None:
        """Ctrl+E: the customers listed, as the table lists them, to a file chosen in a save dialog (or
        `path`), on a worker with progress and Cancel."""
        from desktop.ui.customers.export import CustomerExport, ask_target

        if self.exporter is None:
            self.exporter = CustomerExport(self.db, self.workers, self.host.widget, self.settings)
            self.exporter.done.connect(
                lambda count, target: self.host.show_message(f"Exported {plural(count)} to {target}.", 20_000))
            self.exporter.failed.connect(
                lambda exc: self.host.show_message(str(exc), 15_000) if isinstance(exc, Cancelled) else None)
        if self.exporter.running:
            self.host.show_message("An export is still running.", 5_000)
            return
        target = path or ask_target(self.host.widget, self.settings)
        if not target:
            return
        total = None if self.model.counting else self.model.total  # still counting: the worker counts
        self.exporter.start(self.model.query, total, target)

    def _bulk_finished(self, result: BulkResult) -> None:
        self.last_bulk_result = result
        self.refresh()
        undo = " — undo it from Import history (Bulk archive and unarchive)" if result.bulk_action_id else ""
        self.host.show_message(result.summary() + undo, 20_000)
        if result.skipped:
            if self.bulk_result_dialog is not None:
                self.bulk_result_dialog.deleteLater()
            self.bulk_result_dialog = BulkResultDialog(result, self.host.widget)
            self.bulk_result_dialog.archiveRequested.connect(lambda ids: self.bulk("archive", False, ids))
            self.bulk_result_dialog.open()

    def _bulk_failed(self, exc: Exception) -> None:
        self.last_bulk_result = None
        if isinstance(exc, Cancelled):
            self.host.show_message(str(exc), 15_000)
        else:
            messages.show_error(self.host.widget, exc)
        self.refresh()

