"""Starting the app: the QApplication, the crash hook, the store, the main window; and the smoke test."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMessageBox

from desktop import __version__
from desktop.store.engine import (
    Database,
    StoreError,
    open_database,
    resolve_database_url,
)
from desktop.ui.common import crash
from desktop.ui.common.icons import app_icon
from desktop.ui.common.settings import DATABASE_URL, ORGANIZATION, Settings
from desktop.ui.common.store_settings import open_store_interactively
from desktop.ui.common.workers import Workers
from desktop.ui.main_window import MainWindow


def _application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Customer Desk")
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("customer-desk")  # Wayland and task bars match the window to resources/*.desktop
    app.setWindowIcon(app_icon())
    return app  # type: ignore[return-value]


def run_app(database: str | None = None) -> int:
    """Open the workspace on the chosen store (see store.engine.resolve_database_url)."""
    app = _application()
    crash.install()
    settings = Settings()
    workers = Workers()
    try:  # a store that is not there is never made unasked: the clerk creates one or chooses another
        db = open_store_interactively(resolve_database_url(database, settings.get(DATABASE_URL)), settings,
                                      workers)
    except StoreError as exc:
        QMessageBox.critical(None, "Customer Desk", str(exc))
        return 1
    if db is None:
        return 0
    try:
        window = MainWindow(db, settings, workers)
    except Exception:  # noqa: BLE001 - started from a desktop icon, nobody reads stderr: say it in a dialog
        crash.excepthook(*sys.exc_info())  # type: ignore[arg-type]
        db.dispose()
        return 1
    window.show()
    freeze_start_up_objects()
    try:
        return app.exec()
    finally:
        window.workers.wait(30_000)
        db.dispose()


def freeze_start_up_objects() -> None:
    """The objects made at start (modules, the window, SQLAlchemy's mappings) live as long as the app:
    moved out of the garbage collector's sweeps, so that a full collection on the GUI thread costs a
    few milliseconds instead of a visible stall (measured: about 110 ms at a million customers)."""
    import gc

    gc.collect()
    gc.freeze()


def run_smoke_test(database: str | None = None) -> int:
    """Open the main window on the store, load its first page, close it: 0, or 1 with one line on stderr.

    `customer-desk --smoke-test` runs this so that a packaged build proves Qt, the store and its migrations
    all made it into the bundle.
    """
    import logging

    _application()
    db: Database | None = None
    try:
        db = open_database(resolve_database_url(database), create=False)  # never made by a smoke test
        # A dict instead of QSettings: the smoke test leaves the clerk's saved layout alone.
        window = MainWindow(db, Settings({}))  # counts and loads the first page while it is built
        if window.customers.model.total and window.customers.model.customer_row(0) is None:
            raise RuntimeError("the first page of customers could not be read")
        window.show()
        QApplication.processEvents()
        window.close()
        window.deleteLater()
        QApplication.processEvents()
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        # INFO: the traceback goes to the log file only; the console gets the one line below.
        logging.getLogger("desktop.ui").info("smoke test failed", exc_info=True)
        reason = (str(exc).strip().splitlines() or [""])[0]
        if not isinstance(exc, StoreError):
            reason = f"{type(exc).__name__}: {reason}"
        print(f"customer-desk: smoke test failed: {reason}", file=sys.stderr)
        return 1
    finally:
        if db is not None:
            db.dispose()
    return 0
