"""The detail pane: Details, Addresses (add, duplicate, defaults, delete) and History of one customer.

The address form is driven for real: its `exec` is monkeypatched to show it, type and press OK.
Confirmations and refusals are answered through `messages.ask` / `messages.show_error`.
"""

from __future__ import annotations

from collections.abc import Callable
import threading
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop.services import addresses as addr
from desktop.services import customers as cs
from desktop.services.errors import DefaultAddressInUse
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.forms import CountryCombo
from desktop.ui.customers.address_form import AddressForm
from desktop.ui.customers.detail_pane import CustomerDetailPane
from desktop.ui.customers.pane_models import (
    AddressTableModel,
    HistoryEntry,
    HistoryModel,
    HistoryRole,
    Role,
    describe_action,
    describe_changes,
)
from tests import factories as f
from tests.factories import get

both = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

AROHA: dict[str, Any] = dict(
    name="Aroha Kowhai", company="Kowhai Traders Ltd", email="aroha@example.com", phone="+64 9 555 0101",
    address1="12 Kauri Street", city="Wellington", zip="6011", country_code="NZ",
)


@pytest.fixture
def aroha(store: Database) -> cs.CustomerDetail:
    with store.transaction() as s:
        return cs.create_customer(s, AROHA)


@pytest.fixture
def pane(qtbot, store: Database) -> CustomerDetailPane:  # type: ignore[no-untyped-def]
    widget = CustomerDetailPane(store)
    qtbot.addWidget(widget)
    widget.resize(480, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Confirmations (answered yes) and errors shown, in order."""
    seen: dict[str, list[Any]] = {"asked": [], "errors": []}

    def ask(_parent: Any, title: str, text: str, _ok: str, **_kwargs: Any) -> bool:
        seen["asked"].append(f"{title}: {text}")
        return True

    monkeypatch.setattr(messages, "ask", ask)
    monkeypatch.setattr(messages, "show_error", lambda _parent, exc: seen["errors"].append(exc))
    return seen


def answer_address_form(monkeypatch: pytest.MonkeyPatch, qtbot, fill: Callable[[AddressForm], None]) -> list[AddressForm]:  # type: ignore[no-untyped-def]
    forms: list[AddressForm] = []

    def fake_exec(form: AddressForm) -> int:
        forms.append(form)
        form.show()
        qtbot.waitExposed(form)
        fill(form)
        return form.result()

    monkeypatch.setattr(AddressForm, "exec", fake_exec)
    return forms


def type_address(qtbot, form: AddressForm, values: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    for key, text in values.items():
        widget = form.fields[key].widget
        if isinstance(widget, CountryCombo):
            widget.setCurrentIndex(widget.findData(text))
        else:
            widget.clear()
            qtbot.keyClicks(widget, text)
    qtbot.waitUntil(form.ok_button.isEnabled, timeout=3000)
    form.ok_button.click()


def show(qtbot, pane: CustomerDetailPane, customer_id: int | None) -> None:  # type: ignore[no-untyped-def]
    """Ask the pane for a customer and wait until it shows it (it is read off the GUI thread)."""
    with qtbot.waitSignal(pane.shown, timeout=10_000):
        pane.show_customer(customer_id)
    assert pane.loading is None


def address_rows(pane: CustomerDetailPane) -> list[tuple[str, str]]:
    model = pane.address_model
    return [(model.data(model.index(r, 0)), model.data(model.index(r, 2)).split("\n")[0])
            for r in range(model.rowCount())]


# --- models ----------------------------------------------------------------------------------------


def test_address_and_history_models_pass_the_model_tester(qtmodeltester, store, aroha) -> None:
    with store.transaction() as s:
        addr.add_address(s, aroha.id, {"label": "Depot", "address1": "7 Rimu Road", "address2": "Unit 4",
                                       "city": "Napier", "zip": "4110", "country_code": "NZ"})
        cs.update_customer(s, aroha.id, {"phone": "+64 9 555 0199", "notes": "Two\nlines"})
    customer = get(store, aroha.id)

    addresses = AddressTableModel()
    qtmodeltester.check(addresses)
    addresses.set_addresses(customer.addresses)
    qtmodeltester.check(addresses)
    assert addresses.rowCount() == 2 and addresses.columnCount() == 3
    assert addresses.data(addresses.index(0, 0)) == "Shipping + Billing"
    assert addresses.data(addresses.index(0, 0), Qt.ItemDataRole.FontRole).bold()
    assert addresses.data(addresses.index(1, 0)) == ""
    assert addresses.data(addresses.index(1, 1)) == "Depot"
    assert addresses.data(addresses.index(1, 2)) == "7 Rimu Road, Unit 4\nNapier 4110, NZ"
    assert addresses.data(addresses.index(1, 2), Role.Address).id == customer.addresses[1].id
    assert addresses.row_of(customer.addresses[1].id) == 1

    from desktop.ui.customers.pane_models import load_history

    with store.read() as s:
        entries = load_history(s, customer)
    history = HistoryModel()
    qtmodeltester.check(history)
    history.set_entries(entries)
    qtmodeltester.check(history)
    assert [history.headerData(c, Qt.Orientation.Horizontal) for c in range(2)] == ["When", "Change"]
    whats = [history.data(history.index(r, 0), HistoryRole.What) for r in range(history.rowCount())]
    assert whats == ["Details changed", "Address added", "Customer created", "Address added"]  # newest first
    when = history.data(history.index(0, 0))
    assert when.endswith(f"\n{history.data(history.index(0, 0), HistoryRole.Who)}")
    assert history.data(history.index(0, 1)) == (
        "Details changed\nPhone: +64 9 555 0101 → +64 9 555 0199; Notes: — → Two ⏎ lines")
    assert history.data(history.index(1, 1)).startswith("Address added\nLabel: Depot; Address 1: 7 Rimu Road")
    assert "Customer" not in history.data(history.index(1, 1))  # the customer id says nothing here


def test_describe_changes_reads_like_a_sentence() -> None:
    assert describe_changes({"name": [None, "Aroha"], "email": [None, None], "zip": [None, "6011"]}) == (
        "Name: Aroha; Zip: 6011")
    assert describe_changes({"archived_at": [None, "2024-05-01T10:11:12.123"]}) == "Archived: 2024-05-01 10:11"
    assert describe_changes({"company": ["Old Ltd", None], "name": ["Mere", None]}) == (
        "Company was Old Ltd; Name was Mere")
    assert describe_changes({"shipping.city": ["Wellington", "Porirua"]}) == (
        "Shipping address city: Wellington → Porirua")
    assert describe_changes({"default_billing_address_id": [3, 7]}, {7: "PO Box 77, Dunedin"}) == (
        "Default billing address: address 3 (since deleted) → PO Box 77, Dunedin")
    entry = HistoryEntry(1, m.utcnow(), "clerk", "customer", 5, "archive", {"archived_at": [None, "2024-05-01T10:11:12"]})
    model = HistoryModel()
    model.set_entries([entry])
    assert model.data(model.index(0, 0), HistoryRole.Who) == "clerk"
    assert model.data(model.index(0, 1)) == "Archived\nArchived: 2024-05-01 10:11"
    assert describe_action("customer", "set_default_billing") == "Default billing address changed"
    assert describe_action("nominal_code", "retire") == "Nominal_code retire"


# --- details -----------------------------------------------------------------------------------------


def test_details_show_every_field_and_defaults(qtbot, pane, store, aroha) -> None:
    with store.transaction() as s:
        rep = f.sales_rep(s, "Mere Tuhoe").id
        tier = f.pricing_tier(s, "Wholesale").id
        shop = f.store(s, "Ponsonby shop").id
        house = f.warehouse(s, "Auckland DC").id
        courier = f.shipping_method(s, "NZ Post Courier").id
        abroad = f.shipping_method(s, "DHL Express", is_international=True).id
        billing = addr.add_address(s, aroha.id, {"label": "Accounts", "address1": "PO Box 77", "city": "Dunedin",
                                                 "zip": "9016", "country_code": "NZ", "is_default_billing": True})
        cs.update_customer(s, aroha.id, {
            "default_sales_rep_id": rep, "product_pricing_tier_id": tier, "store_id": shop, "warehouse_id": house,
            "shipping_method_domestic_id": courier, "shipping_method_international_id": abroad,
            "fax": "+64 9 555 0102", "notes": "Prefers email.",
        })
        cs.archive_customer(s, aroha.id)
    show(qtbot, pane, aroha.id)
    assert pane.details_stack.currentIndex() == 1 and pane.isTabEnabled(1) and pane.isTabEnabled(2)
    assert pane.title.text().startswith("Aroha Kowhai") and "Archived" in pane.title.text()
    values = {key: pane.value(key) for key in pane.labels}
    assert values == {
        "company": "Kowhai Traders Ltd", "email": "aroha@example.com", "phone": "+64 9 555 0101",
        "fax": "+64 9 555 0102", "shipping": "12 Kauri Street\nWellington 6011\nNew Zealand",
        "billing": "PO Box 77\nDunedin 9016\nNew Zealand\n(Accounts)", "sales_rep": "Mere Tuhoe",
        "pricing_tier": "Wholesale", "store": "Ponsonby shop", "warehouse": "Auckland DC",
        "ship_domestic": "NZ Post Courier", "ship_international": "DHL Express", "notes": "Prefers email.",
        "id": str(aroha.id), "created": values["created"], "updated": values["updated"],
    }
    assert billing.is_default_billing
    assert address_rows(pane) == [("Shipping", "12 Kauri Street"), ("Billing", "PO Box 77")]

    with store.transaction() as s:
        cs.delete_customer(s, aroha.id)
    show(qtbot, pane, aroha.id)  # gone meanwhile: nothing to show, no error
    assert pane.customer is None and pane.details_stack.currentIndex() == 0 and not pane.isTabEnabled(1)


def test_empty_values_show_a_dash_and_names_are_not_markup(qtbot, pane, store) -> None:
    with store.transaction() as s:
        bare = cs.create_customer(s, {"name": "<b>Tom</b> & Co"})
    show(qtbot, pane, bare.id)
    assert pane.labels["email"].text() == "—" and pane.value("email") == ""
    assert "&lt;b&gt;Tom&lt;/b&gt; &amp; Co" in pane.title.text()
    assert pane.address_model.rowCount() == 0 and pane.value("shipping") == ""


# --- address actions ---------------------------------------------------------------------------------


@both
def test_add_address_then_the_same_again_is_a_duplicate(qtbot, pane, store, aroha, monkeypatch) -> None:
    changed: list[int] = []
    pane.changed.connect(changed.append)
    show(qtbot, pane, aroha.id)
    pane.setCurrentIndex(1)
    values = {"label": "Depot", "address1": "7 Rimu Road", "city": "Napier", "zip": "4110", "country_code": "NZ"}
    answer_address_form(monkeypatch, qtbot, lambda form: type_address(qtbot, form, values))
    pane.address_buttons["add"].click()
    assert address_rows(pane) == [("Shipping + Billing", "12 Kauri Street"), ("", "7 Rimu Road")]
    assert changed == [aroha.id]
    added = pane.address_model.address(1)
    assert pane._selected_address().id == added.id  # the new address is selected

    def again(form: AddressForm) -> None:
        type_address(qtbot, form, {"address1": "7 RIMU RD", "city": "napier", "zip": "4110", "country_code": "NZ"})
        assert form.was_duplicate and "This address already exists (labelled Depot)" in form.banner.text()
        form.ok_button.click()  # Close

    forms = answer_address_form(monkeypatch, qtbot, again)
    focus_view(qtbot, pane)
    qtbot.keyClick(pane.address_view, Qt.Key.Key_Insert)  # Ins adds, like the button
    assert len(forms) == 1
    assert len(get(store, aroha.id).addresses) == 2 and pane.address_model.rowCount() == 2
    assert pane._selected_address().id == added.id  # the existing one is shown


def focus_view(qtbot, pane: CustomerDetailPane) -> None:  # type: ignore[no-untyped-def]
    pane.activateWindow()
    qtbot.waitUntil(pane.isActiveWindow)
    pane.address_view.setFocus()
    qtbot.waitUntil(pane.address_view.hasFocus)


def test_edit_address_with_enter(qtbot, pane, store, aroha, monkeypatch) -> None:
    show(qtbot, pane, aroha.id)
    pane.setCurrentIndex(1)
    pane.address_view.selectRow(0)
    forms = answer_address_form(monkeypatch, qtbot, lambda form: type_address(qtbot, form, {"city": "Porirua"}))
    focus_view(qtbot, pane)
    qtbot.keyClick(pane.address_view, Qt.Key.Key_Return)
    assert len(forms) == 1 and forms[0].windowTitle() == "Edit address of Aroha Kowhai"
    assert get(store, aroha.id).default_shipping_address.city == "Porirua"
    assert pane.value("shipping").startswith("12 Kauri Street\nPorirua")


@both
def test_set_defaults_and_delete_rules(qtbot, pane, store, aroha, answers) -> None:
    with store.transaction() as s:
        depot = addr.add_address(s, aroha.id, {"address1": "7 Rimu Road", "zip": "4110"})
    show(qtbot, pane, aroha.id)
    pane.setCurrentIndex(1)
    menu_texts = [a.text() for a in pane.address_menu().actions() if not a.isSeparator()]
    assert menu_texts == ["Add address…", "Edit address…", "Delete address…", "Make default shipping address",
                          "Make default billing address"]

    # The default address: neither default can be made again, and deleting it is refused with the reason.
    pane.address_view.selectRow(0)
    assert not pane.address_actions["shipping"].isEnabled() and not pane.address_actions["billing"].isEnabled()
    assert not pane.address_buttons["default"].isEnabled()
    pane.address_buttons["delete"].click()
    assert answers["asked"][-1].startswith("Delete address: Delete the address 12 Kauri Street")
    assert [type(e) for e in answers["errors"]] == [DefaultAddressInUse]
    assert "make another address the default first" in str(answers["errors"][0])
    assert len(get(store, aroha.id).addresses) == 2

    pane.address_view.selectRow(1)
    assert pane.address_buttons["default"].isEnabled()
    pane.address_actions["billing"].trigger()
    assert address_rows(pane) == [("Shipping", "12 Kauri Street"), ("Billing", "7 Rimu Road")]
    assert get(store, aroha.id).default_billing_address_id == depot.id
    pane.address_actions["shipping"].trigger()
    assert address_rows(pane) == [("", "12 Kauri Street"), ("Shipping + Billing", "7 Rimu Road")]
    assert pane.value("billing") == "Same as shipping"

    # The old one is no longer a default: it can go.
    pane.address_view.selectRow(0)
    pane.address_buttons["delete"].click()
    assert len(answers["errors"]) == 1
    assert address_rows(pane) == [("Shipping + Billing", "7 Rimu Road")]
    assert [a.id for a in get(store, aroha.id).addresses] == [depot.id]
    history = pane.history_model
    assert history.data(history.index(0, 1)) == (
        "Default shipping address changed\n"
        f"Default shipping address: address {aroha.default_shipping_address_id} (since deleted) → 7 Rimu Road, 4110")


def test_delete_address_answered_no_keeps_it(qtbot, pane, store, aroha, monkeypatch) -> None:
    with store.transaction() as s:
        addr.add_address(s, aroha.id, {"address1": "7 Rimu Road", "zip": "4110"})
    monkeypatch.setattr(messages, "ask", lambda *a, **k: False)
    show(qtbot, pane, aroha.id)
    pane.address_view.selectRow(1)
    pane.delete_address()
    assert len(get(store, aroha.id).addresses) == 2 and pane.address_model.rowCount() == 2


# --- reading off the GUI thread ------------------------------------------------------------------


def test_the_pane_reads_off_the_gui_thread_and_shows_only_the_last_customer_asked_for(
        qtbot, pane, store, aroha, monkeypatch) -> None:
    from desktop.ui.customers import detail_pane

    with store.transaction() as s:
        tane = cs.create_customer(s, {"name": "Tane Mahuta"}).id
        mere = cs.create_customer(s, {"name": "Mere Tui"}).id
    show(qtbot, pane, aroha.id)
    pane.select_address(pane.address_model.address(0).id)
    assert pane.address_actions["edit"].isEnabled()
    release = threading.Event()
    read: list[tuple[int, bool]] = []
    real = detail_pane.read_customer

    def held(db: Database, customer_id: int) -> Any:
        read.append((customer_id, threading.current_thread() is threading.main_thread()))
        release.wait(10)
        return real(db, customer_id)

    monkeypatch.setattr(detail_pane, "read_customer", held)
    pane.show_customer(tane)
    qtbot.waitUntil(lambda: len(read) == 1)
    # While Tane is read the pane still shows Aroha, but nothing may act on her any more.
    assert pane.loading == tane and pane.customer is None and pane.title.text().startswith("Aroha Kowhai")
    assert not any(pane.address_actions[key].isEnabled() for key in ("add", "edit", "delete"))
    pane.show_customer(mere)  # a clerk's arrow keys: these wait; only the last is read
    pane.show_customer(aroha.id)
    with qtbot.waitSignal(pane.shown, timeout=10_000):
        release.set()
    assert read == [(tane, False), (aroha.id, False)]  # off the GUI thread; Mere was never read
    assert pane.loading is None and pane.customer is not None and pane.customer.id == aroha.id
    assert pane.title.text().startswith("Aroha Kowhai") and pane.address_actions["add"].isEnabled()


def test_a_customer_that_cannot_be_read_says_so_in_one_line(qtbot, pane, store, aroha, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    from desktop.ui.customers import detail_pane

    def broken(_session: Any, _customer_id: int) -> Any:
        raise OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(detail_pane, "get_customer", broken)
    show(qtbot, pane, aroha.id)
    assert pane.customer is None and pane.details_stack.currentIndex() == 0
    assert pane.placeholder.text() == ("This customer could not be read. The connection to the store was lost; "
                                       "nothing was changed. Check the network and try again.")

    def failing(_session: Any, _customer_id: int) -> Any:
        raise ValueError("a fault of our own")

    monkeypatch.setattr(detail_pane, "get_customer", failing)
    show(qtbot, pane, aroha.id)
    text = pane.placeholder.text()
    assert text.startswith("This customer could not be read. Something went wrong")
    assert "fault of our own" not in text and "log file" in text
