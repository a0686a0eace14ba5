"""The import dialog's figures (issue "Import at the speed of the disk"), through the real widgets (offscreen):

    python -m benchmarks.import_dialog [--rows N] [--million]

On a fresh SQLite store, in one process: an empty main window is shown and its resident memory noted; then
the import dialog opens the generated N-row file (bench-data/, as `python -m benchmarks.imports` makes it):
- time from opening the dialog to the first page of the preview painted (target <= 2 s at 200,000 rows);
- time to the whole preview (validation in the background);
- the process's peak resident memory above the empty window's while previewing (target <= 150 MB);
- the import from the dialog: its time and the peak above the empty window.
The floor of the first page is reading the file's first 5,000 rows with pandas (what showing any row of it
costs at the least).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent


def status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """The peak resident memory (VmHWM) starts again from the current one."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # pragma: no cover - not Linux
        pass


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def run(rows: int, csv_path: Path, first_target: float | None) -> None:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from desktop.store.engine import open_database
    from desktop.ui.common.settings import Settings
    from desktop.ui.importing.import_dialog import ImportDialog
    from desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="dialog-bench-") as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'store.sqlite3'}")
        window = MainWindow(db, Settings({}))
        window.resize(1366, 768)
        window.show()
        for _ in range(20):
            app.processEvents()
        empty = status_mb("VmRSS")
        reset_peak()

        def until(condition, limit_s: float = 1800.0) -> None:  # type: ignore[no-untyped-def]
            deadline = time.perf_counter() + limit_s
            while not condition():
                if time.perf_counter() > deadline:
                    raise SystemExit("the dialog did not answer in time")
                app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 20)

        start = time.perf_counter()
        dialog = ImportDialog(db, csv_path, settings=Settings({}), workers=window.workers, parent=window)
        dialog.resize(1366, 768)
        dialog.show()
        view = dialog.rows_view
        until(lambda: dialog.rows_model.rowCount() > 0 and view.viewport().isVisible())
        view.viewport().repaint()
        first = time.perf_counter() - start
        until(lambda: not dialog.busy)
        whole = time.perf_counter() - start
        preview_peak = status_mb("VmHWM") - empty
        assert dialog.preview is not None and dialog.preview.summary.rows == rows, "the preview missed rows"
        # The clerk scrolls: the middle and the end of the table, each painted.
        for fraction in (0.5, 1.0):
            bar = view.verticalScrollBar()
            bar.setValue(int(bar.maximum() * fraction))
            view.viewport().repaint()
        start = time.perf_counter()
        dialog.start_import()
        until(lambda: not dialog.committing)
        commit = time.perf_counter() - start
        commit_peak = status_mb("VmHWM") - empty
        assert dialog.result is not None, "the import from the dialog did not commit"
        print(f"the import dialog, {rows:,} rows into an empty SQLite store (empty window {empty:.0f} MB)")
        target = f"   target <= {first_target:.1f} s: {verdict(first <= first_target)}" if first_target else ""
        print(f"  first page of the preview         {first:7.2f} s{target}")
        print(f"  whole preview (background)        {whole:7.2f} s")
        print(f"  peak above the empty window       {preview_peak:7.0f} MB   target <= 150 MB: "
              f"{verdict(preview_peak <= 150)}")
        print(f"  import from the dialog            {commit:7.2f} s   peak above the empty window "
              f"{commit_peak:.0f} MB", flush=True)
        dialog.close()
        window.close()
        app.processEvents()
        db.dispose()


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    from benchmarks.imports import DATA, make_csv

    parser = argparse.ArgumentParser(prog="python -m benchmarks.import_dialog")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--million", action="store_true", help="also open and import 1,000,000 rows (slow)")
    args = parser.parse_args(argv)
    run(args.rows, make_csv(DATA / f"import-{args.rows}.csv", args.rows), 2.0 if args.rows <= 200_000 else None)
    if args.million:
        run(1_000_000, make_csv(DATA / "import-1000000.csv", 1_000_000), None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
