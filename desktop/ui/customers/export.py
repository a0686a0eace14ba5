"""File → Export… (Ctrl+E): the customers the table shows (its search, filters and sort) to a CSV file or an
Excel workbook, read on a worker with progress and Cancel; a cancelled or failed export leaves no file
(and an existing file as it was)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from desktop.services.customer_list import CustomerQuery
from desktop.services.errors import Cancelled
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common import settings as opt
from desktop.ui.common.settings import Settings
from desktop.ui.common.workers import Job, Workers
from desktop.ui.customers.bulk import plural

FILTERS = "CSV file (*.csv);;Excel workbook (*.xlsx)"


def ask_target(parent: QWidget, settings: Settings) -> str | None:
    """The file to write, chosen in a save dialog (the last export's folder; .csv unless .xlsx is picked)."""
    folder = settings.get(opt.EXPORT_FOLDER) or str(Path.home())
    suggested = str(Path(folder) / f"customers-{dt.date.today():%Y-%m-%d}.csv")
    path, chosen = QFileDialog.getSaveFileName(parent, "Export customers", suggested, FILTERS)
    if not path:
        return None
    if not Path(path).suffix:
        path += ".xlsx" if "xlsx" in chosen else ".csv"
    return path


class CustomerExport(QObject):
    """One export at a time: `start(query, total, path)`; `done(count, path)` or `failed` at the end."""

    done = Signal(int, str)
    failed = Signal(object)

    def __init__(self, db: Database, workers: Workers, parent_widget: QWidget, settings: Settings):
        super().__init__(parent_widget)
        self.db = db
        self.workers = workers
        self.parent_widget = parent_widget
        self.settings = settings
        self.job: Job | None = None
        self.dialog: QProgressDialog | None = None

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def start(self, query: CustomerQuery, total: int | None, path: str) -> Job | None:
        """`total`: how many the table lists, None while it is still counting (counted on the worker)."""
        if self.running:
            return None
        target = Path(path)
        self.settings.set(opt.EXPORT_FOLDER, str(target.parent))
        what = f"Exporting {plural(total) if total is not None else 'customers'} to {target.name}"

        def work(progress: Any) -> int:
            from desktop.services.export import export_customers

            with self.db.read() as session:
                return export_customers(session, query, path, progress=progress, total=total)

        dialog = QProgressDialog(f"{what}…", "Cancel", 0, max(total or 0, 1), self.parent_widget)
        dialog.setWindowTitle("Export customers")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.setAutoReset(False)
        dialog.setAutoClose(False)
        job = Job(work, self)
        self.job, self.dialog = job, dialog
        dialog.canceled.connect(job.cancel)
        dialog.canceled.connect(lambda: dialog.setLabelText("Cancelling… (no file is written)"))

        def on_progress(done: int, of: int) -> None:
            if job.cancel_requested:
                return
            dialog.setMaximum(max(of, 1))
            dialog.setValue(min(done, max(of, 1)))
            dialog.setLabelText(f"{what}… {done:,} of {of:,}")

        def ended() -> None:
            dialog.reset()
            dialog.hide()
            dialog.deleteLater()
            if self.dialog is dialog:
                self.dialog = None

        job.progress.connect(on_progress)
        job.finished.connect(lambda count: self.done.emit(int(count), path))
        job.failed.connect(self._failed)
        job.ended.connect(ended)
        self.workers.start(job)
        return job

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, Cancelled):
            messages.show_error(self.parent_widget, exc)
        self.failed.emit(exc)
