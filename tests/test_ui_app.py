"""The main window opens on a store and shows what is in it; unexpected errors become a clear dialog and a
log entry, never a traceback on screen."""

from __future__ import annotations

import logging
import sys

import pytest
from PySide6.QtCore import QtMsgType

from desktop import logs
from desktop.services import customers as cs
from desktop.services.errors import Links, NotDeletable
from desktop.store.engine import open_database
from desktop.ui.common import crash
from desktop.ui.common.settings import Settings
from desktop.ui.main_window import MainWindow


def test_main_window_shows_store_and_counts(qtbot, database_url):
    db = open_database(database_url)
    with db.transaction() as s:
        cs.create_customer(s, {"name": "Aroha Kowhai"})
        archived = cs.create_customer(s, {"name": "Tane Rata"})
        cs.archive_customer(s, archived.id)
    window = MainWindow(db, Settings({}))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert db.location in window.windowTitle()
    assert window.customers.status.text() == "1 customer (1 selected)"  # the first row, shown in the pane
    with db.transaction() as s:
        cs.create_customer(s, {"name": "Mere Tui"})
    window.customers.refresh()
    assert window.customers.status.text() == "2 customers (1 selected)"  # still the one selected
    window.workers.wait(10_000)
    db.dispose()


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(crash, "show_dialog", lambda title, text: shown.append((title, text)))
    return shown


def _raised(exc: BaseException) -> tuple[type[BaseException], BaseException, object]:
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001
        return type(caught), caught, caught.__traceback__


def test_crash_hook_logs_the_traceback_and_shows_a_clear_dialog(dialogs, caplog):
    kind, exc, tb = _raised(KeyError("customer_id"))
    with caplog.at_level(logging.ERROR, logger="desktop.ui"):
        crash.excepthook(kind, exc, tb)  # type: ignore[arg-type]
    record = next(r for r in caplog.records if r.name == "desktop.ui")
    assert record.message == "unhandled exception" and record.exc_info[1] is exc  # the details, for the log
    assert len(dialogs) == 1
    title, text = dialogs[0]
    assert title == "Something went wrong"
    assert "could not finish what it was doing" in text and "Nothing was saved" in text
    assert str(logs.log_file()) in text
    assert "KeyError" not in text and "customer_id" not in text  # no exception name or internals
    assert "Traceback" not in text and 'File "' not in text


def test_crash_dialog_keeps_long_messages_short_and_domain_errors_plain(dialogs):
    long = RuntimeError("SELECT " + "x, " * 500 + "\n[parameters: …]")
    crash.excepthook(*_raised(long))  # type: ignore[arg-type]
    text = dialogs[-1][1]
    assert "RuntimeError" not in text and "SELECT" not in text and "parameters" not in text
    assert len(text) < 1000

    crash.excepthook(*_raised(OSError(28, "No space left on device")))  # type: ignore[arg-type]
    assert "The disk is full" in dialogs[-1][1]

    refused = NotDeletable(4, "Aroha Kowhai", Links(sales_orders=2))
    crash.excepthook(*_raised(refused))  # type: ignore[arg-type]
    assert dialogs[-1] == ("Customer Desk", str(refused))


def test_crash_hook_shows_one_dialog_at_a_time_and_survives_a_failing_dialog(monkeypatch, caplog):
    shown: list[str] = []

    def dialog(title: str, text: str) -> None:
        shown.append(title)
        crash.excepthook(*_raised(ValueError("while the dialog is open")))  # type: ignore[arg-type]
        raise RuntimeError("the dialog itself failed")

    monkeypatch.setattr(crash, "show_dialog", dialog)
    with caplog.at_level(logging.ERROR, logger="desktop.ui"):
        crash.excepthook(*_raised(ValueError("first")))  # type: ignore[arg-type]
    assert shown == ["Something went wrong"]  # the second error was only logged
    messages = [r.getMessage() for r in caplog.records if r.name == "desktop.ui"]
    assert messages == ["unhandled exception", "unhandled exception", "cannot show the error dialog"]
    crash.excepthook(*_raised(ValueError("later")))  # type: ignore[arg-type]
    assert len(shown) == 2


def test_keyboard_interrupt_goes_to_the_default_hook(dialogs, monkeypatch):
    seen: list[type[BaseException]] = []
    monkeypatch.setattr(sys, "__excepthook__", lambda kind, exc, tb: seen.append(kind))
    crash.excepthook(*_raised(KeyboardInterrupt()))  # type: ignore[arg-type]
    assert seen == [KeyboardInterrupt] and dialogs == []


def test_install_sets_the_hook_and_routes_qt_messages_into_logging(monkeypatch, caplog):
    installed: list[object] = []
    monkeypatch.setattr(crash.logs, "setup", lambda: None)
    monkeypatch.setattr(crash, "qInstallMessageHandler", installed.append)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    crash.install()
    assert sys.excepthook is crash.excepthook and installed == [crash._qt_message]
    with caplog.at_level(logging.DEBUG, logger="desktop.qt"):
        crash._qt_message(QtMsgType.QtWarningMsg, None, "QFont::setPointSize: Point size <= 0")
        crash._qt_message(QtMsgType.QtCriticalMsg, None, "cannot open display")
    assert [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "desktop.qt"] == [
        (logging.WARNING, "QFont::setPointSize: Point size <= 0"), (logging.ERROR, "cannot open display")]


def test_screenshots_render_every_view_small_enough(tmp_path):
    """`make screenshots` in a child process (it sets up its own offscreen screen and QApplication)."""
    import os
    import subprocess

    from tests.test_packaging import ROOT

    out = tmp_path / "docs"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "desktop.ui.screenshots", str(out), "--customers", "120"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    names = {p.stem for p in out.glob("*.png")}
    assert {"main-window", "main-window-addresses", "main-window-history", "customer-form", "duplicate-warning",
            "customer-form-edit", "address-form", "find-match", "bulk-result", "sales-credits", "shipping-queue",
            "nominal-codes", "import-history", "import-preview"} <= names
    assert all(0 < p.stat().st_size < 300_000 for p in out.glob("*.png"))
    dark = subprocess.run([sys.executable, "-m", "desktop.ui.screenshots", str(out), "--customers", "120", "--dark",
                           "--suffix=-dark", "--only", "main-window"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert dark.returncode == 0, dark.stderr
    assert {p.stem for p in out.glob("*.png")} - names == {"main-window-dark"}


def test_run_app_explains_a_window_that_cannot_open(qapp, database_url, dialogs, monkeypatch):
    from desktop.ui import app as app_module

    def broken(*_args, **_kwargs):
        raise RuntimeError("no first page today")

    monkeypatch.setattr(app_module.crash, "install", lambda: None)
    monkeypatch.setattr(app_module, "Settings", lambda: Settings({}))
    monkeypatch.setattr(app_module, "MainWindow", broken)
    assert app_module.run_app(database_url) == 1
    assert dialogs and dialogs[0][0] == "Something went wrong"
    assert "could not finish what it was doing" in dialogs[0][1]
    assert "RuntimeError" not in dialogs[0][1] and "no first page" not in dialogs[0][1]
