"""The detail pane beside the customer table: Details, Addresses and History tabs of one customer. Its item
models (addresses, history) are in pane_models.py."""

from __future__ import annotations

import logging
from typing import Any

import shiboken6

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, QThreadPool, Signal
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services import addresses as address_service
from desktop.services.addresses import AddressView
from desktop.services.customers import CustomerDetail, get_customer
from desktop.services.errors import DomainError, NotFound
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.colours import text_colour
from desktop.ui.common.formats import local_time
from desktop.ui.common.tabs import FittingTabBar, plain
from desktop.ui.common.workers import Job, start_in
from desktop.ui.common.views import select_row
from desktop.ui.customers.pane_models import EMPTY, AddressTableModel, HistoryEntry, HistoryModel, load_history

Index = QModelIndex | QPersistentModelIndex

log = logging.getLogger("desktop.ui.detail_pane")

MUTED_STYLE = "color: palette(placeholder-text);"


# --- the pane -----------------------------------------------------------------------------------

# Short captions: the pane is narrow, the values need the room.
DETAIL_SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Contact", (("company", "Company"), ("email", "Email"), ("phone", "Phone"), ("fax", "Fax"))),
    ("Default addresses", (("shipping", "Shipping"), ("billing", "Billing"))),
    ("Sales", (("sales_rep", "Sales rep"), ("pricing_tier", "Pricing tier"), ("store", "Store"),
               ("warehouse", "Warehouse"))),
    ("Shipping methods", (("ship_domestic", "Domestic"), ("ship_international", "International"))),
    ("Notes", (("notes", ""),)),
    ("Record", (("id", "Customer id"), ("created", "Created"), ("updated", "Updated"))),
)


def _section_title(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.setContentsMargins(0, 10, 0, 2)
    return label


# The reads of a pane being loaded (kept here, not as the pane's children: a pane deleted while one runs
# must not take its job with it).
_RUNNING: set[Job] = set()

Loaded = tuple[CustomerDetail | None, dict[str, str | None], list[HistoryEntry], str]


def read_customer(db: Database, customer_id: int) -> Loaded:
    """What the pane shows of `customer_id`: (customer, reference names, history, '') — or (None, {}, [],
    why) when it cannot be read. Runs on a worker thread; it touches no widget."""
    try:
        with db.read() as s:
            customer = get_customer(s, customer_id)
            return customer, _reference_names(s, customer), load_history(s, customer), ""
    except NotFound:
        return None, {}, [], ""
    except Exception as exc:  # noqa: BLE001 - the pane says it in one line; the log has the rest
        if not isinstance(exc, DomainError):
            log.error("the detail pane could not read customer %s", customer_id, exc_info=exc)
        return None, {}, [], "This customer could not be read. " + messages.explain(exc)[1]


class CustomerDetailPane(QTabWidget):
    """Shows one customer. Emits `changed(customer_id)` after an address action changed it.

    The customer is read off the GUI thread (a selection made while a slow store is busy never freezes
    the window), the latest request winning. While it is read the pane still shows what it showed, but
    `customer` is None and the address actions are off, so that nothing acts on the customer before.
    `loading` is the id being read (None once shown); `shown` is emitted each time the pane has shown
    what was last asked for."""

    changed = Signal(int)
    shown = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.customer: CustomerDetail | None = None
        self.loading: int | None = None
        self._generation = 0  # of the last request: an older read's answer is dropped
        self._queued: tuple[int, int, int] | None = None  # (generation, id, selected) waiting for the thread
        self._pool: QThreadPool | None = None
        self._reading: Job | None = None
        self.setDocumentMode(False)
        # At the pane's narrowest its six tabs do not fit: they become one drop-down list, none hidden.
        self.setTabBar(FittingTabBar(self))
        self._build_details()
        self._build_addresses()
        self._build_history()
        self.customer_tabs: list[QWidget] = []
        self.show_customer(None)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self._fit_tabs()
        super().resizeEvent(event)

    def tabInserted(self, index: int) -> None:  # noqa: N802
        super().tabInserted(index)
        self._fit_tabs()

    def _fit_tabs(self) -> None:
        bar = self.tabBar()
        if isinstance(bar, FittingTabBar):
            bar.fit(self.width() - 2 * self.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth))
            bar.setToolTip("All tabs: " + ", ".join(plain(self.tabText(i)) for i in range(self.count()))
                           + " (Ctrl+Tab: the next one)" if bar.listed else "")

    # --- building -------------------------------------------------------------------------------

    def _build_details(self) -> None:
        self.details_stack = QStackedWidget()
        self.placeholder = QLabel("Select a customer to see their details.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet(MUTED_STYLE)
        self.details_stack.addWidget(self.placeholder)

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(12, 10, 12, 10)
        column.setSpacing(2)
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel()
        self.subtitle.setStyleSheet(MUTED_STYLE)
        column.addWidget(self.title)
        column.addWidget(self.subtitle)
        self.labels: dict[str, QLabel] = {}
        for section, rows in DETAIL_SECTIONS:
            column.addWidget(_section_title(section))
            form = QFormLayout()
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            form.setHorizontalSpacing(12)
            form.setContentsMargins(8, 0, 0, 0)
            for key, title in rows:
                label = QLabel()
                # Selectable by mouse only: keyboard selection would put every value in the Tab chain.
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                label.setWordWrap(True)
                label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                # A long email (no spaces to wrap at) is cut at the pane's edge rather than widening it;
                # its tooltip has it whole.
                policy = label.sizePolicy()
                policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
                label.setSizePolicy(policy)
                self.labels[key] = label
                if title:
                    caption = QLabel(f"{title}:")
                    caption.setMinimumWidth(caption.fontMetrics().horizontalAdvance("International:"))
                    caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
                    form.addRow(caption, label)
                else:
                    form.addRow(label)
            column.addLayout(form)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        self.details_stack.addWidget(scroll)
        self.addTab(self.details_stack, "&Details")

    def _build_addresses(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.address_model = AddressTableModel(self)
        self.address_view = QTableView()
        self.address_view.setModel(self.address_model)
        self.address_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.address_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.address_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.address_view.setAlternatingRowColors(True)
        self.address_view.setWordWrap(True)
        self.address_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.address_view.verticalHeader().hide()
        self.address_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.address_view.setStyleSheet("QTableView::item { padding: 3px 4px; }")
        header = self.address_view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.address_view.doubleClicked.connect(lambda _i: self.edit_address())
        self.address_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.address_view.customContextMenuRequested.connect(self._address_menu)
        layout.addWidget(self.address_view)

        self.address_actions: dict[str, QAction] = {}
        for key, text, slot, shortcut in (
            ("add", "Add address…", self.add_address, "Ins"),
            ("edit", "Edit address…", self.edit_address, "Return"),
            ("delete", "Delete address…", self.delete_address, "Del"),
            ("shipping", "Make default shipping address", lambda: self.set_default("shipping"), None),
            ("billing", "Make default billing address", lambda: self.set_default("billing"), None),
        ):
            action = QAction(text, self)
            action.triggered.connect(slot)
            if shortcut:
                keys = [QKeySequence(shortcut)] + ([QKeySequence("Enter")] if shortcut == "Return" else [])
                action.setShortcuts(keys)
                # Only while the address list has the focus: the same keys act on customers elsewhere.
                action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
                self.address_view.addAction(action)
            self.address_actions[key] = action

        buttons = QHBoxLayout()
        self.address_buttons: dict[str, QAbstractButton] = {}
        for key, text in (("add", "&Add…"), ("edit", "&Edit…"), ("delete", "De&lete…")):
            button = QPushButton(text)
            button.setAutoDefault(False)
            button.clicked.connect(self.address_actions[key].trigger)
            buttons.addWidget(button)
            self.address_buttons[key] = button
        # Both defaults behind one button keep the pane narrow enough to leave the table its room.
        self.default_menu = QMenu(self)
        self.default_menu.addActions([self.address_actions["shipping"], self.address_actions["billing"]])
        default_button = QToolButton()
        default_button.setText("Ma&ke default")
        default_button.setToolTip("Make the selected address the default shipping or billing address")
        default_button.setMenu(self.default_menu)
        default_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        default_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        default_button.setMinimumHeight(self.address_buttons["add"].sizeHint().height())
        buttons.addWidget(default_button)
        self.address_buttons["default"] = default_button
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.address_view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.addresses_page = page
        self.addTab(page, "Add&resses")

    def _build_history(self) -> None:
        self.history_model = HistoryModel(self)
        self.history_view = QTableView()
        self.history_view.setModel(self.history_model)
        self.history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_view.setAlternatingRowColors(True)
        self.history_view.verticalHeader().hide()
        header = self.history_view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.history_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.history_view.setWordWrap(True)
        self.history_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.history_view.setStyleSheet("QTableView::item { padding: 3px 4px; }")
        self.addTab(self.history_view, "Hi&story")

    def add_customer_tab(self, widget: QWidget, title: str) -> None:
        """Add a tab before History. `widget.show_customer(customer: CustomerDetail | None)` is called
        whenever the pane shows another customer (or none); the tab is disabled while there is none."""
        self.insertTab(self.indexOf(self.history_view), widget, title)
        self.customer_tabs.append(widget)
        widget.show_customer(self.customer)  # type: ignore[attr-defined]
        self.setTabEnabled(self.indexOf(widget), self.customer is not None)

    # --- showing --------------------------------------------------------------------------------

    def show_customer(self, customer_id: int | None, *, selected: int = 0, wait: bool = False) -> None:
        """Show `customer_id` (None: nothing; `selected` says how many customers the table has selected).
        The customer is read on the pane's thread, unless `wait` (then at once, on this thread)."""
        self._generation += 1
        if customer_id is None:
            self._queued, self.loading = None, None
            self._show(None, {}, [], "", selected)
            return
        if wait:
            self._queued, self.loading = None, None
            self._show(*read_customer(self.db, customer_id), selected)
            return
        self.loading = customer_id
        if self.customer is not None and self.customer.id != customer_id:
            self.customer = None  # not the one asked for: nothing may act on it any more
            self._update_buttons()
        self._queued = (self._generation, customer_id, selected)
        if self._reading is None:
            self._start_queued()

    def _start_queued(self) -> None:
        """One read at a time: requests made meanwhile (a clerk holding an arrow key) wait, and only the
        last of them is read."""
        self._reading = None
        if self._queued is None or not shiboken6.isValid(self):
            return
        generation, customer_id, selected = self._queued
        self._queued = None
        db = self.db
        job = self._reading = Job(lambda _progress: read_customer(db, customer_id))
        _RUNNING.add(job)
        job.finished.connect(lambda result, g=generation, n=selected: self._loaded(g, n, result))
        job.ended.connect(lambda: (_RUNNING.discard(job), self._start_queued()))
        if self._pool is None:
            self._pool = QThreadPool()
            self._pool.setMaxThreadCount(1)
        start_in(self._pool, job)

    def _loaded(self, generation: int, selected: int, result: Loaded) -> None:
        if generation == self._generation and shiboken6.isValid(self):
            self.loading = None
            self._show(*result, selected)

    def shutdown(self, msecs: int = 5_000) -> None:
        """Wait for a read under way (the window is closing)."""
        self._queued = None
        if self._pool is not None:
            self._pool.waitForDone(msecs)

    def _show(self, customer: CustomerDetail | None, names: dict[str, str | None],
              entries: list[HistoryEntry], problem: str, selected: int) -> None:
        self.customer = customer
        c = self.customer
        for page in (self.addresses_page, self.history_view):
            self.setTabEnabled(self.indexOf(page), c is not None)
        if c is None:
            self.placeholder.setText(problem or (f"{selected:,} customers selected." if selected > 1
                                                 else "Select a customer to see their details."))
            self.details_stack.setCurrentIndex(0)
        else:
            self.details_stack.setCurrentIndex(1)
        values: dict[str, str] = {}
        if c is not None:
            values = {
                "company": c.company or "", "email": c.email or "", "phone": c.phone or "",
                "fax": c.fax or "", "notes": c.notes or "",
                "shipping": _address_lines(c.default_shipping_address),
                "billing": ("Same as shipping" if c.default_billing_address is not None
                            and c.default_billing_address_id == c.default_shipping_address_id
                            else _address_lines(c.default_billing_address)),
                "id": str(c.id),
                "created": f"{local_time(c.created_at):%Y-%m-%d %H:%M}",
                "updated": f"{local_time(c.updated_at):%Y-%m-%d %H:%M}",
                **{k: v or "" for k, v in names.items()},
            }
            status = (f"<span style='color:{text_colour('error').name()}'>Archived {local_time(c.archived_at):%Y-%m-%d}</span>"
                      if c.archived_at else "")
            self.title.setText(f"{_escape(c.name)}{'&nbsp;&nbsp;<small>' + status + '</small>' if status else ''}")
            self.subtitle.setText(c.company or "")
            self.subtitle.setVisible(bool(c.company))
        for key, label in self.labels.items():
            text = values.get(key, "")
            label.setText(text or EMPTY)
            label.setToolTip(text if key in ("email", "company", "notes") else "")
            style = "" if text else MUTED_STYLE
            if label.styleSheet() != style:  # a new style sheet re-polishes the label: only on a change
                label.setStyleSheet(style)
        self.address_model.set_addresses(c.addresses if c else [])
        self.history_model.set_entries(entries, {a.id: a.one_line() for a in c.addresses} if c else None)
        for tab in getattr(self, "customer_tabs", ()):
            self.setTabEnabled(self.indexOf(tab), c is not None)
            tab.show_customer(c)  # type: ignore[attr-defined]
        self._update_buttons()
        self.shown.emit()

    def value(self, key: str) -> str:
        """The text a Details row shows ('' when empty), for tests and screenshots."""
        text = self.labels[key].text()
        return "" if text == EMPTY else text

    def select_address(self, address_id: int) -> None:
        row = self.address_model.row_of(address_id)
        if row is not None:
            select_row(self.address_view, row)

    def _selected_address(self) -> AddressView | None:
        rows = self.address_view.selectionModel().selectedRows()
        return self.address_model.address(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        # While another customer is read, the addresses still listed are not the customer asked for.
        selected = self._selected_address() if self.customer is not None else None
        enabled = {
            "add": self.customer is not None,
            "edit": selected is not None,
            "delete": selected is not None,
            "shipping": selected is not None and not selected.is_default_shipping,
            "billing": selected is not None and not selected.is_default_billing,
        }
        for key, on in enabled.items():
            self.address_actions[key].setEnabled(on)
            if key in self.address_buttons:
                self.address_buttons[key].setEnabled(on)
        self.address_buttons["default"].setEnabled(enabled["shipping"] or enabled["billing"])

    def _address_menu(self, pos: QPoint) -> None:
        self.address_menu().popup(self.address_view.viewport().mapToGlobal(pos))

    def address_menu(self) -> QMenu:
        menu = QMenu(self)
        a = self.address_actions
        menu.addActions([a["add"], a["edit"], a["delete"]])
        menu.addSeparator()
        menu.addActions([a["shipping"], a["billing"]])
        return menu

    # --- address actions ------------------------------------------------------------------------

    def _after_change(self, select_id: int | None = None) -> None:
        assert self.customer is not None
        customer_id = self.customer.id
        self.show_customer(customer_id, wait=True)
        if select_id is not None:
            self.select_address(select_id)
        self.changed.emit(customer_id)

    def _show_error(self, exc: BaseException) -> None:
        messages.show_error(self, exc)
        if isinstance(exc, NotFound) and self.customer is not None:
            self._after_change()

    def add_address(self) -> None:
        if self.customer is None:
            return
        from desktop.ui.customers.address_form import AddressForm

        try:
            form = AddressForm.for_add(self.db, self.customer.id, self)
        except DomainError as exc:
            self._show_error(exc)
            return
        if form.exec():
            self._after_change(form.result_address.id if form.result_address else None)
        form.deleteLater()

    def edit_address(self) -> None:
        address = self._selected_address()
        if address is None:
            return
        from desktop.ui.customers.address_form import AddressForm

        try:
            form = AddressForm.for_edit(self.db, address.customer_id, address.id, self)
        except DomainError as exc:
            self._show_error(exc)
            return
        if form.exec():
            self._after_change(address.id)
        form.deleteLater()

    def delete_address(self) -> None:
        address = self._selected_address()
        if address is None:
            return
        if not messages.ask(self, "Delete address", f"Delete the address {address.one_line()}?", "Delete"):
            return
        try:
            with self.db.transaction() as s:
                address_service.delete_address(s, address.id, expected_version=address.version)
        except DomainError as exc:
            self._show_error(exc)
            return
        self._after_change()

    def set_default(self, role: str) -> None:
        address = self._selected_address()
        if address is None or self.customer is None:
            return
        try:
            with self.db.transaction() as s:
                address_service.set_default_address(s, self.customer.id, address.id, role)
        except DomainError as exc:
            self._show_error(exc)
            return
        self._after_change(address.id)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _address_lines(a: AddressView | None) -> str:
    if a is None:
        return ""
    lines = [a.address1, a.address2, a.address3,
             " ".join(p for p in (a.city, a.province_code or a.province, a.zip) if p),
             a.country or a.country_code]
    text = "\n".join(p for p in lines if p)
    if a.label and a.label.casefold() not in ("shipping", "billing"):  # "(Shipping)" beside Shipping: says nothing
        text += f"\n({a.label})"
    return text


def _reference_names(session: Any, c: CustomerDetail) -> dict[str, str | None]:
    def name(model: type[Any], ref: int | None) -> str | None:
        row = session.get(model, ref) if ref else None
        return row.name if row is not None else None

    return {
        "sales_rep": c.default_sales_rep,
        "pricing_tier": name(m.PricingTier, c.product_pricing_tier_id),
        "store": name(m.Store, c.store_id),
        "warehouse": name(m.Warehouse, c.warehouse_id),
        "ship_domestic": name(m.ShippingMethod, c.shipping_method_domestic_id),
        "ship_international": name(m.ShippingMethod, c.shipping_method_international_id),
    }
