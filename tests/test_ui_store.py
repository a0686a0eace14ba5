"""The window and its store: never created unasked, Settings → Store tested before it is saved, a busy
store shown in the status bar while a change waits, and Cancel stops the wait with nothing written."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from desktop.services.errors import Cancelled
from desktop.store import models as m
from desktop.store.engine import Database, StoreBusy, open_database
from desktop.ui.common import settings as opt
from desktop.ui.common import store_settings
from desktop.ui.common.store_settings import CHOOSE, CREATE, QUIT, StoreDialog, open_store_interactively
from desktop.ui.common.workers import Job, Workers
from desktop.ui.main_window import MainWindow
from tests import factories as f


def new_store(path: Path) -> Path:
    open_database(str(path)).dispose()
    return path


def customers(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(m.Customer)) or 0


# --- a store that is not there -------------------------------------------------------------------------


def test_a_missing_store_is_created_only_when_the_clerk_says_so(tmp_path: Path, qtbot) -> None:
    missing = tmp_path / "typo" / "customers.sqlite3"
    questions: list[str] = []

    def quit_(_parent: Any, location: str) -> str:
        questions.append(location)
        return QUIT

    settings = opt.Settings({})
    assert open_store_interactively(str(missing), settings, Workers(), ask=quit_) is None
    assert questions == [str(missing)] and not missing.exists() and not missing.parent.exists()

    db = open_store_interactively(str(missing), settings, Workers(), ask=lambda _p, _l: CREATE)
    assert db is not None
    try:
        assert missing.is_file() and customers(db) == 0
        assert db.busy_wait == settings.get(opt.STORE_BUSY_WAIT)
    finally:
        db.dispose()


def test_choose_another_opens_the_store_the_clerk_saved(tmp_path: Path, qtbot, monkeypatch) -> None:
    real = new_store(tmp_path / "real.sqlite3")
    settings = opt.Settings({})

    class Chosen:
        def __init__(self, settings_: opt.Settings, *_args: Any, **_kwargs: Any) -> None:
            self.settings = settings_
            self.saved = False

        def exec(self) -> int:
            self.settings.set(opt.DATABASE_URL, str(real))
            self.saved = True
            return 1  # Accepted

    monkeypatch.setattr(store_settings, "StoreDialog", Chosen)
    db = open_store_interactively(str(tmp_path / "typo.sqlite3"), settings, Workers(), ask=lambda _p, _l: CHOOSE)
    assert db is not None
    try:
        assert db.file == real and not (tmp_path / "typo.sqlite3").exists()
    finally:
        db.dispose()


def test_the_smoke_test_never_creates_a_store(tmp_path: Path, capsys) -> None:
    from desktop.ui.app import run_smoke_test

    missing = tmp_path / "none.sqlite3"
    assert run_smoke_test(str(missing)) == 1
    assert f"No store at {missing}" in capsys.readouterr().err
    assert not missing.exists()


# --- Settings → Store ----------------------------------------------------------------------------------


def test_store_dialog_saves_only_a_tested_store(tmp_path: Path, qtbot) -> None:
    good = new_store(tmp_path / "good.sqlite3")
    settings = opt.Settings({})
    dialog = StoreDialog(settings, Workers())
    qtbot.addWidget(dialog)
    assert dialog.sqlite.isChecked() and not dialog.save_button.isEnabled()

    dialog.path.setText(str(tmp_path / "missing.sqlite3"))
    qtbot.keyClick(dialog.path, Qt.Key.Key_Return)  # Enter tests a changed location
    qtbot.waitUntil(lambda: dialog.job is None and dialog.result.text().startswith("✖"))
    assert "No store at" in dialog.result.text() and not dialog.save_button.isEnabled()
    assert not (tmp_path / "missing.sqlite3").exists()

    dialog.path.setText(str(good))
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and dialog.result.text().startswith("✔"))
    assert dialog.result.text() == "✔ SQLite store with 0 customers."
    assert dialog.save_button.isEnabled() and dialog.save_button.isDefault()
    dialog.path.setText(str(good) + "x")  # changed after the test: test again before saving
    assert not dialog.save_button.isEnabled()
    dialog.path.setText(str(good))
    assert dialog.save_button.isEnabled()
    dialog.wait.setValue(30)
    qtbot.keyClick(dialog.path, Qt.Key.Key_Return)  # Enter now saves
    assert dialog.saved and settings.get(opt.DATABASE_URL) == str(good)
    assert settings.get(opt.STORE_BUSY_WAIT) == 30.0


def test_store_dialog_keeps_a_postgresql_password_out_of_sight(qtbot) -> None:
    settings = opt.Settings({opt.DATABASE_URL.key: "postgresql://clerk:s3cret@db.example/customers"})
    dialog = StoreDialog(settings, Workers())
    qtbot.addWidget(dialog)
    assert dialog.postgres.isChecked()
    assert "s3cret" not in dialog.url.text() and "s3cret" not in dialog.current.text()
    assert dialog.password.echoMode() == dialog.password.EchoMode.Password
    assert dialog.candidate() == "postgresql+psycopg://clerk:s3cret@db.example/customers"
    assert not dialog.path.isEnabled() and dialog.url.isEnabled()


def test_store_dialog_tests_a_postgresql_store(pg_cluster, qtbot) -> None:  # type: ignore[no-untyped-def]
    url = pg_cluster.create_database("store_dialog")
    db = open_database(url)
    try:
        with db.transaction() as s:
            f.customer(s, name="Tia Marsh")
    finally:
        db.dispose()
    dialog = StoreDialog(opt.Settings({}), Workers())
    qtbot.addWidget(dialog)
    dialog.postgres.setChecked(True)
    dialog.url.setText(url)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and dialog.result.text() != "Testing…")
    assert dialog.result.text() == "✔ PostgreSQL store with 1 customer."
    assert dialog.save_button.isEnabled()


def test_the_store_action_opens_the_dialog_from_the_file_menu(db: Database, qtbot) -> None:
    window = MainWindow(db, opt.Settings({}))
    qtbot.addWidget(window)
    file_menu = window.menuBar().actions()[0].menu()
    assert window.actions_by_name["store_settings"] in file_menu.actions()
    assert not window.actions_by_name["store_settings"].icon().isNull()
    dialog = window.show_store_settings()
    assert isinstance(dialog, StoreDialog) and dialog.isVisible()
    dialog.reject()
    window.close()


# --- a busy store --------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_db(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = open_database(str(tmp_path / "busy.sqlite3"))
    yield database
    database.dispose()


def _write_job(db: Database) -> Job:
    def work(progress: Any) -> int:
        with db.transaction() as s:
            s.add(m.SalesRep(name="Busy Rep"))
            return 1

    return Job(work)


def test_a_change_waiting_for_a_busy_store_shows_it_and_finishes(sqlite_db: Database, qtbot) -> None:
    window = MainWindow(sqlite_db, opt.Settings({}))
    qtbot.addWidget(window)
    holder = sqlite3.connect(sqlite_db.file, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    job = _write_job(sqlite_db)
    results: list[object] = []
    job.finished.connect(results.append)
    window.workers.start(job, write=True)
    qtbot.waitUntil(lambda: "Waiting for the store" in window.statusBar().currentMessage(), timeout=20_000)
    assert "another program is writing to it" in window.statusBar().currentMessage()
    holder.execute("COMMIT")
    qtbot.waitUntil(lambda: results == [1], timeout=20_000)
    holder.close()
    window.close()


def test_cancel_stops_the_wait_and_writes_nothing(sqlite_db: Database, qtbot) -> None:
    window = MainWindow(sqlite_db, opt.Settings({}))
    qtbot.addWidget(window)
    with sqlite_db.read() as s:
        before = s.scalar(select(func.count()).select_from(m.SalesRep))
    holder = sqlite3.connect(sqlite_db.file, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    job = _write_job(sqlite_db)
    failures: list[BaseException] = []
    job.failed.connect(failures.append)
    window.workers.start(job, write=True)
    qtbot.waitUntil(lambda: "Waiting for the store" in window.statusBar().currentMessage(), timeout=20_000)
    job.cancel()
    qtbot.waitUntil(lambda: bool(failures), timeout=20_000)
    assert isinstance(failures[0], Cancelled)
    holder.execute("ROLLBACK")
    holder.close()
    with sqlite_db.read() as s:
        assert s.scalar(select(func.count()).select_from(m.SalesRep)) == before
    window.close()


def test_a_store_busy_past_the_limit_is_one_sentence(sqlite_db: Database, qtbot) -> None:
    from desktop.ui.common import messages

    sqlite_db.busy_wait = 1.0
    holder = sqlite3.connect(sqlite_db.file, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    job = _write_job(sqlite_db)
    failures: list[BaseException] = []
    job.failed.connect(failures.append)
    workers = Workers()
    workers.start(job, write=True)
    qtbot.waitUntil(lambda: bool(failures), timeout=20_000)
    holder.execute("ROLLBACK")
    holder.close()
    assert isinstance(failures[0], StoreBusy)
    assert messages.explain(failures[0]) == (
        "Store busy", "The store is busy: another program is writing to it. Nothing was changed; try again.")
