"""Shipping in the workspace: the *Shipping queue* section (pending / failed / submitted / shipped
fulfilments, "Submit all pending", "Retry failed"), the *Shipping* tab of a customer, and the Starshipit order
view. Every Starshipit call runs on a pool thread (desktop/ui/workers.py): the window stays usable, progress
reads "12 of 40", and Cancel stops after the current request (what was stored stays stored)."""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QDesktopServices, QFont, QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.services import shipping
from desktop.services.customers import CustomerDetail
from desktop.services.errors import Cancelled, DomainError
from desktop.services.shipping import OrderView, QueueRow, SubmitResult
from desktop.services.shipping_sync import SyncResult, sync_statuses
from desktop.starshipit.credentials import load_keys
from desktop.starshipit.errors import NotConfigured
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common import settings as opt
from desktop.ui.common.formats import local_minute
from desktop.ui.common.tabs import ReadWhenShown
from desktop.ui.common.views import record_table, select_row
from desktop.ui.common.workers import Job, Workers
from desktop.ui.common.colours import text_colour
from desktop.ui.common.search_box import SearchBox

if TYPE_CHECKING:
    from desktop.starshipit.client import StarshipitClient
    from desktop.ui.shipping.setup_dialogs import ShipmentDialog

log = logging.getLogger("desktop.ui.shipping")

Index = QModelIndex | QPersistentModelIndex
QUEUE_LIMIT = 2000  # rows read at a time; the counts are of every matching fulfilment
STATE_TITLES = {"pending": "Pending", "failed": "Failed", "refused": "Refused by Starshipit",
                "submitted": "Submitted", "shipped": "Shipped"}
STATE_COLOURS = {"failed": "error", "refused": "error", "shipped": "ok"}  # colours.text_colour kinds
FILTERS = (("All", "all"), ("Pending", "pending"), ("Failed", "failed"), ("Refused by Starshipit", "refused"),
           ("Submitted", "submitted"),
           ("Shipped", "shipped"))


def make_client(settings: opt.Settings, cancel: threading.Event | None = None) -> StarshipitClient:
    """A client with the keys from the keyring (or the environment) and the base URL and rate of the settings;
    raises NotConfigured when no keys are set."""
    from desktop.starshipit.client import StarshipitClient  # httpx, imported when first needed

    keys = load_keys()
    if keys is None:
        raise NotConfigured()
    return StarshipitClient(keys.api_key, keys.subscription_key, settings.get(opt.STARSHIPIT_BASE_URL),
                            rate=float(settings.get(opt.STARSHIPIT_RATE) or 2.0), cancel=cancel)


def _when(value: Any) -> str:
    return local_minute(value) if value else ""


class QueueModel(QAbstractTableModel):
    """Fulfilments and where they stand with Starshipit (read-only)."""

    COLUMNS = ("State", "Fulfilment", "Sales order", "Customer", "Starshipit order", "Starshipit status",
               "Submitted", "Carrier", "Tracking", "Last error")
    SORT_KEYS = {"State": "state", "Fulfilment": "fulfillment", "Sales order": "order", "Customer": "customer",
                 "Starshipit order": "starshipit_order", "Starshipit status": "starshipit_status",
                 "Submitted": "submitted", "Carrier": "carrier", "Tracking": "tracking", "Last error": "error"}
    sortChanged = Signal()  # a header click asked for another order: the owner reads the rows again

    def __init__(self, parent: QWidget | None = None, *, with_customer: bool = True):
        super().__init__(parent)
        self._rows: list[QueueRow] = []
        self.columns = [c for c in self.COLUMNS if with_customer or c != "Customer"]
        self.sort_key = "-id"  # services.shipping.QUEUE_SORTS, "-" for descending: newest first

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorted by the store (over every matching fulfilment, not only the rows shown)."""
        if not 0 <= column < len(self.columns):
            return
        key = self.SORT_KEYS[self.columns[column]]
        wanted = ("-" if order == Qt.SortOrder.DescendingOrder else "") + key
        if wanted != self.sort_key:
            self.sort_key = wanted
            self.sortChanged.emit()

    def set_rows(self, rows: list[QueueRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, n: int) -> QueueRow | None:
        return self._rows[n] if 0 <= n < len(self._rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(self.columns)):
            return self.columns[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(self.columns):
            return None
        r = self._rows[index.row()]
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = {
                "State": STATE_TITLES.get(r.state, r.state), "Fulfilment": r.fulfillment_number,
                "Sales order": r.order_number, "Customer": r.customer_name,
                "Starshipit order": str(r.starshipit_order_id or ""),
                "Starshipit status": r.starshipit_status or "", "Submitted": _when(r.submitted_at),
                "Carrier": r.carrier or "", "Tracking": r.tracking_number or "",
                "Last error": (r.last_error or "").replace("\n", " "),
            }[column]
            if role == Qt.ItemDataRole.ToolTipRole:
                if column == "Tracking" and r.tracking_url:
                    return f"{r.tracking_url}\n(Ctrl+T or the context menu: open the tracking page)"
                return r.last_error if column in ("Last error", "State") and r.last_error else None
            return value
        if role == Qt.ItemDataRole.ForegroundRole and column == "Tracking" and r.tracking_url:
            return QGuiApplication.palette().link().color()
        if role == Qt.ItemDataRole.FontRole and column == "Tracking" and r.tracking_url:
            font = QFont()
            font.setUnderline(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column in ("State", "Last error"):
            kind = STATE_COLOURS.get(r.state)
            return text_colour(kind) if kind else None
        if role == Qt.ItemDataRole.UserRole:
            return r.fulfillment_id
        return None


def _table(model: QAbstractTableModel) -> QTableView:
    view = record_table(model)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    # Sized from the first rows shown, not a thousand of them (a long queue opened the window slowly).
    header.setResizeContentsPrecision(100)
    header.setStretchLastSection(True)
    return view


class ShippingActions(QWidget):
    """What the queue and the customer tab share: the client, the one submit run, view and update jobs."""

    runStarted = Signal(int)  # total
    runProgress = Signal(int, int)
    runEnded = Signal(object)  # SubmitResult, or None when it failed outright
    changed = Signal()  # fulfilments changed in the store (a run stored ids, a view stored tracking)
    runIdle = Signal()  # the run's thread is done: another run may start

    def __init__(self, db: Database, settings: opt.Settings, workers: Workers, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.settings = settings
        self.workers = workers
        self.run_job: Job | None = None
        self._cancel = threading.Event()
        self.last_result: SubmitResult | None = None
        self.last_sync: SyncResult | None = None
        self.run_kind = "submit"  # or "sync": what the one run is doing
        self.sync_timer = QTimer(self)
        self.sync_timer.timeout.connect(self.auto_sync)
        self.set_sync_minutes(int(settings.get(opt.STARSHIPIT_SYNC_MINUTES) or 0))
        self.last_view: OrderView | None = None
        self.order_dialog: StarshipitOrderDialog | None = None
        self.hide()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.cancel_run)

    @property
    def running(self) -> bool:
        return self.run_job is not None and self.run_job.running

    def _client(self, cancel: threading.Event | None = None) -> StarshipitClient | None:
        try:
            return make_client(self.settings, cancel)
        except NotConfigured as exc:
            if messages.ask(self.window(), "Starshipit keys", str(exc), "Open Starshipit settings…",
                            default_ok=True):
                open_settings(self.window(), self.settings, self.workers)
            return None

    def submit(self, *, only_failed: bool = False) -> Job | None:
        """Submit every pending fulfilment (or only the failed ones) on a pool thread."""
        if self.running:
            return None
        self._cancel = threading.Event()
        client = self._client(self._cancel)
        if client is None:
            return None
        db = self.db

        def work(progress: Callable[[int, int], None]) -> SubmitResult:
            return shipping.submit_pending(db, client, only_failed=only_failed, progress=progress)

        job = Job(work, self)
        job.progress.connect(self.runProgress)
        job.finished.connect(self._run_finished)
        job.failed.connect(self._run_failed)
        job.ended.connect(client.close)
        job.ended.connect(self.runIdle)
        self.run_job = job
        self.run_kind = "submit"
        self.workers.start(job)
        self.runStarted.emit(0)
        return job

    def sync(self, *, quiet: bool = False) -> Job | None:
        """Ask Starshipit about every submitted fulfilment (status, carrier, tracking) on a pool thread.
        `quiet` (the timer): without keys nothing is asked of the clerk."""
        if self.running:
            return None
        self._cancel = threading.Event()
        if quiet:
            try:
                client = make_client(self.settings, self._cancel)
            except NotConfigured:
                return None
        else:
            client = self._client(self._cancel)
            if client is None:
                return None
        db = self.db

        def work(progress: Callable[[int, int], None]) -> SyncResult:
            return sync_statuses(db, client, progress=progress)

        job = Job(work, self)
        job.progress.connect(self.runProgress)
        job.finished.connect(self._sync_finished)
        job.failed.connect(self._run_failed)
        job.ended.connect(client.close)
        job.ended.connect(self.runIdle)
        self.run_job = job
        self.run_kind = "sync"
        self.workers.start(job)
        self.runStarted.emit(0)
        return job

    def set_sync_minutes(self, minutes: int) -> None:
        """Sync on a timer every `minutes` (0: off)."""
        if minutes > 0:
            self.sync_timer.start(minutes * 60_000)
        else:
            self.sync_timer.stop()

    def auto_sync(self) -> Job | None:
        """The timer's sync: skipped while another run goes; never asks the clerk anything."""
        if self.running:
            return None
        return self.sync(quiet=True)

    def _sync_finished(self, result: SyncResult) -> None:
        self.last_sync = result
        self.runEnded.emit(result)
        self.changed.emit()
        if result.stopped and not self.sync_timer.isActive():
            messages.show_error(self.window(), _Stopped(result.stopped))

    def cancel_run(self) -> None:
        """Stop after the current request (waits between requests end at once)."""
        if self.run_job is not None:
            self.run_job.cancel()
        self._cancel.set()

    def _run_finished(self, result: SubmitResult) -> None:
        self.last_result = result
        self.runEnded.emit(result)
        self.changed.emit()
        if result.stopped:
            messages.show_error(self.window(), _Stopped(result.stopped))

    def _run_failed(self, exc: BaseException) -> None:
        self.last_result = None
        self.runEnded.emit(None)
        self.changed.emit()
        if not isinstance(exc, Cancelled):
            messages.show_error(self.window(), exc)

    def _background(self, fn: Callable[[StarshipitClient], Any], done: Callable[[Any], None]) -> Job | None:
        client = self._client()
        if client is None:
            return None
        job = Job(lambda _progress: fn(client), self)
        job.finished.connect(done)
        job.failed.connect(lambda exc: messages.show_error(self.window(), exc))
        job.ended.connect(client.close)
        self.workers.start(job)
        return job

    def view(self, fulfillment_id: int) -> Job | None:
        """Fetch the Starshipit order in the background, then show it."""
        db = self.db

        def shown(view: OrderView) -> None:
            self.last_view = view
            self.changed.emit()
            if self.order_dialog is not None:
                self.order_dialog.deleteLater()
            self.order_dialog = StarshipitOrderDialog(view, self.window())
            self.order_dialog.open()

        return self._background(lambda c: shipping.view_order(db, c, fulfillment_id), shown)

    def update(self, fulfillment_id: int, on_done: Callable[[str], None] | None = None) -> Job | None:
        db = self.db

        def done(order: Any) -> None:
            self.changed.emit()
            if on_done is not None:
                on_done(f"Starshipit order {order.order_id} updated from the fulfilment.")

        return self._background(lambda c: shipping.update_from_fulfillment(db, c, fulfillment_id), done)


class _Stopped(DomainError):
    """The run stopped early (keys refused, Starshipit unreachable): the reason is the clerk's sentence."""

    def __init__(self, reason: str):
        super().__init__(f"Submitting stopped: {reason} What was submitted before stays submitted.")


class ShippingQueueSection(QWidget):
    """The *Shipping queue* navigation section."""

    def __init__(self, db: Database, settings: opt.Settings, actions: ShippingActions,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.settings = settings
        self.actions = actions
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        self.filter = QComboBox()
        self.filter.setAccessibleName("Show")
        for title, value in FILTERS:
            self.filter.addItem(title, value)
        self.filter.setCurrentIndex(max(0, self.filter.findData(settings.get(opt.SHIPPING_QUEUE_STATE))))
        self.filter.currentIndexChanged.connect(lambda _i: self._filter_changed())
        self.search = SearchBox(self, "Search fulfilment, order, customer, tracking", "Search the shipping queue",
                                delay_ms=200, action_text="Search the queue")
        self.search.setMinimumWidth(160)
        self.search.applied.connect(lambda _t: self.reload())
        self.counts = QLabel()
        self.counts.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the window
        self.sync_button = QPushButton("S&ync with Starshipit")
        self.sync_button.setToolTip("Bring home the status, carrier and tracking of every submitted fulfilment")
        self.submit_button = QPushButton("Submit all &pending")
        self.submit_button.setToolTip("Send every pending fulfilment to Starshipit (each exactly once)")
        self.retry_button = QPushButton("&Retry failed")
        self.retry_button.setToolTip("Send the fulfilments that failed again")
        self.view_button = QPushButton("View &order…")
        self.edit_button = QPushButton("&Edit shipment…")
        self.edit_button.setToolTip("Correct the ship-to, delivery instructions, signature and packages")
        self.update_button = QPushButton("&Update order")
        self.update_button.setToolTip("Send the fulfilment's destination and items to its Starshipit order")
        for b in (self.submit_button, self.retry_button, self.view_button, self.update_button, self.sync_button,
                  self.edit_button):
            b.setAutoDefault(False)
        top.addWidget(QLabel("Sho&w:", buddy=self.filter))
        top.addWidget(self.filter)
        top.addWidget(self.search, 1)
        top.addWidget(self.counts, 1)
        top.addWidget(self.view_button)
        top.addWidget(self.edit_button)
        top.addWidget(self.update_button)
        top.addWidget(self.retry_button)
        top.addWidget(self.sync_button)
        top.addWidget(self.submit_button)
        layout.addLayout(top)

        self.model = QueueModel(self)
        self.table = _table(self.model)
        self.table.setAccessibleName("Shipping queue")
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(False)  # newest first until a header is clicked
        self.table.horizontalHeader().sortIndicatorChanged.connect(
            lambda *_: self.table.horizontalHeader().setSortIndicatorShown(True))
        self.model.sortChanged.connect(self.reload)
        self.table.doubleClicked.connect(lambda _i: self.view_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for text, slot, keys in (("View Starshipit order…", self.view_selected, ("Return", "Enter")),
                                 ("Edit shipment…", self.edit_selected, ()),
                                 ("Update Starshipit order", self.update_selected, ()),
                                 ("Open the tracking page", self.open_tracking, ("Ctrl+T",))):
            action = QAction(text, self.table)
            action.triggered.connect(slot)
            if keys:
                action.setShortcuts([QKeySequence(k) for k in keys])
                action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            self.table.addAction(action)
        layout.addWidget(self.table, 1)
        self.empty_label = QLabel()
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: palette(placeholder-text);")
        self.empty_label.linkActivated.connect(lambda _link: self.search.clear() or self.reload())
        self.empty_label.hide()
        layout.addWidget(self.empty_label)

        bottom = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m")
        self.progress.setTextVisible(True)
        self.progress_label = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setToolTip("Stop after the current request; what was sent stays sent")
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        bottom.addWidget(self.progress_label)
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.result_label, 2)
        layout.addLayout(bottom)
        for w in (self.progress, self.progress_label, self.cancel_button):
            w.hide()

        self.submit_button.clicked.connect(lambda: self.actions.submit())
        self.sync_button.clicked.connect(lambda: self.actions.sync())
        self.retry_button.clicked.connect(lambda: self.actions.submit(only_failed=True))
        self.view_button.clicked.connect(self.view_selected)
        self.update_button.clicked.connect(self.update_selected)
        self.edit_button.clicked.connect(self.edit_selected)
        self.cancel_button.clicked.connect(self._cancel)
        actions.runStarted.connect(self._run_started)
        actions.runProgress.connect(self._run_progress)
        actions.runEnded.connect(self._run_ended)
        actions.changed.connect(self._changed)
        actions.runIdle.connect(self._update_buttons)
        # Read when first shown, not while the window is built: the queue is not the first page.
        self._stale = True
        self._read_on_show = False

    def activated(self) -> None:
        """Shown: read the queue again (fulfilments may have been made meanwhile)."""
        if self._read_on_show:  # read a moment ago, as it was shown
            self._read_on_show = False
            return
        self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.reload()
            self._read_on_show = True

    def _changed(self) -> None:
        if self.isVisible():
            self.reload()
        else:  # read again when next shown
            self._stale = True

    def _filter_changed(self) -> None:
        self.settings.set(opt.SHIPPING_QUEUE_STATE, self.filter.currentData())
        self.reload()

    def reload(self) -> None:
        self._stale = False
        self.search.stop()
        selected = self.selected_id()
        search = self.search.text().strip()
        state = self.filter.currentData()
        with self.db.read() as s:
            rows = shipping.list_queue(s, state=state, search=search, sort=self.model.sort_key, limit=QUEUE_LIMIT)
            counts = shipping.queue_counts(s, search=search)
        self.model.set_rows(rows)
        matching = sum(counts.values()) if state in (None, "all") else counts.get(state, 0)
        shown = (f"{len(rows):,} of {matching:,} shown" if len(rows) < matching
                 else f"{matching:,} fulfilment{'s' if matching != 1 else ''}")
        if search and not matching:
            shown = f"No fulfilment matches “{search}”"
        if rows:
            self.empty_label.hide()
        else:
            if search:
                self.empty_label.setText(f"No fulfilment matches “{html.escape(search)}” — "
                                         "<a href='clear'>Clear search</a>")
            elif state not in (None, "all"):
                self.empty_label.setText(f"No fulfilment is {STATE_TITLES[state].lower()}.")
            else:
                self.empty_label.setText("No fulfilments yet. Fulfil a customer's sales order (Money → Fulfil "
                                         "order…) and it waits here to be sent to Starshipit.")
            self.empty_label.show()
        text = shown + " — " + "   ".join(f"{STATE_TITLES[k].split(' by ')[0]}: {n:,}" for k, n in counts.items())
        self.counts.setText(text)
        self.counts.setToolTip(text)  # in full, when the window is too narrow to show it all
        self._counts = counts
        if selected is not None:
            for n, r in enumerate(rows):
                if r.fulfillment_id == selected:
                    select_row(self.table, n)
                    break
        self._update_buttons()

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        row = self.model.row(rows[0].row()) if rows else None
        return row.fulfillment_id if row else None

    def selected_row(self) -> QueueRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        running = self.actions.running
        counts = getattr(self, "_counts", {})
        row = self.selected_row()
        self.submit_button.setEnabled(not running and counts.get("pending", 0) + counts.get("failed", 0)
                                      + counts.get("refused", 0) > 0)
        self.retry_button.setEnabled(not running and counts.get("failed", 0) > 0)
        self.view_button.setEnabled(row is not None and row.starshipit_order_id is not None)
        self.update_button.setEnabled(row is not None and row.starshipit_order_id is not None)
        self.sync_button.setEnabled(not running and counts.get("submitted", 0) > 0)
        self.edit_button.setEnabled(row is not None and row.state != "shipped")

    def edit_selected(self) -> ShipmentDialog | None:
        """The selected fulfilment's shipment, to correct (and, if submitted, update in Starshipit)."""
        row = self.selected_row()
        if row is None or row.state == "shipped":
            return None
        from desktop.ui.shipping.setup_dialogs import ShipmentDialog

        dialog = ShipmentDialog(self.db, row.fulfillment_id, self.window())
        self.shipment_dialog = dialog

        def done(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                self.reload()
                if dialog.update_now:
                    self.actions.update(row.fulfillment_id, self.result_label.setText)
                else:
                    self.result_label.setText(f"Shipment of {row.fulfillment_number} saved.")
            dialog.deleteLater()

        dialog.finished.connect(done)
        dialog.open()
        return dialog

    def open_tracking(self) -> bool:
        """The selected fulfilment's tracking page, in the browser."""
        row = self.selected_row()
        if row is None or not row.tracking_url or not row.tracking_url.startswith(("https://", "http://")):
            return False
        return QDesktopServices.openUrl(QUrl(row.tracking_url))

    def view_selected(self) -> None:
        row = self.selected_row()
        if row is not None and row.starshipit_order_id is not None:
            self.actions.view(row.fulfillment_id)

    def update_selected(self) -> None:
        row = self.selected_row()
        if row is not None and row.starshipit_order_id is not None:
            self.actions.update(row.fulfillment_id, self.result_label.setText)

    def _cancel(self) -> None:
        self.actions.cancel_run()
        self.cancel_button.setEnabled(False)
        self.progress_label.setText("Cancelling after the current request…")

    def _run_started(self, _total: int) -> None:
        self.result_label.clear()
        self.progress.setRange(0, 0)
        self.progress_label.setText("Syncing with Starshipit…" if self.actions.run_kind == "sync"
                                    else "Submitting to Starshipit…")
        self.cancel_button.setEnabled(True)
        for w in (self.progress, self.progress_label, self.cancel_button):
            w.show()
        self._update_buttons()

    def _run_progress(self, done: int, total: int) -> None:
        if self.actions.run_job is not None and self.actions.run_job.cancel_requested:
            return
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        if self.actions.run_kind == "sync":
            self.progress_label.setText(f"Syncing: request {done:,} of about {total:,}…")
        else:
            self.progress_label.setText(f"Submitting {done:,} of {total:,}…")

    def _run_ended(self, result: SubmitResult | SyncResult | None) -> None:
        for w in (self.progress, self.progress_label, self.cancel_button):
            w.hide()
        if isinstance(result, SyncResult):
            self.result_label.setText("Nothing to sync: no submitted fulfilment waits for Starshipit."
                                      if result.checked == 0 else result.summary() + ".")
        elif result is not None:
            text = result.summary()
            if result.total == 0:
                text = "Nothing to submit."
            elif result.failed:
                text += " — the failed ones show their reason; fix them, then Retry failed."
            self.result_label.setText(text)
        self.reload()

    def progress_text(self) -> str:
        return self.progress.text() if self.progress.isVisible() else ""


class CustomerShippingTab(ReadWhenShown):
    """The customer's fulfilments and their Starshipit state (the *Shipping* tab of the detail pane)."""

    def __init__(self, db: Database, actions: ShippingActions, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.actions = actions
        self.customer: CustomerDetail | None = None
        layout = QVBoxLayout(self)
        self.model = QueueModel(self, with_customer=False)
        self.table = _table(self.model)
        self.table.setAccessibleName("Fulfilments")
        self.table.doubleClicked.connect(lambda _i: self.view_selected())
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.empty = QLabel("No fulfilments.")
        self.empty.setStyleSheet("color: palette(placeholder-text);")
        self.view_button = QPushButton("View Starshipit &order…")
        self.view_button.setAutoDefault(False)
        self.view_button.clicked.connect(self.view_selected)
        row.addWidget(self.empty, 1)
        row.addWidget(self.view_button)
        layout.addLayout(row)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update())
        actions.changed.connect(lambda: self.show_customer(self.customer))

    def show_customer(self, customer: CustomerDetail | None) -> None:
        """Read the customer's fulfilments now if the tab is shown, else when it next is."""
        if (customer.id if customer else None) != (self.customer.id if self.customer else None):
            self.model.set_rows([])
        self.customer = customer
        self.read_soon()

    def read(self) -> None:
        rows: list[QueueRow] = []
        if self.customer is not None:
            with self.db.read() as s:
                rows = shipping.list_queue(s, customer_id=self.customer.id)
        self.model.set_rows(rows)
        self.empty.setVisible(not rows)
        self._update()

    def _selected(self) -> QueueRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _update(self) -> None:
        row = self._selected()
        self.view_button.setEnabled(row is not None and row.starshipit_order_id is not None)

    def view_selected(self) -> None:
        row = self._selected()
        if row is not None and row.starshipit_order_id is not None:
            self.actions.view(row.fulfillment_id)


class StarshipitOrderDialog(QDialog):
    """One Starshipit order: status, carrier, tracking (number and link), items and packages."""

    def __init__(self, view: OrderView, parent: QWidget | None = None):
        super().__init__(parent)
        o = view.order
        self.setWindowTitle(f"Starshipit order {o.order_id} — {view.fulfillment_number}")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        url = o.tracking_url
        tracking = o.tracking_number or "—"
        if url:
            tracking = f'<a href="{_escape(url)}">{_escape(tracking)}</a>'
        for key, title, value in (
            ("order", "Starshipit order", f"{o.order_id} ({o.order_number or ''})"),
            ("fulfilment", "Fulfilment", f"{view.fulfillment_number}, sales order {view.sales_order_number}"),
            ("customer", "Customer", view.customer_name),
            ("status", "Status", o.status or "—"),
            ("carrier", "Carrier", o.carrier_display or "—"),
            ("tracking", "Tracking", tracking),
            ("ship_to", "Ship to", o.destination.one_line() if o.destination else "—"),
        ):
            label = QLabel(value if key == "tracking" else _escape(value))
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            label.setOpenExternalLinks(True)
            label.setWordWrap(True)
            self.fields[key] = label
            form.addRow(f"{title}:", label)
        layout.addLayout(form)
        layout.addWidget(QLabel(f"<b>Items ({len(o.items)})</b>"))
        self.items = self._grid(("Qty", "SKU", "Description", "Value", "Weight"), [
            (str(i.quantity.normalize()), i.sku or "", i.description or "",
             "" if i.value is None else f"{i.value:.2f}", "" if i.weight is None else f"{i.weight.normalize()} kg")
            for i in o.items])
        layout.addWidget(self.items)
        layout.addWidget(QLabel(f"<b>Packages ({len(o.packages)})</b>"))
        self.packages = self._grid(("Package", "Tracking", "Service", "Status", "Weight"), [
            (p.name or "", p.tracking_number or "", p.carrier_service_name or "", p.delivery_status or "",
             "" if p.weight is None else f"{p.weight.normalize()} kg") for p in o.packages])
        layout.addWidget(self.packages)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 480)

    @staticmethod
    def _grid(titles: tuple[str, ...], rows: list[tuple[str, ...]]) -> QTableWidget:
        table = QTableWidget(len(rows), len(titles))
        table.setHorizontalHeaderLabels(list(titles))
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(value))
        table.setMaximumHeight(40 + 28 * max(2, min(len(rows), 6)))
        return table

    def text(self, key: str) -> str:
        return self.fields[key].text()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def open_settings(parent: QWidget | None, settings: opt.Settings, workers: Workers) -> None:
    from desktop.ui.shipping.starshipit_settings import StarshipitSettingsDialog

    dialog = StarshipitSettingsDialog(settings, workers, parent)
    try:
        dialog.exec()
    finally:
        dialog.deleteLater()
    for actions in (parent.findChildren(ShippingActions) if parent is not None else []):
        actions.set_sync_minutes(int(settings.get(opt.STARSHIPIT_SYNC_MINUTES) or 0))
