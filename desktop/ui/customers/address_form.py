"""The address dialog: add or edit one address of a customer, and the address rows (address 1 … zip,
country, country name) the customer form shares with it.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.services import addresses as address_service
from desktop.services.address_layout import LINE_KEYS, line_order, written_lines
from desktop.services.addresses import AddressView, DuplicateAddress
from desktop.services.customers import CustomerDetail, get_customer
from desktop.services.errors import ConflictError, FieldError, NotFound, ValidationError
from desktop.services.shipping_setup import address_labels
from desktop.services.validation import ADDRESS_FIELDS, LOCATION_FIELDS, clean_address
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.forms import (
    HINT_STYLE,
    CountryCombo,
    FormFields,
    ValidatingDialog,
    group,
    normalised,
    plain,
)

log = logging.getLogger("desktop.ui")

# Labels of the address inputs, with their mnemonics (Alt+letter), in tab order.
ADDRESS_LINE_LABELS = {
    "address1": "Address &1", "address2": "Address &2", "address3": "Address &3", "city": "C&ity",
    "province": "Pro&vince", "province_code": "Province co&de", "zip": "&Zip",
}
COUNTRY_LABEL = "Co&untry"
COUNTRY_NAME_LABEL = "Country na&me"


def _arrange(fields: FormFields, layout: QFormLayout, prefix: str, order: tuple[str, ...],
             anchor: QWidget) -> None:
    """Put the address lines' rows (each an input and its message row) in `order`, and the Tab order with
    them; the rows after them (country…) stay after them."""
    widgets = [fields[prefix + key].widget for key in LINE_KEYS]
    rows = {key: layout.getWidgetPosition(w)[0] for key, w in zip(LINE_KEYS, widgets)}
    if sorted(LINE_KEYS, key=rows.__getitem__) == list(order):
        return
    base = min(rows.values())
    kept: list[tuple[QWidget | None, QWidget | None, QWidget | None]] = []  # label, field, spanning
    for row in range(base, layout.rowCount()):
        def at(role: QFormLayout.ItemRole) -> QWidget | None:
            item = layout.itemAt(row, role)
            return item.widget() if item is not None else None
        kept.append((at(QFormLayout.ItemRole.LabelRole), at(QFormLayout.ItemRole.FieldRole),
                     at(QFormLayout.ItemRole.SpanningRole)))
    for row in range(layout.rowCount() - 1, base - 1, -1):
        layout.takeRow(row)
    by_widget = {field: i for i, (_label, field, _span) in enumerate(kept) if field is not None}
    placed: set[int] = set()
    for key in order:
        field = fields[prefix + key]
        i = by_widget[field.widget]
        placed |= {i, by_widget[field.error]}
        layout.addRow(kept[i][0], field.widget)
        layout.setWidget(layout.rowCount(), QFormLayout.ItemRole.FieldRole, field.error)
    for i, (label, field, span) in enumerate(kept):
        if i in placed:
            continue
        if span is not None:
            layout.addRow(span)
        elif label is not None and field is not None:
            layout.addRow(label, field)
        elif field is not None:
            layout.setWidget(layout.rowCount(), QFormLayout.ItemRole.FieldRole, field)
    previous = anchor
    for key in order:
        widget = fields[prefix + key].widget
        QWidget.setTabOrder(previous, widget)
        previous = widget


def add_address_rows(fields: FormFields, layout: QFormLayout, *, prefix: str = "") -> CountryCombo:
    """Address 1 … zip, country and country name rows; picking a country fills the name it had, puts the
    lines in the order that country writes them and names them as it does; below, the address as the
    post will read it."""
    for key, label in ADDRESS_LINE_LABELS.items():
        fields.line(layout, prefix + key, label, LOCATION_FIELDS[key])
    # What comes before the first line in the Tab order (its caption: never moved in the focus chain).
    anchor = fields[prefix + LINE_KEYS[0]].widget.previousInFocusChain()
    combo = fields.country(layout, prefix + "country_code", COUNTRY_LABEL)
    name = fields.line(layout, prefix + "country", COUNTRY_NAME_LABEL, LOCATION_FIELDS["country"],
                       placeholder="Filled from the country")
    preview = QLabel()
    preview.setObjectName(prefix + "address_preview")
    preview.setStyleSheet(HINT_STYLE)
    preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    preview.setToolTip("The address as the post of its country writes it")
    caption = QLabel("As written")
    caption.setStyleSheet(HINT_STYLE)
    layout.addRow(caption, preview)
    last = {"name": combo.name_for(combo.code()[0])}

    def follow(_text: str) -> None:
        code, _ = combo.code()
        new_name = combo.name_for(code)
        # Follow the picked country unless the clerk wrote a name of their own.
        if new_name and name.text().strip() in ("", last["name"] or ""):
            name.setText(new_name)
        last["name"] = new_name

    combo.currentIndexChanged.connect(follow)

    def relabel(_index: int = -1) -> None:
        """Each line as the picked country names it (NZ: Street, Suburb, City; AU: Street, Suburb, State),
        beside the field's own name, so that a clerk puts the suburb where a carrier looks for it; and the
        lines in that country's order (DE: zip before city; JP: zip and prefecture first)."""
        code, _ = combo.code()
        words = address_labels(code) if code else {}
        for key, label in ADDRESS_LINE_LABELS.items():
            field = fields[prefix + key]
            caption = field.layout.labelForField(field.widget)
            word = words.get(key)
            if isinstance(caption, QLabel):
                plain_word = plain(label).lower()
                caption.setText(f"{label} — {word}" if word and word.lower() != plain_word else label)
        _arrange(fields, layout, prefix, line_order(code), anchor)
        show_preview()

    def show_preview(*_args: object) -> None:
        values = {key: fields[prefix + key].widget.text() for key in LINE_KEYS}
        for key in ("name", "company"):
            for candidate in (prefix + key, key):
                if candidate in fields and hasattr(fields[candidate].widget, "text"):
                    values[key] = fields[candidate].widget.text()
                    break
        filled = any(values.get(k, "").strip() for k in LINE_KEYS)
        code, _ = combo.code()
        preview.setText("\n".join(written_lines(values, code, name.text())) if filled else "")
        caption.setVisible(filled)
        preview.setVisible(filled)

    for key in LINE_KEYS:
        fields[prefix + key].widget.textChanged.connect(show_preview)
    name.textChanged.connect(show_preview)
    combo.currentIndexChanged.connect(relabel)
    combo.editTextChanged.connect(show_preview)
    relabel()
    return combo


# --- the address dialog --------------------------------------------------------------------------


class AddressForm(ValidatingDialog):
    """Add an address to a customer, or edit one of its addresses.

    After `accept`: `result_address` is the address as stored; `was_duplicate` is True when the customer
    already had it (nothing was added, the existing one is `result_address`).
    """

    def __init__(
        self, db: Database, customer: CustomerDetail, address: AddressView | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(db, parent)
        self.customer_detail = customer
        self.address = address
        self.result_address: AddressView | None = None
        self.was_duplicate = False
        self._initial: dict[str, Any] = {}
        adding = address is None
        self.setWindowTitle(f"{'New address for' if adding else 'Edit address of'} {customer.name}")

        recipient, recipient_rows = group("Recipient")
        f = self.fields
        f.line(recipient_rows, "label", "&Label", ADDRESS_FIELDS["label"], placeholder="e.g. Home, Warehouse, Accounts")
        f.line(recipient_rows, "name", "&Name", ADDRESS_FIELDS["name"])
        f.line(recipient_rows, "company", "&Company", ADDRESS_FIELDS["company"])
        f.line(recipient_rows, "email", "&Email", ADDRESS_FIELDS["email"])
        f.line(recipient_rows, "phone", "&Phone", ADDRESS_FIELDS["phone"])
        f.check(recipient_rows, "is_default_shipping", "Default &shipping address")
        f.check(recipient_rows, "is_default_billing", "Default &billing address")

        location, location_rows = group("Address")
        self.country_combo = add_address_rows(f, location_rows)

        self.reload_button = self.banner.add_button("&Reload")
        self.reload_button.hide()
        self.reload_button.clicked.connect(self.reload)

        columns = QHBoxLayout()
        columns.addWidget(recipient, 1)
        columns.addWidget(location, 1)
        root = QVBoxLayout(self)
        root.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)  # messages never get clipped
        root.addWidget(self.banner)
        root.addLayout(columns)
        root.addLayout(self.footer())
        self.ok_button.setText("Add" if adding else "Save")

        self._load(customer, address)
        self.validate()
        self.fields["address1" if adding else "label"].widget.setFocus()

    @classmethod
    def for_add(cls, db: Database, customer_id: int, parent: QWidget | None = None) -> AddressForm:
        """Raises NotFound when the customer is gone (show it with messages.show_error)."""
        with db.read() as session:
            customer = get_customer(session, customer_id)
        return cls(db, customer, None, parent)

    @classmethod
    def for_edit(cls, db: Database, customer_id: int, address_id: int, parent: QWidget | None = None) -> AddressForm:
        """Raises NotFound when the customer or the address is gone."""
        with db.read() as session:
            customer = get_customer(session, customer_id)
        address = next((a for a in customer.addresses if a.id == address_id), None)
        if address is None:
            raise NotFound("address", address_id)
        return cls(db, customer, address, parent)

    @property
    def adding(self) -> bool:
        return self.address is None

    def _load(self, customer: CustomerDetail, address: AddressView | None) -> None:
        self.customer_detail = customer
        self.address = address
        if address is None:
            # A new address goes to the customer by default, as the root address does on create.
            values: dict[str, Any] = {"name": customer.name, "company": customer.company,
                                      "email": customer.email, "phone": customer.phone}
        else:
            values = {k: getattr(address, k) for k in ADDRESS_FIELDS}
        for role in ("shipping", "billing"):
            values[f"is_default_{role}"] = (getattr(address, f"is_default_{role}") if address else
                                            getattr(customer, f"default_{role}_address_id") is None)
        self.fields.set_values(values)
        # A default cannot be taken away here: another address has to become the default instead.
        for role in ("shipping", "billing"):
            box = self.fields[f"is_default_{role}"].widget
            fixed = bool(values[f"is_default_{role}"])
            box.setEnabled(not fixed)
            box.setToolTip(
                (f"This is the default {role} address. To change that, make another address the default."
                 if address else f"The customer has no default {role} address yet: this one becomes it.")
                if fixed else ""
            )
        self.touched.clear()
        self._initial = self._values()

    def _values(self) -> dict[str, Any]:
        return {k: normalised(v) for k, v in self.fields.values().items()}

    def changed_values(self) -> dict[str, Any]:
        current = self._values()
        return {k: v for k, v in current.items() if v != self._initial.get(k)}

    def check(self) -> list[FieldError]:
        try:
            clean_address(self._values())
        except ValidationError as exc:
            return exc.errors
        return []

    def submit(self, **options: Any) -> None:
        if self.was_duplicate:  # only "Close" is left
            self.accept()
        else:
            super().submit(**options)

    def save(self, **_options: Any) -> None:
        self.banner.hide()
        try:
            with self.db.transaction() as session:
                if self.address is None:
                    result = address_service.add_address(session, self.customer_detail.id, self._values())
                else:
                    changes = self.changed_values()
                    if not changes:
                        self.result_address = self.address
                        self.accept()
                        return
                    result = address_service.update_address(
                        session, self.address.id, changes, expected_version=self.address.version
                    )
        except ValidationError as exc:
            self.set_service_errors(exc.errors)
            return
        except DuplicateAddress as exc:
            self.reload_button.hide()
            self.banner.show_message(
                f"This customer already has this address ({exc.existing.one_line()}"
                f"{', labelled ' + exc.existing.label if exc.existing.label else ''}). "
                "Nothing was changed: change the address so it differs, or cancel.", "warning")
            return
        except ConflictError as exc:
            self.reload_button.show()
            self.banner.show_message(
                f"{exc} Reload shows the address as it is now (your changes here are lost).", "warning")
            return
        self.result_address = result
        if result.duplicate:
            self._show_duplicate(result)
            return
        self.accept()

    def _show_duplicate(self, existing: AddressView) -> None:
        """Added an address the customer already had: say so, show that address, and only offer Close."""
        self.was_duplicate = True
        self.fields.set_values({k: getattr(existing, k) for k in ADDRESS_FIELDS})
        self.fields.set_values({"is_default_shipping": existing.is_default_shipping,
                                "is_default_billing": existing.is_default_billing})
        for field in self.fields.fields.values():
            field.widget.setEnabled(False)
        label = f" (labelled {existing.label})" if existing.label else ""
        self.banner.show_message(
            f"This address already exists{label}: {existing.one_line()}. Nothing was added; "
            "the address below is the one the customer already has.", "info")
        self.cancel_button.hide()
        self.ok_button.setText("Close")
        self.ok_button.setEnabled(True)
        self.hint.setText("")
        self.ok_button.setFocus()

    def reject(self) -> None:
        # After a duplicate the store may have changed (default flags): the caller should refresh.
        if self.was_duplicate:
            self.accept()
        else:
            super().reject()

    def reload(self) -> None:
        if self.changed_values() and not messages.ask(
            self, "Reload address", "Reload the address as it is now? The changes you made here will be lost.",
            "Reload",
        ):
            return
        try:
            with self.db.read() as session:
                customer = get_customer(session, self.customer_detail.id)
            assert self.address is not None
            address = next((a for a in customer.addresses if a.id == self.address.id), None)
            if address is None:
                raise NotFound("address", self.address.id)
        except Exception as exc:  # noqa: BLE001
            messages.show_error(self, exc)
            return
        self.banner.hide()
        self._service_errors.clear()
        self.reveal_all = False
        self._load(customer, address)
        self.validate()
