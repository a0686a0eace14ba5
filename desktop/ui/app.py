"""The application window (a plain main window for now: the workspace arrives with its own issue)."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox

from desktop import __version__
from desktop.store.engine import Database, StoreError, open_database, resolve_database_url


class MainWindow(QMainWindow):
    def __init__(self, db: Database):
        super().__init__()
        self.db = db
        self.setWindowTitle(f"Customer Desk — {db.location}")
        self.resize(1000, 650)
        self.summary = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.summary)
        self._build_menus()
        self.refresh()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        refresh = QAction("&Refresh", self, shortcut=QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(self.refresh)
        file_menu.addAction(refresh)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        about = QAction("&About Customer Desk", self)
        about.triggered.connect(self.show_about)
        self.menuBar().addMenu("&Help").addAction(about)

    def refresh(self) -> None:
        from desktop.services.customer_list import CustomerQuery, count_customers

        with self.db.read() as session:
            active = count_customers(session, CustomerQuery())
            archived = count_customers(session, CustomerQuery(archived="archived"))
        self.summary.setText(f"{active:,} active customers, {archived:,} archived\n\n{self.db.location}")
        self.statusBar().showMessage(f"{active:,} customers")

    def show_about(self) -> None:
        QMessageBox.about(
            self, "About Customer Desk",
            f"Customer Desk {__version__}\n\nDatabase: {self.db.location} ({self.db.backend})",
        )


def run_app(database: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Customer Desk")
    try:
        db = open_database(resolve_database_url(database))
    except StoreError as exc:
        QMessageBox.critical(None, "Customer Desk", str(exc))
        return 1
    window = MainWindow(db)
    window.show()
    try:
        return app.exec()
    finally:
        db.dispose()


def run_smoke_test(database: str | None = None) -> int:
    """Open the main window on the store, load its first page, close it: 0, or 1 with one line on stderr.

    `customer-desk --smoke-test` runs this so that a packaged build proves Qt, the store and its migrations
    all made it into the bundle.
    """
    import logging

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Customer Desk")
    db: Database | None = None
    try:
        db = open_database(resolve_database_url(database))
        window = MainWindow(db)  # loads the first page (refresh) while it is built
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
