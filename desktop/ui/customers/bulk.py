"""Bulk actions on customers: what they would do (the question), the work on the write worker, and what they
did (BulkResultDialog). The Customers section runs them with progress and Cancel."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.services import customers as customer_service
from desktop.services.customer_list import CustomerQuery
from desktop.services.customers import BulkResult
from desktop.store.engine import Database

BULK_VERBS = {"archive": "Archive", "unarchive": "Unarchive", "delete": "Delete"}
BULK_WARNINGS = {
    "delete": "\n\nCustomers linked to sales orders, credits, payments or fulfilments are not deleted "
              "(archive them instead). Deleting cannot be undone.",
    "archive": "\n\nArchived customers are hidden from the list and cannot be given new orders.",
    "unarchive": "",
}


def plural(n: int, noun: str = "customer") -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def bulk_work(db: Database, action: str, *, all_matching: bool, query: CustomerQuery,
              ids: list[int], description: str = "") -> Callable[[Callable[[int, int], None]], BulkResult]:
    """The job for the write worker: one transaction that archives, unarchives or deletes `ids` (or every
    customer `query` finds). An archive or unarchive is remembered as one bulk action (`description`: what
    the clerk chose), undone from the Import history page."""
    function = {"archive": customer_service.bulk_archive, "unarchive": customer_service.bulk_unarchive,
                "delete": customer_service.bulk_delete}[action]
    extra: dict[str, str] = {"description": description} if action != "delete" and description else {}

    def work(progress: Callable[[int, int], None]) -> BulkResult:
        with db.transaction() as session:
            if all_matching:
                return function(session, apply_to_all=True, query=query, progress=progress, **extra)
            return function(session, ids=ids, progress=progress, **extra)

    return work


class BulkResultDialog(QDialog):
    """What a bulk action did: the summary, and every skipped customer with the reason. After a delete,
    the customers skipped for their links can be archived instead (`archiveRequested(ids)`)."""

    archiveRequested = Signal(list)

    def __init__(self, result: BulkResult, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Customers {result.action}")
        layout = QVBoxLayout(self)
        self.summary = QLabel(f"<b>{result.summary()}</b>")
        layout.addWidget(self.summary)
        self.details: QPlainTextEdit | None = None
        skipped = result.skipped
        if skipped:
            layout.addWidget(QLabel(f"Not {result.action} ({len(skipped):,}):"))
            self.details = QPlainTextEdit(readOnly=True)
            self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
            self.details.setPlainText("\n".join(
                f"{o.name or '(deleted)'} (id {o.customer_id}): {o.reason}" for o in skipped
            ))
            layout.addWidget(self.details)
            self.resize(680, 320)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        self.linked_ids = [o.customer_id for o in skipped
                           if result.action == "deleted" and o.name is not None and "archive instead" in (o.reason or "")]
        self.archive_button = None
        if self.linked_ids:
            n = len(self.linked_ids)
            self.archive_button = buttons.addButton(f"&Archive {'it' if n == 1 else f'these {n:,}'} instead",
                                                    QDialogButtonBox.ButtonRole.ActionRole)
            self.archive_button.setToolTip("Archive the customers that could not be deleted because of their links")
            self.archive_button.clicked.connect(self._archive_instead)
        layout.addWidget(buttons)

    def _archive_instead(self) -> None:
        self.accept()
        self.archiveRequested.emit(list(self.linked_ids))

    def text(self) -> str:
        return self.summary.text() + "\n" + (self.details.toPlainText() if self.details else "")
