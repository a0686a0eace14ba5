"""The Nominal codes section's two editors: the code form (New / Edit) and the mapping settings panel
(which code sales, shipping, discounts and sales credits post to)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services import nominal_codes as svc
from desktop.services.errors import ConflictError, FieldError, NotFound, ValidationError
from desktop.services.nominal_codes import MappingSetting, NominalCodeRow, NominalCodeTaken
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.forms import ValidatingDialog, group, normalised

MUTED_STYLE = "color: palette(placeholder-text);"
NOT_SET = "(not set)"


class NominalCodeForm(ValidatingDialog):
    """Create or edit a nominal code. After `accept`, `saved` is the code as stored."""

    def __init__(self, db: Database, row: NominalCodeRow | None = None, parent: QWidget | None = None):
        super().__init__(db, parent)
        self.loaded = row
        self.saved: NominalCodeRow | None = None
        self._initial: dict[str, Any] = {}
        box, rows = group("Nominal code")
        f = self.fields
        f.line(rows, "code", "&Code *", svc.CODE_LEN, placeholder="e.g. 4000")
        f.line(rows, "name", "&Name *", svc.NAME_LEN, placeholder="e.g. Sales")
        type_edit = f.line(rows, "type", "&Type *", svc.TYPE_LEN, placeholder=", ".join(svc.NOMINAL_TYPES))
        completer = QCompleter(list(svc.NOMINAL_TYPES), type_edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        type_edit.setCompleter(completer)
        self.usage_note = QLabel()
        self.usage_note.setWordWrap(True)
        self.usage_note.setStyleSheet(MUTED_STYLE)
        self.usage_note.hide()
        self.reload_button = self.banner.add_button("&Reload")
        self.reload_button.setToolTip("Show the code as it is now")
        self.reload_button.clicked.connect(self.reload)

        root = QVBoxLayout(self)
        root.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)
        root.addWidget(self.banner)
        root.addWidget(box)
        root.addWidget(self.usage_note)
        root.addLayout(self.footer())
        if row is None:
            self.setWindowTitle("New nominal code")
            self.ok_button.setText("Create")
            self._initial = self._values()
        else:
            self.ok_button.setText("Save")
            self._load(row)
        self.validate()
        f["code"].widget.setFocus()
        self.resize(max(self.sizeHint().width(), 460), self.sizeHint().height())

    def _load(self, row: NominalCodeRow) -> None:
        self.loaded = row
        self.fields.set_values({"code": row.code, "name": row.name, "type": row.type})
        self.setWindowTitle(f"Edit nominal code — {row.label}")
        self.touched.clear()
        self._initial = self._values()
        if row.usage.in_use:
            self.usage_note.setText(
                f"This code is {row.usage.describe()}; they point at the code itself, so a new code or name "
                "applies to them too.")
            self.usage_note.show()
        else:
            self.usage_note.hide()

    def _values(self) -> dict[str, Any]:
        return {k: normalised(v) for k, v in self.fields.values().items()}

    def changed_values(self) -> dict[str, Any]:
        return {k: v for k, v in self._values().items() if v != self._initial.get(k)}

    def check(self) -> list[FieldError]:
        try:
            svc.clean_nominal_code(self._values(), creating=True)
        except ValidationError as exc:
            return exc.errors
        return []

    def save(self, **_options: Any) -> None:
        self.banner.hide()
        try:
            with self.db.transaction() as session:
                if self.loaded is None:
                    result = svc.create_nominal_code(session, self._values())
                else:
                    changes = self.changed_values()
                    if not changes:
                        self.saved = self.loaded
                        self.accept()
                        return
                    result = svc.update_nominal_code(session, self.loaded.id, changes,
                                                     expected_version=self.loaded.version)
        except ValidationError as exc:
            self.set_service_errors(exc.errors)
            return
        except NominalCodeTaken as exc:
            same = "" if exc.existing == exc.code else f" (as {exc.existing})"
            self.set_service_errors([FieldError("code", f"already exists{same}")])
            self.fields["code"].widget.setFocus()
            return
        except ConflictError as exc:
            self.banner.show_message(
                f"{exc}\nReload shows the code as it is now (the changes in this form are then lost).", "warning")
            self.reload_button.setFocus()
            return
        except NotFound as exc:
            messages.show_error(self, exc)
            self.reject()
            return
        self.saved = result
        self.accept()

    def reload(self) -> None:
        assert self.loaded is not None
        if self.changed_values() and not messages.ask(
            self, "Reload nominal code",
            f"Reload {self.loaded.label} as it is now? The changes you made in this form will be lost.", "Reload",
        ):
            return
        try:
            with self.db.read() as session:
                row = svc.get_nominal_code(session, self.loaded.id)
        except Exception as exc:  # noqa: BLE001 - gone meanwhile, or the store is unreachable
            messages.show_error(self, exc)
            return
        self.banner.hide()
        self._service_errors.clear()
        self.reveal_all = False
        self._load(row)
        self.validate()
        self.fields["code"].widget.setFocus()


# --- the mapping settings -------------------------------------------------------------------------


class MappingPanel(QGroupBox):
    """A code picker per mapping setting; Save writes the changed ones in one transaction."""

    saveRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Mapping settings", parent)
        layout = QVBoxLayout(self)
        intro = QLabel("The code each kind of amount posts to. A code a setting uses cannot be deleted.")
        intro.setWordWrap(True)
        intro.setStyleSheet(MUTED_STYLE)
        layout.addWidget(intro)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(self.form)
        self.combos: dict[str, QComboBox] = {}
        self.loaded: dict[str, MappingSetting] = {}
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save ma&ppings")
        self.save_button.setToolTip("Write the changed mapping settings")
        self.save_button.clicked.connect(self.saveRequested)
        self.undo_button = QPushButton("&Undo changes")
        self.undo_button.setToolTip("Show the mapping settings as they are stored")
        self.undo_button.clicked.connect(self.undo)
        for b in (self.save_button, self.undo_button):
            b.setAutoDefault(False)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self._codes: list[NominalCodeRow] = []
        self._update_buttons()

    def set_data(self, settings: Sequence[MappingSetting], codes: Sequence[NominalCodeRow], *,
                 keep_edits: bool = False) -> None:
        """Show `settings` with `codes` to pick from. `keep_edits`: a pick the clerk has not saved stays."""
        picks = {s: self.value(s) for s in self.combos} if keep_edits and self.dirty() else {}
        self.loaded = {s.setting: s for s in settings}
        self._codes = sorted(codes, key=lambda r: svc.natural_key(r.code))
        for s in settings:
            combo = self.combos.get(s.setting)
            if combo is None:
                combo = QComboBox()
                combo.setAccessibleName(f"{s.label} mapping")
                combo.setMinimumContentsLength(18)
                combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                combo.currentIndexChanged.connect(lambda _i: self._update_buttons())
                caption = QLabel(f"{s.label}:")
                caption.setBuddy(combo)
                self.form.addRow(caption, combo)
                self.combos[s.setting] = combo
            combo.blockSignals(True)
            try:
                combo.clear()
                combo.addItem(NOT_SET, None)
                for code in self._codes:
                    combo.addItem(f"{code.code} — {code.name}", code.id)
                wanted = picks.get(s.setting, s.nominal_code_id)
                index = combo.findData(wanted) if wanted is not None else 0
                combo.setCurrentIndex(max(index, 0))
            finally:
                combo.blockSignals(False)
        self._update_buttons()

    def value(self, setting: str) -> int | None:
        return self.combos[setting].currentData()

    def changes(self) -> dict[str, int | None]:
        return {s: self.value(s) for s, loaded in self.loaded.items()
                if s in self.combos and self.value(s) != loaded.nominal_code_id}

    def dirty(self) -> bool:
        return bool(self.changes())

    def pick(self, setting: str, code_id: int | None) -> None:
        combo = self.combos[setting]
        combo.setCurrentIndex(max(combo.findData(code_id) if code_id is not None else 0, 0))

    def undo(self) -> None:
        for setting, loaded in self.loaded.items():
            if setting in self.combos:
                self.pick(setting, loaded.nominal_code_id)

    def _update_buttons(self) -> None:
        dirty = self.dirty()
        self.save_button.setEnabled(dirty)
        self.undo_button.setEnabled(dirty)


