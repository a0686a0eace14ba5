"""The customer dialog: create a customer (with its address and an optional separate billing address) or
edit one (details, default sales rep and settings, default shipping address).

Validation runs as the clerk types with the services' own rules; saving is one short transaction on the
GUI thread. A likely duplicate is shown inside the dialog with "Open existing" and "Create anyway"; an edit
that lost a race with another clerk offers to reload.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.services.customers import (
    CustomerDetail,
    create_customer,
    get_customer,
    update_customer,
)
from desktop.services.errors import (
    ConflictError,
    DuplicateCustomer,
    EmailTaken,
    FieldError,
    MatchCandidate,
    ValidationError,
)
from desktop.services.validation import (
    CUSTOMER_FIELDS,
    CUSTOMER_REFERENCES,
    DEFAULT_SETTINGS,
    EMPTY_ADDRESS,
    LOCATION_FIELDS,
    clean_customer,
)
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.forms import ReferenceCombo, ValidatingDialog, group, normalised
from desktop.ui.common.views import select_row
from desktop.ui.customers.address_form import add_address_rows
from desktop.ui.customers.find_match_dialog import (
    DUPLICATE_COLUMNS,
    CandidateView,
    MatchTableModel,
)

log = logging.getLogger("desktop.ui")

BILLING = "default_billing_address."
REFERENCE_FIELDS = (*CUSTOMER_REFERENCES, *DEFAULT_SETTINGS)


@dataclass(frozen=True)
class References:
    """(id, name) rows of the reference tables the edit form picks from."""

    sales_reps: list[tuple[int, str]] = field(default_factory=list)
    pricing_tiers: list[tuple[int, str]] = field(default_factory=list)
    stores: list[tuple[int, str]] = field(default_factory=list)
    warehouses: list[tuple[int, str]] = field(default_factory=list)
    shipping_methods: list[tuple[int, str]] = field(default_factory=list)


def load_references(session: Session) -> References:
    def rows(model: Any) -> list[tuple[int, str]]:
        stmt = select(model.id, model.name).order_by(func.lower(model.name), model.id)
        return [(row_id, name) for row_id, name in session.execute(stmt)]

    methods = [
        (row_id, f"{name} (international)" if international else name)
        for row_id, name, international in session.execute(
            select(m.ShippingMethod.id, m.ShippingMethod.name, m.ShippingMethod.is_international)
            .order_by(func.lower(m.ShippingMethod.name), m.ShippingMethod.id)
        )
    ]
    return References(
        sales_reps=rows(m.SalesRep), pricing_tiers=rows(m.PricingTier), stores=rows(m.Store),
        warehouses=rows(m.Warehouse), shipping_methods=methods,
    )


class CustomerForm(ValidatingDialog):
    """Create or edit a customer. Build it with `for_create` or `for_edit`.

    After `accept`, either `customer` is the customer as stored (created or edited), or — when the clerk
    chose "Open existing" in the duplicate warning — `open_existing_id` is the customer to open instead
    (and nothing was written).
    """

    def __init__(
        self, db: Database, *, customer: CustomerDetail | None = None, references: References | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(db, parent)
        self.creating = customer is None
        self.loaded: CustomerDetail | None = customer
        self.customer: CustomerDetail | None = None
        self.open_existing_id: int | None = None
        self.candidates: list[MatchCandidate] = []
        self._initial: dict[str, Any] = {}
        f = self.fields

        details, rows = group("Customer")
        f.line(rows, "name", "&Name *", CUSTOMER_FIELDS["name"], placeholder="Required")
        f.line(rows, "company", "&Company", CUSTOMER_FIELDS["company"])
        f.line(rows, "email", "&Email", CUSTOMER_FIELDS["email"], placeholder="name@example.com")
        f.line(rows, "phone", "&Phone", CUSTOMER_FIELDS["phone"])
        f.line(rows, "fax", "Fa&x", CUSTOMER_FIELDS["fax"])
        f.text(rows, "notes", "No&tes")

        shipping, shipping_rows = group(
            "Address (default shipping and billing)" if self.creating else "Default shipping address")
        add_address_rows(f, shipping_rows)

        columns = QHBoxLayout()
        first_column = QVBoxLayout()
        first_column.addWidget(details)
        columns.addLayout(first_column, 1)
        columns.addWidget(shipping, 1)

        self.billing_group: QGroupBox | None = None
        self.settings_group: QGroupBox | None = None
        if self.creating:
            self.billing_group, billing_rows = group("Separate &billing address")
            self.billing_group.setCheckable(True)
            self.billing_group.setChecked(False)
            self.billing_group.setToolTip("Without one, the address is also the default billing address.")
            add_address_rows(f, billing_rows, prefix=BILLING)
            self.billing_group.toggled.connect(self._billing_toggled)
            columns.addWidget(self.billing_group, 1)
        # The sales rep and default settings, on create too: one dialog (saved as the create, then the
        # update the rules allow for default settings, in one transaction).
        if self.settings_group is None:
            refs = references or References()
            self.settings_group, settings_rows = group("Sales rep and default settings")
            f.reference(settings_rows, "default_sales_rep_id", "Sa&les rep", refs.sales_reps)
            f.reference(settings_rows, "product_pricing_tier_id", "Pricin&g tier", refs.pricing_tiers)
            f.reference(settings_rows, "store_id", "&Store", refs.stores)
            f.reference(settings_rows, "warehouse_id", "&Warehouse", refs.warehouses)
            f.reference(settings_rows, "shipping_method_domestic_id", "D&omestic shipping", refs.shipping_methods)
            f.reference(settings_rows, "shipping_method_international_id", "Internation&al shipping",
                        refs.shipping_methods)
            if self.creating:
                first_column.addWidget(self.settings_group)
            else:
                columns.addWidget(self.settings_group, 1)

        # The duplicate warning (create only): shown when the service refuses a likely duplicate.
        self.duplicate_panel = QGroupBox("Possible duplicate")
        panel = QVBoxLayout(self.duplicate_panel)
        self.duplicate_label = QLabel()
        self.duplicate_label.setWordWrap(True)
        self.duplicate_model = MatchTableModel(DUPLICATE_COLUMNS, self)
        self.duplicate_table = CandidateView()
        self.duplicate_table.setModel(self.duplicate_model)
        self.duplicate_table.chosen.connect(self._open_candidate)
        self.duplicate_table.setMinimumHeight(110)
        self.open_existing_button = QPushButton("&Open existing")
        self.open_existing_button.setToolTip("Open the selected customer instead of creating a new one")
        self.open_existing_button.clicked.connect(self.open_existing)
        self.create_anyway_button = QPushButton("Create &anyway")
        self.create_anyway_button.setToolTip("Create the new customer even though it looks like these")
        self.create_anyway_button.clicked.connect(self.create_anyway)
        panel_buttons = QHBoxLayout()
        panel_buttons.addStretch(1)
        panel_buttons.addWidget(self.open_existing_button)
        panel_buttons.addWidget(self.create_anyway_button)
        panel.addWidget(self.duplicate_label)
        panel.addWidget(self.duplicate_table)
        panel.addLayout(panel_buttons)
        self.duplicate_panel.hide()
        f.edited.connect(self._hide_duplicates)

        self.reload_button = self.banner.add_button("&Reload")
        self.reload_button.setToolTip("Show the customer as it is now")
        self.reload_button.clicked.connect(self.reload)
        self.email_owner_id: int | None = None
        self.open_owner_button = self.banner.add_button("Open &that customer")
        self.open_owner_button.setToolTip("Close this form and show the customer who has this email")
        self.open_owner_button.clicked.connect(self.open_email_owner)
        self.open_owner_button.hide()

        root = QVBoxLayout(self)
        root.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)  # messages never get clipped
        root.addWidget(self.banner)
        root.addLayout(columns)
        root.addWidget(self.duplicate_panel, 1)
        root.addLayout(self.footer())

        if self.creating:
            self.setWindowTitle("New customer")
            self.ok_button.setText("Create")
            self._initial = self._values()
        else:
            assert customer is not None
            self.ok_button.setText("Save")
            self._load(customer)
        self.validate()
        f["name"].widget.setFocus()

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def for_create(cls, db: Database, parent: QWidget | None = None,
                   defaults: Mapping[str, Any] | None = None) -> CustomerForm:
        """A new-customer form; `defaults` (what this desk's last new customer had: its sales rep,
        settings and country) fill it in, where they still exist."""
        with db.read() as session:
            references = load_references(session)
        form = cls(db, references=references, parent=parent)
        if defaults:
            form.apply_defaults(defaults)
        return form

    REMEMBERED = (*CUSTOMER_REFERENCES, *DEFAULT_SETTINGS, "country_code")

    def apply_defaults(self, defaults: Mapping[str, Any]) -> None:
        usable: dict[str, Any] = {}
        for key in self.REMEMBERED:
            value = defaults.get(key)
            field_ = self.fields.fields.get(key)
            if value is None or field_ is None:
                continue
            widget = field_.widget
            if isinstance(widget, ReferenceCombo) and widget.findData(value) < 0:
                continue  # a sales rep, store… deleted since: not brought back as a number
            usable[key] = value
        self.fields.set_values(usable)
        self.touched.clear()
        self.validate()

    def remembered_defaults(self) -> dict[str, Any]:
        """What the next new customer on this desk starts with."""
        values = self._values()
        return {k: values.get(k) for k in self.REMEMBERED if values.get(k) is not None}

    @classmethod
    def for_edit(cls, db: Database, customer_id: int, parent: QWidget | None = None) -> CustomerForm:
        """Loads the customer and the reference lists; raises NotFound when the customer is gone (show it
        with messages.show_error)."""
        with db.read() as session:
            customer = get_customer(session, customer_id)
            references = load_references(session)
        return cls(db, customer=customer, references=references, parent=parent)

    def _load(self, customer: CustomerDetail) -> None:
        self.loaded = customer
        shipping = customer.default_shipping_address
        values: dict[str, Any] = {k: getattr(customer, k) for k in (*CUSTOMER_FIELDS, *REFERENCE_FIELDS)}
        values.update({k: getattr(shipping, k) if shipping else None for k in LOCATION_FIELDS})
        self.fields.set_values(values)
        self.setWindowTitle(f"Edit customer — {customer.name} (id {customer.id})")
        self.touched.clear()
        self._initial = self._values()

    # --- values ---------------------------------------------------------------------------------

    def _values(self) -> dict[str, Any]:
        """The customer as the form has it now, in the services' field names (empty text as None)."""
        values = {k: normalised(v) for k, v in self.fields.values().items()}
        if self.billing_group is not None and self.billing_group.isChecked():
            values["default_billing_address"] = {
                k: normalised(v) for k, v in self.fields.values(BILLING).items()
            }
        return values

    def changed_values(self) -> dict[str, Any]:
        """Edit: only the fields the clerk changed."""
        current = self._values()
        return {k: v for k, v in current.items() if v != self._initial.get(k)}

    def check(self) -> list[FieldError]:
        values = self._values()
        errors: list[FieldError] = []
        if self.creating:  # the default settings go in the update that follows the create
            values = {k: v for k, v in values.items() if k not in DEFAULT_SETTINGS}
        try:
            clean_customer(values, creating=self.creating)
        except ValidationError as exc:
            errors.extend(exc.errors)
        if (not self.creating and self.loaded is not None and self.loaded.default_shipping_address is not None
                and not any(values.get(k) for k in LOCATION_FIELDS)):
            # Emptying every line would leave a blank default shipping address behind.
            errors.append(FieldError("address1", EMPTY_ADDRESS))
        return errors

    # --- saving ---------------------------------------------------------------------------------

    def save(self, *, allow_duplicate: bool = False) -> None:
        self.banner.hide()
        try:
            with self.db.transaction() as session:
                if self.creating:
                    values = self._values()
                    settings = {k: values.pop(k) for k in DEFAULT_SETTINGS if k in values}
                    result = create_customer(session, values, allow_duplicate=allow_duplicate)
                    chosen = {k: v for k, v in settings.items() if v is not None}
                    if chosen:  # the customer API sets default settings by an update: same transaction
                        result = update_customer(session, result.id, chosen, expected_version=result.version)
                else:
                    assert self.loaded is not None
                    changes = self.changed_values()
                    if not changes:
                        self.customer = self.loaded
                        self.accept()
                        return
                    result = update_customer(session, self.loaded.id, changes,
                                             expected_version=self.loaded.version)
        except ValidationError as exc:
            self.set_service_errors(exc.errors)
            return
        except EmailTaken as exc:
            self.set_service_errors([FieldError("email", f"already belongs to {exc.owner}")])
            self.email_owner_id = exc.customer_id or None
            if self.email_owner_id is not None:
                self.reload_button.hide()
                self.open_owner_button.setText(f"&Open {exc.name or 'that customer'}")
                self.open_owner_button.show()
                self.banner.show_message(f"{exc} Use another email, or open that customer.", "warning")
            self.fields["email"].widget.setFocus()
            return
        except DuplicateCustomer as exc:
            self._show_duplicates(exc)
            return
        except ConflictError as exc:
            self._show_conflict(exc)
            return
        self.customer = result
        self.accept()

    def create_anyway(self) -> None:
        self.submit(allow_duplicate=True)

    # --- duplicate warning ----------------------------------------------------------------------

    def _show_duplicates(self, exc: DuplicateCustomer) -> None:
        self.candidates = exc.candidates
        count = len(exc.candidates)
        self.duplicate_label.setText(
            f"{exc}\n{'It has' if count == 1 else f'These {count} customers have'} the same zip and a similar "
            "address 1 and name."
        )
        self.duplicate_model.set_candidates(exc.candidates)
        self.duplicate_table.fit_columns()
        select_row(self.duplicate_table, 0)
        self.duplicate_panel.show()
        self.duplicate_table.setFocus()

    def _hide_duplicates(self) -> None:
        # The input changed: the candidates shown may no longer apply; OK checks again.
        if not self.duplicate_panel.isHidden():
            self.duplicate_panel.hide()
            self.candidates = []

    def _open_candidate(self, row: int) -> None:
        candidate = self.duplicate_model.candidate(row)
        if candidate is not None:
            self.open_existing_id = candidate.customer_id
            self.accept()

    def open_existing(self) -> None:
        self._open_candidate(self.duplicate_table.current_row() or 0)

    # --- conflict -------------------------------------------------------------------------------

    def open_email_owner(self) -> None:
        """Show the customer who has the email instead (the form closes; nothing of it is saved)."""
        if self.email_owner_id is not None:
            self.open_existing_id = self.email_owner_id
            self.accept()

    def _show_conflict(self, exc: ConflictError) -> None:
        self.open_owner_button.hide()
        self.reload_button.show()
        self.banner.show_message(
            f"{exc}\nReload shows the customer as it is now (the changes in this form are then lost).", "warning")
        self.reload_button.setFocus()

    def reload(self) -> None:
        """Load the customer as stored now, after the clerk agreed to lose the edits in the form."""
        assert self.loaded is not None
        if self.changed_values() and not messages.ask(
            self, "Reload customer",
            f"Reload {self.loaded.name} as it is now? The changes you made in this form will be lost.",
            "Reload",
        ):
            return
        try:
            with self.db.read() as session:
                customer = get_customer(session, self.loaded.id)
        except Exception as exc:  # noqa: BLE001
            messages.show_error(self, exc)
            return
        self.banner.hide()
        self._service_errors.clear()
        self.reveal_all = False
        self._load(customer)
        self.validate()
        self.fields["name"].widget.setFocus()

    def _billing_toggled(self, checked: bool) -> None:
        self._hide_duplicates()
        self.validate()
        if checked:
            self.fields[BILLING + "address1"].widget.setFocus()
