"""The main window opens on a store and shows what is in it."""

from __future__ import annotations

from desktop.services import customers as cs
from desktop.store.engine import open_database
from desktop.ui.main_window import MainWindow
from desktop.ui.settings import Settings


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
    assert window.status.text() == "1 customer (0 selected)"
    with db.transaction() as s:
        cs.create_customer(s, {"name": "Mere Tui"})
    window.refresh()
    assert window.status.text() == "2 customers (0 selected)"
    window.workers.wait(10_000)
    db.dispose()
