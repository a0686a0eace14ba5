"""The import preview dialog (DESIGN §2 items 12–13, §3): a CSV or workbook dropped on the main window (or
chosen with File → Import…, Ctrl+I) is read and previewed off the GUI thread; the clerk checks the encoding,
delimiter and column mapping, the summary, every row (filtered by status), the errors and the financial
alerts, then imports it in one transaction on the write worker, with progress and Cancel (a rollback).

The engine is `desktop.importing` (no Qt). The rows table is a model over the preview's `RowPlan`s kept in
a `PlanStore` (pickled pages in a temporary SQLite file, only compact arrays in memory) that formats each
cell when it is painted; the first rows show while the rest of the file is still being validated. The column mapping
the clerk chooses is kept in the settings (header key -> field) and applied to the next file with the same
headers.

Why this file is ~780 lines: it is one dialog, a state machine (reading → preview → importing → done, each
cancellable) whose states share its widgets; the models, the mapping editor and the engine already live in
preview_models.py, mapping_editor.py and desktop.importing. Cutting the states apart would scatter one flow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from desktop.ui.importing.files import FILE_FILTER, IMPORTABLE_SUFFIXES, importable_paths  # noqa: F401 - re-exported
from desktop.importing import commit as imp_commit
from desktop.importing import plan as imp_plan
from desktop.importing.encodings import GROUPS as ENCODING_GROUPS
from desktop.importing.encodings import common_name, file_pattern
from desktop.importing.errors_csv import write_error_rows
from desktop.importing.mapping import auto_mapping, id_note, saved_form
from desktop.importing.plan import Decision, Options, Preview
from desktop.importing.plan_store import PlanStore
from desktop.importing.reading import (
    DELIMITER_NAMES,
    DELIMITERS,
    Source,
    UnclearEncoding,
    UnreadableFile,
    open_source,
)
from desktop.services.errors import Cancelled, DomainError
from desktop.store.engine import Database, describe_error
from desktop.ui.common import messages
from desktop.ui.common.colours import background_colour, text_style
from desktop.ui.common import settings as opt
from desktop.ui.common.views import select_row
from desktop.ui.common.workers import Job, Workers
from desktop.ui.importing.encoding_choice import EncodingChoice
from desktop.ui.importing.mapping_editor import MappingEditor
from desktop.ui.importing.row_decisions import RowDecisions
from desktop.ui.importing.preview_models import (
    DELIMITER_LABELS,
    FILTERS,
    MUTED_STYLE,
    REFERENCE_COLUMNS,
    SUMMARY_ROWS,
    AlertsModel,
    ImportRowsModel,
    plural,
)

log = logging.getLogger("desktop.ui.import")

Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
COMMIT_CHUNK_ROWS = 2000  # rows written between two progress reports (and two chances to cancel)

def choose_import_file(parent: QWidget, folder: str) -> str | None:
    """File → Import…: the file to import, or None (looked up at call time: tests replace it)."""
    path, _filter = QFileDialog.getOpenFileName(parent, "Import customers", folder, FILE_FILTER)
    return path or None


def choose_save_path(parent: QWidget, suggested: str) -> str | None:
    """Save error rows…: where to, or None."""
    path, _filter = QFileDialog.getSaveFileName(parent, "Save error rows", suggested, "CSV files (*.csv)")
    return path or None


def result_text(result: imp_commit.CommitResult) -> str:
    return (f"Imported: {result.created:,} created, {result.updated:,} updated, "
            f"{plural(result.addresses_added, 'address', 'addresses')} added, {plural(result.skipped, 'row')} "
            f"skipped. Undo is in Import history (batch {result.batch_id}).")


# --- the rows table --------------------------------------------------------------------------------


@dataclass
class PreviewOutcome:
    """What the preview job hands back: the file as read, the mapping used, and the preview (None when
    the mapping cannot give a name; `problem` says why)."""

    source: Source
    mapping: dict[int, str]
    sample: list[str]
    preview: Preview | None
    names: dict[str, dict[int, str]] = field(default_factory=dict)
    problem: Exception | None = None


@dataclass
class LivePreview:
    """The preview while it runs: set by the preview job as soon as its rows start to come, read by the
    dialog at each progress report to show the rows planned so far."""

    preview: Preview | None = None
    names: dict[str, dict[int, str]] = field(default_factory=dict)


def preview_work(db: Database, path: Path, *, encoding: str | None, delimiter: str | None,
                 mapping: dict[int, str] | None, header: list[str] | None, saved: dict[str, str],
                 options: Options, live: LivePreview | None = None,
                 ) -> Callable[[Callable[[int, int], None]], PreviewOutcome]:
    """The function run off the GUI thread: read the file, map it (the clerk's mapping when the header is
    the same as before, else the automatic one with the saved choices) and preview it in a read session,
    chunk by chunk into a PlanStore (`live` shows it as it grows)."""

    def work(progress: Callable[[int, int], None]) -> PreviewOutcome:
        source = open_source(path, encoding=encoding, delimiter=delimiter)
        used = dict(mapping) if mapping is not None and header == source.header else auto_mapping(source.header, saved)
        first = next(iter(source.records()), None)
        sample = list(first.values) if first is not None else []
        with db.read() as session:
            names = {column: {ref_id: name for ref_id, name in session.execute(_names_query(model))}
                     for column, model in REFERENCE_COLUMNS.items()}
            preview = Preview(source=source, mapping=dict(used), options=options, kept_all=True, rows=PlanStore())
            try:
                chunks = imp_plan.plan_chunks(session, source, used, options)
                if live is not None:
                    live.names, live.preview = names, preview
                for chunk in chunks:
                    imp_plan.collect(preview, chunk)
                    progress(preview.summary.rows, 0)  # the rows so far show; a Cancel stops here
            except UnreadableFile as exc:  # the mapping gives no name: the clerk can map one
                if live is not None:
                    live.preview = None
                return PreviewOutcome(source, used, sample, None, names, exc)
        progress(preview.summary.rows, preview.summary.rows)  # a Cancel pressed during the last chunk counts
        return PreviewOutcome(source, used, sample, preview, names)

    return work


def _names_query(model: Any) -> Any:
    return select(model.id, model.name)


class ImportDialog(QDialog):
    """Preview and import one file. Signals: `previewReady` after each preview (or its failure) is shown,
    `committed(CommitResult)` after an import, `commitEnded` after an import attempt whatever its end."""

    previewReady = Signal()
    committed = Signal(object)
    commitEnded = Signal()

    def __init__(self, db: Database, path: Path, *, settings: opt.Settings, workers: Workers,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.path = Path(path)
        self.settings = settings
        self.workers = workers
        self.source: Source | None = None
        self.mapping: dict[int, str] | None = None
        self.preview: Preview | None = None
        self.result: imp_commit.CommitResult | None = None
        self.preview_job: Job | None = None
        self.commit_job: Job | None = None
        # None: detect. An encoding the clerk chose before for a file named alike is used again.
        self.encoding_pattern = file_pattern(self.path.name)
        remembered = (settings.get(opt.IMPORT_ENCODINGS) or {}).get(self.encoding_pattern)
        self.encoding_choice: str | None = remembered if isinstance(remembered, str) else None
        self.encoding_remembered = self.encoding_choice is not None
        self.decisions: dict[int, Decision] = {}  # file row -> the clerk's decision for a held row
        self._selected_row: int | None = None  # the row a decision was taken on, selected again after
        self.delimiter_choice: str | None = None
        self.problem: Exception | None = None
        self._jobs: set[Job] = set()  # running jobs, kept alive until they end
        self._updating = False
        self._banner_sticky = False  # the banner's message outlives the next preview
        self._live = LivePreview()  # the running preview's rows so far
        self.setWindowTitle(f"Import customers — {self.path.name}")
        self.setSizeGripEnabled(True)
        self._build()
        self._size()
        self.start_preview()

    # --- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setSpacing(8)
        self.banner = messages.Banner(self)
        outer.addWidget(self.banner)

        # The file: name, what it is, encoding and delimiter.
        file_row = QHBoxLayout()
        self.file_label = QLabel(f"<b>{_escape(self.path.name)}</b>")
        self.file_label.setToolTip(str(self.path))
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.kind_label = QLabel("Reading…")
        self.kind_label.setStyleSheet(MUTED_STYLE)
        file_row.addWidget(QLabel("File:"))
        file_row.addWidget(self.file_label)
        file_row.addWidget(self.kind_label)
        file_row.addStretch(1)
        self.encoding_combo = QComboBox()
        self.encoding_combo.setPlaceholderText("Detecting…")
        self.encoding_combo.setToolTip("The file's text encoding: change it when accents look wrong")
        for group, members in ENCODING_GROUPS:  # grouped by script, under a heading each, common names
            self.encoding_combo.addItem(f"— {group} —")
            heading = self.encoding_combo.model().item(self.encoding_combo.count() - 1)  # type: ignore[attr-defined]
            heading.setEnabled(False)
            for codec in members:
                name = _codec_name(codec)
                if self.encoding_combo.findData(name) < 0:
                    self.encoding_combo.addItem(common_name(name), name)
        self.encoding_combo.setCurrentIndex(-1)
        self.encoding_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.delimiter_combo = QComboBox()
        self.delimiter_combo.setPlaceholderText("Detecting…")
        self.delimiter_combo.setToolTip("What separates the values on a line")
        for delimiter in DELIMITERS:
            self.delimiter_combo.addItem(DELIMITER_LABELS[delimiter], delimiter)
        self.delimiter_combo.setCurrentIndex(-1)
        self.delimiter_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.encoding_label = QLabel("E&ncoding:")
        self.encoding_label.setBuddy(self.encoding_combo)
        self.delimiter_label = QLabel("De&limiter:")
        self.delimiter_label.setBuddy(self.delimiter_combo)
        file_row.addWidget(self.encoding_label)
        file_row.addWidget(self.encoding_combo)
        file_row.addSpacing(12)
        file_row.addWidget(self.delimiter_label)
        file_row.addWidget(self.delimiter_combo)
        outer.addLayout(file_row)
        self.encoding_panel = EncodingChoice(self)
        self.encoding_panel.chosen.connect(self._encoding_chosen)
        outer.addWidget(self.encoding_panel)
        self.encoding_combo.currentIndexChanged.connect(self._encoding_changed)
        self.delimiter_combo.currentIndexChanged.connect(self._delimiter_changed)

        # Columns (left) and summary with the options (right).
        top = QHBoxLayout()
        columns_box = QGroupBox("Columns")
        columns_layout = QVBoxLayout(columns_box)
        columns_layout.setContentsMargins(8, 6, 4, 6)
        self.mapping_editor = MappingEditor()
        self.mapping_editor.changed.connect(self._mapping_changed)
        columns_layout.addWidget(self.mapping_editor)
        top.addWidget(columns_box, 3)

        summary_box = QGroupBox("Summary")
        summary_layout = QVBoxLayout(summary_box)
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(3)
        self.summary_values: dict[str, QLabel] = {}
        for n, (key, title) in enumerate(SUMMARY_ROWS):
            value = QLabel("–")
            value.setAlignment(_RIGHT)
            value.setMinimumWidth(self.fontMetrics().horizontalAdvance("0,000,000") + 4)
            grid.addWidget(QLabel(title), n, 0)
            grid.addWidget(value, n, 1)
            self.summary_values[key] = value
        grid.setColumnStretch(0, 1)
        summary_layout.addLayout(grid)
        summary_layout.addStretch(1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        summary_layout.addWidget(line)
        self.duplicates_box = QCheckBox("Create &possible duplicates anyway")
        self.duplicates_box.setToolTip("Rows that look like an existing customer (same zip, similar name and "
                                       "address) are left out unless this is ticked")
        self.duplicates_box.toggled.connect(lambda _on: self.start_preview())
        self.identity_box = QCheckBox("Accept identity c&hanges")
        self.identity_box.setToolTip("Rows that change both the name and the email of an existing customer are "
                                     "usually another person's: they are left out unless this is ticked")
        self.identity_box.toggled.connect(lambda _on: self.start_preview())
        self.strict_box = QCheckBox("&All or nothing")
        self.strict_box.setToolTip("Import nothing when any row has an error (otherwise rows with errors are "
                                   "skipped and can be saved to fix)")
        self.strict_box.toggled.connect(lambda _on: self._update_buttons())
        summary_layout.addWidget(self.duplicates_box)
        summary_layout.addWidget(self.identity_box)
        summary_layout.addWidget(self.strict_box)
        top.addWidget(summary_box, 2)

        # Rows, filtered by status, and the financial alerts under them.
        rows_panel = QWidget()
        rows_layout = QVBoxLayout(rows_panel)
        rows_layout.setContentsMargins(0, 0, 0, 0)
        rows_layout.setSpacing(0)
        filter_row = QHBoxLayout()
        self.filter_tabs = QTabBar()
        self.filter_tabs.setDocumentMode(True)
        self.filter_tabs.setExpanding(False)
        self.filter_tabs.setDrawBase(False)
        self.filter_tabs.setAccessibleName("Show rows")
        self.filter_tabs.setToolTip("Show the rows of one kind (Left/Right to switch)")
        for key, title in FILTERS:
            self.filter_tabs.setTabData(self.filter_tabs.addTab(title), key)
        self.filter_tabs.currentChanged.connect(self._filter_changed)
        filter_row.addWidget(self.filter_tabs, 1)
        self.save_errors_button = QPushButton("Save &error rows…")
        self.save_errors_button.setToolTip("Save the rows with errors as a CSV (their columns plus an error "
                                           "column) to fix and import again")
        self.save_errors_button.setAutoDefault(False)
        self.save_errors_button.clicked.connect(self.save_error_rows)
        filter_row.addWidget(self.save_errors_button, 0, Qt.AlignmentFlag.AlignBottom)
        rows_layout.addLayout(filter_row)
        self.rows_model = ImportRowsModel(self)
        self.rows_view = QTableView()
        self.rows_view.setModel(self.rows_model)
        self.rows_view.setAccessibleName("Rows of the file")
        self.rows_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rows_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.rows_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rows_view.setTabKeyNavigation(False)  # Tab leaves the rows for the decisions under them
        self.rows_view.setWordWrap(False)
        self.rows_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.rows_view.verticalHeader().hide()
        vertical = self.rows_view.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.rows_view.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        digits = self.fontMetrics().horizontalAdvance("0000000")
        for section, width in enumerate((digits + 12, 130, 230)):
            header.resizeSection(section, width)
        rows_layout.addWidget(self.rows_view, 1)
        self.decisions_bar = RowDecisions(self)
        self.decisions_bar.decided.connect(self._row_decided)
        self.rows_view.selectionModel().currentRowChanged.connect(lambda _now, _before: self._show_decisions())
        rows_layout.addWidget(self.decisions_bar)

        self.alerts_box = QGroupBox("Financial alerts")
        alerts_layout = QVBoxLayout(self.alerts_box)
        alerts_layout.setContentsMargins(8, 4, 8, 8)
        self.alerts_model = AlertsModel(self)
        self.alerts_view = QListView()
        self.alerts_view.setModel(self.alerts_model)
        self.alerts_view.setAccessibleName("Financial alerts")
        self.alerts_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.alerts_view.setToolTip("Enter or double-click: show the row")
        self.alerts_view.activated.connect(self._alert_activated)
        self.alerts_view.setStyleSheet(f"QListView {{ background: {background_colour('warning').name()}; }}")
        alerts_layout.addWidget(self.alerts_view)
        self.alerts_box.hide()

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        top_widget = QWidget()
        top_widget.setLayout(top)
        top.setContentsMargins(0, 0, 0, 0)
        self.splitter.addWidget(top_widget)
        self.splitter.addWidget(rows_panel)
        self.splitter.addWidget(self.alerts_box)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        outer.addWidget(self.splitter, 1)

        # Progress, what Import will do, and the buttons.
        bottom = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.progress_label = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setToolTip("Stop reading, or stop the import (nothing is written)")
        self.cancel_button.clicked.connect(self.cancel_job)
        self.hint = QLabel()  # what Import will do, or why it cannot
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.import_button = QPushButton("&Import")
        self.import_button.setAutoDefault(False)
        self.import_button.clicked.connect(self.start_import)
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.setToolTip("Close without importing (Esc)")
        self.close_button.clicked.connect(self.reject)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.progress_label)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.import_button)
        bottom.addWidget(self.close_button)
        outer.addLayout(bottom)

        self._tab_order()

    def _tab_order(self) -> None:
        """Tab goes in reading order: the file, each column's field, the options, the rows, the buttons."""
        chain: list[QWidget] = [self.encoding_combo, self.delimiter_combo, self.encoding_panel.first_button,
                                self.encoding_panel.second_button, *self.mapping_editor.combos,
                                self.duplicates_box, self.identity_box, self.strict_box, self.filter_tabs,
                                self.save_errors_button, self.rows_view, *self.decisions_bar.buttons.values(),
                                self.alerts_view, self.cancel_button, self.import_button, self.close_button]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def _size(self) -> None:
        screen = QGuiApplication.primaryScreen()
        width, height = 1180, 800
        if screen is not None:
            room = screen.availableGeometry()
            width, height = min(width, int(room.width() * 0.95)), min(height, int(room.height() * 0.92))
        self.resize(width, height)
        self.setMinimumSize(760, 520)
        self.splitter.setSizes([250, 420, 110])

    # --- state -----------------------------------------------------------------------------------

    @property
    def previewing(self) -> bool:
        """A preview is being read (until its outcome is shown)."""
        return self.preview_job is not None

    @property
    def committing(self) -> bool:
        """An import is being written (until its end is shown)."""
        return self.commit_job is not None

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def can_import(self) -> bool:
        p = self.preview
        return (p is not None and self.result is None and not self.previewing and not self.committing
                and p.committable and not (self.strict_box.isChecked() and p.summary.errors > 0))

    def _set_inputs_enabled(self, enabled: bool) -> None:
        for widget in (self.encoding_combo, self.delimiter_combo, self.duplicates_box, self.identity_box,
                       self.strict_box):
            widget.setEnabled(enabled)
        self.mapping_editor.set_editable(enabled)
        xlsx = self.source is not None and self.source.kind == "xlsx"
        for widget in (self.encoding_label, self.encoding_combo, self.delimiter_label, self.delimiter_combo):
            widget.setVisible(not xlsx)

    def _update_buttons(self) -> None:
        ok = self.can_import()
        self.import_button.setEnabled(ok)
        self.import_button.setDefault(ok)  # Enter imports only when there is something to import
        p = self.preview
        self.save_errors_button.setEnabled(p is not None and p.summary.errors > 0 and not self.committing)
        self.cancel_button.setVisible(self.previewing or self.committing)
        self.progress.setVisible(self.previewing or self.committing)
        self.hint.setStyleSheet("")
        self.hint.setToolTip("")
        if self.result is not None or self.previewing or self.committing:
            self.hint.setText("")
        elif p is None:
            self.hint.setText("")
        elif self.strict_box.isChecked() and p.summary.errors:
            self.hint.setStyleSheet(text_style("error"))
            self.hint.setText(f"All or nothing: {plural(p.summary.errors, 'row')} "
                              f"{'has' if p.summary.errors == 1 else 'have'} errors, so nothing is imported.")
            self.hint.setToolTip("Save the error rows to fix them and import that file, or untick All or nothing "
                                 "to import the other rows.")
        elif not p.committable:
            self.hint.setText("Nothing to import: no row creates or updates a customer.")
        else:
            s = p.summary
            what = [f"{s.create:,} new"] if s.create else []
            if s.update:
                what.append(f"{plural(s.update, 'update')}")
            if s.same_as:
                what.append(f"addresses from {plural(s.same_as, 'row')}")
            skipped = s.errors + s.duplicates
            text = "Import: " + ", ".join(what)
            if skipped:
                text += f"; {plural(skipped, 'row')} skipped"
            self.hint.setText(text + ".")
            self.hint.setToolTip("Rows with errors and possible duplicates are not imported" if skipped else "")

    # --- reading and previewing ------------------------------------------------------------------

    def options(self) -> Options:
        return Options(allow_duplicates=self.duplicates_box.isChecked(),
                       accept_identity_changes=self.identity_box.isChecked(), decisions=dict(self.decisions))

    def start_preview(self) -> None:
        """Read the file and preview it again (the running preview, if any, is cancelled)."""
        if self.committing or self.result is not None:
            return
        if self.preview_job is not None:
            self.preview_job.cancel()
        saved = dict(self.settings.get(opt.IMPORT_MAPPING) or {})
        self._live = LivePreview()
        work = preview_work(self.db, self.path, encoding=self.encoding_choice, delimiter=self.delimiter_choice,
                            mapping=self.mapping, header=self.source.header if self.source else None,
                            saved=saved, options=self.options(), live=self._live)
        job = self._start(work, write=False, finished=self._preview_finished, failed=self._preview_failed)
        self.preview_job = job
        self.progress.setRange(0, 0)
        self.progress_label.setText(f"Reading {self.path.name}…")
        self.import_button.setEnabled(False)
        self.import_button.setDefault(False)
        self._update_buttons()

    def _preview_finished(self, job: Job, outcome: PreviewOutcome) -> None:
        if job is not self.preview_job:
            return  # a newer preview replaced this one
        self.preview_job = None
        self.source, self.mapping, self.preview = outcome.source, outcome.mapping, outcome.preview
        self.problem = outcome.problem
        self._show_source(outcome.source)
        rebuilt = self.mapping_editor.header != outcome.source.header
        self.mapping_editor.set_columns(outcome.source.header, outcome.mapping, outcome.sample)
        if rebuilt:
            self._tab_order()
        self.encoding_panel.clear()
        self._show_preview(outcome.preview, outcome.names)
        self._reselect()
        if outcome.problem is not None:
            self.banner.show_message(messages.explain(outcome.problem)[1] + " Choose the column that holds it "
                                     "under Imported as.", "error")
        elif self.banner.text() and not self._banner_sticky:
            self.banner.hide()
        self._banner_sticky = False
        self._idle()
        self.previewReady.emit()

    def _preview_failed(self, job: Job, exc: Exception) -> None:
        if job is not self.preview_job:
            return
        self.preview_job = None
        if isinstance(exc, Cancelled):  # what is shown no longer matches the choices: nothing to import
            self.preview = None
            self._show_preview(None, {})
            self.banner.show_message("Reading was cancelled: change the encoding, delimiter or columns to read "
                                     "it again.", "info")
        else:
            self.problem = exc
            self.preview = None
            self._show_preview(None, {})
            if isinstance(exc, UnclearEncoding):  # the clerk sees both readings and picks one
                self.encoding_panel.show_candidates(exc.first, exc.second)
                self.kind_label.setText("encoding unclear: nothing read yet")
                self.encoding_combo.setPlaceholderText("Choose…")
                self.banner.show_message("The file's encoding is unclear: choose how to read it below.", "info")
                self.encoding_panel.first_button.setFocus(Qt.FocusReason.OtherFocusReason)
            else:
                self.encoding_panel.clear()
                self.banner.show_message(messages.explain(exc)[1], "error")
            if not isinstance(exc, DomainError):
                log.error("import preview failed", exc_info=exc)
        self._idle()
        self.previewReady.emit()

    def _show_source(self, source: Source) -> None:
        size = _size_text(source.size)
        self.kind_label.setText(f"{source.describe()}, {size}" if source.kind == "xlsx" else size)
        notes = list(source.notes)
        if self.encoding_remembered and source.kind == "csv":
            notes.append(f"read as {common_name(source.encoding or 'utf-8')}, as chosen before for files named "
                         f"like this one")
        if notes:
            self.kind_label.setText(self.kind_label.text() + f"  ({'; '.join(notes)})")
        self._updating = True
        try:
            if source.kind == "csv":
                self._select(self.encoding_combo, _codec_name(source.encoding or "utf-8"),
                             detected=self.encoding_choice is None)
                self._select(self.delimiter_combo, source.delimiter or ",", detected=self.delimiter_choice is None)
        finally:
            self._updating = False

    def _select(self, combo: QComboBox, value: str, *, detected: bool) -> None:
        index = combo.findData(value)
        if index < 0:
            label = (common_name(value) if combo is self.encoding_combo else DELIMITER_NAMES.get(value)) or value
            combo.addItem(label, value)
            index = combo.count() - 1
        for i in range(combo.count()):  # "(detected)" marks what the file was read as when it was detected
            text = combo.itemText(i).removesuffix(" (detected)")
            combo.setItemText(i, text + (" (detected)" if detected and i == index else ""))
        combo.setCurrentIndex(index)

    def _show_partial(self) -> None:
        """The rows the running preview has planned so far (the rest is still being read)."""
        preview = self._live.preview
        if preview is None:
            return
        if self.rows_model.rows is not preview.rows:
            self.rows_model.set_preview(preview, self._live.names)
            if self.rows_model.rowCount():
                select_row(self.rows_view, 0)
        elif not self.rows_model.grow():
            return
        self._show_counts(preview, final=False)

    def _show_preview(self, preview: Preview | None, names: dict[str, dict[int, str]]) -> None:
        if preview is not None and self.rows_model.rows is preview.rows:
            self.rows_model.grow()  # the rows shown while it ran stay, with the selection and the scroll
        else:
            self.rows_model.set_preview(preview, names)
        self._show_counts(preview, final=True)

    def _show_counts(self, preview: Preview | None, *, final: bool) -> None:
        """The summary, the filters' counts and the alerts of the rows shown (all of them once `final`)."""
        alerts = self.rows_model.alerts()
        if alerts != self.alerts_model.alerts:  # the same count can be other alerts (a new preview)
            self.alerts_model.set_alerts(alerts)
        s = preview.summary if preview is not None else None
        for key, label in self.summary_values.items():
            value = getattr(s, key) if s is not None else None
            label.setText("–" if value is None else f"{value:,}")
            style = ""
            if value and key == "errors":
                style = text_style("error", bold=True)
            elif value and key == "alerts":
                style = text_style("warning", bold=True)
            label.setStyleSheet(style)
        for i, (key, title) in enumerate(FILTERS):
            count = self.rows_model.count(key) if preview is not None else 0
            self.filter_tabs.setTabText(i, f"{title} {count:,}" if preview is not None else title)
        alerts = self.alerts_model.rowCount()
        self.alerts_box.setVisible(alerts > 0)
        self.alerts_box.setTitle(f"Financial alerts ({alerts:,}): check these before importing")
        if preview is not None and final:
            self.kind_label.setText(f"{self.kind_label.text()}, {plural(preview.summary.rows, 'row')}")
            note = id_note(preview.source.header, preview.mapping)
            if note:
                self.kind_label.setText(f"{self.kind_label.text()}  ({note})")

    def _encoding_changed(self, index: int) -> None:
        if self._updating or index < 0:
            return
        self.encoding_choice = self.encoding_combo.itemData(index)
        self._remember_encoding(self.encoding_choice)
        self.start_preview()

    def _encoding_chosen(self, codec: str) -> None:
        """The clerk picked one of two unclear readings."""
        self.encoding_choice = codec
        self._remember_encoding(codec)
        self.start_preview()

    def _remember_encoding(self, codec: str | None) -> None:
        remembered = dict(self.settings.get(opt.IMPORT_ENCODINGS) or {})
        remembered.pop(self.encoding_pattern, None)
        if codec:
            remembered[self.encoding_pattern] = codec
        while len(remembered) > 200:  # the oldest go first
            remembered.pop(next(iter(remembered)))
        self.settings.set(opt.IMPORT_ENCODINGS, remembered)
        self.encoding_remembered = False

    # --- held rows: the clerk decides -------------------------------------------------------------

    def _show_decisions(self) -> None:
        index = self.rows_view.currentIndex()
        plan = self.rows_model.plan(index.row()) if index.isValid() and self.preview is not None else None
        decision = None
        if plan is not None and plan.held is not None:
            decision = self.options().decided(plan.row, plan.held) or Decision.SKIP
        self.decisions_bar.show_row(plan, decision)

    def _row_decided(self, file_row: int, decision: str) -> None:
        if self.committing or self.result is not None:
            return
        self.decisions[file_row] = Decision(decision)
        self._selected_row = file_row
        self.start_preview()

    def _reselect(self) -> None:
        """After a preview worked out again, the row the clerk decided on is selected again."""
        file_row = getattr(self, "_selected_row", None)
        self._selected_row = None
        row = self.rows_model.row_of(file_row) if file_row is not None else None
        if row is not None:
            select_row(self.rows_view, row)
            self.rows_view.setFocus(Qt.FocusReason.OtherFocusReason)
        self._show_decisions()

    def _delimiter_changed(self, index: int) -> None:
        if self._updating or index < 0:
            return
        self.delimiter_choice = self.delimiter_combo.itemData(index)
        self.start_preview()

    def _mapping_changed(self) -> None:
        mapping = self.mapping_editor.mapping()
        header = self.mapping_editor.header
        saved = dict(self.settings.get(opt.IMPORT_MAPPING) or {})
        saved.update(saved_form(header, mapping))
        self.settings.set(opt.IMPORT_MAPPING, saved)
        self.mapping = mapping
        self.start_preview()

    def _filter_changed(self, index: int) -> None:
        if index >= 0:
            self.rows_model.set_filter(self.filter_tabs.tabData(index))

    def set_filter(self, key: str) -> None:
        self.filter_tabs.setCurrentIndex([k for k, _t in FILTERS].index(key))

    def _alert_activated(self, index: QModelIndex) -> None:
        file_row = self.alerts_model.data(index, AlertsModel.FileRowRole)
        if self.rows_model.filter not in ("all", "alert"):
            self.set_filter("alert")
        row = self.rows_model.row_of(file_row)
        if row is not None:
            select_row(self.rows_view, row)
            self.rows_view.scrollTo(self.rows_model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
            self.rows_view.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- error rows ------------------------------------------------------------------------------

    def save_error_rows(self) -> None:
        if self.preview is None or not self.preview.summary.errors:
            return
        suggested = str(self.path.with_name(f"{self.path.stem}-errors.csv"))
        target = choose_save_path(self, suggested)
        if target is None:
            return
        try:  # never onto the file being imported, the store or another database (UnsafeOutput)
            count = write_error_rows(self.preview, target, store=self.db.file)
        except DomainError as exc:
            messages.show_error(self, exc)
            return
        except OSError as exc:
            messages.show_error(self, DomainError(describe_error(exc) or f"Cannot write {target}: "
                                                                         f"{exc.strerror or exc}."))
            return
        self.banner.show_message(f"{plural(count, 'row')} with errors saved to {target}. Fix them there and "
                                 f"import that file.", "info")
        self._banner_sticky = True

    # --- importing -------------------------------------------------------------------------------

    def start_import(self) -> None:
        """Import: write the preview in one transaction on the write worker."""
        if not self.can_import():
            return
        preview = self.preview
        assert preview is not None
        alerts = self.rows_model.count("alert")
        if alerts and not messages.ask(
            self, "Import customers",
            f"{plural(alerts, 'row')} {'has' if alerts == 1 else 'have'} financial alerts (pricing tier, store or "
            f"warehouse changes, customers with unpaid orders or open credits, unknown names).\n\nImport anyway?",
            "Import",
        ):
            return
        db = self.db

        def work(progress: Callable[[int, int], None]) -> imp_commit.CommitResult:
            with db.transaction() as session:
                result = imp_commit.commit_preview(session, preview, progress, chunk_rows=COMMIT_CHUNK_ROWS)
                total = len(preview.rows)
                progress(total, total)  # a Cancel pressed while the batch was recorded still rolls back
                return result

        self.banner.hide()
        self.commit_job = self._start(work, write=True, finished=self._commit_finished, failed=self._commit_failed)
        self.progress.setRange(0, max(len(preview.rows), 1))
        self.progress.setValue(0)
        self.progress_label.setText("Importing…")
        self._update_buttons()
        # The focus goes to Cancel before the inputs are disabled (it would otherwise land in one of them).
        self.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self._set_inputs_enabled(False)

    def _commit_finished(self, job: Job, result: imp_commit.CommitResult) -> None:
        self.commit_job = None
        self.result = result
        self.banner.show_message(result_text(result), "info")
        self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self._idle()
        self._set_inputs_enabled(False)
        self.import_button.setEnabled(False)
        self.close_button.setDefault(True)
        log.info("import %s committed from the dialog: %s", result.batch_id, result)
        self.committed.emit(result)
        self.commitEnded.emit()

    def _commit_failed(self, job: Job, exc: Exception) -> None:
        self.commit_job = None
        self._idle()
        self._set_inputs_enabled(True)
        if isinstance(exc, Cancelled):
            self.banner.show_message("Import cancelled: nothing was written.", "info")
        elif isinstance(exc, imp_commit.ImportConflict):
            messages.show_error(self, exc)
            self.banner.show_message("Nothing was imported: customers changed since the preview. Previewing "
                                     "again…", "warning")
            self._banner_sticky = True
            self.start_preview()
        else:
            messages.show_error(self, exc)
            self.banner.show_message("Nothing was imported.", "error")
        self.commitEnded.emit()

    # --- jobs ------------------------------------------------------------------------------------

    def _start(self, work: Callable[[Callable[[int, int], None]], Any], *, write: bool,
               finished: Callable[[Job, Any], None], failed: Callable[[Job, Exception], None]) -> Job:
        job = Job(work)
        self._jobs.add(job)
        job.progress.connect(lambda done, total, j=job: self._progress(j, done, total))
        job.finished.connect(lambda result, j=job: finished(j, result))
        job.failed.connect(lambda exc, j=job: failed(j, exc))
        job.ended.connect(lambda j=job: self._ended(j))
        self.workers.start(job, write=write)
        return job

    def _ended(self, job: Job) -> None:
        self._jobs.discard(job)

    def _progress(self, job: Job, done: int, total: int) -> None:
        if job.cancel_requested:
            return
        if job is self.commit_job:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(min(done, max(total, 1)))
            self.progress_label.setText(f"Importing… {done:,} of {total:,} rows")
        elif job is self.preview_job:
            self.progress_label.setText(f"Reading… {done:,} rows")
            self._show_partial()

    def cancel_job(self) -> None:
        """Cancel: stop the preview, or the import (its transaction rolls back)."""
        job = self.commit_job or self.preview_job
        if job is None:
            return
        job.cancel()
        self.progress_label.setText("Cancelling… (nothing is written)" if job is self.commit_job else "Cancelling…")

    def _idle(self) -> None:
        self.progress_label.setText("")
        self._set_inputs_enabled(self.result is None)
        self._update_buttons()

    def reject(self) -> None:
        """Esc / Close. During an import it cancels the import and stays open to say so."""
        if self.committing:
            self.cancel_job()
            return
        if self.preview_job is not None:
            self.preview_job.cancel()
            self.preview_job = None  # what it still sends is not shown
        super().reject()

    def done(self, code: int) -> None:
        super().done(code)
        if not self.committing:  # a closed dialog does not hold a big file's rows
            shown = self.rows_model.rows
            self.preview = None
            self._live = LivePreview()
            self.rows_model.set_preview(None)
            self.alerts_model.set_alerts([])
            if shown is not None and not self._jobs:  # (a preview still ending frees its rows itself)
                shown.close()


def _codec_name(codec: str) -> str:
    import codecs

    try:
        return codecs.lookup(codec).name
    except LookupError:
        return codec


def _size_text(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:,.0f} KB"
    return f"{size / (1024 * 1024):,.1f} MB"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


