"""The customer form, the address form, the Find Match dialog and the error messages (DESIGN §3 dialogs).

Dialogs are shown with `show()` (never `exec()`), buttons pressed with `click()` or keys, message boxes
answered by monkeypatching `messages.ask` / `messages.show_error`. The tests that go through the services'
refusals run on SQLite and PostgreSQL; the rest on SQLite.
"""

from __future__ import annotations

import errno
import sqlite3

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialog, QGroupBox, QLabel, QPlainTextEdit, QWidget
from sqlalchemy.exc import IntegrityError, OperationalError

from desktop.services import addresses as addr
from desktop.services import customers as cs
from desktop.services.errors import (
    ConflictError,
    DuplicateCustomer,
    EmailTaken,
    FieldError,
    MatchCandidate,
    NotFound,
    ValidationError,
)
from desktop.store import models as m
from desktop.store.engine import Database, StoreError
from desktop.ui.common import messages
from desktop.ui.common.forms import CountryCombo
from desktop.ui.customers import customer_form
from desktop.services.address_layout import LINE_KEYS, line_order
from desktop.ui.customers.address_form import AddressForm
from desktop.ui.customers.customer_form import BILLING, CustomerForm
from desktop.ui.customers.find_match_dialog import (
    FindMatchDialog,
    MatchTableModel,
    Role,
)
from tests import factories as f
from tests.factories import create, get

both = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

AROHA: dict[str, Any] = dict(
    name="Aroha Kowhai", company="Kowhai Traders Ltd", email="aroha@example.com", phone="+64 9 555 0101",
    address1="12 Kauri Street", city="Wellington", zip="6011", country_code="NZ",
)


def customer_count(db: Database) -> int:
    with db.read() as s:
        return s.query(m.Customer).count()


def open_form(qtbot, form: QDialog) -> Any:  # type: ignore[no-untyped-def]
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    return form


def type_into(qtbot, form: Any, values: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Type like a clerk: replace each input's text key by key."""
    for key, text in values.items():
        widget = form.fields[key].widget
        if isinstance(widget, CountryCombo):
            widget.setCurrentIndex(widget.findData(text))
        elif isinstance(widget, QPlainTextEdit):
            widget.setPlainText(text)  # QTest cannot type a line break
        else:
            widget.clear()
            qtbot.keyClicks(widget, text)


def tab_order(start: QWidget, count: int) -> list[QWidget]:
    """The widgets Tab visits from `start`, as Qt's focus chain has them."""
    order = [start]
    widget = start
    while len(order) < count:
        widget = widget.nextInFocusChain()
        if (widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisibleTo(start.window())
                and widget.isEnabled() and widget.focusProxy() is None):
            order.append(widget)
    return order


def press_ok(qtbot, form: Any) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(form.ok_button.isEnabled, timeout=2000)
    form.ok_button.click()


# --- messages -----------------------------------------------------------------------------------


def test_explain_turns_each_error_into_clerk_words() -> None:
    title, text = messages.explain(ValidationError([
        FieldError("name", "is required"),
        FieldError("default_billing_address.zip", "may contain only letters, digits, spaces and hyphens"),
        FieldError("store_id", "refers to store 9, which does not exist"),
    ]))
    assert title == "Please correct the input"
    assert "• Name is required" in text
    assert "• Billing address, Zip may contain only letters" in text
    assert "• Store refers to store 9" in text

    candidate = MatchCandidate(7, "Aroha Kowhai", "Kowhai Traders", None, 1, "12 Kauri St", "Wellington",
                               "6011", False, 100.0, 95.0, 100.0, 98.0)
    title, text = messages.explain(DuplicateCustomer([candidate]))
    assert title == "Possible duplicate customer" and "id 7" in text and "98% match" in text

    assert messages.explain(EmailTaken("a@b.co", 3))[1].startswith("The email a@b.co already belongs to customer 3.")
    assert messages.explain(ConflictError("customer", 5))[0] == "Changed by someone else"
    assert messages.explain(NotFound("customer", 5)) == ("Not found", str(NotFound("customer", 5)))
    assert messages.explain(StoreError("Cannot open database x."))[0] == "Database problem"
    title, text = messages.explain(OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")))
    assert title == "Store busy" and text.startswith("The store is busy: another program is writing to it.")
    title, text = messages.explain(KeyError("oops"))
    assert title == "Unexpected problem" and "KeyError" not in text and "oops" not in text and "log" in text


@pytest.mark.parametrize(("fault", "words"), [
    (lambda: OperationalError("INSERT INTO customers (name) VALUES (?)", ("Ana",),
                              sqlite3.OperationalError("database or disk is full")), "disk of the store is full"),
    (lambda: OperationalError("UPDATE customers SET name=?", ("Ana",),
                              sqlite3.OperationalError("attempt to write a readonly database")), "read-only"),
    (lambda: OSError(errno.ENOSPC, "No space left on device"), "The disk is full"),
    (lambda: MemoryError(), "ran out of memory"),
    (lambda: IntegrityError("INSERT INTO x VALUES (?)", (1,), sqlite3.IntegrityError("CHECK failed")),
     "could not complete the request"),
])
def test_faults_read_as_plain_sentences_without_sql_or_exception_names(fault, words: str) -> None:
    title, text = messages.explain(fault())
    assert words in text, text
    for leak in ("INSERT", "UPDATE", "VALUES", "[SQL", "Ana", "OperationalError", "IntegrityError", "Error:",
                 "sqlalche.me", "Traceback"):
        assert leak not in title + text, (leak, text)


def test_show_error_and_ask_use_message_boxes(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    seen: list[tuple[str, str]] = []

    def fake_exec(box: QMessageBox) -> int:
        seen.append((box.windowTitle(), box.text()))
        buttons = box.buttons()
        box_ok = next((b for b in buttons if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole), None)
        if box_ok is not None:
            box_ok.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    messages.show_error(None, NotFound("customer", 4))
    assert seen[-1] == ("Not found", "Customer 4 does not exist (it may have been deleted).")
    assert messages.ask(None, "Reload customer", "Lose your changes?", "Reload") is True
    assert seen[-1] == ("Reload customer", "Lose your changes?")


# --- customer form: create ----------------------------------------------------------------------


@both
def test_create_customer_with_its_address(qtbot, store: Database) -> None:
    form = open_form(qtbot, CustomerForm.for_create(store))
    assert form.windowTitle() == "New customer" and form.ok_button.text() == "Create"
    type_into(qtbot, form, {
        "name": "Aroha Kowhai", "company": "Kowhai Traders Ltd", "email": "Aroha@Example.com",
        "phone": "+64 9 555 0101", "notes": "Prefers email.\nNo calls on Mondays.",
        "address1": "12 Kauri Street", "city": "Wellington", "zip": "6011", "country_code": "NZ",
    })
    assert form.fields["country"].widget.text() == "New Zealand"  # filled from the country picked
    press_ok(qtbot, form)

    assert form.result() == QDialog.DialogCode.Accepted and form.open_existing_id is None
    stored = get(store, form.customer.id)
    assert (stored.name, stored.company, stored.email) == ("Aroha Kowhai", "Kowhai Traders Ltd", "Aroha@example.com")
    assert stored.notes == "Prefers email.\nNo calls on Mondays."
    assert len(stored.addresses) == 1
    shipping = stored.default_shipping_address
    assert shipping is not None and shipping is stored.default_billing_address
    assert (shipping.address1, shipping.city, shipping.zip, shipping.country_code, shipping.country) == (
        "12 Kauri Street", "Wellington", "6011", "NZ", "New Zealand")
    assert shipping.name == "Aroha Kowhai"


@both
def test_create_customer_with_separate_billing_address(qtbot, store: Database) -> None:
    form = open_form(qtbot, CustomerForm.for_create(store))
    type_into(qtbot, form, {"name": "Tane Mahuta", "address1": "3 Rimu Road", "zip": "1010", "city": "Auckland"})
    assert not form.fields[BILLING + "address1"].widget.isEnabled()
    form.billing_group.setChecked(True)
    assert form.fields[BILLING + "address1"].widget.isEnabled()
    qtbot.waitUntil(lambda: not form.ok_button.isEnabled())  # an empty billing address is not an address
    assert "Billing address: An address needs at least one of" in form.hint.text()
    type_into(qtbot, form, {BILLING + "address1": "PO Box 77", BILLING + "city": "Dunedin",
                            BILLING + "zip": "9016", BILLING + "country_code": "NZ"})
    press_ok(qtbot, form)

    stored = get(store, form.customer.id)
    assert len(stored.addresses) == 2
    assert stored.default_shipping_address.address1 == "3 Rimu Road"
    billing = stored.default_billing_address
    assert (billing.address1, billing.city, billing.zip, billing.country) == ("PO Box 77", "Dunedin", "9016",
                                                                            "New Zealand")


def test_inline_validation_disables_ok_and_says_why(qtbot, store: Database) -> None:
    form = open_form(qtbot, CustomerForm.for_create(store))
    # A fresh form is not covered in red, but says why it cannot be saved yet.
    assert not form.ok_button.isEnabled()
    assert form.error_text("name") == ""
    assert form.hint.text() == "To save: Name is required."

    type_into(qtbot, form, {"name": "Aroha", "email": "aroha@"})
    qtbot.waitUntil(lambda: form.error_text("email") != "")
    assert form.error_text("email").startswith("Email is not a valid email address")
    assert not form.ok_button.isEnabled()
    type_into(qtbot, form, {"email": "aroha@example.com"})
    qtbot.waitUntil(form.ok_button.isEnabled)
    assert form.error_text("email") == ""

    # Missing name: cleared after typing.
    form.fields["name"].widget.clear()
    qtbot.waitUntil(lambda: form.error_text("name") == "Name is required")
    assert not form.ok_button.isEnabled()

    # Too long: inputs stop at the store's length, and what gets past (notes) is refused with its length.
    name_edit = form.fields["name"].widget
    assert name_edit.maxLength() == m.NAME_LEN and form.fields["zip"].widget.maxLength() == m.ZIP_LEN
    name_edit.setText("N" * (m.NAME_LEN + 50))
    assert len(name_edit.text()) == m.NAME_LEN
    form.fields["notes"].widget.setPlainText("x" * (m.NOTES_LEN + 1))
    qtbot.waitUntil(lambda: form.error_text("notes") != "")
    assert form.error_text("notes") == "Notes is 4,001 characters long; at most 4,000 allowed"
    assert not form.ok_button.isEnabled()
    form.fields["notes"].widget.setPlainText("fine")

    # A country that is not in the list, and a phone number that is not one.
    form.fields["country_code"].widget.setEditText("Atlantis")
    form.fields["phone"].widget.setText("call me")
    qtbot.waitUntil(lambda: form.error_text("country_code") != "")
    assert "is not in the list of countries" in form.error_text("country_code")
    assert form.error_text("phone") == "Phone is not a phone number"
    assert not form.ok_button.isEnabled()
    assert customer_count(store) == 0


def test_keyboard_enter_saves_escape_cancels_and_tab_order(qtbot, store: Database) -> None:
    form = open_form(qtbot, CustomerForm.for_create(store))
    name = form.fields["name"].widget
    keys = ["name", "company", "email", "phone", "fax", "notes", "default_sales_rep_id", "product_pricing_tier_id",
            "store_id", "warehouse_id", "shipping_method_domestic_id", "shipping_method_international_id",
            "address1", "address2"]
    assert tab_order(name, len(keys)) == [form.fields[k].widget for k in keys]
    for key in ("name", "company", "email", "phone", "fax", "notes", "address1", "zip", "country_code"):
        caption = form.fields[key].layout.labelForField(form.fields[key].widget)
        assert "&" in caption.text() and caption.buddy() is form.fields[key].widget

    qtbot.keyClicks(name, "Mere Tui")
    qtbot.keyClick(name, Qt.Key.Key_Return)  # right away: no waiting for the pause
    assert form.result() == QDialog.DialogCode.Accepted and form.customer.name == "Mere Tui"

    other = open_form(qtbot, CustomerForm.for_create(store))
    qtbot.keyClicks(other.fields["name"].widget, "Someone")
    qtbot.keyClick(other.fields["name"].widget, Qt.Key.Key_Escape)
    assert other.result() == QDialog.DialogCode.Rejected and other.customer is None
    assert customer_count(store) == 1


@both
def test_duplicate_warning_shows_candidates_and_create_anyway_creates(qtbot, store: Database) -> None:
    existing = create(store, AROHA)
    form = open_form(qtbot, CustomerForm.for_create(store))
    type_into(qtbot, form, {"name": "aroha kowhai", "address1": "12 Kauri St", "zip": "6011"})
    press_ok(qtbot, form)

    assert form.isVisible() and form.result() == 0  # still open, nothing created
    assert form.duplicate_panel.isVisibleTo(form)
    assert "looks like an existing customer: Aroha Kowhai" in form.duplicate_label.text()
    model = form.duplicate_model
    assert model.rowCount() == 1 and [c.customer_id for c in form.candidates] == [existing.id]
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers[:5] == ["Customer", "Company", "Address 1", "Zip", "Score"]
    assert {"Name %", "Address %"} <= set(headers)
    assert model.data(model.index(0, 0)) == "Aroha Kowhai"
    assert model.data(model.index(0, model.column_of("score"))).endswith("%")
    assert customer_count(store) == 1

    form.create_anyway_button.click()
    assert form.result() == QDialog.DialogCode.Accepted and form.customer is not None
    assert form.customer.id != existing.id and customer_count(store) == 2


def test_duplicate_warning_open_existing(qtbot, store: Database) -> None:
    existing = create(store, AROHA)
    form = open_form(qtbot, CustomerForm.for_create(store))
    type_into(qtbot, form, {"name": "Aroha Kowhai", "address1": "12 Kauri Street", "zip": "6011"})
    press_ok(qtbot, form)
    assert form.duplicate_panel.isVisibleTo(form)
    form.open_existing_button.click()
    assert form.result() == QDialog.DialogCode.Accepted
    assert form.open_existing_id == existing.id and form.customer is None
    assert customer_count(store) == 1


def test_duplicate_panel_hides_when_input_changes_and_enter_on_a_candidate_opens_it(qtbot, store: Database) -> None:
    existing = create(store, AROHA)
    form = open_form(qtbot, CustomerForm.for_create(store))
    type_into(qtbot, form, {"name": "Aroha Kowhai", "address1": "12 Kauri Street", "zip": "6011"})
    press_ok(qtbot, form)
    assert form.duplicate_panel.isVisibleTo(form)
    qtbot.keyClicks(form.fields["company"].widget, "X")
    assert not form.duplicate_panel.isVisibleTo(form) and form.candidates == []

    press_ok(qtbot, form)
    assert form.duplicate_panel.isVisibleTo(form) and form.focusWidget() is form.duplicate_table
    qtbot.keyClick(form.duplicate_table, Qt.Key.Key_Return)
    assert form.open_existing_id == existing.id


@both
def test_email_taken_is_shown_at_the_email_field(qtbot, store: Database) -> None:
    owner = create(store, {"name": "Mere Tui", "email": "mere@example.com"})
    form = open_form(qtbot, CustomerForm.for_create(store))
    type_into(qtbot, form, {"name": "Hemi Tui", "email": "MERE@example.com"})
    press_ok(qtbot, form)
    assert form.result() == 0 and form.customer is None
    assert form.error_text("email") == f"Email already belongs to Mere Tui (customer {owner.id})"
    assert form.banner.text().startswith(f"The email MERE@example.com already belongs to Mere Tui (customer {owner.id})")
    assert form.open_owner_button.isVisibleTo(form) and form.open_owner_button.text() == "&Open Mere Tui"
    assert not form.reload_button.isVisibleTo(form)
    assert form.ok_button.isEnabled()  # the clerk may try again
    type_into(qtbot, form, {"email": "hemi@example.com"})
    qtbot.waitUntil(lambda: form.error_text("email") == "")
    press_ok(qtbot, form)
    assert form.customer is not None and form.customer.email == "hemi@example.com"
    other = open_form(qtbot, CustomerForm.for_create(store))  # or the clerk opens the one who has it
    type_into(qtbot, other, {"name": "Rangi Tui", "email": "mere@example.com"})
    press_ok(qtbot, other)
    other.open_owner_button.click()
    assert other.result() == 1 and other.open_existing_id == owner.id and other.customer is None


def test_unexpected_failure_is_explained_not_raised(qtbot, store: Database, monkeypatch: pytest.MonkeyPatch,
                                                     errors_shown: list[BaseException]) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(customer_form, "create_customer", broken)
    form = open_form(qtbot, CustomerForm.for_create(store))
    type_into(qtbot, form, {"name": "Aroha"})
    press_ok(qtbot, form)
    assert len(errors_shown) == 1 and isinstance(errors_shown[0], OperationalError)
    assert form.isVisible() and form.result() == 0


# --- customer form: edit ------------------------------------------------------------------------


@both
def test_edit_sends_only_changed_fields_with_the_version_loaded(qtbot, store: Database,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    with store.transaction() as s:
        rep = f.sales_rep(s, "Mere Tuhoe").id
        tier = f.pricing_tier(s, "Wholesale").id
        f.store(s, "Main Street")
        courier = f.shipping_method(s, "NZ Post").id
    original = create(store, AROHA)
    calls: list[tuple[dict[str, Any], int | None]] = []
    real_update = cs.update_customer

    def spy(session, customer_id, data, *, expected_version=None):  # type: ignore[no-untyped-def]
        calls.append((dict(data), expected_version))
        return real_update(session, customer_id, data, expected_version=expected_version)

    monkeypatch.setattr(customer_form, "update_customer", spy)

    form = open_form(qtbot, CustomerForm.for_edit(store, original.id))
    assert form.windowTitle() == f"Edit customer — Aroha Kowhai (id {original.id})"
    assert form.fields["address1"].widget.text() == "12 Kauri Street"
    assert form.fields["country_code"].widget.code() == ("NZ", None)
    rep_combo = form.fields["default_sales_rep_id"].widget
    assert rep_combo.itemText(0) == "(none)" and rep_combo.findData(rep) > 0
    assert form.fields["shipping_method_domestic_id"].widget.findData(courier) > 0

    type_into(qtbot, form, {"phone": "+64 9 555 0199", "city": "Lower Hutt"})
    rep_combo.setCurrentIndex(rep_combo.findData(rep))
    tier_combo = form.fields["product_pricing_tier_id"].widget
    tier_combo.setCurrentIndex(tier_combo.findData(tier))
    press_ok(qtbot, form)

    assert calls == [({"phone": "+64 9 555 0199", "city": "Lower Hutt", "default_sales_rep_id": rep,
                       "product_pricing_tier_id": tier}, original.version)]
    assert form.result() == QDialog.DialogCode.Accepted
    stored = get(store, original.id)
    assert form.customer == stored and stored.version > original.version
    assert (stored.phone, stored.default_sales_rep, stored.product_pricing_tier_id) == ("+64 9 555 0199",
                                                                                        "Mere Tuhoe", tier)
    assert stored.default_shipping_address.city == "Lower Hutt"
    assert (stored.name, stored.email, stored.company) == (original.name, original.email, original.company)

    # Saving an unchanged form writes nothing.
    again = open_form(qtbot, CustomerForm.for_edit(store, original.id))
    press_ok(qtbot, again)
    assert len(calls) == 1 and again.customer == stored


def test_edit_refuses_to_empty_the_default_shipping_address(qtbot, store: Database) -> None:
    original = create(store, AROHA)
    form = open_form(qtbot, CustomerForm.for_edit(store, original.id))
    for key in ("address1", "city", "zip"):
        form.fields[key].widget.clear()
    form.fields["country_code"].widget.setCurrentIndex(0)
    form.fields["country"].widget.clear()
    qtbot.waitUntil(lambda: not form.ok_button.isEnabled())
    assert form.error_text("address1") == "An address needs at least one of address, city, zip or country"


@both
def test_edit_conflict_is_explained_and_reload_brings_the_new_values(
    qtbot, store: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = create(store, AROHA)
    form = open_form(qtbot, CustomerForm.for_edit(store, original.id))
    with store.transaction() as s:  # another clerk, meanwhile
        cs.update_customer(s, original.id, {"company": "Kowhai Holdings", "city": "Porirua"})

    type_into(qtbot, form, {"phone": "+64 9 555 0199"})
    press_ok(qtbot, form)
    assert form.result() == 0 and form.customer is None
    assert form.banner.isVisibleTo(form) and "was changed by someone else" in form.banner.text()
    assert form.reload_button.isVisibleTo(form)
    assert get(store, original.id).phone == original.phone  # nothing of this form was written

    questions: list[str] = []
    answer = {"value": False}

    def ask(_parent, title, text, ok_text, **_kwargs):  # type: ignore[no-untyped-def]
        questions.append(f"{title}: {text} [{ok_text}]")
        return answer["value"]

    monkeypatch.setattr(messages, "ask", ask)
    form.reload_button.click()  # the clerk says no: the edits stay
    assert len(questions) == 1 and "will be lost" in questions[0]
    assert form.fields["phone"].widget.text() == "+64 9 555 0199"
    assert form.fields["company"].widget.text() == "Kowhai Traders Ltd"

    answer["value"] = True
    form.reload_button.click()
    assert form.fields["company"].widget.text() == "Kowhai Holdings"
    assert form.fields["city"].widget.text() == "Porirua"
    assert form.fields["phone"].widget.text() == original.phone
    assert not form.banner.isVisibleTo(form)

    type_into(qtbot, form, {"phone": "+64 9 555 0199"})
    press_ok(qtbot, form)
    stored = get(store, original.id)
    assert form.result() == QDialog.DialogCode.Accepted
    assert (stored.phone, stored.company, stored.default_shipping_address.city) == (
        "+64 9 555 0199", "Kowhai Holdings", "Porirua")


def test_edit_reload_of_an_untouched_form_asks_nothing(qtbot, store: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    original = create(store, AROHA)
    form = open_form(qtbot, CustomerForm.for_edit(store, original.id))
    monkeypatch.setattr(messages, "ask", lambda *a, **k: pytest.fail("nothing to lose, nothing to ask"))
    with store.transaction() as s:
        cs.update_customer(s, original.id, {"name": "Aroha Kowhai-Ngata"})
    form.reload()
    assert form.fields["name"].widget.text() == "Aroha Kowhai-Ngata"
    assert form.loaded.version == original.version + 1


def test_edit_of_a_deleted_customer(qtbot, store: Database, errors_shown: list[BaseException]) -> None:
    original = create(store, {"name": "Short Lived"})
    form = open_form(qtbot, CustomerForm.for_edit(store, original.id))
    with store.transaction() as s:
        cs.delete_customer(s, original.id)
    with pytest.raises(NotFound):
        CustomerForm.for_edit(store, original.id)
    type_into(qtbot, form, {"company": "Gone Ltd"})
    press_ok(qtbot, form)
    assert [type(e) for e in errors_shown] == [NotFound] and form.result() == 0


# --- address form -------------------------------------------------------------------------------


@both
def test_address_add_duplicate_and_edit(qtbot, store: Database) -> None:
    customer = create(store, AROHA)
    form = open_form(qtbot, AddressForm.for_add(store, customer.id))
    assert form.windowTitle() == "New address for Aroha Kowhai" and form.ok_button.text() == "Add"
    assert form.fields["name"].widget.text() == "Aroha Kowhai"  # the customer's, as on create
    shipping_box = form.fields["is_default_shipping"].widget
    assert shipping_box.isEnabled() and not shipping_box.isChecked()
    type_into(qtbot, form, {"label": "Warehouse", "address1": "7 Rimu Road", "city": "Napier", "zip": "4110",
                            "country_code": "NZ"})
    form.fields["is_default_billing"].widget.setChecked(True)
    press_ok(qtbot, form)
    assert form.result() == QDialog.DialogCode.Accepted and not form.was_duplicate
    added = form.result_address
    stored = get(store, customer.id)
    assert len(stored.addresses) == 2 and stored.default_billing_address_id == added.id
    assert stored.default_shipping_address_id == customer.default_shipping_address_id
    assert (added.label, added.address1, added.country) == ("Warehouse", "7 Rimu Road", "New Zealand")

    again = open_form(qtbot, AddressForm.for_add(store, customer.id))
    type_into(qtbot, again, {"address1": "7 RIMU RD.", "city": "napier", "zip": "4110", "country_code": "NZ"})
    press_ok(qtbot, again)
    assert again.was_duplicate and again.result_address.id == added.id
    assert again.banner.text().startswith("This address already exists (labelled Warehouse): 7 Rimu Road")
    assert again.fields["address1"].widget.text() == "7 Rimu Road"  # the one the customer has
    assert not again.fields["address1"].widget.isEnabled() and again.ok_button.text() == "Close"
    assert len(get(store, customer.id).addresses) == 2
    qtbot.keyClick(again, Qt.Key.Key_Escape)  # Close and Esc both close it: the caller refreshes either way
    assert again.result() == QDialog.DialogCode.Accepted

    edit = open_form(qtbot, AddressForm.for_edit(store, customer.id, added.id))
    billing_box = edit.fields["is_default_billing"].widget
    assert billing_box.isChecked() and not billing_box.isEnabled()  # a default is changed elsewhere
    shipping_box = edit.fields["is_default_shipping"].widget
    assert not shipping_box.isChecked() and shipping_box.isEnabled()
    type_into(qtbot, edit, {"city": "Hastings"})
    shipping_box.setChecked(True)
    press_ok(qtbot, edit)
    assert edit.result() == QDialog.DialogCode.Accepted
    stored = get(store, customer.id)
    assert stored.default_shipping_address_id == added.id
    edited = next(a for a in stored.addresses if a.id == added.id)
    assert (edited.city, edited.address1, edited.version) == ("Hastings", "7 Rimu Road", added.version + 1)


@both
def test_address_edit_to_an_existing_address_and_conflict(qtbot, store: Database,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    customer = create(store, AROHA)
    with store.transaction() as s:
        second = addr.add_address(s, customer.id, {"address1": "7 Rimu Road", "zip": "4110"})
    form = open_form(qtbot, AddressForm.for_edit(store, customer.id, second.id))
    type_into(qtbot, form, {"address1": "12 Kauri St", "zip": "6011", "city": "Wellington", "country_code": "NZ"})
    press_ok(qtbot, form)
    assert form.result() == 0
    assert "already has this address (12 Kauri Street" in form.banner.text()
    assert not form.reload_button.isVisibleTo(form)

    type_into(qtbot, form, {"address1": "9 Totara Avenue"})
    with store.transaction() as s:  # someone else edits the same address meanwhile
        addr.update_address(s, second.id, {"label": "Depot"})
    press_ok(qtbot, form)
    assert form.result() == 0 and "was changed by someone else" in form.banner.text()
    monkeypatch.setattr(messages, "ask", lambda *a, **k: True)
    form.reload_button.click()
    assert form.fields["label"].widget.text() == "Depot"
    assert form.fields["address1"].widget.text() == "7 Rimu Road"
    assert not form.banner.isVisibleTo(form)


def test_address_form_inline_validation(qtbot, store: Database) -> None:
    customer = create(store, {"name": "No Address Yet"})
    form = open_form(qtbot, AddressForm.for_add(store, customer.id))
    # The first address becomes both defaults whatever the boxes say: they say so.
    for role in ("shipping", "billing"):
        box = form.fields[f"is_default_{role}"].widget
        assert box.isChecked() and not box.isEnabled()
    assert not form.ok_button.isEnabled()
    assert form.hint.text() == "To save: An address needs at least one of address, city, zip or country."
    type_into(qtbot, form, {"zip": "12#4", "email": "nobody"})
    qtbot.waitUntil(lambda: form.error_text("zip") != "")
    assert form.error_text("zip") == "Zip may contain only letters, digits, spaces and hyphens"
    assert form.error_text("email").startswith("Email is not a valid email address")
    type_into(qtbot, form, {"zip": "1234", "email": "nobody@example.com"})
    qtbot.waitUntil(form.ok_button.isEnabled)
    press_ok(qtbot, form)
    stored = get(store, customer.id)
    assert stored.default_shipping_address_id == stored.default_billing_address_id == form.result_address.id


def test_address_form_for_missing_address(store: Database) -> None:
    customer = create(store, AROHA)
    with pytest.raises(NotFound):
        AddressForm.for_edit(store, customer.id, 999_999)


# --- find match ---------------------------------------------------------------------------------


def test_find_match_dialog_ranks_and_chooses(qtbot, store: Database, qtmodeltester) -> None:
    best = create(store, AROHA)
    other = create(store, {**AROHA, "name": "Aroha Kowhai-Ngata", "email": None, "address1": "12 Kauri Street"},
                   allow_duplicate=True)
    with store.transaction() as s:
        cs.archive_customer(s, other.id)
    create(store, {"name": "Unrelated Person", "address1": "12 Kauri Street", "zip": "6011"})
    create(store, {"name": "Aroha Kowhai", "address1": "12 Kauri Street", "zip": "9999"}, allow_duplicate=True)

    dialog = open_form(qtbot, FindMatchDialog(store))
    assert not dialog.find_button.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "aroha kowhai")
    qtbot.keyClicks(dialog.zip_edit, "6011")
    qtbot.keyClicks(dialog.address1_edit, "12 kauri st")
    qtbot.keyClick(dialog.address1_edit, Qt.Key.Key_Return)  # Enter = Find

    model = dialog.model
    assert model.rowCount() == 2
    ids = [model.data(model.index(r, model.column_of("customer_id")), Role.CustomerId) for r in range(2)]
    assert ids == [best.id, other.id]
    scores = [model.data(model.index(r, 0), Role.Candidate).score for r in range(2)]
    assert scores == sorted(scores, reverse=True)
    assert model.data(model.index(1, model.column_of("archived"))) == "Archived"
    assert model.data(model.index(0, model.column_of("name_score"))) == "100 %"
    assert "2 possible matches" in dialog.status.text()
    qtmodeltester.check(model)

    assert dialog.open_button.isEnabled() and dialog.focusWidget() is dialog.table
    dialog.table.selectRow(1)
    dialog.open_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.chosen_customer_id == other.id

    again = open_form(qtbot, FindMatchDialog(store, name="Aroha Kowhai", zip_code="6011", address1="12 Kauri St"))
    assert again.model.rowCount() == 2  # searched at once
    rect = again.table.visualRect(again.model.index(0, 4))
    qtbot.mouseClick(again.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(again.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert again.chosen_customer_id == best.id

    none = open_form(qtbot, FindMatchDialog(store, name="Nobody", zip_code="0000", address1="1 Nowhere Lane"))
    assert none.model.rowCount() == 0 and "No customer matches" in none.status.text()
    assert not none.open_button.isEnabled()


def test_match_table_model_passes_the_model_tester(qtmodeltester) -> None:
    model = MatchTableModel()
    qtmodeltester.check(model)
    model.set_candidates([
        MatchCandidate(i, f"Customer {i}", None, None, i, "1 Main St", None, "6011", i % 2 == 0,
                       90.0 + i, 95.0, 100.0, 95.0 + i / 10)
        for i in range(1, 6)
    ])
    qtmodeltester.check(model)
    assert model.candidate(4).customer_id == 5 and model.candidate(5) is None


def test_country_combo_understands_names_codes_and_search(qtbot) -> None:
    combo = CountryCombo()
    qtbot.addWidget(combo)
    assert combo.itemText(0) == "" and combo.code() == (None, None)
    for typed, code in (("New Zealand (NZ)", "NZ"), ("new zealand", "NZ"), ("nz", "NZ"), ("Taiwan", "TW"),
                        ("DEU", "DE")):
        combo.setEditText(typed)
        assert combo.code() == (code, None), typed
    combo.setEditText("Atlantis")
    assert combo.code()[0] is None and combo.code()[1] == CountryCombo.NOT_LISTED
    combo.set_code("fr")
    assert combo.currentText() == "France (FR)"

    # Type-to-search: any part of the name; the popup offers the matches, Enter takes one.
    combo.show()
    combo.setEditText("")
    qtbot.keyClicks(combo.lineEdit(), "zeal")
    popup = combo.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    assert combo.completer().currentCompletion() == "New Zealand (NZ)"
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert combo.code() == ("NZ", None)


def test_validation_error_from_the_service_lands_on_its_fields(qtbot, store: Database,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise ValidationError([FieldError("zip", "is not a zip we deliver to"),
                               FieldError("default_sales_rep_id", "refers to sales rep 4, which does not exist")])

    monkeypatch.setattr(customer_form, "create_customer", refuse)
    form = open_form(qtbot, CustomerForm.for_create(store))
    type_into(qtbot, form, {"name": "Aroha", "zip": "6011"})
    press_ok(qtbot, form)
    assert form.error_text("zip") == "Zip is not a zip we deliver to"
    assert form.error_text("default_sales_rep_id") == "Sales rep refers to sales rep 4, which does not exist"
    assert form.result() == 0


def test_every_feature_error_gets_a_title_of_its_own() -> None:
    from desktop.importing.commit import ImportConflict, UndoRefused
    from desktop.importing.reading import UnreadableFile
    from desktop.services.nominal_codes import NominalCodeInUse

    assert messages.explain(UnreadableFile("x.csv is empty."))[0] == "Cannot read the file"
    assert messages.explain(ImportConflict("Customer 3 was changed since the preview."))[0] == "Changed since the preview"
    assert messages.explain(UndoRefused(4, "it was already undone"))[0] == "Cannot undo the import"
    assert NominalCodeInUse in [kind for kind, _title in messages._TITLES]
    generic = [title for kind, title in messages._TITLES if kind is messages.DomainError]
    assert generic == ["Cannot do that"] and messages._TITLES[-2][1] == "Cannot do that"  # the generic one is last


def test_the_address_lines_say_what_the_country_calls_them(qtbot, store: Database) -> None:
    form = open_form(qtbot, CustomerForm.for_create(store))

    def caption(key: str) -> str:
        field = form.fields[key]
        return field.layout.labelForField(field.widget).text()

    form.fields["country_code"].widget.set_code("NZ")
    assert (caption("address1"), caption("address2"), caption("city")) == (
        "Address &1 — Street", "Address &2 — Suburb", "C&ity")
    form.fields["country_code"].widget.set_code("AU")
    assert (caption("address2"), caption("city"), caption("province")) == (
        "Address &2 — Unit or building", "C&ity — Suburb", "Pro&vince — State")
    assert form.fields["city"].label == "City"  # messages still name the field itself



@both
def test_create_sets_the_sales_rep_and_default_settings_in_one_dialog(qtbot, store: Database) -> None:
    with store.transaction() as s:
        rep, tier = f.sales_rep(s, "Mere Tuhoe").id, f.pricing_tier(s, "Wholesale").id
        method = f.shipping_method(s, "Overnight").id
    form = open_form(qtbot, CustomerForm.for_create(store))
    type_into(qtbot, form, {"name": "Kiri Moss", "address1": "4 Harbour View", "city": "Napier", "zip": "4110"})
    form.fields["default_sales_rep_id"].set(rep)
    form.fields["product_pricing_tier_id"].set(tier)
    form.fields["shipping_method_domestic_id"].set(method)
    press_ok(qtbot, form)
    assert form.customer is not None
    with store.read() as s:
        row = s.get(m.Customer, form.customer.id)
        assert (row.default_sales_rep_id, row.product_pricing_tier_id, row.shipping_method_domestic_id) == (
            rep, tier, method)


@both
def test_find_match_from_a_name_and_an_email_or_a_town(qtbot, qtmodeltester, store: Database) -> None:
    aroha = create(store, {"name": "Aroha Kowhai", "email": "aroha@kowhai.example", "address1": "12 Kauri Street",
                           "city": "Wellington", "zip": "6011", "phone": "+64 4 555 0101"})
    create(store, {"name": "Aroha Smith", "email": "smith@else.example", "city": "Napier", "zip": "4110"})
    dialog = open_form(qtbot, FindMatchDialog(store))
    qtbot.keyClicks(dialog.email_edit, "AROHA@kowhai.example")  # the email alone is enough
    assert dialog.find_button.isEnabled()
    qtbot.keyClick(dialog.email_edit, Qt.Key.Key_Return)
    model = dialog.model
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    assert model.data(model.index(0, model.column_of("customer_id")), Role.CustomerId) == aroha.id
    assert model.data(model.index(0, model.column_of("evidence"))) == "email 100 %"
    dialog.email_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "aroha")
    qtbot.keyClicks(dialog.city_edit, "wellington")
    qtbot.keyClick(dialog.city_edit, Qt.Key.Key_Return)
    assert model.data(model.index(0, model.column_of("customer_id")), Role.CustomerId) == aroha.id
    assert "city 100 %" in model.data(model.index(0, model.column_of("evidence")))
    dialog.name_edit.clear()
    dialog.city_edit.clear()
    qtbot.keyClicks(dialog.phone_edit, "04 555 0101")  # the same number without the country prefix
    qtbot.keyClick(dialog.phone_edit, Qt.Key.Key_Return)
    assert model.rowCount() == 1 and "phone 100 %" in model.data(model.index(0, model.column_of("evidence")))


def test_every_find_match_label_has_its_own_alt_key(qtbot, store: Database) -> None:
    from PySide6.QtWidgets import QLabel, QPushButton

    dialog = open_form(qtbot, FindMatchDialog(store))
    texts = [w.text() for w in dialog.findChildren(QLabel) if w.buddy() is not None]
    texts += [b.text() for b in dialog.findChildren(QPushButton) if "&" in b.text()]
    keys = [t.replace("&&", "")[t.replace("&&", "").index("&") + 1].lower() for t in texts]
    assert len(texts) >= 9 and len(keys) == len(set(keys)), texts


def test_the_address_is_laid_out_and_previewed_as_its_country_writes_it(qtbot, store: Database) -> None:
    customer = create(store, {"name": "Kiri Moss", "address1": "4 Harbour View", "city": "Napier"})
    form = open_form(qtbot, AddressForm.for_add(store, customer.id))
    preview = form.findChild(QLabel, "address_preview")
    form.fields.set_values({"address1": "12 Lindenweg", "city": "Musterstadt", "zip": "10115"})
    form.fields["country_code"].widget.set_code("DE")

    def top_down(*keys: str) -> bool:
        y = [form.fields[k].widget.mapTo(form, QPoint(0, 0)).y() for k in keys]
        return y == sorted(y) and len(set(y)) == len(y)
    qtbot.waitUntil(lambda: top_down("address1", "zip", "city"), timeout=2000)  # postcode before the town
    assert preview.isVisible() and preview.text().split("\n")[-3:] == ["12 Lindenweg", "10115 MUSTERSTADT", "GERMANY"]
    form.fields["country_code"].widget.set_code("NZ")
    form.fields.set_values({"address2": "Ahuriri", "zip": "4110", "city": "Napier"})
    assert preview.text().split("\n")[-4:] == ["12 Lindenweg", "Ahuriri", "NAPIER 4110", "NEW ZEALAND"]
    qtbot.waitUntil(lambda: top_down("address1", "address2", "city", "zip"), timeout=2000)
    for key in LINE_KEYS:
        form.fields[key].widget.setText("")
    assert not preview.isVisible()  # nothing to lay out


# --- the Tab chain of each form -----------------------------------------------------------------------


def tab_chain(qtbot, start: QWidget, limit: int = 80) -> list[QWidget]:  # type: ignore[no-untyped-def]
    """The widgets Tab visits from `start` until it comes back to it (or `limit` presses)."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(start.hasFocus, timeout=2000)
    seen = [start]
    for _ in range(limit):
        current = QApplication.focusWidget()
        assert current is not None
        qtbot.keyClick(current, Qt.Key.Key_Tab)
        now = QApplication.focusWidget()
        if now is start:
            return seen
        seen.append(now)
    raise AssertionError(f"Tab did not come back to the first input: {[type(w).__name__ for w in seen]}")


def _owner(form: Any, widget: QWidget) -> str | None:
    for key, field_ in form.fields.fields.items():
        if field_.widget is widget or field_.widget.isAncestorOf(widget):
            return key
    return None


@pytest.mark.parametrize("which", ["create", "address", "create DE", "address JP"])
def test_tab_walks_every_input_of_a_form_once_in_reading_order(qtbot, store: Database, which: str) -> None:
    """Tab visits each input once, from the first to the last as they are laid out (top to bottom, then
    the next column), and never gets stuck in one (Notes takes Tab as a move, not a tab character);
    every label's mnemonic is its own. Also once a country has put the address lines in its own order."""
    kind, _, country = which.partition(" ")
    if kind == "create":
        form = open_form(qtbot, CustomerForm.for_create(store))
    else:
        customer = create(store, {"name": "Kiri Moss", "address1": "4 Harbour View", "city": "Napier"})
        form = open_form(qtbot, AddressForm.for_add(store, customer.id))
    if country:
        form.fields["country_code"].widget.set_code(country)
        lines = list(line_order(country))
        assert lines != list(LINE_KEYS)

        def in_order() -> bool:  # laid out as the country writes them
            tops = [form.fields[k].widget.mapTo(form, QPoint(0, 0)).y() for k in lines]
            return tops == sorted(tops)
        qtbot.waitUntil(in_order, timeout=2000)
    first = next(f.widget for f in form.fields.fields.values() if f.widget.isVisible() and f.widget.isEnabled())
    chain = tab_chain(qtbot, first)
    keys = [k for k in (_owner(form, w) for w in chain) if k is not None]
    shown = {k: f.widget for k, f in form.fields.fields.items() if f.widget.isVisible() and f.widget.isEnabled()}

    def place(widget: QWidget) -> tuple[int, int]:  # (its column's left edge, its top)
        column = widget
        while column.parentWidget() is not None and not isinstance(column, QGroupBox):
            column = column.parentWidget()
        return column.mapTo(form, QPoint(0, 0)).x(), widget.mapTo(form, QPoint(0, 0)).y()

    expected = sorted(shown, key=lambda k: place(shown[k]))
    assert keys == expected  # each once, in the order they are laid out: down a column, then the next
    assert all(w.isVisible() and w.isEnabled() for w in chain)
    # The buttons are on the way too (OK is reachable without the mouse).
    assert form.ok_button in chain or not form.ok_button.isEnabled()
    mnemonics = [f.label.lower().split("&")[1][0] for f in form.fields.fields.values()
                 if "&" in f.label and f.widget.isVisible()]
    assert len(mnemonics) == len(set(mnemonics)), mnemonics
