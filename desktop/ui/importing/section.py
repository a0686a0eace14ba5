"""The Importing section: File → Import customers… (Ctrl+I, or a file dropped on the window) opens the
import preview; the Import history page lists the batches and undoes one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QAction, QKeySequence

from desktop.ui.common import settings as opt
from desktop.ui.common.section import Host, Section
from desktop.ui.importing.files import importable_paths
from desktop.ui.importing.import_history import ImportHistorySection

if TYPE_CHECKING:  # the preview (and the readers and planner behind it) is imported when first opened
    from desktop.importing.commit import CommitResult
    from desktop.ui.importing.import_dialog import ImportDialog


class Importing(Section):
    key = "importing"
    title = "Import history"

    def __init__(self, host: Host):
        super().__init__(host)
        self.dialog: ImportDialog | None = None  # the import preview open now
        self.history = ImportHistorySection(host.db, host.workers, on_undone=host.customers_changed)
        self.page = self.history
        action = QAction("&Import customers…", host.widget)
        action.setShortcut(QKeySequence("Ctrl+I"))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        tip = "Import customers from a CSV or Excel file (or drop the file on the window)"
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda: self.open_import())
        host.widget.addAction(action)
        self.actions = {"import": action}
        self.menus = [("&File", [action])]

    def accepts_drop(self, mime: QMimeData | None) -> bool:
        return bool(importable_paths(mime))

    def drop(self, mime: QMimeData | None) -> None:
        paths = importable_paths(mime)
        if not paths:
            return
        if len(paths) > 1:
            self.host.show_message(f"One file at a time: importing {paths[0].name}.", 10_000)
        self.open_import(str(paths[0]))

    def open_import(self, path: str | Path | None = None) -> ImportDialog | None:
        """Open the import preview for `path` (asked for when None) over the window."""
        from desktop.ui.importing import import_dialog

        host = self.host
        settings: opt.Settings = host.settings
        current = self.dialog
        if current is not None and current.committing:
            host.show_message("An import is still being written; wait for it to finish.", 8_000)
            current.raise_()
            return current
        if path is None:
            folder = settings.get(opt.IMPORT_FOLDER) or str(Path.home())
            chosen = import_dialog.choose_import_file(host.widget, folder)  # a seam for tests
            if chosen is None:
                return None
            path = chosen
        path = Path(path)
        settings.set(opt.IMPORT_FOLDER, str(path.parent))
        if current is not None:
            current.close()
            if not current.busy:
                current.deleteLater()
        dialog = import_dialog.ImportDialog(host.db, path, settings=settings, workers=host.workers,
                                            parent=host.widget)
        dialog.committed.connect(self._committed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _committed(self, result: CommitResult) -> None:
        from desktop.ui.importing.import_dialog import result_text

        self.host.customers_changed()
        self.history.reload()
        self.host.show_message(result_text(result), 20_000)
