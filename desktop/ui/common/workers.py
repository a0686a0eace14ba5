"""Background work: a plain function `fn(progress) -> result` runs on a pool thread; its progress, result
and error come back to the GUI thread only through signals. Cancellation is cooperative: `progress()`
raises `Cancelled` once the clerk pressed Cancel, so the function's transaction rolls back.

Database writes go through one serial pool (one writer at a time); reads and network calls use the global
pool. Nothing here touches a widget from a worker thread.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThread, QThreadPool, QTimer, Signal, Slot

from desktop.services.errors import Cancelled

log = logging.getLogger("desktop.ui.workers")

Progress = Callable[[int, int], None]
PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress signals a second

# The job running on this worker thread; a context variable, so that a helper thread given the worker's
# context (the store's lock watch) sees the same job.
_current: contextvars.ContextVar[Job | None] = contextvars.ContextVar("job", default=None)


class _BusySignals(QObject):
    """`waiting(waited_s, limit_s)`: a job's write waits for another program holding the store."""

    waiting = Signal(float, float)


busy_signals = _BusySignals()  # made on the GUI thread at import, so its signals reach the window


def busy_text(waited: float, limit: float) -> str:
    """'Waiting for the store: another program is writing to it (12 s of 2 min)…'"""
    return f"Waiting for the store: another program is writing to it ({waited:.0f} s of {_duration(limit)})…"


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def busy_hook(waited: float, limit: float) -> None:
    """`Database.on_busy` for the window: tells the status bar, and stops waiting once the job's Cancel
    was pressed (Cancelled: nothing was written).

    A write on the GUI thread itself (a form's Save) would freeze the window while it waits: there a
    modal "Waiting for the store…" with Cancel is shown and kept painted until the write goes through."""
    job = _current.get()
    if job is not None and job.cancel_requested:
        raise Cancelled()
    busy_signals.waiting.emit(waited, limit)
    if job is None and _on_gui_thread():
        _gui_wait.waiting(waited, limit)


def _on_gui_thread() -> bool:
    app = QCoreApplication.instance()
    return app is not None and QThread.currentThread() is app.thread()


class _GuiWait:
    """The modal wait of a write on the GUI thread. It closes once the event loop runs again outside the
    wait (the write went through, failed, or was cancelled); the hook is only called while waiting."""

    def __init__(self) -> None:
        self.dialog: Any = None
        self.in_hook = False
        self.cancelled = False

    def waiting(self, waited: float, limit: float) -> None:
        from PySide6.QtWidgets import QApplication, QProgressBar, QProgressDialog

        dialog = self.dialog
        if dialog is not None and not shiboken6.isValid(dialog):  # deleted with the window it was over
            dialog = self.dialog = None
        if dialog is None:
            parent = QApplication.activeModalWidget() or QApplication.activeWindow()
            dialog = QProgressDialog(busy_text(waited, limit), "Cancel", 0, max(1, int(limit)), parent)
            bar = QProgressBar(dialog)
            bar.setTextVisible(False)  # the label says how long, out of how long; a percentage says nothing
            dialog.setBar(bar)
            dialog.setRange(0, max(1, int(limit)))
            dialog.setWindowTitle("Store busy")
            dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
            dialog.setMinimumDuration(0)
            dialog.setAutoClose(False)
            dialog.setAutoReset(False)
            dialog.canceled.connect(self._cancel)
            dialog.rejected.connect(self._cancel)  # Escape, or the window's close button
            self.dialog, self.cancelled = dialog, False
        self.in_hook = True
        try:
            dialog.setLabelText(busy_text(waited, limit) + "\nCancel stops waiting; nothing is changed.")
            dialog.setValue(min(int(waited), dialog.maximum()))
            dialog.show()
            QCoreApplication.processEvents()  # paint, and hear Cancel
        finally:
            self.in_hook = False
        if self.cancelled or dialog.wasCanceled():
            self.close()
            raise Cancelled()
        QTimer.singleShot(0, self._close_unless_waiting)

    def _cancel(self) -> None:
        self.cancelled = True

    def _close_unless_waiting(self) -> None:
        if not self.in_hook:  # back in an event loop of its own: the wait is over
            self.close()

    def close(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None and shiboken6.isValid(dialog):
            dialog.reset()
            dialog.hide()
            dialog.deleteLater()


_gui_wait = _GuiWait()


class Job(QObject):
    """One piece of background work. Connect to its signals before `start()`."""

    progress = Signal(int, int)
    finished = Signal(object)  # the function's result
    failed = Signal(object)  # the exception (Cancelled when cancelled)
    ended = Signal()  # after finished or failed, always

    def __init__(self, fn: Callable[[Progress], Any], parent: QObject | None = None):
        super().__init__(parent)
        self._fn = fn
        self._cancel = threading.Event()
        self._last_emit = 0.0
        self.running = False

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def report(self, done: int, total: int) -> None:
        """The `progress` callable handed to the function (called on the worker thread)."""
        if self._cancel.is_set():
            raise Cancelled()
        now = time.monotonic()
        if done >= total or now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit = now
            self.progress.emit(done, total)

    def _run(self) -> None:
        token = _current.set(self)
        try:
            if self._cancel.is_set():
                raise Cancelled()
            result = self._fn(self.report)
        except Cancelled as exc:
            self.failed.emit(exc)
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, which explains it
            log.error("background job failed", exc_info=True)
            self.failed.emit(exc)
        else:
            self.finished.emit(result)
        finally:
            _current.reset(token)
            self.running = False
            self.ended.emit()


class _Runnable(QRunnable):
    def __init__(self, job: Job):
        super().__init__()
        self.job = job
        self.setAutoDelete(True)

    @Slot()
    def run(self) -> None:
        self.job._run()


def start_in(pool: QThreadPool, job: Job) -> Job:
    """Run `job` on a pool of the caller's own (a model's query thread, say)."""
    job.running = True
    pool.start(_Runnable(job))
    return job


class Workers:
    """The app's pools: `write` runs one job at a time (database writes), `read` runs several."""

    def __init__(self) -> None:
        self.write_pool = QThreadPool()
        self.write_pool.setMaxThreadCount(1)
        self.read_pool = QThreadPool()
        self.read_pool.setMaxThreadCount(4)

    def start(self, job: Job, *, write: bool = False) -> Job:
        job.running = True
        (self.write_pool if write else self.read_pool).start(_Runnable(job))
        return job

    def wait(self, msecs: int = -1) -> bool:
        ok_w = self.write_pool.waitForDone(msecs)
        ok_r = self.read_pool.waitForDone(msecs)
        return ok_w and ok_r
