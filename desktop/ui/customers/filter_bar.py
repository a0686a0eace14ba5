"""The filter bar above the customer table: search as you type (debounced), Active / Archived / All, and the
sales rep, pricing tier, store and warehouse filters."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QToolButton, QWidget
from sqlalchemy import select

from desktop.services.customer_list import CustomerQuery
from desktop.store import models as m
from desktop.store.engine import Database

SEARCH_DEBOUNCE_MS = 150
BUSY_HINT_AFTER_MS = 150  # a query answered sooner than this shows no hint (no flicker while typing)
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
    leaveDown = Signal()  # Down in the search box: on to the results

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(placeholderText="Search name, company, email, phone, address  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMaxLength(200)
        self.search.setMinimumWidth(self.search.fontMetrics().averageCharWidth() * 24)
        self.search.setToolTip("Type to search; Down goes to the results, Esc clears the search")
        self.search.installEventFilter(self)
        self.archived = QComboBox()
        self.archived.setToolTip("Show active customers, archived ones, or all")
        for title, value in ARCHIVED_CHOICES:
            self.archived.addItem(title, value)
        # A filter restored from the last session, said so (the list is not everyone), with × to clear it.
        self.chip = QToolButton()
        self.chip.setObjectName("restoredFilterChip")
        self.chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.chip.setToolTip("The search and filters of your last session; click to show everyone")
        self.chip.setAccessibleName("Clear the restored filter")
        self.chip.clicked.connect(self._clear_restored)
        # Room of its own only when there is room: it never makes the window wider than it was.
        self.chip.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.chip.hide()
        # "Searching…" while a query is read (the rows shown are the previous ones); its room is kept so
        # that nothing moves when it appears.
        self.busy_hint = QLabel()
        self.busy_hint.setObjectName("searchBusyHint")
        self.busy_hint.setFixedWidth(self.busy_hint.fontMetrics().horizontalAdvance("Searching…") + 8)
        self._busy_timer = QTimer(self, singleShot=True, interval=BUSY_HINT_AFTER_MS)
        self._busy_timer.timeout.connect(lambda: self.busy_hint.setText("Searching…"))
        layout.addWidget(self.search, 3)
        layout.addWidget(self.chip, 2)
        layout.addWidget(self.busy_hint)
        layout.addWidget(self.archived)
        self.references: dict[str, QComboBox] = {}
        for key, blank, _model in REFERENCE_FILTERS:
            combo = QComboBox()
            combo.addItem(blank, None)
            combo.setToolTip(blank.replace("Any", "Only customers of this", 1))
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
            # As narrow as ten letters when the window is: a laptop screen still shows the table.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
            self.references[key] = combo
            layout.addWidget(combo, 1)
        self.reload_references()
        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.changed)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self.flush)
        self.archived.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.changed.connect(self._hide_chip_once_changed)

    def set_busy(self, busy: bool) -> None:
        if busy:
            if not self._busy_timer.isActive() and not self.busy_hint.text():
                self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy_hint.clear()

    def _hide_chip_once_changed(self) -> None:
        """The clerk changed the filter: it is theirs now, no longer the restored one."""
        self.chip.hide()

    def _clear_restored(self) -> None:
        self.archived.blockSignals(True)
        try:
            self.archived.setCurrentIndex(self.archived.findData("active"))
        finally:
            self.archived.blockSignals(False)
        self.clear_all()

    def _update_chip(self, prefix: str) -> None:
        parts = []
        text = self.search.text().strip()
        if text:
            parts.append(f"“{text if len(text) <= 24 else text[:23] + '…'}”")
        if self.archived.currentData() != "active":
            parts.append(self.archived.currentText().lower())
        parts.extend(c.currentText() for c in self.references.values() if c.currentData() is not None)
        self.chip.setText(f"{prefix}: {', '.join(parts)}  ×")

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

    def has_filter(self) -> bool:
        """A sales rep, tier, store or warehouse is picked (the search aside)."""
        return any(c.currentData() is not None for c in self.references.values())

    def clear_all(self) -> None:
        """No search, no filter, active customers: everyone (one query)."""
        self.blockSignals(True)
        try:
            self.search.clear()
            for combo in self.references.values():
                combo.setCurrentIndex(0)
        finally:
            self.blockSignals(False)
        self.flush()

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

    def restore(self, state: dict[str, Any], *, announce: bool = False) -> None:
        """Set the filters to `state` (without `changed`); `announce`: it is the last session's filter,
        shown as a chip with × while it is still in force."""
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
        if announce and (self.is_filtered() or self.archived.currentData() != "active"):
            self._update_chip("Restored filter")
            self.chip.show()
        else:
            self.chip.hide()
