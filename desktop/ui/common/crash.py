"""Unexpected errors: the details go to the rotating log file, the clerk sees a clear dialog instead of a
traceback. Qt's own messages are routed into `logging` too."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop import logs
from desktop.services.errors import DomainError

log = logging.getLogger("desktop.ui")
qt_log = logging.getLogger("desktop.qt")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}

# Tests replace this to answer the dialog; it receives (title, text).
show_dialog: Callable[[str, str], None] | None = None
_showing = False  # a dialog is open: a second error (one per repaint…) is only logged


def _qt_message(kind: QtMsgType, _context: object, message: str) -> None:
    qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)


def _summary(exc: BaseException) -> str:
    """A plain sentence for faults of the machine or the store; otherwise nothing technical (no SQL, no
    parameters, no exception names: those are in the log)."""
    from desktop.store.engine import describe_error

    plain = describe_error(exc)
    if plain:
        return plain
    return "an internal error; the log file has the details"


def explain(exc: BaseException) -> tuple[str, str]:
    """(title, text) for the clerk: what happened and where the details are; never a traceback."""
    if isinstance(exc, DomainError):
        return "Customer Desk", str(exc)
    where = logs.log_file()
    return (
        "Something went wrong",
        "Customer Desk ran into an unexpected problem and could not finish what it was doing. "
        "Nothing was saved from that action; you can carry on working.\n\n"
        f"What happened: {_summary(exc).rstrip('.')}.\n\n"
        f"If it happens again, send the log file to whoever looks after Customer Desk:\n{where}",
    )


def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    global _showing
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    log.error("unhandled exception", exc_info=(kind, exc, tb))
    if _showing:
        return
    title, text = explain(exc)
    _showing = True
    try:
        if show_dialog is not None:
            show_dialog(title, text)
        elif QApplication.instance() is not None:
            box = QMessageBox(QMessageBox.Icon.Critical, title, text)
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            box.exec()
    except Exception:  # noqa: BLE001 - the hook itself must never raise
        log.error("cannot show the error dialog", exc_info=True)
    finally:
        _showing = False


def install() -> None:
    logs.setup()
    sys.excepthook = excepthook
    qInstallMessageHandler(_qt_message)
