"""The form kit every dialog of the app shares: inputs that show their own validation message (line,
note, check box, the country and reference pickers), titled groups of rows, and `ValidatingDialog`, a dialog
base that validates as the clerk types (debounced, no database) with the same rules as the services.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pycountry
from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from desktop.services.errors import FieldError
from desktop.services.validation import (
    EMPTY_ADDRESS,
)
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.colours import text_style

log = logging.getLogger("desktop.ui")

VALIDATE_DELAY_MS = 150
HINT_STYLE = "color: palette(placeholder-text);"
INPUT_MIN_CHARS = 26  # the narrowest an input gets, in average characters

def plain(label: str) -> str:
    """The label without its mnemonic marker, for messages."""
    return label.replace("&&", "\0").replace("&", "").replace("\0", "&")


def country_name(country: Any) -> str:
    return getattr(country, "common_name", None) or country.name


def _sort_key(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def normalised(value: Any) -> Any:
    """What the services would store, as far as comparing 'did the clerk change it' goes."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


# --- inputs --------------------------------------------------------------------------------------


class CountryCombo(QComboBox):
    """Every ISO 3166-1 country, with type-to-search (any part of the name or the code); empty allowed."""

    NOT_LISTED = "is not in the list of countries: pick one, or leave it empty and type the country name"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(15)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(18)
        self.addItem("", None)
        for name, code in sorted(((country_name(c), c.alpha_2) for c in pycountry.countries),
                                 key=lambda item: _sort_key(item[0])):
            self.addItem(f"{name} ({code})", code)
        completer = self.completer()
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.lineEdit().setPlaceholderText("Type to search")

    def code(self) -> tuple[str | None, str | None]:
        """(ISO code or None, problem or None) for what the clerk typed or picked."""
        text = self.currentText().strip()
        if not text:
            return None, None
        index = self.findText(text, Qt.MatchFlag.MatchFixedString)
        if index > 0:
            return self.itemData(index), None
        if len(text) == 2 and pycountry.countries.get(alpha_2=text.upper()) is not None:
            return text.upper(), None
        try:
            return pycountry.countries.lookup(text).alpha_2, None
        except LookupError:
            return None, self.NOT_LISTED

    def set_code(self, code: str | None) -> None:
        if not code:
            self.setCurrentIndex(0)
            return
        index = self.findData(code.upper())
        if index >= 0:
            self.setCurrentIndex(index)
        else:
            self.setEditText(code)  # a code the list does not know: shown, and the rules will say so

    def name_for(self, code: str | None) -> str | None:
        country = pycountry.countries.get(alpha_2=code) if code else None
        return country_name(country) if country else None


class ReferenceCombo(QComboBox):
    """One of a reference table's rows (sales rep, store, …) or "(none)"; data = the row id."""

    NONE = "(none)"

    def __init__(self, rows: Iterable[tuple[int, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(18)
        self.addItem(self.NONE, None)
        for row_id, name in rows:
            self.addItem(name, row_id)

    def value(self) -> int | None:
        return self.currentData()

    def set_value(self, row_id: int | None) -> None:
        index = self.findData(row_id) if row_id is not None else 0
        if index < 0:  # a row this list does not have (added since it was read): keep it selectable
            self.addItem(f"#{row_id}", row_id)
            index = self.count() - 1
        self.setCurrentIndex(index)


class ErrorLabel(QLabel):
    """A field's message: red, wrapped, and as tall as its text at its actual width (a wrapped QLabel
    otherwise asks for the height of a guessed width and leaves a gap under short messages)."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        if self.width() > 0 and self.text():
            hint.setHeight(self.heightForWidth(self.width()))
        return hint

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()


def error_label(parent: QWidget | None = None) -> QLabel:
    label = ErrorLabel(parent)
    label.setObjectName("fieldError")
    label.setStyleSheet(text_style("error"))
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def add_error_row(layout: QFormLayout) -> QLabel:
    """A message row under the last input, hidden until there is a message. (A row holding only a hidden
    widget takes no space; QFormLayout.setRowVisible is avoided: in PySide6 6.12 each call drops a
    reference to None, which crashes the interpreter after enough calls.)"""
    error = error_label()
    layout.setWidget(layout.rowCount(), QFormLayout.ItemRole.FieldRole, error)
    error.hide()
    return error


@dataclass
class Field:
    """One input of a form: its key (the service's field name, prefixed for a nested address), the plain
    label used in messages, the widget, and the message label on the row under it."""

    key: str
    label: str
    widget: QWidget
    error: QLabel
    layout: QFormLayout

    def raw(self) -> Any:
        w = self.widget
        if isinstance(w, CountryCombo):
            return w.code()[0]
        if isinstance(w, ReferenceCombo):
            return w.value()
        if isinstance(w, QLineEdit):
            return w.text()
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        raise TypeError(type(w))

    def set(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, CountryCombo):
            w.set_code(value)
        elif isinstance(w, ReferenceCombo):
            w.set_value(value)
        elif isinstance(w, QLineEdit):
            w.setText("" if value is None else str(value))
            w.setCursorPosition(0)
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText("" if value is None else str(value))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        else:
            raise TypeError(type(w))

    def problem(self) -> str | None:
        """A problem the widget itself knows of (a country not in the list), before the rules run."""
        return self.widget.code()[1] if isinstance(self.widget, CountryCombo) else None

    def sentence(self, message: str) -> str:
        if message == EMPTY_ADDRESS:  # about the whole address: no field label in front
            return message[0].upper() + message[1:]
        return f"{self.label} {message}"

    def show_messages(self, messages_: Sequence[str]) -> None:
        text = "\n".join(self.sentence(m) for m in messages_)
        self.error.setText(text)
        self.error.setVisible(bool(text))


class FormFields(QObject):
    """The inputs of one dialog, by key. Emits `edited(key)` when the clerk (not the program) changes one."""

    edited = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.fields: dict[str, Field] = {}
        self._loading = 0

    def __contains__(self, key: str) -> bool:
        return key in self.fields

    def __getitem__(self, key: str) -> Field:
        return self.fields[key]

    def _register(self, layout: QFormLayout, key: str, label: str, widget: QWidget) -> QWidget:
        widget.setMinimumWidth(widget.fontMetrics().averageCharWidth() * INPUT_MIN_CHARS)
        caption = QLabel(label)
        caption.setBuddy(widget)
        layout.addRow(caption, widget)
        error = add_error_row(layout)
        self.fields[key] = Field(key, plain(label).rstrip(" *"), widget, error, layout)
        return widget

    def _changed(self, key: str) -> Callable[..., None]:
        def emit(*_args: Any) -> None:
            if not self._loading:
                self.edited.emit(key)
        return emit

    def line(self, layout: QFormLayout, key: str, label: str, max_len: int, *, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setMaxLength(max_len)
        edit.setPlaceholderText(placeholder)
        edit.textChanged.connect(self._changed(key))
        self._register(layout, key, label, edit)
        return edit

    def text(self, layout: QFormLayout, key: str, label: str) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setTabChangesFocus(True)
        edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 4 + 12)
        edit.textChanged.connect(self._changed(key))
        self._register(layout, key, label, edit)
        return edit

    def reference(self, layout: QFormLayout, key: str, label: str, rows: Iterable[tuple[int, str]]) -> ReferenceCombo:
        combo = ReferenceCombo(rows)
        combo.currentIndexChanged.connect(self._changed(key))
        self._register(layout, key, label, combo)
        return combo

    def country(self, layout: QFormLayout, key: str, label: str) -> CountryCombo:
        combo = CountryCombo()
        combo.editTextChanged.connect(self._changed(key))
        self._register(layout, key, label, combo)
        return combo

    def check(self, layout: QFormLayout, key: str, label: str) -> QCheckBox:
        box = QCheckBox(label)
        box.toggled.connect(self._changed(key))
        layout.setWidget(layout.rowCount(), QFormLayout.ItemRole.FieldRole, box)
        error = add_error_row(layout)
        self.fields[key] = Field(key, plain(label), box, error, layout)
        return box

    def values(self, prefix: str = "") -> dict[str, Any]:
        """Raw values of the fields under `prefix` ('' = the top level), keyed without the prefix."""
        return {
            key[len(prefix):]: field.raw() for key, field in self.fields.items()
            if key.startswith(prefix) and "." not in key[len(prefix):]
        }

    def set_values(self, values: Mapping[str, Any], *, prefix: str = "") -> None:
        self._loading += 1
        try:
            for key, value in values.items():
                if prefix + key in self.fields:
                    self.fields[prefix + key].set(value)
        finally:
            self._loading -= 1

    def problems(self) -> list[FieldError]:
        return [FieldError(k, p) for k, f in self.fields.items() if (p := f.problem())]


def group(title: str) -> tuple[QGroupBox, QFormLayout]:
    """A titled box of form rows."""
    box = QGroupBox(title)
    rows = form_layout()
    box.setLayout(rows)
    return box, rows


def form_layout() -> QFormLayout:
    layout = QFormLayout()
    layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    layout.setVerticalSpacing(6)
    return layout


# --- the dialog base -----------------------------------------------------------------------------


class ValidatingDialog(QDialog):
    """A form dialog: validates as the clerk types (after a short pause), shows each field's message under
    it, keeps OK disabled while anything is wrong, and explains why next to the buttons.

    A message is shown under an input once the clerk touched it or it holds a value (a fresh form does not
    open covered in red); the others are summed up beside OK. Messages from the service (email taken, …)
    stay under their input until the clerk edits it.
    """

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.fields = FormFields(self)
        self.touched: set[str] = set()
        self.reveal_all = False
        self._service_errors: dict[str, list[str]] = {}
        self._errors: list[FieldError] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self.validate)
        self.fields.edited.connect(self._on_edited)

        self.banner = messages.Banner(self)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.cancel_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        # Ctrl+Enter saves from anywhere, the notes box included (where Enter starts a new line).
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.submit)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter right after typing must not hit an OK that is waiting for the pause to be re-enabled.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._timer.isActive():
            self.validate()
        super().keyPressEvent(event)

    def footer(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(self.hint, 1)
        row.addWidget(self.buttons)
        return row

    # --- to implement --------------------------------------------------------------------------

    def check(self) -> list[FieldError]:
        """Run the validation rules over the current input; the field errors (no database)."""
        raise NotImplementedError

    def save(self, **options: Any) -> None:
        """Write through the service; on success set the result and accept."""
        raise NotImplementedError

    # --- validation ----------------------------------------------------------------------------

    def _on_edited(self, key: str) -> None:
        self.touched.add(key)
        self._service_errors.pop(key, None)
        self._timer.start()

    def validate(self) -> bool:
        """Validate now; True when nothing is wrong. OK follows the result."""
        self._timer.stop()
        try:
            errors = self.fields.problems() + self.check()
        except Exception as exc:  # noqa: BLE001 - a rule that crashes must not take the dialog with it
            log.error("validation failed", exc_info=True)
            errors = [FieldError("", f"could not be checked ({type(exc).__name__})")]
        self._errors = errors
        self.ok_button.setEnabled(not errors)
        self._show(errors)
        return not errors

    def set_service_errors(self, errors: Iterable[FieldError]) -> None:
        """Messages from the service: shown under their input until the clerk edits it."""
        self._service_errors = {}
        for e in errors:
            self._service_errors.setdefault(e.field, []).append(e.message)
        self.reveal_all = True
        self._show(self._errors)

    def _shown(self, key: str) -> bool:
        field = self.fields[key]
        return self.reveal_all or key in self.touched or normalised(field.raw()) not in (None, False)

    def _sentence(self, error: FieldError) -> str:
        """A field's message for the line beside OK, with its group when the form has two addresses."""
        text = self.fields[error.field].sentence(error.message)
        group_label = next((label for prefix, label in messages.PREFIX_LABELS.items()
                            if error.field.startswith(prefix)), None)
        return f"{group_label}: {text}" if group_label else text

    def _show(self, errors: list[FieldError]) -> None:
        by_key: dict[str, list[str]] = {}
        general: list[str] = []
        hidden: list[str] = []
        for e in errors:
            if e.field in self.fields:
                if self._shown(e.field):
                    by_key.setdefault(e.field, []).append(e.message)
                else:
                    hidden.append(self._sentence(e))
            else:
                general.append(messages.field_sentence(e) if e.field else e.message)
        for key, messages_ in self._service_errors.items():
            if key in self.fields:
                by_key.setdefault(key, []).extend(m for m in messages_ if m not in by_key.get(key, []))
            else:
                general.extend(messages.field_sentence(FieldError(key, m)) for m in messages_)
        for key, field in self.fields.fields.items():
            field.show_messages(by_key.get(key, []))
        if general:
            self.hint.setStyleSheet(text_style("error"))
            self.hint.setText("\n".join(general))
        elif hidden:
            self.hint.setStyleSheet(HINT_STYLE)
            self.hint.setText("To save: " + "; ".join(hidden) + ".")
        elif by_key and not self.ok_button.isEnabled():
            self.hint.setStyleSheet(HINT_STYLE)
            self.hint.setText("Correct the fields marked in red to save.")
        else:
            self.hint.setText("")
        self.fit_height()

    def fit_height(self) -> None:
        """Grow to show every message: wrapped labels need more height than a dialog asks for by itself."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else layout.sizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)

    def error_text(self, key: str) -> str:
        """The message shown under an input ('' when none)."""
        field = self.fields[key]
        return "" if field.error.isHidden() else field.error.text()

    # --- OK ------------------------------------------------------------------------------------

    def submit(self, **options: Any) -> None:
        """OK / Enter: validate at once (no waiting for the pause), then save (with `options`)."""
        if not self.validate():
            self.reveal_all = True
            self._show(self._errors)
            return
        try:
            self.save(**options)
        except Exception as exc:  # noqa: BLE001 - never a traceback on the clerk's screen
            messages.show_error(self, exc)
