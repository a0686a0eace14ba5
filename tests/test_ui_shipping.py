"""Shipping in the workspace against the fake Starshipit: the queue section, Submit all pending on a pool
thread (progress "n of m", Cancel after the current request, the window responsive meanwhile), Retry
failed, the order view, the customer's Shipping tab, and Settings → Starshipit with the keys in the keyring
(an in-memory back-end here). Background work is awaited with qtbot signals, never a sleep."""

from __future__ import annotations

import time
from collections import Counter

import keyring
import pytest
from PySide6.QtCore import Qt, QTimer

from desktop.starshipit import credentials
from desktop.store import models as m
from desktop.store.engine import Database
from desktop.ui.common import messages
from desktop.ui.common.settings import (
    SHIPPING_QUEUE_STATE,
    STARSHIPIT_BASE_URL,
    STARSHIPIT_RATE,
    STARSHIPIT_SYNC_MINUTES,
    Settings,
)
from desktop.ui.common.views import select_row
from desktop.ui.common.workers import Workers
from desktop.ui.main_window import MainWindow
from desktop.ui.shipping.shipping import (
    CustomerShippingTab,
    ShippingActions,
    ShippingQueueSection,
    StarshipitOrderDialog,
)
from desktop.ui.shipping.starshipit_settings import StarshipitSettingsDialog
from tests import factories as fx
from tests.fake_starshipit import API_KEY, SUBSCRIPTION_KEY, FakeStarshipit
from tests.test_starshipit_cli import MemoryKeyring
from tests.ui_fixtures import settled

both = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def fake():
    server = FakeStarshipit().start()
    yield server
    server.stop()


@pytest.fixture
def ring():
    before = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(before)


@pytest.fixture
def keys(monkeypatch, ring):
    monkeypatch.setenv("STARSHIPIT_API_KEY", API_KEY)
    monkeypatch.setenv("STARSHIPIT_SUBSCRIPTION_KEY", SUBSCRIPTION_KEY)


@pytest.fixture
def workers():
    w = Workers()
    yield w
    w.wait(20_000)


def settings_for(fake: FakeStarshipit, rate: float = 50.0) -> Settings:
    return Settings({STARSHIPIT_BASE_URL.key: fake.url, STARSHIPIT_RATE.key: rate})


@pytest.fixture
def section(qtbot, store: Database, fake, keys, workers):
    def make(rate: float = 50.0) -> ShippingQueueSection:
        settings = settings_for(fake, rate)
        actions = ShippingActions(store, settings, workers)
        widget = ShippingQueueSection(store, settings, actions)
        qtbot.addWidget(actions)
        qtbot.addWidget(widget)
        widget.resize(1100, 500)
        widget.show()
        return widget
    return make


def make(db: Database, n: int, **ship) -> list[int]:
    with db.transaction() as s:
        method = fx.shipping_method(s, "Courier")
        return [fx.shippable_fulfillment(s, method=method, **ship).id for _ in range(n)]


def states(db: Database) -> Counter[str]:
    with db.read() as s:
        return Counter(s.scalars(m.SalesOrderFulfillment.__table__.select().with_only_columns(
            m.SalesOrderFulfillment.status)))


def test_the_queue_lists_every_state_with_the_last_error(section, store, qtmodeltester):
    make(store, 2)
    make(store, 1, ship_zip=None)
    with store.transaction() as s:
        fx.shippable_fulfillment(s, status="shipped")
    widget = section()
    qtmodeltester.check(widget.model)
    assert widget.model.rowCount() == 4
    assert "Pending: 3" in widget.counts.text() and "Shipped: 1" in widget.counts.text()
    assert widget.submit_button.isEnabled() and not widget.retry_button.isEnabled()


@both
def test_the_queue_searches_sorts_and_counts_in_the_store(qtbot, section, store, qtmodeltester):
    with store.transaction() as s:
        method = fx.shipping_method(s, "Courier")
        kowhai = fx.customer(s, name="Kōwhai Gardens").id
        totara = fx.customer(s, name="Tōtara Timber").id
        for _ in range(3):
            fx.shippable_fulfillment(s, kowhai, method=method)
        fx.shippable_fulfillment(s, totara, method=method, status="shipped")
    widget = section()
    assert widget.model.rowCount() == 4 and widget.empty_label.isHidden()

    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert widget.search.hasFocus()
    widget.search.setText("KŌWHAI")  # any case, outside ASCII too (QTest types ASCII only)
    qtbot.waitUntil(lambda: widget.model.rowCount() == 3)
    qtmodeltester.check(widget.model)
    assert {widget.model.row(r).customer_name for r in range(3)} == {"Kōwhai Gardens"}
    assert widget.counts.text().startswith("3 fulfilments") and "Pending: 3" in widget.counts.text()
    assert "Shipped: 0" in widget.counts.text()

    widget.search.setText("nobody by this name")
    qtbot.keyClick(widget.search, Qt.Key.Key_Return)
    assert widget.model.rowCount() == 0 and widget.empty_label.isVisible()
    assert "No fulfilment matches “nobody by this name”" in widget.empty_label.text()
    widget.empty_label.linkActivated.emit("clear")  # the label's Clear search link
    assert widget.search.text() == "" and widget.model.rowCount() == 4

    customer = widget.model.columns.index("Customer")
    widget.table.sortByColumn(customer, Qt.SortOrder.AscendingOrder)
    names = [widget.model.row(r).customer_name for r in range(4)]
    assert names == ["Kōwhai Gardens"] * 3 + ["Tōtara Timber"]
    widget.table.sortByColumn(customer, Qt.SortOrder.DescendingOrder)
    assert widget.model.row(0).customer_name == "Tōtara Timber"
    numbers = widget.model.columns.index("Fulfilment")
    widget.table.sortByColumn(numbers, Qt.SortOrder.AscendingOrder)
    shown = [widget.model.row(r).fulfillment_number for r in range(4)]
    assert shown == sorted(shown)


def test_an_empty_queue_says_how_fulfilments_get_there(section):
    widget = section()
    assert widget.model.rowCount() == 0 and widget.empty_label.isVisible()
    assert "Fulfil" in widget.empty_label.text()


@both
def test_submit_all_pending_runs_in_the_background_with_progress(qtbot, section, store, fake):
    make(store, 8)
    widget = section(rate=20.0)
    seen: list[str] = []
    ticks: list[float] = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    widget.actions.runProgress.connect(lambda d, t: seen.append(widget.progress_text()))
    timer.start()
    started = time.monotonic()
    with qtbot.waitSignal(widget.actions.runEnded, timeout=30_000) as ended:
        widget.submit_button.click()
        assert widget.cancel_button.isVisible() and not widget.submit_button.isEnabled()
    timer.stop()
    elapsed = time.monotonic() - started
    result = ended.args[0]
    assert result.all_submitted and result.total == 8
    assert "8 of 8" in seen[-1] and any(t.endswith("of 8") and not t.startswith("8") for t in seen)
    assert widget.result_label.text() == "8 of 8 submitted"
    assert states(store) == Counter({"submitted": 8})
    assert not widget.progress.isVisible() and not widget.submit_button.isEnabled()
    # 9 requests at 20/s take at least 0.4 s; the GUI thread kept turning its event loop all the while
    # (a 10 ms timer never waited half a second).
    assert elapsed >= 0.35 and len(ticks) >= elapsed / 0.1
    assert max(b - a for a, b in zip(ticks, ticks[1:])) < 0.5


def test_cancel_stops_after_the_current_request(qtbot, section, store, fake):
    make(store, 12)
    widget = section(rate=8.0)
    with qtbot.waitSignal(widget.actions.runEnded, timeout=30_000) as ended:
        widget.submit_button.click()
        qtbot.waitUntil(lambda: len(fake.requests) >= 3, timeout=10_000)
        widget.cancel_button.click()
        sent_at_cancel = len(fake.requests)
        assert widget.progress_label.text() == "Cancelling after the current request…"
    result = ended.args[0]
    assert result.cancelled and "(cancelled)" in widget.result_label.text()
    assert len(fake.requests) <= sent_at_cancel + 1
    # The lookups that found nothing created nothing; no order is half-done.
    assert fake.created_numbers == [] and states(store) == Counter({"pending": 12})
    # the run's thread is done too (its end reaches the window a moment after the result)
    qtbot.waitUntil(widget.submit_button.isEnabled, timeout=10_000)


def test_failures_show_their_reason_and_can_be_retried(qtbot, section, store, fake):
    (bad,) = make(store, 1, ship_zip=None)
    make(store, 1)
    widget = section()
    with qtbot.waitSignal(widget.actions.runEnded, timeout=20_000):
        widget.submit_button.click()
    assert "1 of 2 submitted, 1 failed" in widget.result_label.text()
    widget.filter.setCurrentIndex(widget.filter.findData("failed"))
    assert widget.model.rowCount() == 1
    assert widget.model.index(0, 0).data() == "Failed"
    assert "has no post code" in widget.model.index(0, widget.model.columns.index("Last error")).data()
    qtbot.waitUntil(widget.retry_button.isEnabled, timeout=10_000)  # once the run's thread is done too
    with store.transaction() as s:
        s.get(m.SalesOrder, s.get(m.SalesOrderFulfillment, bad).sales_order_id).ship_zip = "1011"
    with qtbot.waitSignal(widget.actions.runEnded, timeout=20_000) as ended:
        widget.retry_button.click()
    assert ended.args[0].all_submitted and ended.args[0].total == 1
    assert widget.model.rowCount() == 0 and not widget.retry_button.isEnabled()
    assert widget.settings.get(SHIPPING_QUEUE_STATE) == "failed"


def test_missing_keys_offer_the_settings(qtbot, store, fake, workers, monkeypatch, ring):
    monkeypatch.delenv("STARSHIPIT_API_KEY", raising=False)
    asked: list[str] = []
    monkeypatch.setattr(messages, "ask", lambda parent, title, text, ok, **kw: asked.append(text) or False)
    actions = ShippingActions(store, settings_for(fake), workers)
    qtbot.addWidget(actions)
    assert actions.submit() is None
    assert "Starshipit keys are not set" in asked[0] and fake.requests == []


def test_the_order_view_dialog(qtbot, section, store, fake, tmp_path):
    (fid,) = make(store, 1)
    widget = section()
    with qtbot.waitSignal(widget.actions.runEnded, timeout=20_000):
        widget.submit_button.click()
    number = widget.model.row(0).fulfillment_number
    fake.ship(fake.by_number[number], tracking_number="NZ4242")
    widget.table.selectRow(0)
    assert widget.view_button.isEnabled()
    widget.view_button.click()
    qtbot.waitUntil(lambda: widget.actions.order_dialog is not None, timeout=10_000)
    dialog: StarshipitOrderDialog = widget.actions.order_dialog
    assert dialog.text("status") == "Shipped" and dialog.text("carrier") == "NZ Post"
    assert 'href="https://tracking.example.test/NZ4242"' in dialog.text("tracking")
    assert dialog.items.rowCount() == 1 and dialog.packages.rowCount() == 1
    assert dialog.items.item(0, 0).text() == "2"
    dialog.grab().save(str(tmp_path / "order.png"))
    qtbot.waitUntil(lambda: widget.model.row(0).state == "shipped", timeout=5_000)
    assert widget.model.row(0).tracking_number == "NZ4242"
    dialog.close()


def test_update_from_the_queue(qtbot, section, store, fake):
    make(store, 1)
    widget = section()
    with qtbot.waitSignal(widget.actions.runEnded, timeout=20_000):
        widget.submit_button.click()
    widget.table.selectRow(0)
    widget.update_button.click()
    qtbot.waitUntil(lambda: "updated from the fulfilment" in widget.result_label.text(), timeout=10_000)
    assert len(fake.requests_to("PUT", "/api/orders")) == 1


def test_the_window_has_the_section_the_tab_and_the_menu(qtbot, store, fake, keys, workers):
    with store.transaction() as s:
        customer = fx.customer(s, "Aroha Kowhai")
        fx.shippable_fulfillment(s, customer.id)
        fx.shippable_fulfillment(s, customer.id)
        cid = customer.id
    window = MainWindow(store, settings_for(fake), workers)
    qtbot.addWidget(window)
    assert list(window.sections).index("Shipping queue") == list(window.sections).index("Nominal codes") + 1
    tabs = [window.customers.detail.tabText(i) for i in range(window.customers.detail.count())]
    assert tabs.index("S&hipping") == tabs.index("Hi&story") - 1
    assert window.actions_by_name["starshipit_settings"].text() == "&Starshipit…"
    window.show()
    qtbot.waitExposed(window)
    tab: CustomerShippingTab = window.parts["shipping"].tab
    window.customers.detail.show_customer(cid)
    settled(qtbot, window)
    assert tab.model.rowCount() == 0  # the tab is not shown: its fulfilments are not read yet
    window.customers.detail.setCurrentWidget(tab)
    assert window.customers.detail.isTabEnabled(window.customers.detail.indexOf(tab)) and tab.model.rowCount() == 2
    assert not tab.empty.isVisible() and not tab.view_button.isEnabled()
    section = window.show_section("Shipping queue")
    assert section.model.rowCount() == 2
    with qtbot.waitSignal(window.parts["shipping"].shipping.runEnded, timeout=20_000):
        section.submit_button.click()
    assert window.statusBar().currentMessage() == "Starshipit: 2 of 2 submitted"
    window.show_section("Customers")  # the tab is read again once it shows
    assert {tab.model.row(i).state for i in range(2)} == {"submitted"}
    tab.table.selectRow(0)
    assert tab.view_button.isEnabled()
    window.close()


def test_settings_keep_the_keys_in_the_keyring_only(qtbot, fake, ring, workers, monkeypatch, caplog):
    monkeypatch.delenv("STARSHIPIT_API_KEY", raising=False)
    store: dict = {}
    settings = Settings(store)
    dialog = StarshipitSettingsDialog(settings, workers)
    qtbot.addWidget(dialog)
    assert dialog.banner.text() == ""
    dialog.api_key.setText(API_KEY)
    dialog.subscription_key.setText(SUBSCRIPTION_KEY)
    dialog.base_url.setText(fake.url)
    dialog.rate.setValue(20)
    dialog.test_button.click()
    # The button is on again once the test has ended (its result shows a moment before).
    qtbot.waitUntil(lambda: dialog.result_label.text().startswith("Connected") and dialog.test_button.isEnabled(),
                    timeout=10_000)
    dialog.subscription_key.setText("wrong")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: "refused the keys" in dialog.result_label.text(), timeout=10_000)
    dialog.subscription_key.setText(SUBSCRIPTION_KEY)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert credentials.load_keys({}).api_key == API_KEY
    assert store == {STARSHIPIT_BASE_URL.key: fake.url, STARSHIPIT_RATE.key: 20.0, STARSHIPIT_SYNC_MINUTES.key: 0}
    assert API_KEY not in caplog.text and SUBSCRIPTION_KEY not in caplog.text
    # Opened again: the keys are not shown, only that they are saved; saving without typing keeps them.
    again = StarshipitSettingsDialog(settings, workers)
    qtbot.addWidget(again)
    assert again.api_key.text() == "" and "saved in the keyring" in again.api_key.placeholderText()
    again.buttons.button(again.buttons.StandardButton.Save).click()
    assert credentials.load_keys({}).subscription_key == SUBSCRIPTION_KEY


def test_settings_without_a_keyring_say_so(qtbot, workers):
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        dialog = StarshipitSettingsDialog(Settings({}), workers)
        qtbot.addWidget(dialog)
        assert "no keyring to keep the Starshipit keys" in dialog.banner.text()
        assert not dialog.api_key.isEnabled() and not dialog.subscription_key.isEnabled()
    finally:
        keyring.set_keyring(before)


def mnemonic(text: str) -> str | None:
    at = text.replace("&&", "").find("&")
    return text.replace("&&", "")[at + 1].lower() if at >= 0 else None


def test_alt_keys_leave_the_menu_bar_and_the_tabs_alone(qtbot, store, fake, keys, workers):
    from PySide6.QtWidgets import QLabel, QPushButton

    window = MainWindow(store, settings_for(fake), workers)
    qtbot.addWidget(window)
    menus = {mnemonic(a.text()) for a in window.menuBar().actions()} - {None}
    page = window.show_section("Shipping queue")
    texts = [w.text() for w in page.findChildren(QPushButton)] + [w.text() for w in page.findChildren(QLabel)]
    mine = [k for k in map(mnemonic, texts) if k]
    assert len(mine) == len(set(mine)) and not menus & set(mine), (menus, texts)
    tabs = {mnemonic(window.customers.detail.tabText(i)) for i in range(window.customers.detail.count())}
    button = mnemonic(window.parts["shipping"].tab.view_button.text())
    assert button not in menus | tabs
    window.close()


def test_sync_from_the_queue_brings_home_status_and_tracking(qtbot, qtmodeltester, section, store, fake,
                                                             monkeypatch):
    make(store, 2)
    widget = section()
    assert not widget.sync_button.isEnabled()  # nothing submitted yet
    with qtbot.waitSignal(widget.actions.runIdle, timeout=20_000):
        widget.submit_button.click()
    qtbot.waitUntil(widget.sync_button.isEnabled, timeout=10_000)
    first = widget.model.row(0)
    fake.ship(first.starshipit_order_id, tracking_number="NZ9090")
    with qtbot.waitSignal(widget.actions.runEnded, timeout=20_000) as ended:
        widget.sync_button.click()
        assert widget.progress_label.text().startswith("Syncing")
    assert ended.args[0].shipped == 1
    assert widget.result_label.text() == ("Checked 2 submitted fulfilments with 2 requests: 1 printed or shipped, "
                                          "1 other changes.")
    qtmodeltester.check(widget.model)
    row = next(n for n in range(widget.model.rowCount()) if widget.model.row(n).fulfillment_id == first.fulfillment_id)
    column = widget.model.columns.index("Tracking")
    index = widget.model.index(row, column)
    assert widget.model.data(index) == "NZ9090"
    assert widget.model.data(index, Qt.ItemDataRole.ToolTipRole).startswith("https://tracking.example.test/NZ9090")
    status = widget.model.index(row, widget.model.columns.index("Starshipit status"))
    assert widget.model.data(status) == "Shipped" and widget.model.row(row).state == "shipped"
    opened: list[str] = []
    monkeypatch.setattr("desktop.ui.shipping.shipping.QDesktopServices.openUrl",
                        lambda url: opened.append(url.toString()) or True)
    select_row(widget.table, row)
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert opened == ["https://tracking.example.test/NZ9090"]


def test_the_sync_timer_runs_quietly_and_never_asks_for_keys(qtbot, store, fake, workers, monkeypatch, ring):
    monkeypatch.delenv("STARSHIPIT_API_KEY", raising=False)
    monkeypatch.delenv("STARSHIPIT_SUBSCRIPTION_KEY", raising=False)
    settings = settings_for(fake)
    settings.set(STARSHIPIT_SYNC_MINUTES, 15)
    actions = ShippingActions(store, settings, workers)
    qtbot.addWidget(actions)
    assert actions.sync_timer.isActive() and actions.sync_timer.interval() == 15 * 60_000
    asked: list[str] = []
    monkeypatch.setattr(messages, "ask", lambda *a, **k: asked.append(a[2]) or False)
    assert actions.auto_sync() is None and asked == [] and fake.requests == []
    actions.set_sync_minutes(0)
    assert not actions.sync_timer.isActive()


def test_edit_shipment_relabels_per_country_saves_and_updates_starshipit(qtbot, section, store, fake):
    from desktop.ui.shipping.setup_dialogs import ShipmentDialog

    make(store, 1)
    widget = section()
    with qtbot.waitSignal(widget.actions.runEnded, timeout=20_000):
        widget.submit_button.click()
    select_row(widget.table, 0)
    dialog = widget.edit_selected()
    assert isinstance(dialog, ShipmentDialog)
    labels = {k: dialog.labels[k].text() for k in ("address1", "address2", "city", "province")}
    assert labels == {"address1": "S&treet:", "address2": "Suburb:", "city": "City:", "province": "Province:"}
    dialog.fields["country_code"].setText("AU")  # Australia names them its own way
    assert (dialog.labels["city"].text(), dialog.labels["province"].text()) == ("Suburb:", "State:")
    dialog.fields["country_code"].setText("NZ")
    dialog.fields["address1"].setText("14 Tui Street")
    dialog.fields["email"].setText("hemi@kauri.example")
    dialog.add_package({"weight": "2.5", "length": "40", "width": "30", "height": "20"})
    assert dialog.update_box.isChecked()
    with qtbot.waitSignal(widget.actions.changed, timeout=20_000):
        assert dialog.save()
    qtbot.waitUntil(lambda: "updated from the fulfilment" in widget.result_label.text(), timeout=10_000)
    (put,) = fake.updates
    assert put["destination"]["street"] == "14 Tui Street"
    assert put["packages"][0]["weight"] == 2.5 and put["packages"][0]["length"] == 0.4


def test_edit_shipment_names_a_bad_package_and_keeps_the_dialog(qtbot, section, store, fake):
    make(store, 1)
    widget = section()
    select_row(widget.table, 0)
    dialog = widget.edit_selected()
    dialog.fields["email"].setText("hemi@kauri.example")
    dialog.add_package({"weight": "heavy"})
    assert not dialog.save() and dialog.isVisible()
    assert dialog.message.text() == "Packages: package 1: the weight is a number of kg above 0 (at most 1000)."
    dialog.reject()


def test_shipping_methods_take_starshipits_carriers(qtbot, qtmodeltester, store):
    from desktop.services import shipping_setup as setup
    from desktop.ui.shipping.setup_dialogs import ShippingMethodsDialog

    dialog = ShippingMethodsDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    qtmodeltester.check(dialog.model)
    assert dialog.model.rowCount() == 0 and dialog.current is None
    dialog.name.setText("Overnight")
    dialog.carrier.setCurrentIndex(dialog.carrier.findData("CourierPost"))
    dialog.service_code.setText("CPOLE")
    dialog.signature.setChecked(True)
    assert dialog.save() and dialog.message.text() == "Saved Overnight."
    with store.read() as s:
        (row,) = setup.list_methods(s)
    assert (row.name, row.carrier, row.service_code, row.signature_required) == ("Overnight", "CourierPost",
                                                                                 "CPOLE", True)
    dialog.carrier.setCurrentIndex(0)  # no carrier, but a service code
    assert not dialog.save() and "Carrier: is required with a service code" in dialog.message.text()
    assert dialog.model.data(dialog.model.index(0)) == "Overnight  (CourierPost)"


def test_edit_shipment_changes_a_line_quantity_within_the_order(qtbot, section, store, fake):
    make(store, 1)
    widget = section()
    select_row(widget.table, 0)
    dialog = widget.edit_selected()
    assert dialog.lines.rowCount() == 1 and dialog.lines.item(0, 2).text() == "2"
    dialog.fields["email"].setText("hemi@kauri.example")
    dialog.lines.item(0, 3).setText("3")
    assert not dialog.save()
    assert dialog.message.text().startswith("Lines: ") and "3 is more than the 2" in dialog.message.text()
    dialog.lines.item(0, 3).setText("1")
    assert dialog.save()
    with store.read() as s:
        (line,) = s.query(m.SalesOrderFulfillmentLine).all()
        assert line.quantity == 1
