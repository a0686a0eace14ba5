"""Which dragged files are importable, and the file dialog's filter: small and Qt-only, so that the window
knows a drop is for the import without importing the import preview (and the readers behind it) at start."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData

IMPORTABLE_SUFFIXES = (".csv", ".xlsx", ".txt")
FILE_FILTER = "Customer files (*.csv *.xlsx *.txt);;CSV files (*.csv *.txt);;Excel workbooks (*.xlsx)"


def importable_paths(mime: QMimeData | None) -> list[Path]:
    """The local .csv/.xlsx/.txt files among what is dragged (anything else: none)."""
    if mime is None or not mime.hasUrls():
        return []
    paths = []
    for url in mime.urls():
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.suffix.lower() in IMPORTABLE_SUFFIXES:
                paths.append(path)
    return paths
