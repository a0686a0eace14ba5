"""The workspace's figures on a 1,000,000-customer store (offscreen Qt), printed beside their targets.

    python -m benchmarks.ui [STORE]

- process start to first page painted (a fresh `customer-desk --smoke-test` process, which opens the
  window, loads the first page, paints it and closes; pandas must not be imported on the way);
- keystroke in the search box to first page of results (the debounced query, measured from the moment
  the debounce fires);
- scrolling from top to bottom with Ctrl+End;
- resident memory after scrolling through 10,000 rows.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STORE = ROOT / "bench-data" / "bench-1000000.sqlite3"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_to_first_page(url: str) -> float:
    samples = []
    for _ in range(3):
        start = time.perf_counter()
        code = subprocess.run(
            [sys.executable, "-c",
             "import sys; from desktop.cli import main; rc = main(sys.argv[1:]); "
             "assert 'pandas' not in sys.modules, 'pandas imported at start-up'; sys.exit(rc)",
             "--database", url, "--smoke-test"],
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True,
        )
        samples.append((time.perf_counter() - start) * 1000)
        if code.returncode != 0:
            raise SystemExit(f"smoke test failed: {code.stderr.strip()}")
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    store = Path(args[0]) if args else DEFAULT_STORE
    if not store.exists():
        print(f"no store at {store}: run `make bench` first (it builds it)")
        return 1
    url = f"sqlite:///{store}"
    print(f"\nworkspace on {store}")
    first = start_to_first_page(url)
    print(f"  start to first page painted       {first:8.1f} ms   target ≤ 1500 ms: "
          f"{'ok' if first <= 1500 else 'MISSED'} (whole process, incl. closing)")

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop.store.engine import open_database
    from desktop.ui.main_window import MainWindow
    from desktop.ui.common.settings import Settings

    app = QApplication.instance() or QApplication([])
    db = open_database(url)
    window = MainWindow(db, Settings({}))
    window.resize(1400, 850)
    window.show()
    app.processEvents()

    samples = []
    for term in ("kowh", "berg", "alvarez", "6011", "smith"):
        window.customers.filters.search.setText(term)
        start = time.perf_counter()
        window.customers.filters.flush()  # what the debounce timer does when it fires
        app.processEvents()
        window.customers.table.viewport().repaint()
        samples.append((time.perf_counter() - start) * 1000)
    keystroke = statistics.median(samples)
    print(f"  keystroke to first page           {keystroke:8.1f} ms   target ≤ 100 ms: "
          f"{'ok' if keystroke <= 100 else 'MISSED'} (median of 5 searches, after the debounce)")

    window.customers.filters.search.clear()
    window.customers.filters.flush()
    app.processEvents()
    window.customers.table.setFocus()
    samples = []
    for _ in range(3):
        QTest.keyClick(window.customers.table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
        app.processEvents()
        window.customers.model.refresh()
        start = time.perf_counter()
        QTest.keyClick(window.customers.table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
        app.processEvents()
        window.customers.table.viewport().repaint()
        samples.append((time.perf_counter() - start) * 1000)
    end = statistics.median(samples)
    print(f"  Ctrl+End to the last page         {end:8.1f} ms   target ≤ 100 ms: {'ok' if end <= 100 else 'MISSED'}")

    QTest.keyClick(window.customers.table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    for row in range(0, 10_000, 40):
        window.customers.table.scrollTo(window.customers.model.index(row, 0))
        app.processEvents()
    memory = rss_mb()
    print(f"  resident memory after 10,000 rows {memory:8.1f} MB   target ≤ 300 MB: "
          f"{'ok' if memory <= 300 else 'MISSED'}")
    window.close()
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
