"""The window and its store: never created unasked, Settings → Store tested before it is saved, a busy
store shown in the status bar while a change waits, and Cancel stops the wait with nothing written."""

from __future__ import annotations

import errno
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox, QProgressDialog, QWidget
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from desktop.services.errors import Cancelled
from desktop.store import models as m
from desktop.store.engine import Database, StoreBusy, StoreError, StoreMissing, open_database
from desktop.ui.common import settings as opt
from desktop.ui.common import store_settings
from desktop.ui.common.store_settings import CHOOSE, CREATE, QUIT, RETRY, StoreDialog, open_store_interactively
from desktop.ui.common.workers import Job, Workers
from desktop.ui.main_window import MainWindow
from tests import factories as f
from tests.ui_fixtures import focus


def new_store(path: Path) -> Path:
    open_database(str(path)).dispose()
    return path


def shown(qtbot, dialog: StoreDialog) -> StoreDialog:  # type: ignore[no-untyped-def]
    """The dialog on screen (Enter presses its default button only when that button is visible)."""
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def customers(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(m.Customer)) or 0


# --- a store that is not there -------------------------------------------------------------------------


def test_a_missing_store_is_created_only_when_the_clerk_says_so(tmp_path: Path, qtbot) -> None:
    missing = tmp_path / "typo" / "customers.sqlite3"
    questions: list[StoreError] = []

    def quit_(_parent: Any, problem: StoreError) -> str:
        questions.append(problem)
        return QUIT

    settings = opt.Settings({})
    assert open_store_interactively(str(missing), settings, Workers(), ask=quit_) is None
    assert [type(q) for q in questions] == [StoreMissing] and questions[0].location == str(missing)
    assert not missing.exists() and not missing.parent.exists()

    db = open_store_interactively(str(missing), settings, Workers(), ask=lambda _p, _q: CREATE)
    assert db is not None
    try:
        assert missing.is_file() and customers(db) == 0
        assert db.busy_wait == settings.get(opt.STORE_BUSY_WAIT)
        assert settings.get(opt.DATABASE_URL) == ""  # the store asked for was created: nothing to save
    finally:
        db.dispose()


def test_choose_another_saves_the_store_only_once_it_opened(tmp_path: Path, qtbot) -> None:
    real = new_store(tmp_path / "real.sqlite3")
    typo = tmp_path / "typo.sqlite3"
    settings = opt.Settings({})
    asked: list[str] = []
    picks = [(str(tmp_path / "another-typo.sqlite3"), 30.0), (str(real), 45.0)]

    def ask(_parent: Any, problem: StoreError) -> str:
        asked.append(str(problem))
        return CHOOSE

    def choose(_parent: Any, settings_: opt.Settings, _workers: Workers, location: str) -> tuple[str, float]:
        assert settings_ is settings and settings.get(opt.DATABASE_URL) == ""  # nothing saved yet
        return picks.pop(0)

    db = open_store_interactively(str(typo), settings, Workers(), ask=ask, choose=choose)
    assert db is not None
    try:
        assert db.file == real and db.busy_wait == 45.0
        assert [a.split(";")[0] for a in asked] == [f"No store at {typo}", f"No store at {tmp_path / 'another-typo.sqlite3'}"]
        assert settings.get(opt.DATABASE_URL) == str(real) and settings.get(opt.STORE_BUSY_WAIT) == 45.0
        assert not typo.exists() and not (tmp_path / "another-typo.sqlite3").exists()
    finally:
        db.dispose()


def test_a_chosen_store_that_does_not_open_is_never_saved(tmp_path: Path, qtbot) -> None:
    settings = opt.Settings({})
    answers = [CHOOSE, QUIT]
    db = open_store_interactively(str(tmp_path / "typo.sqlite3"), settings, Workers(),
                                  ask=lambda _p, _q: answers.pop(0),
                                  choose=lambda *_a: (str(tmp_path / "gone.sqlite3"), 30.0))
    assert db is None and settings.get(opt.DATABASE_URL) == "" and not answers


def test_a_store_that_cannot_be_opened_offers_try_again_choose_or_quit(tmp_path: Path, qtbot) -> None:
    folder = tmp_path / "a-folder.sqlite3"
    folder.mkdir()
    problems: list[StoreError] = []
    answers = [RETRY, QUIT]

    def ask(_parent: Any, problem: StoreError) -> str:
        problems.append(problem)
        return answers.pop(0)

    assert open_store_interactively(str(folder), opt.Settings({}), Workers(), ask=ask) is None
    assert len(problems) == 2 and not any(isinstance(p, StoreMissing) for p in problems)
    assert "it is a folder, not a file" in str(problems[0])


def test_a_store_that_cannot_be_created_asks_again(tmp_path: Path, qtbot) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    target = blocker / "customers.sqlite3"
    problems: list[StoreError] = []
    answers = [CREATE, QUIT]

    def ask(_parent: Any, problem: StoreError) -> str:
        problems.append(problem)
        return answers.pop(0)

    assert open_store_interactively(str(target), opt.Settings({}), Workers(), ask=ask) is None
    assert isinstance(problems[0], StoreMissing) and not isinstance(problems[1], StoreMissing)
    assert str(problems[1]).startswith(f"Cannot create the store {target}")


def _answer_box(monkeypatch: pytest.MonkeyPatch, button_text: str | None, seen: list[QMessageBox]) -> None:
    """QMessageBox.exec clicks the button labelled `button_text` (None: presses Escape)."""

    def fake_exec(box: QMessageBox) -> int:
        seen.append(box)
        box.show()
        if button_text is None:
            QTest.keyClick(box, Qt.Key.Key_Escape)
        else:
            next(b for b in box.buttons() if b.text().replace("&", "") == button_text).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)


def test_the_missing_store_question_names_the_store_and_its_three_answers(tmp_path: Path, qtbot,
                                                                           monkeypatch) -> None:
    seen: list[QMessageBox] = []
    location = str(tmp_path / "typo" / "customers.sqlite3")
    _answer_box(monkeypatch, "Choose another…", seen)
    assert store_settings.ask_store_problem(None, StoreMissing(location)) == CHOOSE
    box = seen[-1]
    assert box.text() == f"No store at {location}."
    assert sorted(b.text().replace("&", "") for b in box.buttons()) == [
        "Choose another…", "Create a new empty store", "Quit"]  # (their order is the platform's)
    assert box.defaultButton().text().replace("&", "") == "Create a new empty store"
    _answer_box(monkeypatch, "Create a new empty store", seen)
    assert store_settings.ask_store_problem(None, StoreMissing(location)) == CREATE
    _answer_box(monkeypatch, None, seen)  # Escape quits
    assert store_settings.ask_store_problem(None, StoreMissing(location)) == QUIT
    _answer_box(monkeypatch, "Try again", seen)
    assert store_settings.ask_store_problem(None, StoreError("Cannot open database x: it is a folder.")) == RETRY
    assert seen[-1].text() == "Cannot open database x: it is a folder."


def test_choosing_at_start_opens_only_a_tested_store_and_saves_nothing_itself(tmp_path: Path, qtbot) -> None:
    good = new_store(tmp_path / "good.sqlite3")
    missing = tmp_path / "typo.sqlite3"
    settings = opt.Settings({})
    dialog = shown(qtbot, StoreDialog(settings, Workers(), current=str(missing), choosing=True))
    assert dialog.save_button.text().replace("&", "") == "Open" and f"No store at <b>{missing}</b>" in dialog.current.text()
    assert dialog.path.text() == str(missing) and not dialog.save_button.isEnabled()  # the missing one is no answer
    dialog.path.setText(str(good))
    qtbot.keyClick(dialog.path, Qt.Key.Key_Return)  # Enter tests
    qtbot.waitUntil(lambda: dialog.job is None and dialog.outcome.text().startswith("✔"))
    qtbot.keyClick(dialog.path, Qt.Key.Key_Return)  # then opens
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.chosen == (str(good), 120.0) and settings.get(opt.DATABASE_URL) == ""


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
    dialog = shown(qtbot, StoreDialog(settings, Workers()))
    assert dialog.sqlite.isChecked() and not dialog.save_button.isEnabled()

    dialog.path.setText(str(tmp_path / "missing.sqlite3"))
    qtbot.keyClick(dialog.path, Qt.Key.Key_Return)  # Enter tests a changed location
    qtbot.waitUntil(lambda: dialog.job is None and dialog.outcome.text().startswith("✖"))
    assert "No store at" in dialog.outcome.text() and not dialog.save_button.isEnabled()
    assert not (tmp_path / "missing.sqlite3").exists()

    dialog.path.setText(str(good))
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and dialog.outcome.text().startswith("✔"))
    assert dialog.outcome.text() == "✔ SQLite store with 0 customers."
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
    qtbot.waitUntil(lambda: dialog.job is None and dialog.outcome.text() != "Testing…")
    assert dialog.outcome.text() == "✔ PostgreSQL store with 1 customer."
    assert dialog.save_button.isEnabled()


def test_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path: Path, qtbot) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    before = other.read_bytes()
    dialog = shown(qtbot, StoreDialog(opt.Settings({}), Workers()))
    dialog.path.setText(str(other))
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and dialog.outcome.text().startswith("✖"))
    assert dialog.outcome.text() == f"✖ {other} is not a Customer Desk store; choose another, or New store… to make one."
    assert not dialog.save_button.isEnabled() and other.read_bytes() == before
    assert not Path(f"{other}-wal").exists()
    spreadsheet = tmp_path / "prices.sqlite3"
    spreadsheet.write_bytes(b"PK\x03\x04 not a database at all")
    checked = store_settings.check_store(str(spreadsheet))
    assert not checked.ok and checked.text.startswith(f"{spreadsheet} is not a Customer Desk store")


def test_an_older_store_is_tested_without_being_migrated(tmp_path: Path, qtbot) -> None:
    path = new_store(tmp_path / "old.sqlite3")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0005'")
    checked = store_settings.check_store(str(path))
    assert checked.ok and checked.text == ("SQLite store with 0 customers (brought up to date when Customer "
                                           "Desk opens it).")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0005",)


def test_new_store_creates_a_file_and_never_overwrites_one(tmp_path: Path, qtbot, monkeypatch) -> None:
    fresh = tmp_path / "new" / "shop.sqlite3"
    existing = new_store(tmp_path / "existing.sqlite3")
    answers = [str(fresh), str(existing)]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a, **_k: (answers.pop(0), "")))
    settings = opt.Settings({})
    dialog = shown(qtbot, StoreDialog(settings, Workers()))
    dialog.new.click()
    qtbot.waitUntil(lambda: dialog.job is None and dialog.outcome.text() != "Creating…")
    assert dialog.outcome.text() == "✔ Created: SQLite store with 0 customers." and fresh.is_file()
    assert dialog.save_button.isEnabled()
    dialog.new.click()  # an existing store is only tested
    qtbot.waitUntil(lambda: dialog.job is None and dialog.outcome.text() != "Creating…")
    assert dialog.outcome.text() == "✔ SQLite store with 0 customers."
    dialog.save_button.click()
    assert settings.get(opt.DATABASE_URL) == str(existing)


def test_new_store_in_an_empty_postgresql_database(pg_cluster, qtbot, asked) -> None:  # type: ignore[no-untyped-def]
    url = pg_cluster.create_database("store_dialog_new")
    dialog = shown(qtbot, StoreDialog(opt.Settings({}), Workers()))
    dialog.postgres.setChecked(True)
    dialog.url.setText(url)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and dialog.outcome.text() != "Testing…")
    assert dialog.outcome.text().startswith("✖ No store in the PostgreSQL database ")
    assert dialog.outcome.text().endswith(" yet; New store… creates one there.")
    assert "customer-desk init" not in dialog.outcome.text() and not dialog.save_button.isEnabled()
    dialog.new.click()
    assert asked and asked[0].startswith("New store: Create an empty Customer Desk store in the PostgreSQL")
    qtbot.waitUntil(lambda: dialog.job is None and dialog.outcome.text() != "Creating…")
    assert dialog.outcome.text() == "✔ Created: PostgreSQL store with 0 customers."
    assert dialog.save_button.isEnabled()


def test_a_result_about_another_location_is_cleared(tmp_path: Path, qtbot) -> None:
    good = new_store(tmp_path / "good.sqlite3")
    dialog = shown(qtbot, StoreDialog(opt.Settings({}), Workers()))
    dialog.path.setText(str(good))
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and dialog.outcome.text().startswith("✔"))
    dialog.postgres.setChecked(True)
    assert dialog.outcome.text().strip() == "" and not dialog.save_button.isEnabled()


def test_every_control_is_reached_by_tab_and_escape_cancels(qtbot) -> None:
    settings = opt.Settings({})
    dialog = shown(qtbot, StoreDialog(settings, Workers()))
    focus(qtbot, dialog.path)
    reached: list[QWidget] = []
    for _ in range(20):
        reached.append(QApplication.focusWidget())
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert {dialog.sqlite, dialog.path, dialog.browse, dialog.wait, dialog.new, dialog.test_button} <= set(reached)
    assert dialog.buttons.button(dialog.buttons.StandardButton.Cancel) in reached
    focus(qtbot, dialog.sqlite)
    QTest.keyClick(dialog.sqlite, Qt.Key.Key_Down)  # the arrows choose the kind of store
    assert dialog.postgres.isChecked() and not dialog.path.isEnabled()
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.url
    QTest.keyClick(dialog.url, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.password
    dialog.wait.setValue(300)
    QTest.keyClick(dialog.password, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected
    assert settings.get(opt.STORE_BUSY_WAIT) == 120.0


def test_saving_the_busy_wait_applies_at_once(tmp_path: Path, qtbot) -> None:
    db = open_database(str(new_store(tmp_path / "s.sqlite3")))
    try:
        settings = opt.Settings({})
        dialog = shown(qtbot, StoreDialog(settings, Workers(), db=db))
        assert not dialog.save_button.isEnabled()
        dialog.wait.setValue(15)
        assert dialog.save_button.isEnabled()  # the location is unchanged: no test needed
        dialog.save_button.click()
        assert settings.get(opt.STORE_BUSY_WAIT) == 15.0 and settings.get(opt.DATABASE_URL) == ""
        assert db.busy_wait == 15.0 and dialog.saved_message == "Saved. A change now waits up to 15 s for a busy store."
        dialog.workers.wait(10_000)
    finally:
        db.dispose()


def test_closing_the_dialog_during_a_test_is_safe(tmp_path: Path, qtbot, monkeypatch) -> None:
    release = threading.Event()
    started = threading.Event()

    def slow(_raw: str, *, create: bool = False) -> store_settings.Checked:
        started.set()
        release.wait(10)
        return store_settings.Checked(True, "fine")

    monkeypatch.setattr(store_settings, "check_store", slow)
    workers = Workers()
    dialog = StoreDialog(opt.Settings({}), workers)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    job = dialog.test()
    assert job is not None and started.wait(10)
    ended: list[bool] = []
    job.ended.connect(lambda: ended.append(True))
    dialog.close()  # deleted while its test still runs
    with qtbot.waitSignal(dialog.destroyed, timeout=5_000):
        pass
    release.set()
    qtbot.waitUntil(lambda: ended == [True], timeout=10_000)
    assert workers.wait(10_000) and job not in store_settings._running


def test_the_store_action_opens_the_dialog_from_the_file_menu(db: Database, qtbot) -> None:
    window = MainWindow(db, opt.Settings({}))
    qtbot.addWidget(window)
    file_menu = window.menuBar().actions()[0].menu()
    assert window.actions_by_name["store_settings"] in file_menu.actions()
    assert not window.actions_by_name["store_settings"].icon().isNull()
    dialog = window.show_store_settings()
    assert isinstance(dialog, StoreDialog) and dialog.isVisible()
    backend = "PostgreSQL" if db.backend == "postgresql" else "SQLite"
    qtbot.waitUntil(lambda: "customers)" in dialog.current.text())  # counted off the GUI thread
    assert dialog.current.text() == f"In use now: <b>{store_settings.shown_url(db.url)}</b> ({backend}, 0 customers)"
    dialog.reject()
    window.workers.wait(10_000)
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


@pytest.mark.parametrize("then", ["release", "cancel"])
def test_a_change_behind_a_postgresql_lock_shows_the_wait_and_cancels(pg_cluster, qtbot, then: str) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL waits inside the server: a second session watches the wait, the status bar shows it,
    Cancel stops the statement (nothing written) and a released lock lets the change through."""
    import psycopg

    url = pg_cluster.create_database(f"locked_window_{then}")
    database = open_database(url)
    window = MainWindow(database, opt.Settings({}))
    qtbot.addWidget(window)
    try:
        with psycopg.connect(url.replace("+psycopg", "")) as other:
            other.execute("LOCK TABLE sales_reps IN ACCESS EXCLUSIVE MODE")
            job = _write_job(database)
            results: list[object] = []
            failures: list[BaseException] = []
            job.finished.connect(results.append)
            job.failed.connect(failures.append)
            window.workers.start(job, write=True)
            qtbot.waitUntil(lambda: "Waiting for the store" in window.statusBar().currentMessage(), timeout=20_000)
            if then == "cancel":
                job.cancel()
                qtbot.waitUntil(lambda: bool(failures), timeout=20_000)
                assert isinstance(failures[0], Cancelled) and not results
            other.rollback()
        if then == "release":
            qtbot.waitUntil(lambda: results == [1], timeout=20_000)
        window.workers.wait(20_000)
        with database.read() as s:
            reps = s.scalar(select(func.count()).select_from(m.SalesRep).where(m.SalesRep.name == "Busy Rep"))
        assert reps == (1 if then == "release" else 0)
    finally:
        window.close()
        database.dispose()


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


def _wait_dialog() -> QProgressDialog | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QProgressDialog) and w.isVisible() and w.windowTitle() == "Store busy"), None)


def _when_waiting(action: Any, seen: list[str]) -> None:
    """Run `action(dialog)` once the modal wait shows (timers run while the GUI thread waits)."""

    def poll() -> None:
        dialog = _wait_dialog()
        if dialog is None:
            QTimer.singleShot(50, poll)
            return
        seen.append(dialog.labelText())
        action(dialog)

    QTimer.singleShot(0, poll)


def test_a_change_on_the_gui_thread_waits_in_a_modal_that_escape_cancels(sqlite_db: Database, qtbot) -> None:
    window = MainWindow(sqlite_db, opt.Settings({}))
    qtbot.addWidget(window)
    holder = sqlite3.connect(sqlite_db.file, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    seen: list[str] = []
    sqlite_db.busy_wait = 20.0  # a test that fails does not wait two minutes
    _when_waiting(lambda dialog: QTest.keyClick(dialog, Qt.Key.Key_Escape), seen)
    with pytest.raises(Cancelled):
        with sqlite_db.transaction() as s:  # a form's Save runs on the GUI thread
            s.add(m.SalesRep(name="Busy Rep"))
    assert seen and seen[0].startswith("Waiting for the store: another program is writing to it (")
    assert seen[0].endswith(" s of 20 s)…\nCancel stops waiting; nothing is changed.")
    assert _wait_dialog() is None
    holder.execute("ROLLBACK")
    holder.close()
    with sqlite_db.read() as s:
        assert s.scalar(select(func.count()).select_from(m.SalesRep).where(m.SalesRep.name == "Busy Rep")) == 0
    window.close()


def test_a_change_on_the_gui_thread_goes_through_once_the_store_is_free(sqlite_db: Database, qtbot) -> None:
    window = MainWindow(sqlite_db, opt.Settings({}))
    qtbot.addWidget(window)
    holder = sqlite3.connect(sqlite_db.file, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    seen: list[str] = []
    _when_waiting(lambda _dialog: holder.execute("COMMIT"), seen)
    with sqlite_db.transaction() as s:
        s.add(m.SalesRep(name="Patient Rep"))
    assert seen and "Waiting for the store" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: _wait_dialog() is None)  # closed once the event loop runs again
    holder.close()
    with sqlite_db.read() as s:
        assert s.scalar(select(func.count()).select_from(m.SalesRep).where(m.SalesRep.name == "Patient Rep")) == 1
    window.close()


# --- every fault in one plain line ---------------------------------------------------------------------


def _wrapped(outer: Exception, inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as caught:
            raise outer from caught
    except Exception as exc:  # noqa: BLE001
        return exc


LEAKS = ("INSERT", "UPDATE", "VALUES", "SELECT", "[SQL", "parameters", "Ana", "OperationalError",
         "IntegrityError", "DatabaseError", "ProgrammingError", "Error:", "sqlalche.me", "Traceback", "psycopg",
         "sqlite3", "errno", "Errno")


@pytest.mark.parametrize(("fault", "title", "words"), [
    pytest.param(lambda: OperationalError("INSERT INTO customers (name) VALUES (?)", ("Ana",),
                                          sqlite3.OperationalError("database or disk is full")),
                 "Cannot finish", "The disk of the store is full; nothing was changed.", id="sqlite-disk-full"),
    pytest.param(lambda: OperationalError("UPDATE customers SET name=? WHERE id=?", ("Ana", 1),
                                          sqlite3.OperationalError("attempt to write a readonly database")),
                 "Cannot finish", "The store is read-only", id="sqlite-read-only"),
    pytest.param(lambda: sqlite3.OperationalError("attempt to write a readonly database"),
                 "Cannot finish", "The store is read-only", id="raw-driver-read-only"),
    pytest.param(lambda: OSError(errno.ENOSPC, "No space left on device"), "Cannot finish", "The disk is full",
                 id="os-disk-full"),
    pytest.param(lambda: _wrapped(RuntimeError("export of 'Ana' failed"),
                                  OSError(errno.ENOSPC, "No space left on device", "/tmp/ana.csv")),
                 "Cannot finish", "The disk is full", id="wrapped-disk-full"),
    pytest.param(lambda: OSError(errno.EROFS, "Read-only file system", "/media/stick/ana.csv"),
                 "Cannot finish", "the disk is read-only", id="os-read-only"),
    pytest.param(lambda: MemoryError(), "Cannot finish", "ran out of memory", id="out-of-memory"),
    pytest.param(lambda: OperationalError("SELECT 1", (), sqlite3.OperationalError("out of memory")),
                 "Cannot finish", "The store ran out of memory", id="store-out-of-memory"),
    pytest.param(lambda: OperationalError("BEGIN IMMEDIATE", (), sqlite3.OperationalError("database is locked")),
                 "Store busy", "The store is busy: another program is writing to it.", id="busy"),
    pytest.param(lambda: StoreBusy(), "Store busy", "Nothing was changed; try again.", id="store-busy"),
    pytest.param(lambda: OperationalError("SELECT * FROM customers WHERE name = %(n)s", {"n": "Ana"},
                                          Exception("server closed the connection unexpectedly")),
                 "Cannot finish", "The connection to the store was lost", id="lost-connection"),
    pytest.param(lambda: OperationalError("SELECT 1", (), sqlite3.DatabaseError("file is not a database")),
                 "Cannot finish", "is not a Customer Desk store or is damaged", id="damaged"),
    pytest.param(lambda: IntegrityError("INSERT INTO x VALUES (?)", ("Ana",), sqlite3.IntegrityError("CHECK failed")),
                 "Database problem", "The database could not complete the request.", id="other-database"),
    pytest.param(lambda: KeyError("Ana"), "Unexpected problem", "Something went wrong", id="unexpected"),
])
def test_every_fault_is_one_plain_sentence(fault: Any, title: str, words: str) -> None:
    from desktop import logs
    from desktop.ui.common import messages

    got_title, text = messages.explain(fault())
    assert got_title == title and words in text, text
    for leak in LEAKS:
        assert leak not in got_title + text, (leak, text)
    first, *rest = text.split("\n\n")
    assert "\n" not in first  # one line …
    if title in ("Database problem", "Unexpected problem"):  # … and, for the unexpected, the log file
        assert rest == [f"The details are in the log file:\n{logs.log_file()}"]
    else:
        assert rest == []


def test_show_error_shows_the_sentence_and_logs_the_details(qtbot, monkeypatch, caplog) -> None:
    from desktop.ui.common import messages

    seen: list[QMessageBox] = []
    _answer_box(monkeypatch, "OK", seen)
    fault = OperationalError("INSERT INTO customers (name) VALUES (?)", ("Ana",),
                             sqlite3.OperationalError("database or disk is full"))
    messages.show_error(None, fault)
    assert seen[-1].text() == "The disk of the store is full; nothing was changed. Free some space and try again."
    assert seen[-1].windowTitle() == "Cannot finish"
    assert any(r.exc_info and r.exc_info[1] is fault for r in caplog.records)  # the details: in the log only
