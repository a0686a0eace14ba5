"""The plain main window opens on a store and shows what is in it."""

from __future__ import annotations

from desktop.services import customers as cs
from desktop.ui.app import MainWindow


def test_main_window_shows_store_and_counts(qtbot, database_url):
    from desktop.store.engine import open_database

    db = open_database(database_url)
    with db.transaction() as s:
        cs.create_customer(s, {"name": "Aroha Kowhai"})
        archived = cs.create_customer(s, {"name": "Tane Rata"})
        cs.archive_customer(s, archived.id)
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert db.location in window.windowTitle()
    assert "1 active customers, 1 archived" in window.summary.text()
    with db.transaction() as s:
        cs.create_customer(s, {"name": "Mere Tui"})
    window.refresh()
    assert "2 active customers" in window.summary.text()
    db.dispose()
