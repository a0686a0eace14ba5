"""The credit allocation dialog: choose one of the customer's open credits, type amounts against its unpaid
orders (or fill them oldest first), watch the remaining credit as you type, and Allocate once every rule
holds. The write runs on the write worker; a refusal or a conflict (someone allocated meanwhile) reloads
the amounts, keeps what was typed, and says what happened.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.services import money
from desktop.services.errors import ConflictError, DomainError, NotFound
from desktop.services.money import (
    AllocationRefused,
    AllocationResult,
    CreditAmounts,
    fmt,
)
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.workers import Job, Workers
from desktop.ui.money.money_models import AllocationColumn, AllocationModel
from desktop.ui.common.colours import text_style

Index = QModelIndex | QPersistentModelIndex


class AmountDelegate(QStyledItemDelegate):
    """A line editor whose every keystroke goes to the model, so the checks and totals follow the typing."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        editor = QLineEdit(parent)
        editor.setAlignment(Qt.AlignmentFlag.AlignRight)
        editor.setPlaceholderText("0.00")
        editor.setMaxLength(20)
        persistent = QPersistentModelIndex(index)
        editor.textEdited.connect(lambda text: persistent.isValid() and
                                  persistent.model().setData(QModelIndex(persistent), text, Qt.ItemDataRole.EditRole))
        return editor

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QLineEdit)
        text = str(index.data(Qt.ItemDataRole.EditRole) or "")
        if editor.text() != text:
            editor.setText(text)

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        assert isinstance(editor, QLineEdit)
        model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class AllocationDialog(QDialog):
    """Allocate one of `customer_id`'s open credits to its unpaid orders. Emits `allocated(result)`."""

    allocated = Signal(object)

    def __init__(self, db: Database, workers: Workers, customer_id: int, credit_id: int | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.workers = workers
        self.customer_id = customer_id
        self.job: Job | None = None
        self.result_: AllocationResult | None = None
        self.orders: list[money.OrderAmounts] = []
        self.credits: list[CreditAmounts] = []
        self.load_ms = 0.0
        self.setWindowTitle("Allocate sales credit")
        self.resize(860, 560)

        layout = QVBoxLayout(self)
        self.banner = messages.Banner(self)
        layout.addWidget(self.banner)
        top = QFormLayout()
        self.credit_combo = QComboBox()
        self.credit_combo.setAccessibleName("Credit")
        self.credit_combo.setMinimumContentsLength(40)
        credit_label = QLabel("&Credit:")
        credit_label.setBuddy(self.credit_combo)
        top.addRow(credit_label, self.credit_combo)
        self.credit_info = QLabel()
        top.addRow("", self.credit_info)
        layout.addLayout(top)

        self.model = AllocationModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Unpaid orders")
        self.view.setItemDelegateForColumn(AllocationColumn.AMOUNT, AmountDelegate(self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        for col, width in ((0, 120), (1, 90), (2, 95), (3, 100), (4, 100)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(AllocationColumn.CHECK, QHeaderView.ResizeMode.Stretch)
        self.view.installEventFilter(self)
        layout.addWidget(self.view, 1)

        sums = QHBoxLayout()
        self.orders_label = QLabel()
        self.total_label = QLabel()
        self.remaining_label = QLabel()
        self.remaining_label.setAccessibleName("Remaining credit")
        font = self.remaining_label.font()
        font.setBold(True)
        self.remaining_label.setFont(font)
        sums.addWidget(self.orders_label)
        sums.addStretch(1)
        sums.addWidget(self.total_label)
        sums.addSpacing(18)
        sums.addWidget(self.remaining_label)
        layout.addLayout(sums)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("What needs correcting")
        layout.addWidget(self.status)

        self.buttons = QDialogButtonBox()
        self.fill_button = QPushButton("Allocate &oldest first")
        self.fill_button.setToolTip("Fill the orders oldest first with the credit's remaining amount (Alt+O)")
        self.clear_button = QPushButton("C&lear amounts")
        self.allocate_button = QPushButton("&Allocate")
        self.allocate_button.setDefault(True)
        self.buttons.addButton(self.fill_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.clear_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.allocate_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.fill_button.setAutoDefault(False)
        self.clear_button.setAutoDefault(False)
        self.buttons.rejected.connect(self.reject)
        self.fill_button.clicked.connect(self.fill_oldest_first)
        self.clear_button.clicked.connect(lambda: self.model.set_amounts({}))
        self.allocate_button.clicked.connect(self.allocate)
        layout.addWidget(self.buttons)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.allocate)

        self.model.changed.connect(self._update)
        self.credit_combo.currentIndexChanged.connect(self._credit_chosen)
        self.load(credit_id)

    # --- loading --------------------------------------------------------------------------------

    def load(self, credit_id: int | None = None, keep: dict[int, str] | None = None) -> None:
        """Read the customer's open credits and unpaid orders (again), choosing `credit_id`."""
        start = time.perf_counter()
        with self.db.read() as s:
            self.credits = money.open_credits(s, self.customer_id).credits
            self.orders = money.unpaid_orders(s, self.customer_id).orders
            if credit_id is not None and all(c.id != credit_id for c in self.credits):
                try:
                    chosen = money.credit_amounts(s, credit_id)  # closed since: still shown, refused by the rules
                except NotFound:
                    chosen = None
                if chosen is not None and chosen.customer_id == self.customer_id:
                    self.credits.insert(0, chosen)
        self.credit_combo.blockSignals(True)
        try:
            self.credit_combo.clear()
            for c in self.credits:
                self.credit_combo.addItem(
                    f"{c.sales_credit_number} — {c.credit_date.isoformat()} — {c.currency_code} "
                    f"{fmt(c.remaining)} remaining of {fmt(c.total)}", c.id)
            index = self.credit_combo.findData(credit_id) if credit_id is not None else 0
            self.credit_combo.setCurrentIndex(max(index, 0))
        finally:
            self.credit_combo.blockSignals(False)
        self._credit_chosen(keep=keep)
        self.load_ms = (time.perf_counter() - start) * 1000

    @property
    def credit(self) -> CreditAmounts | None:
        credit_id = self.credit_combo.currentData()
        return next((c for c in self.credits if c.id == credit_id), None)

    def _credit_chosen(self, _index: int = -1, keep: dict[int, str] | None = None) -> None:
        credit = self.credit
        orders = [o for o in self.orders if credit is not None and o.currency_code == credit.currency_code]
        other = len(self.orders) - len(orders)
        self.model.set_orders(credit, orders, keep)
        if credit is None:
            self.credit_info.setText("This customer has no open sales credit.")
        else:
            note = f" — {credit.sales_credit_note}" if credit.sales_credit_note else ""
            self.credit_info.setText(f"Total {credit.currency_code} {fmt(credit.total)}, already allocated "
                                     f"{fmt(credit.allocated)}, remaining {fmt(credit.remaining)}{note}")
        self.orders_label.setText(
            f"{len(orders):,} unpaid order{'s' if len(orders) != 1 else ''}"
            + (f" ({other:,} in other currencies not shown: a credit pays orders in its own currency)"
               if other else ""))
        self._update()

    # --- live checks ----------------------------------------------------------------------------

    def _update(self) -> None:
        credit = self.credit
        checked = self.model.check()
        currency = credit.currency_code if credit else ""
        self.total_label.setText(f"Allocating {currency} {fmt(self.model.total)}")
        if credit is None:
            self.remaining_label.setText("")
        else:
            left = credit.remaining - self.model.total
            self.remaining_label.setText(f"Remaining after: {currency} {fmt(left)}")
            self.remaining_label.setStyleSheet(text_style("error") if left < 0 else "")
        typed = self.model.typed()
        if credit is None:
            text = "There is no open credit to allocate."
        elif not typed:
            text = "Type an amount beside each order to pay from this credit, or press Allocate oldest first."
        elif checked.problems:
            rows = {p.order_id for p in checked.problems if p.order_id is not None}
            whole = [p.message for p in checked.problems if p.order_id is None]
            parts = []
            if rows:
                parts.append(f"{len(rows)} amount{'s need' if len(rows) != 1 else ' needs'} correcting (see Check)")
            parts += [w[:1].upper() + w[1:] for w in whole]
            text = ". ".join(parts) + "."
        else:
            text = (f"Ready: {fmt(checked.total)} to {len(checked.lines)} "
                    f"order{'s' if len(checked.lines) != 1 else ''}.")
        self.status.setText(text)
        self.status.setStyleSheet(text_style("error") if typed and checked.problems else "")
        busy = self.job is not None and self.job.running
        self.allocate_button.setEnabled(checked.ok and not busy)
        self.fill_button.setEnabled(credit is not None and credit.remaining > 0 and bool(self.model.rowCount())
                                    and not busy)

    def fill_oldest_first(self) -> None:
        credit = self.credit
        if credit is None:
            return
        orders = [self.model.order(r) for r in range(self.model.rowCount())]
        self.model.set_amounts(dict(money.oldest_first(credit.remaining, [o for o in orders if o is not None])))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Enter in the table moves down the Allocate column (as in a spreadsheet), not Allocate.
        if (watched is self.view and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() == Qt.KeyboardModifier.NoModifier):
            current = self.view.currentIndex()
            if current.isValid() and current.row() + 1 < self.model.rowCount():
                self.view.setCurrentIndex(self.model.index(current.row() + 1, AllocationColumn.AMOUNT))
            return True
        return super().eventFilter(watched, event)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.model.rowCount():
            self.view.setFocus()
            self.view.setCurrentIndex(self.model.index(0, AllocationColumn.AMOUNT))

    # --- writing --------------------------------------------------------------------------------

    def allocate(self) -> None:
        credit = self.credit
        checked = self.model.check()
        if credit is None or not checked.ok or (self.job is not None and self.job.running):
            return
        request = {"sales_orders": [{"id": oid, "amount": str(a)} for oid, a in checked.lines.items()]}
        db, credit_id, version = self.db, credit.id, credit.version

        def work(_progress: Any) -> AllocationResult:
            with db.transaction() as s:
                return money.allocate_credit(s, credit_id, request, expected_version=version)

        self.banner.hide()
        self.job = Job(work, self)
        self.job.finished.connect(self._done)
        self.job.failed.connect(self._failed)
        self.job.ended.connect(self._update)
        self.setEnabled(False)
        self.workers.start(self.job, write=True)
        self._update()

    def _done(self, result: AllocationResult) -> None:
        self.setEnabled(True)
        self.result_ = result
        self.allocated.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.setEnabled(True)
        credit = self.credit
        keep = self.model.typed()
        if isinstance(exc, (ConflictError, AllocationRefused, NotFound)):
            self.load(credit.id if credit else None, keep=keep)
            if isinstance(exc, ConflictError):
                text = ("Someone else allocated or changed this credit since you opened it. The amounts were "
                        "read again and your figures kept: check them and press Allocate again.")
            elif isinstance(exc, AllocationRefused):
                text = f"{exc} The amounts were read again; check the orders marked below."
            else:
                text = str(exc)
            self.banner.show_message(text, "error")
        elif isinstance(exc, DomainError):
            self.banner.show_message(messages.explain(exc)[1], "error")
        else:
            messages.show_error(self, exc)
        self._update()
