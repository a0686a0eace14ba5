"""Unexpected errors: the details go to the rotating log file, the clerk sees a clear dialog instead of a
traceback. Qt's own messages are routed into `logging` too."""

from __future__ import annotations

import logging
import sys
from types import TracebackType

from PySide6.QtCore import QtMsgType, qInstallMessageHandler
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
show_dialog = None


def _qt_message(kind: QtMsgType, _context: object, message: str) -> None:
    qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)


def explain(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, DomainError):
        return "Customer Desk", str(exc)
    where = logs.log_file()
    return (
        "Something went wrong",
        "Customer Desk ran into an unexpected problem and could not finish what it was doing. "
        "Nothing was saved from that action.\n\n"
        f"{type(exc).__name__}: {exc}\n\nThe details are in the log file:\n{where}",
    )


def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    log.error("unhandled exception", exc_info=(kind, exc, tb))
    title, text = explain(exc)
    if show_dialog is not None:
        show_dialog(title, text)
        return
    if QApplication.instance() is not None:
        box = QMessageBox(QMessageBox.Icon.Critical, title, text)
        box.exec()


def install() -> None:
    logs.setup()
    sys.excepthook = excepthook
    qInstallMessageHandler(_qt_message)
