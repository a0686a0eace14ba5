"""The Sales credits section: every customer's open credits, newest first, fetched page by page as the
list scrolls; Allocate… (Enter) opens the allocation dialog on the chosen credit, Show customer (Ctrl+Enter)
goes to its customer. The list is read again each time the section is shown."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services.money import CreditAmounts, fmt
from desktop.store.engine import Database
from desktop.ui.common.views import record_table, select_row
from desktop.ui.common.search_box import SearchBox
from desktop.ui.money.money_models import AllOpenCreditsModel, MoneyRole


class SalesCreditsSection(QWidget):
    """`allocate(credit)` and `show_customer(customer_id)` are the owner's (MainWindow's money actions)."""

    def __init__(self, db: Database, allocate: Callable[[CreditAmounts], None],
                 show_customer: Callable[[int], None], parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self._allocate = allocate
        self._show_customer = show_customer
        self.loaded = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        title = QLabel("<b>Open sales credits</b> — every customer's credits with something left to allocate, "
                       "newest first")
        layout.addWidget(title)
        self.search = SearchBox(self, "Search credit number or customer", "Search open credits",
                                action_text="Search credits")
        self.search.applied.connect(lambda _t: self._apply_search())
        layout.addWidget(self.search)
        self.model = AllOpenCreditsModel(db, self)
        self.view = record_table(self.model, "Open sales credits")
        self.view.horizontalHeader().setSortIndicator(1, Qt.SortOrder.DescendingOrder)  # newest first
        self.view.setSortingEnabled(True)  # (sorts as the indicator says: as the model already does)
        header = self.view.horizontalHeader()
        for col, width in enumerate((120, 95, 260, 50, 110, 110, 110)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.view.doubleClicked.connect(lambda _i: self.allocate())
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        layout.addWidget(self.view, 1)

        self.actions: dict[str, QAction] = {}
        for key, text, slot, keys in (
            ("allocate", "&Allocate…", self.allocate, ["Return", "Enter"]),
            ("customer", "Show &customer", self.show_customer, ["Ctrl+Return", "Ctrl+Enter"]),
            ("refresh", "&Refresh", self.reload, []),
        ):
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            self.view.addAction(action)
            self.actions[key] = action
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text in (("allocate", "Allocate…  (Enter)"), ("customer", "Show customer  (Ctrl+Enter)"),
                          ("refresh", "Refresh")):
            button = QPushButton(text)
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(self.actions[key].trigger)
            row.addWidget(button)
            self.buttons[key] = button
        row.addStretch(1)
        self.count_label = QLabel()
        row.addWidget(self.count_label)
        layout.addLayout(row)
        # What all the matching credits add up to, per currency (not only the rows scrolled to).
        self.totals_label = QLabel()
        self.totals_label.setObjectName("creditTotals")
        self.totals_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.totals_label)
        self.model.rowsInserted.connect(lambda *_: self._update())
        self.model.modelReset.connect(self._update)
        self.model.loadFailed.connect(lambda text: self.count_label.setText(text))
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self._update()

    def activated(self) -> None:
        """Shown: read the credits (again: allocations elsewhere may have closed some)."""
        self.reload()
        self.view.setFocus()

    def reload(self) -> None:
        selected = self.current()
        self.model.reload()
        self.loaded = True
        row = next((r for r in range(self.model.rowCount())
                    if selected is not None and self.model.record(r).id == selected.id), 0 if self.model.rowCount() else None)
        if row is not None:
            select_row(self.view, row)
        self._update()

    def mark_stale(self) -> None:
        if self.isVisible():
            self.reload()
        else:
            self.loaded = False

    def current(self) -> CreditAmounts | None:
        rows = self.view.selectionModel().selectedRows() if self.view.selectionModel() else []
        return self.model.data(rows[0], MoneyRole.Record) if rows else None

    def _apply_search(self) -> None:
        self.search.stop()
        self.model.set_search(self.search.text())
        if self.model.rowCount():
            select_row(self.view, 0)
        self._update()

    def _update(self) -> None:
        n, total = self.model.rowCount(), self.model.matching
        more = "" if self.model.complete else f" of {total:,} (scroll for more)"
        if total == 0 and self.model.search:
            self.count_label.setText(f"No open credit matches “{self.model.search}”.")
        else:
            self.count_label.setText(f"{n:,} open credit{'s' if n != 1 else ''} shown{more}")
        self.totals_label.setText("  ·  ".join(
            f"{currency}: open {fmt(sums['remaining'])} of {fmt(sums['total'])} (allocated {fmt(sums['allocated'])})"
            for currency, sums in self.model.totals.by_currency.items()))
        chosen = self.current() is not None
        for key in ("allocate", "customer"):
            self.actions[key].setEnabled(chosen)
            self.buttons[key].setEnabled(chosen)

    def allocate(self) -> None:
        credit = self.current()
        if credit is not None:
            self._allocate(credit)

    def show_customer(self) -> None:
        credit = self.current()
        if credit is not None:
            self._show_customer(credit.customer_id)

    def _menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            select_row(self.view, index.row())
        menu = QMenu(self)
        menu.addActions([self.actions["allocate"], self.actions["customer"]])
        menu.addSeparator()
        menu.addAction(self.actions["refresh"])
        menu.popup(self.view.viewport().mapToGlobal(pos))
