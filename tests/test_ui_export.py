"""File → Export… (Ctrl+E): the customers the table lists, in its order, to CSV or Excel, off the GUI thread;
a cancelled or refused export writes nothing. On both back-ends."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from desktop.services import customers as cs
from desktop.services.export import EXPORT_COLUMNS
from desktop.store.engine import Database
from desktop.ui.common.settings import EXPORT_FOLDER, Settings
from desktop.ui.main_window import MainWindow
from tests.ui_fixtures import focus, settled

both = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
NAMES = ("Aroha Kowhai", "Ben Tasman", "Cara Kowhai", "Dee Moana")


@pytest.fixture
def window(qtbot, store: Database) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    with store.transaction() as s:
        for i, name in enumerate(NAMES):
            cs.create_customer(s, {"name": name, "email": f"c{i}@example.com", "phone": "+64 9 555 010" + str(i),
                                   "zip": f"0{i}10", "address1": f"{i} Quay Street", "country_code": "NZ"})
    made = MainWindow(store, Settings({}))
    qtbot.addWidget(made)
    made.show()
    qtbot.waitExposed(made)
    yield made
    made.workers.wait(10_000)


def choose(monkeypatch: pytest.MonkeyPatch, path: Path, kind: str = "CSV file (*.csv)") -> list[str]:
    asked: list[str] = []

    def fake(_parent, _title, suggested, _filters):  # type: ignore[no-untyped-def]
        asked.append(suggested)
        return str(path), kind
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
    return asked


def listed(window: MainWindow) -> list[str]:
    model = window.customers.model
    return [model.data(model.index(r, 0)) for r in range(model.rowCount())]


@both
def test_ctrl_e_writes_the_listed_customers_in_the_tables_order(qtbot, window, monkeypatch, tmp_path) -> None:
    section = window.customers
    section.filters.search.setText("kowhai")
    section.filters.flush()
    settled(qtbot, window)
    section.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: section.model.query.sort == "-name" and not section.model.busy, timeout=5000)
    target = tmp_path / "kowhai"
    asked = choose(monkeypatch, target)
    focus(qtbot, section.table)
    qtbot.keyClick(section.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    written = tmp_path / "kowhai.csv"  # no suffix given: the chosen kind's
    qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage(), timeout=10_000)
    with written.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [r["name"] for r in rows] == listed(window) == ["Cara Kowhai", "Aroha Kowhai"]
    assert list(rows[0]) == list(EXPORT_COLUMNS) and rows[0]["phone"] == "'+64 9 555 0102"
    assert "Exported 2 customers" in window.statusBar().currentMessage()
    assert asked and asked[0].endswith(".csv") and window.settings.get(EXPORT_FOLDER) == str(tmp_path)


@both
def test_excel_keeps_text_as_text(qtbot, window, monkeypatch, tmp_path) -> None:
    target = tmp_path / "all.xlsx"
    choose(monkeypatch, target, "Excel workbook (*.xlsx)")
    window.customers.actions["export"].trigger()
    qtbot.waitUntil(lambda: not window.customers.exporter.running and target.exists(), timeout=10_000)
    sheet = load_workbook(target, read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(EXPORT_COLUMNS)
    zips = [r[EXPORT_COLUMNS.index("zip")] for r in rows[1:]]
    assert [r[1] for r in rows[1:]] == listed(window) and zips == ["0010", "0110", "0210", "0310"]


def test_a_cancelled_or_refused_export_writes_nothing(qtbot, window, store, monkeypatch, tmp_path) -> None:
    target = tmp_path / "kept.csv"
    target.write_text("what was there\n", encoding="utf-8")
    section = window.customers
    started: list = []
    original = section.workers.start

    def cancelled_first(job, **kwargs):  # type: ignore[no-untyped-def]
        job.cancel()  # as Cancel in the progress dialog, before the first row
        started.append(job)
        return original(job, **kwargs)
    monkeypatch.setattr(section.workers, "start", cancelled_first)
    section.export_customers(str(target))
    qtbot.waitUntil(lambda: bool(started) and not started[0].running, timeout=10_000)
    assert target.read_text(encoding="utf-8") == "what was there\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]  # no part file left
    monkeypatch.setattr(section.workers, "start", original)
    shown: list[BaseException] = []
    monkeypatch.setattr("desktop.ui.common.messages.show_error", lambda _parent, exc: shown.append(exc))
    store_file = Path(store.engine.url.database)
    before = store_file.read_bytes()
    section.export_customers(str(store_file))  # onto the store itself: refused
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert "the store" in str(shown[0]) and store_file.read_bytes() == before


def test_ctrl_e_is_the_customer_sections_only(window) -> None:
    action = window.customers.actions["export"]
    assert action.shortcut().toString() == "Ctrl+E" and action in window.menuBar().actions()[0].menu().actions()
    window.go_to("Nominal codes")
    assert not action.isEnabled()
    window.go_to("Customers")
    assert action.isEnabled()


@pytest.mark.parametrize("name", ["mid.csv", "mid.xlsx"])
def test_cancelled_midway_the_target_stays_as_it_was(window, store, monkeypatch, tmp_path, name) -> None:
    from desktop.services import export
    from desktop.services.customer_list import CustomerQuery
    from desktop.services.errors import Cancelled

    monkeypatch.setattr(export, "PROGRESS_EVERY", 2)
    target = tmp_path / name
    target.write_bytes(b"before")
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 2:
            raise Cancelled()
    with store.read() as s, pytest.raises(Cancelled):
        export.export_customers(s, CustomerQuery(), target, progress=progress)
    assert seen == [(0, 4), (2, 4)] and target.read_bytes() == b"before"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_an_export_started_while_counting_counts_on_the_worker(qtbot, window, tmp_path, monkeypatch) -> None:
    from desktop.services.customer_list import CustomerQuery
    from desktop.ui.customers.export import CustomerExport

    exporter = CustomerExport(window.db, window.workers, window, window.settings)
    seen: list[tuple[int, int]] = []
    original = window.workers.start

    def watched(job, **kwargs):  # type: ignore[no-untyped-def]
        job.progress.connect(lambda done, total: seen.append((done, total)))  # before it runs
        return original(job, **kwargs)
    monkeypatch.setattr(window.workers, "start", watched)
    target = tmp_path / "counted.csv"
    assert exporter.start(CustomerQuery(sort="name"), None, str(target)) is not None
    qtbot.waitUntil(lambda: bool(seen) and seen[-1][0] == 4 and not exporter.running, timeout=10_000)
    assert seen[-1] == (4, 4)  # the total counted by the worker, not the first page's size
    assert len(target.read_text(encoding="utf-8").splitlines()) == 5
