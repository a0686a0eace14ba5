"""The clerk's words for every error: `explain` turns an exception into a title and a text, `show_error`
shows it, `ask` confirms an action, `Banner` shows a message inside a dialog.

`show_error` and `ask` are looked up through this module at call time, so tests monkeypatch them here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from desktop.importing.errors import ImportConflict, UndoRefused, UnreadableFile
from desktop.services.addresses import DuplicateAddress
from desktop.services.errors import (
    AddressNotOwned,
    ArchivedCustomer,
    Cancelled,
    ConflictError,
    DefaultAddressInUse,
    DomainError,
    DuplicateCustomer,
    EmailTaken,
    FieldError,
    NotDeletable,
    NotFound,
    ValidationError,
)
from desktop.services.money import AllocationRefused
from desktop.services.nominal_codes import NominalCodeInUse, NominalCodeTaken
from desktop.services.orders import OrderNotEligible, OverFulfilment, OverPayment
from desktop.services.validation import EMPTY_ADDRESS, FIELD_LABELS
from desktop.starshipit.errors import (
    KeyProblem,
    NotConfigured,
    StarshipitError,
    StarshipitUnavailable,
)
from desktop import logs
from desktop.store.engine import BUSY_MESSAGE, StoreBusy, StoreError, describe_error
from desktop.ui.common.colours import banner_style

log = logging.getLogger("desktop.ui")

# Fields the validation module has no label for (references and default settings).
EXTRA_LABELS = {
    "default_sales_rep_id": "Sales rep",
    "product_pricing_tier_id": "Pricing tier",
    "store_id": "Store",
    "warehouse_id": "Warehouse",
    "shipping_method_domestic_id": "Domestic shipping",
    "shipping_method_international_id": "International shipping",
    "default_billing_address": "Billing address",
    "ids": "Customers",
}
PREFIX_LABELS = {"default_billing_address.": "Billing address"}
MAX_LISTED = 12  # a message box longer than this is not read


def field_label(field: str) -> str:
    """'default_billing_address.zip' -> 'Billing address, Zip'; unknown names are made readable."""
    for prefix, label in PREFIX_LABELS.items():
        if field.startswith(prefix):
            return f"{label}, {field_label(field[len(prefix):])}"
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    if field in EXTRA_LABELS:
        return EXTRA_LABELS[field]
    return field.replace("_", " ").capitalize()


def field_sentence(error: FieldError) -> str:
    """'Email is not a valid email address (…)': the label, then the message of the validation rules."""
    if error.message == EMPTY_ADDRESS:  # about the whole address, not the field it is filed under
        group = next((label for p, label in PREFIX_LABELS.items() if error.field.startswith(p)), "Address")
        return f"{group}: {error.message}"
    return f"{field_label(error.field)} {error.message}"


def _bullets(lines: Iterable[str]) -> str:
    lines = list(lines)
    shown = [f"• {line}" for line in lines[:MAX_LISTED]]
    if len(lines) > MAX_LISTED:
        shown.append(f"… and {len(lines) - MAX_LISTED} more")
    return "\n".join(shown)


# Errors whose message is shown as it is, under these titles (first match wins: subclasses first).

_TITLES: tuple[tuple[type[BaseException], str], ...] = (
    (ConflictError, "Changed by someone else"),
    (NotFound, "Not found"),
    (DuplicateAddress, "Address already exists"),
    (NotDeletable, "Cannot delete"),
    (ArchivedCustomer, "Customer is archived"),
    (DefaultAddressInUse, "Default address"),
    (AddressNotOwned, "Wrong customer"),
    (Cancelled, "Cancelled"),
    (UnreadableFile, "Cannot read the file"),
    (ImportConflict, "Changed since the preview"),
    (UndoRefused, "Cannot undo the import"),
    (AllocationRefused, "Cannot allocate"),
    (OverPayment, "Payment too large"),
    (OverFulfilment, "More than the order holds"),
    (OrderNotEligible, "Order cannot take this"),
    (NominalCodeInUse, "Cannot delete"),
    (NominalCodeTaken, "Code already exists"),
    (KeyProblem, "Starshipit keys"),
    (NotConfigured, "Starshipit is not set up"),
    (StarshipitUnavailable, "Starshipit unavailable"),
    (StarshipitError, "Starshipit problem"),
    (DomainError, "Cannot do that"),
    (StoreError, "Database problem"),
)


def explain(exc: BaseException) -> tuple[str, str]:
    """(title, text) for the clerk. Domain errors already say a sentence; this adds the context."""
    if isinstance(exc, ValidationError):
        return "Please correct the input", "Some fields need correcting:\n\n" + _bullets(
            field_sentence(e) for e in exc.errors
        )
    if isinstance(exc, DuplicateCustomer):
        lines = [
            f"{c.name}{f' ({c.company})' if c.company else ''}, id {c.customer_id}: "
            f"{', '.join(p for p in (c.address1, c.zip) if p)} — {c.score:.0f}% match"
            f"{' (archived)' if c.archived else ''}"
            for c in exc.candidates
        ]
        return "Possible duplicate customer", f"{exc}\n\n{_bullets(lines)}"
    if isinstance(exc, EmailTaken):
        return "Email already in use", f"{exc} Use another email, or open that customer."
    if isinstance(exc, StoreBusy):
        return "Store busy", str(exc)
    for kind, title in _TITLES:
        if isinstance(exc, kind):
            return title, str(exc)  # the error's own sentence already speaks to the clerk
    plain = plain_fault(exc)  # disk full, read-only store, out of memory, busy, lost connection…
    if plain is not None:
        return ("Store busy" if plain == BUSY_MESSAGE else "Cannot finish", plain)
    where = f"\n\nThe details are in the log file:\n{logs.log_file()}"
    if isinstance(exc, SQLAlchemyError):
        # Never the statement, its parameters or the driver's class names: the log has them.
        return "Database problem", (
            "The database could not complete the request. Nothing was changed. Try again; if it keeps "
            "happening, tell whoever looks after the database." + where
        )
    return "Unexpected problem", "Something went wrong and the action was not finished. Nothing was changed." + where


def plain_fault(exc: BaseException) -> str | None:
    """describe_error() of `exc` or of what caused it (a fault wrapped by the code that met it: an export
    that hit a full disk, a driver error inside a StatementError): the first plain sentence found."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen or len(seen) >= 8:
            continue
        seen.add(id(current))
        plain = describe_error(current)
        if plain is None and _driver_error(current):  # raised by the driver itself (bulk loads)
            plain = describe_error(OperationalError(None, None, current))
        if plain is not None:
            return plain
        orig = getattr(current, "orig", None)
        todo += [orig if isinstance(orig, BaseException) else None, current.__cause__,
                 None if current.__suppress_context__ else current.__context__]
    return None


def _driver_error(exc: BaseException) -> bool:
    import sqlite3

    kinds: list[type[BaseException]] = [sqlite3.Error]
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a dependency
        pass
    else:
        kinds.append(psycopg.Error)
    return isinstance(exc, tuple(kinds))


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Explain `exc` in a message box (modal). Unexpected errors are logged with their traceback."""
    title, text = explain(exc)
    if isinstance(exc, DomainError):
        log.info("%s: %s", type(exc).__name__, exc)
    else:
        log.error("unexpected error shown to the clerk", exc_info=exc)
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.exec()


def ask(parent: QWidget | None, title: str, text: str, ok_text: str, *, default_ok: bool = False) -> bool:
    """Confirm an action: True when the clerk pressed `ok_text`. Cancel (and Esc) is the default unless
    `default_ok`, so a stray Enter never throws work away."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    ok = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(ok if default_ok else cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is ok


def typed_count_matches(typed: str, count: int) -> bool:
    """'12,500', '12 500' and '12500' are all 12500."""
    digits = "".join(ch for ch in typed if not ch.isspace() and ch not in ",.'’_")
    return digits.isdigit() and int(digits) == count


def ask_count(parent: QWidget | None, title: str, text: str, ok_text: str, count: int) -> bool:
    """Confirm an action on many records by typing how many: OK is enabled only once the clerk has typed
    `count`. Cancel (and Esc) is the default."""
    from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit, QVBoxLayout

    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    layout = QVBoxLayout(dialog)
    label = QLabel(f"{text}\n\nType {count:,} to confirm:")
    label.setWordWrap(True)
    edit = QLineEdit()
    edit.setAccessibleName("How many")
    edit.setPlaceholderText(f"{count:,}")
    label.setBuddy(edit)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    ok = buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
    ok.setEnabled(False)
    edit.textChanged.connect(lambda t: ok.setEnabled(typed_count_matches(t, count)))
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(label)
    layout.addWidget(edit)
    layout.addWidget(buttons)
    edit.setFocus()
    return dialog.exec() == QDialog.DialogCode.Accepted and typed_count_matches(edit.text(), count)


class Banner(QFrame):
    """A message strip inside a dialog (a conflict, a duplicate), with optional buttons on its right."""


    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setStyleSheet("background: transparent; border: none;")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self.label, 1)
        self.hide()

    def add_button(self, text: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setAutoDefault(False)
        self._layout.addWidget(button)
        return button

    def show_message(self, text: str, kind: str = "warning") -> None:
        self.setStyleSheet(f"QFrame#banner {{ {banner_style(kind)} border-radius: 3px; }}")
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text() if not self.isHidden() else ""
