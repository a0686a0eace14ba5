"""Settings → Store: which store the app opens (an SQLite file or a PostgreSQL URL) and how long a write
waits for another program holding it; and the question asked when the store is not there.

A new location is tested (opened, never created or migrated, off the GUI thread) before it can be saved,
so a typo never becomes the setting; the password of a PostgreSQL URL is typed in its own hidden field
and never shown. The app uses a saved store from its next start; a new busy wait applies at once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from desktop import logs
from desktop.store.engine import (
    ENV_BUSY_WAIT,
    Database,
    StoreError,
    StoreMissing,
    busy_wait_default,
    create_store,
    default_database_path,
    describe_error,
    open_database,
    parse_url,
)
from desktop.ui.common import messages
from desktop.ui.common import settings as opt
from desktop.ui.common.workers import Job, Workers

log = logging.getLogger("desktop.ui")

STORE_FILES = "Customer Desk stores (*.sqlite3 *.sqlite *.db);;All files (*)"
WAIT_RANGE_S = (5, 3600)
_running: set[Job] = set()  # tests still running after their dialog closed (kept alive until they end)


@dataclass(frozen=True)
class Checked:
    """What a test of a location found: a sentence for the clerk, and whether it is a usable store."""

    ok: bool
    text: str


def shown_url(raw_or_url: str | URL) -> str:
    """The location as the clerk reads it: a file path, or a PostgreSQL URL without its password."""
    try:
        url = parse_url(raw_or_url) if isinstance(raw_or_url, str) else raw_or_url
    except StoreError:
        return str(raw_or_url)
    if url.get_backend_name() == "sqlite":
        return url.database or ""
    return url.set(drivername="postgresql").render_as_string(hide_password=True)


def missing_sentence(exc: StoreMissing) -> str:
    if exc.postgres:
        return f"No store in the PostgreSQL database {exc.location} yet; New store… creates one there."
    return f"No store at {exc.location}; New store… creates one."


def unexpected_sentence(what: str) -> str:
    return f"{what}; the details are in the log file {logs.log_file()}."


def _customers(db: Database) -> int:
    from desktop.store import models as m

    with db.read() as session:
        return session.scalar(select(func.count()).select_from(m.Customer)) or 0


def _counted(n: int) -> str:
    return f"{n:,} customer{'s' if n != 1 else ''}"


def _label(db: Database) -> str:
    return "PostgreSQL" if db.backend == "postgresql" else "SQLite"


def check_store(raw_url: str, *, create: bool = False) -> Checked:
    """Open the store at `raw_url` without changing it, say what it is and count its customers, close it.

    With `create` a store that is not there is made (an empty PostgreSQL database, a new file); a file or
    database that holds something else is never touched."""
    from desktop.store.migrate import HEAD, current_revision

    created = False
    try:
        foreign = _not_a_store(raw_url)
        if foreign is not None:
            return Checked(False, foreign)
        try:
            db = open_database(raw_url, create=False, migrate=False)
        except StoreMissing as exc:
            if not create:
                return Checked(False, missing_sentence(exc))
            db, created = create_store(raw_url)
    except StoreError as exc:
        return Checked(False, str(exc))
    except Exception as exc:  # noqa: BLE001 - a test must answer in words, whatever went wrong
        log.error("testing the store %s failed", shown_url(raw_url), exc_info=True)
        return Checked(False, describe_error(exc) or unexpected_sentence("The store could not be opened"))
    try:
        revision = current_revision(db.engine)
        if revision is None:
            return Checked(False, _foreign_sentence(shown_url(db.url)))
        if revision > HEAD:
            return Checked(False, f"{shown_url(db.url)} was made by a newer Customer Desk; update Customer "
                                  "Desk on this computer to use it.")
        count = _customers(db)
        later = "" if revision == HEAD else " (brought up to date when Customer Desk opens it)"
        return Checked(True, f"{'Created: ' if created else ''}{_label(db)} store with {_counted(count)}{later}.")
    except Exception as exc:  # noqa: BLE001
        log.error("reading the store %s failed", shown_url(raw_url), exc_info=True)
        return Checked(False, describe_error(exc) or unexpected_sentence("The store opened but could not be read"))
    finally:
        db.dispose()


def _foreign_sentence(where: str) -> str:
    return f"{where} is not a Customer Desk store; choose another, or New store… to make one."


def _not_a_store(raw_url: str) -> str | None:
    """For an SQLite file that is there: a sentence when it is plainly no Customer Desk store, found by
    reading it (read-only, so that opening does not even switch its journal), else None."""
    import sqlite3

    try:
        url = parse_url(raw_url)
    except StoreError:
        return None
    path = Path(url.database or "") if url.get_backend_name() == "sqlite" else None
    if path is None or not path.is_file():
        return None
    try:
        with path.open("rb") as file:
            header = file.read(16)
    except OSError:
        return None  # opening it says why, in the store's words
    if header and header != b"SQLite format 3\x00":
        return _foreign_sentence(str(path))
    if not header:
        return None  # an empty file: SQLite makes a store of it when asked to
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # locked, damaged, unreadable: opening it says which
    return None if "alembic_version" in names else _foreign_sentence(str(path))


class StoreDialog(QDialog):
    """Shows the store in use and changes the setting; `saved` tells whether it did.

    With `choosing` (the app is starting and its store is not there) the dialog only picks a store:
    its button is Open, nothing is saved, and `chosen` is (location, busy wait) of a store that passed
    its test; the caller opens it and saves it once it opened."""

    def __init__(self, settings: opt.Settings, workers: Workers, *, db: Database | None = None,
                 current: str | None = None, choosing: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Choose the store" if choosing else "Store")
        self.settings, self.workers, self.db, self.choosing = settings, workers, db, choosing
        self.saved = False
        self.saved_message = ""
        self.chosen: tuple[str, float] | None = None
        self.job: Job | None = None  # the test that is running
        self.count_job: Job | None = None
        self._testing: str | None = None  # the candidate under test
        self._tested: str | None = None  # the candidate that passed its test
        self._result_for: str | None = None  # the candidate the result line speaks of
        configured = settings.get(opt.DATABASE_URL) or ""
        # While choosing, even the configured location must pass a test: it is the one that is missing.
        self._original: str | None = None if choosing else configured
        self._saved_wait = min(max(int(settings.get(opt.STORE_BUSY_WAIT)), WAIT_RANGE_S[0]), WAIT_RANGE_S[1])
        in_use = db.location if db is not None else current or configured or str(default_database_path())
        layout = QVBoxLayout(self)
        self.current = QLabel()
        self.current.setTextFormat(Qt.TextFormat.RichText)
        self.current.setWordWrap(True)
        self.current.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._where = _escape(shown_url(db.url) if db is not None else shown_url(in_use))
        if choosing:
            self.current.setText(f"No store at <b>{self._where}</b>.<br>Choose the store to open, "
                                 "<b>Test</b> it, then <b>Open</b>.")
        else:
            self._show_current(f"({_label(db)})" if db is not None else "")
        layout.addWidget(self.current)

        self.sqlite = QRadioButton("S&QLite file (this computer)")
        self.postgres = QRadioButton("&PostgreSQL server (shared by several workstations)")
        group = QButtonGroup(self)
        group.addButton(self.sqlite)
        group.addButton(self.postgres)
        form = QFormLayout()
        layout.addWidget(self.sqlite)
        path_row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setPlaceholderText(str(default_database_path()))
        self.path.setAccessibleName("Store file")
        self.browse = QPushButton("&Browse…")
        self.browse.setToolTip("Choose an existing store file")
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)
        file_label = QLabel("&File:")
        file_label.setBuddy(self.path)
        form.addRow(file_label, path_row)
        layout.addLayout(form)
        layout.addWidget(self.postgres)
        pg = QFormLayout()
        self.url = QLineEdit()
        self.url.setPlaceholderText("postgresql://clerk@db.example/customers")
        self.url.setAccessibleName("PostgreSQL URL")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("(if the server asks for one)")
        self.password.setAccessibleName("PostgreSQL password")
        pg.addRow("&URL:", self.url)
        pg.addRow("Pass&word:", self.password)
        layout.addLayout(pg)
        wait = QFormLayout()
        self.wait = QSpinBox()
        self.wait.setRange(*WAIT_RANGE_S)
        self.wait.setSuffix(" s")
        self.wait.setValue(self._saved_wait)
        self.wait.setToolTip("How long a change waits while another program is writing to the store, "
                             "before it gives up and nothing is changed")
        wait.addRow("Wait for a bus&y store:", self.wait)
        layout.addLayout(wait)
        self.outcome = QLabel("Test opens the store (nothing is created or changed) and counts its customers.")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome.setAccessibleName("Test result")
        layout.addWidget(self.outcome)
        self.buttons = QDialogButtonBox()
        self.new = QPushButton("&New store…")
        self.new.setToolTip("Create a new empty store: a new file, or in an empty PostgreSQL database")
        self.test_button = QPushButton("&Test")
        self.test_button.setToolTip("Open the store chosen above (nothing is created or changed)")
        if choosing:
            self.save_button = self.buttons.addButton("&Open", QDialogButtonBox.ButtonRole.AcceptRole)
        else:
            self.save_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Save)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        row = QHBoxLayout()  # what to do with the store on the left, then Save (Open) and Cancel
        row.addWidget(self.new)
        row.addWidget(self.test_button)
        row.addStretch(1)
        row.addWidget(self.buttons)
        layout.addLayout(row)
        # The two kinds are one stop (arrows switch, like any radio group), then the fields of the chosen one.
        for first, second in ((self.sqlite, self.postgres), (self.postgres, self.path), (self.path, self.browse),
                              (self.browse, self.url), (self.url, self.password), (self.password, self.wait),
                              (self.wait, self.new), (self.new, self.test_button),
                              (self.test_button, self.save_button), (self.save_button, cancel)):
            QWidget.setTabOrder(first, second)

        self._fill(current if choosing and current else configured)
        self.sqlite.toggled.connect(self._changed)
        for edit in (self.path, self.url, self.password):
            edit.textChanged.connect(self._changed)
        self.wait.valueChanged.connect(self._changed)
        self.browse.clicked.connect(self.choose_file)
        self.new.clicked.connect(self.create_store)
        self.test_button.clicked.connect(lambda: self.test())
        self.save_button.clicked.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self._changed()
        self.resize(max(self.sizeHint().width(), 600), self.sizeHint().height())
        (self.path if self.sqlite.isChecked() else self.url).setFocus()
        if db is not None:
            self._count_current(db)

    # --- the store in use -------------------------------------------------------------------------

    def _show_current(self, what: str) -> None:
        self.current.setText(f"In use now: <b>{self._where}</b> {_escape(what)}".rstrip())

    def _count_current(self, db: Database) -> None:
        job = Job(lambda _progress: _customers(db))
        self.count_job = job
        job.finished.connect(self._counted)
        job.failed.connect(self._count_failed)
        _keep(job)
        self.workers.start(job)

    def _counted(self, count: int) -> None:
        if self.db is not None:
            self._show_current(f"({_label(self.db)}, {_counted(count)})")

    def _count_failed(self, _exc: BaseException) -> None:
        pass  # the label still names the store and its back-end; the job logged why

    # --- the candidate ----------------------------------------------------------------------------

    def _fill(self, location: str) -> None:
        try:
            url = parse_url(location) if location else None
        except StoreError:
            url = None
        if url is not None and url.get_backend_name() == "postgresql":
            self.postgres.setChecked(True)
            self.url.setText(url._replace(password=None).set(drivername="postgresql")
                             .render_as_string(hide_password=False))
            self.password.setText(url.password or "")
        else:
            self.sqlite.setChecked(True)
            self.path.setText(url.database if url is not None and url.database else location if url is None else "")

    def candidate(self) -> str:
        """The store the controls describe, as the setting stores it ('' = the default file)."""
        if self.sqlite.isChecked():
            return self.path.text().strip()
        text = self.url.text().strip()
        if not text or not self.password.text():
            return text
        try:
            return parse_url(text).set(password=self.password.text()).render_as_string(hide_password=False)
        except StoreError:
            return text

    def _target(self) -> str:
        return self.candidate() or str(default_database_path())

    def _location_changed(self) -> bool:
        return self.candidate() != self._original

    def _changed(self, *_args: object) -> None:
        sqlite = self.sqlite.isChecked()
        for widget in (self.path, self.browse):
            widget.setEnabled(sqlite)
        for widget in (self.url, self.password):
            widget.setEnabled(not sqlite)
        candidate = self.candidate()
        if self.job is None and self._result_for is not None and candidate != self._result_for:
            self.outcome.setText(" ")  # the last result was about another location
            self._result_for = None
        ready = not self._location_changed() or self._tested == candidate
        wait_changed = self.wait.value() != self._saved_wait
        self.save_button.setEnabled(ready and (self._location_changed() or wait_changed))
        self.test_button.setEnabled(self.job is None)
        self.new.setEnabled(self.job is None and (sqlite or bool(self.url.text().strip())))
        # Enter: Save (Open) once it can be, Test before.
        self.save_button.setDefault(self.save_button.isEnabled())
        self.test_button.setDefault(not self.save_button.isEnabled())

    # --- actions ----------------------------------------------------------------------------------

    def choose_file(self) -> None:
        start = self.path.text().strip() or str(default_database_path().parent)
        path, _filter = QFileDialog.getOpenFileName(self, "Choose a store", start, STORE_FILES)
        if path:
            self.path.setText(path)
            self.test()

    def create_store(self) -> None:
        """New store…: a new file (an existing one is only tested, never overwritten), or the store made in
        an empty PostgreSQL database."""
        if self.sqlite.isChecked():
            start = str(default_database_path())
            path, _filter = QFileDialog.getSaveFileName(self, "New empty store", start, STORE_FILES, "",
                                                        QFileDialog.Option.DontConfirmOverwrite)
            if not path:
                return
            self.path.setText(path)
        elif not messages.ask(self, "New store", f"Create an empty Customer Desk store in the PostgreSQL "
                              f"database {shown_url(self.candidate())}? A database that already holds "
                              "something is left as it is.", "Create"):
            return
        self.test(create=True)

    def test(self, create: bool = False) -> Job | None:
        """Open the candidate off the GUI thread and say what was found; Save follows a good test."""
        if self.job is not None:
            return None
        raw, self._testing = self._target(), self.candidate()
        self.outcome.setText("Creating…" if create else "Testing…")
        job = Job(lambda _progress: check_store(raw, create=create))
        self.job = job
        job.finished.connect(self._test_done)
        job.failed.connect(self._test_failed)
        job.ended.connect(self._test_ended)
        _keep(job)
        self._changed()
        return self.workers.start(job)

    def _test_done(self, checked: Checked) -> None:
        self.outcome.setText(("✔ " if checked.ok else "✖ ") + checked.text)
        self._tested = self._testing if checked.ok else None
        self._result_for = self._testing

    def _test_failed(self, exc: BaseException) -> None:
        self.outcome.setText("✖ " + (describe_error(exc) or unexpected_sentence("The test could not run")))
        self._tested = None
        self._result_for = self._testing

    def _test_ended(self) -> None:
        self.job = None
        self._changed()
        if self.save_button.isEnabled() and self.isVisible():
            self.save_button.setFocus()

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        wait = float(self.wait.value())
        if self.choosing:
            self.chosen = (self.candidate(), wait)
            self.accept()
            return
        moved = self._location_changed()
        if moved:
            self.settings.set(opt.DATABASE_URL, self.candidate())
        self.settings.set(opt.STORE_BUSY_WAIT, wait)
        self.settings.sync()
        if self.db is not None and ENV_BUSY_WAIT not in os.environ:
            self.db.busy_wait = wait  # only read when a write starts: safe to change at once
        self.saved = True
        self.saved_message = (f"Saved. Customer Desk will use the store {shown_url(self._target())} the next "
                              "time it starts." if moved else
                              f"Saved. A change now waits up to {self.wait.value()} s for a busy store.")
        self.accept()


def _keep(job: Job) -> None:
    """Keep `job` alive until it ends, even if its dialog is closed (and deleted) first."""
    _running.add(job)
    job.ended.connect(lambda: _running.discard(job))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- when the store is not there, or cannot be opened ---------------------------------------------------

CREATE, CHOOSE, RETRY, QUIT = "create", "choose", "retry", "quit"

Ask = Callable[[QWidget | None, StoreError], str]
Choose = Callable[[QWidget | None, opt.Settings, Workers, str], "tuple[str, float] | None"]


def ask_store_problem(parent: QWidget | None, problem: StoreError) -> str:
    """'No store at …': create a new empty store there, choose another, or quit. A store that is there but
    cannot be opened: try again, choose another, or quit."""
    missing = isinstance(problem, StoreMissing)
    if missing:
        where = (f"in the PostgreSQL database {problem.location}" if problem.postgres
                 else f"at {problem.location}")
        text = f"No store {where}."
        more = ("Create a new empty store there, or choose the store you work with (an SQLite file or a "
                "PostgreSQL server).")
    else:
        text, more = str(problem), "Try again, or choose the store you work with."
    box = QMessageBox(QMessageBox.Icon.Question if missing else QMessageBox.Icon.Warning, "Customer Desk",
                      text, parent=parent)
    box.setInformativeText(more)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    first = box.addButton("Create a &new empty store" if missing else "&Try again",
                          QMessageBox.ButtonRole.AcceptRole)
    choose = box.addButton("&Choose another…", QMessageBox.ButtonRole.ActionRole)
    quit_ = box.addButton("&Quit", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(first)
    box.setEscapeButton(quit_)
    _widen(box, 520)
    box.exec()
    clicked = box.clickedButton()
    if clicked is first:
        return CREATE if missing else RETRY
    return CHOOSE if clicked is choose else QUIT


def ask_missing_store(parent: QWidget | None, location: str) -> str:
    """The question for a missing SQLite file at `location` (see ask_store_problem)."""
    return ask_store_problem(parent, StoreMissing(location))


def _widen(box: QMessageBox, width: int) -> None:
    """Room for a long path on one line (a message box is narrow and wraps it mid-path otherwise)."""
    from PySide6.QtWidgets import QGridLayout, QSizePolicy, QSpacerItem

    grid = box.layout()
    if isinstance(grid, QGridLayout):
        grid.addItem(QSpacerItem(width, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding),
                     grid.rowCount(), 0, 1, grid.columnCount())


def choose_store(parent: QWidget | None, settings: opt.Settings, workers: Workers,
                 location: str) -> tuple[str, float] | None:
    """The Store dialog in its choosing form: (location, busy wait) of a tested store, or None."""
    dialog = StoreDialog(settings, workers, current=location, choosing=True, parent=parent)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.chosen
    finally:
        dialog.deleteLater()


def busy_wait_setting(settings: opt.Settings) -> float:
    """The busy limit: $CUSTOMER_DESK_BUSY_WAIT when set, else the setting (2 minutes at first)."""
    if os.environ.get(ENV_BUSY_WAIT, "").strip():
        return busy_wait_default()
    return float(settings.get(opt.STORE_BUSY_WAIT))


def open_store_interactively(raw_url: str, settings: opt.Settings, workers: Workers,
                             ask: Ask | None = None, parent: QWidget | None = None,
                             choose: Choose | None = None) -> Database | None:
    """The store to open the window on, asking the clerk when it is not there (never created unasked) or
    cannot be opened. None when the clerk quits. A store chosen here becomes the setting only once it
    opened."""
    wait = busy_wait_setting(settings)
    pending: tuple[str, float] | None = None  # chosen by the clerk: saved once it opened
    problem: StoreError | None = None
    while True:
        if problem is None:
            try:
                db = open_database(raw_url, create=False, busy_wait=wait)
            except StoreError as exc:
                problem = exc
            else:
                return _opened(db, settings, pending)
        choice = (ask or _module_ask)(parent, problem)
        asked, problem = problem, None
        if choice == CREATE:
            try:
                db, _new = create_store(raw_url)
            except StoreError as exc:
                problem = exc
                continue
            db.busy_wait = wait
            return _opened(db, settings, pending)
        if choice == RETRY:
            continue
        if choice != CHOOSE:
            return None
        chosen = (choose or _module_choose)(parent, settings, workers, raw_url)
        if chosen is None:
            problem = asked  # the same question again: create, choose, or quit
            continue
        candidate, chosen_wait = chosen
        pending = chosen
        raw_url = candidate or str(default_database_path())
        if ENV_BUSY_WAIT not in os.environ:
            wait = chosen_wait


def _opened(db: Database, settings: opt.Settings, pending: tuple[str, float] | None) -> Database:
    if pending is not None:
        settings.set(opt.DATABASE_URL, pending[0])
        settings.set(opt.STORE_BUSY_WAIT, pending[1])
        settings.sync()
    return db


def _module_ask(parent: QWidget | None, problem: StoreError) -> str:
    return ask_store_problem(parent, problem)  # looked up at call time: tests replace it


def _module_choose(parent: QWidget | None, settings: opt.Settings, workers: Workers,
                   location: str) -> tuple[str, float] | None:
    return choose_store(parent, settings, workers, location)  # looked up at call time: tests replace it
