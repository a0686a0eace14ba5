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
