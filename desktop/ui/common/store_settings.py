"""Settings → Store: which store the app opens (an SQLite file or a PostgreSQL URL) and how long a write
waits for another program holding it; and the question asked when the store is not there.

A new location is tested (opened, never created, off the GUI thread) before it can be saved, so a typo
never becomes the setting; the password of a PostgreSQL URL is typed in its own hidden field and never
shown. The app uses a saved store from its next start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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

from desktop.store.engine import (
    Database,
    StoreError,
    create_store,
    default_database_path,
    describe_error,
    describe_url,
    open_database,
    parse_url,
)
from desktop.ui.common import settings as opt
from desktop.ui.common.workers import Job, Workers

STORE_FILES = "Customer Desk stores (*.sqlite3 *.sqlite *.db);;All files (*)"


@dataclass(frozen=True)
class Checked:
    """What a test of a location found: a sentence for the clerk, and whether it is a usable store."""

    ok: bool
    text: str


def check_store(raw_url: str, *, create: bool = False) -> Checked:
    """Open the store at `raw_url` (creating it only when asked), count its customers, close it."""
    from desktop.store import models as m

    try:
        db = create_store(raw_url)[0] if create else open_database(raw_url, create=False)
    except StoreError as exc:
        return Checked(False, str(exc))
    except Exception as exc:  # noqa: BLE001 - a test must answer in words, whatever went wrong
        return Checked(False, describe_error(exc) or "The store could not be opened; the log file has the details.")
    try:
        with db.read() as session:
            customers = session.scalar(select(func.count()).select_from(m.Customer)) or 0
        return Checked(True, f"{'Created: ' if create else ''}{_label(db)} store with {customers:,} "
                             f"customer{'s' if customers != 1 else ''}.")
    except Exception as exc:  # noqa: BLE001
        return Checked(False, describe_error(exc) or "The store opened but could not be read.")
    finally:
        db.dispose()


def _label(db: Database) -> str:
    return "PostgreSQL" if db.backend == "postgresql" else "SQLite"


class StoreDialog(QDialog):
    """Shows the store in use and changes the setting; `saved` tells whether it did."""

    def __init__(self, settings: opt.Settings, workers: Workers, *, current: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Store")
        self.settings, self.workers = settings, workers
        self.saved = False
        self.job: Job | None = None
        self._tested: str | None = None  # the candidate URL that passed its test
        configured = settings.get(opt.DATABASE_URL) or ""
        self._original = configured
        in_use = current or configured or str(default_database_path())
        try:
            shown = describe_url(parse_url(in_use))
        except StoreError:
            shown = in_use
        layout = QVBoxLayout(self)
        self.current = QLabel(f"In use now: <b>{_escape(shown)}</b>")
        self.current.setTextFormat(Qt.TextFormat.RichText)
        self.current.setWordWrap(True)
        layout.addWidget(self.current)

        self.sqlite = QRadioButton("&SQLite file (this computer)")
        self.postgres = QRadioButton("&PostgreSQL server (shared by several workstations)")
        group = QButtonGroup(self)
        group.addButton(self.sqlite)
        group.addButton(self.postgres)
        form = QFormLayout()
        layout.addWidget(self.sqlite)
        path_row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setPlaceholderText(str(default_database_path()))
        self.browse = QPushButton("&Browse…")
        self.new = QPushButton("&New store…")
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)
        path_row.addWidget(self.new)
        form.addRow("File:", path_row)
        layout.addLayout(form)
        layout.addWidget(self.postgres)
        pg = QFormLayout()
        self.url = QLineEdit()
        self.url.setPlaceholderText("postgresql://clerk@db.example/customers")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("(if the server asks for one)")
        pg.addRow("URL:", self.url)
        pg.addRow("Password:", self.password)
        layout.addLayout(pg)
        wait = QFormLayout()
        self.wait = QSpinBox()
        self.wait.setRange(5, 3600)
        self.wait.setSuffix(" s")
        self.wait.setValue(int(settings.get(opt.STORE_BUSY_WAIT)))
        self.wait.setToolTip("How long a change waits while another program is writing to the store")
        wait.addRow("Wait for a busy store:", self.wait)
        layout.addLayout(wait)
        self.result = QLabel(" ")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result)
        self.buttons = QDialogButtonBox()
        self.test_button = self.buttons.addButton("&Test", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Save)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout.addWidget(self.buttons)

        self._fill(configured)
        self.sqlite.toggled.connect(self._changed)
        for edit in (self.path, self.url, self.password):
            edit.textChanged.connect(self._changed)
            edit.returnPressed.connect(self._enter)
        self.wait.valueChanged.connect(self._changed)
        self.browse.clicked.connect(self.choose_file)
        self.new.clicked.connect(self.create_file)
        self.test_button.clicked.connect(self.test)
        self.save_button.clicked.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self._changed()
        self.resize(max(self.sizeHint().width(), 560), self.sizeHint().height())

    # --- the candidate ----------------------------------------------------------------------------

    def _fill(self, configured: str) -> None:
        try:
            url = parse_url(configured) if configured else None
        except StoreError:
            url = None
        if url is not None and url.get_backend_name() == "postgresql":
            self.postgres.setChecked(True)
            self.url.setText(url._replace(password=None).render_as_string(hide_password=False))
            self.password.setText(url.password or "")
        else:
            self.sqlite.setChecked(True)
            self.path.setText(url.database if url is not None and url.database else "")

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

    def _location_changed(self) -> bool:
        return self.candidate() != self._original

    def _changed(self, *_args: object) -> None:
        sqlite = self.sqlite.isChecked()
        for widget in (self.path, self.browse, self.new):
            widget.setEnabled(sqlite)
        for widget in (self.url, self.password):
            widget.setEnabled(not sqlite)
        ready = not self._location_changed() or self._tested == self.candidate()
        wait_changed = self.wait.value() != int(self.settings.get(opt.STORE_BUSY_WAIT))
        self.save_button.setEnabled(ready and (self._location_changed() or wait_changed))
        self.test_button.setEnabled(self.job is None)
        self.save_button.setDefault(self.save_button.isEnabled())
        self.test_button.setDefault(not self.save_button.isEnabled())

    def _enter(self) -> None:
        (self.save_button if self.save_button.isEnabled() else self.test_button).click()

    # --- actions ----------------------------------------------------------------------------------

    def choose_file(self) -> None:
        start = self.path.text().strip() or str(default_database_path().parent)
        path, _filter = QFileDialog.getOpenFileName(self, "Choose a store", start, STORE_FILES)
        if path:
            self.path.setText(path)
            self.test()

    def create_file(self) -> None:
        start = str(default_database_path())
        path, _filter = QFileDialog.getSaveFileName(self, "New empty store", start, STORE_FILES)
        if path:
            self.path.setText(path)
            self.test(create=True)

    def test(self, create: bool = False) -> Job | None:
        """Open the candidate off the GUI thread and say what was found; Save follows a good test."""
        if self.job is not None:
            return None
        raw = self.candidate() or str(default_database_path())
        target = self.candidate()
        self.result.setText("Testing…")
        job = Job(lambda _progress: check_store(raw, create=create), self)
        self.job = job

        def done(checked: Checked) -> None:
            self.result.setText(("✔ " if checked.ok else "✖ ") + checked.text)
            self._tested = target if checked.ok else None

        def failed(exc: BaseException) -> None:
            self.result.setText("✖ " + (describe_error(exc) or "The test could not run."))
            self._tested = None

        def ended() -> None:
            self.job = None
            self._changed()

        job.finished.connect(done)
        job.failed.connect(failed)
        job.ended.connect(ended)
        self._changed()
        return self.workers.start(job)

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        if self._location_changed():
            self.settings.set(opt.DATABASE_URL, self.candidate())
        self.settings.set(opt.STORE_BUSY_WAIT, float(self.wait.value()))
        self.settings.sync()
        self.saved = True
        self.accept()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- when the store is not there ------------------------------------------------------------------------

CREATE, CHOOSE, QUIT = "create", "choose", "quit"


def ask_missing_store(parent: QWidget | None, location: str) -> str:
    """'No store at …': create a new empty store there, choose another, or quit."""
    box = QMessageBox(QMessageBox.Icon.Question, "Customer Desk",
                      f"No store at {location}.", parent=parent)
    box.setInformativeText("Create a new empty store there, or choose the store you work with (an SQLite "
                           "file or a PostgreSQL server).")
    create = box.addButton("Create a &new empty store", QMessageBox.ButtonRole.AcceptRole)
    choose = box.addButton("&Choose another…", QMessageBox.ButtonRole.ActionRole)
    box.addButton("&Quit", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(create)
    box.exec()
    clicked = box.clickedButton()
    return CREATE if clicked is create else CHOOSE if clicked is choose else QUIT


def open_store_interactively(raw_url: str, settings: opt.Settings, workers: Workers,
                             ask: Callable[[QWidget | None, str], str] | None = None,
                             parent: QWidget | None = None) -> Database | None:
    """The store to open the window on, asking the clerk when it is not there (never created unasked).
    None when the clerk quits; StoreError for a store that is there but cannot be opened."""
    from desktop.store.engine import StoreMissing

    wait = float(settings.get(opt.STORE_BUSY_WAIT))
    while True:
        try:
            return open_database(raw_url, create=False, busy_wait=wait)
        except StoreMissing as exc:
            choice = (ask or _module_ask)(parent, exc.location)
            if choice == CREATE:
                db, _new = create_store(raw_url)
                db.busy_wait = wait
                return db
            if choice != CHOOSE:
                return None
            dialog = StoreDialog(settings, workers, current=raw_url, parent=parent)
            if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.saved:
                continue  # asked again: create, choose, or quit
            raw_url = settings.get(opt.DATABASE_URL) or str(default_database_path())
            wait = float(settings.get(opt.STORE_BUSY_WAIT))


def _module_ask(parent: QWidget | None, location: str) -> str:
    return ask_missing_store(parent, location)  # looked up at call time: tests replace it
