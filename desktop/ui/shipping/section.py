"""The Shipping section: the Shipping queue page, the customer's Shipping tab (before History) and
Settings → Starshipit…; wherever the clerk is when a run ends, the status bar says how it went."""

from __future__ import annotations

from PySide6.QtGui import QAction

from desktop.ui.common.section import Host, Section
from desktop.ui.shipping.shipping import (
    CustomerShippingTab,
    ShippingActions,
    ShippingQueueSection,
    open_settings,
)


def open_methods(parent, db) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.shipping.setup_dialogs import ShippingMethodsDialog

    dialog = ShippingMethodsDialog(db, parent)
    try:
        dialog.exec()
    finally:
        dialog.deleteLater()


class Shipping(Section):
    key = "shipping"
    title = "Shipping queue"

    def __init__(self, host: Host):
        super().__init__(host)
        self.shipping = ShippingActions(host.db, host.settings, host.workers, host.widget)
        self.queue = ShippingQueueSection(host.db, host.settings, self.shipping)
        self.page = self.queue
        self.tab = CustomerShippingTab(host.db, self.shipping)
        host.add_customer_tab(self.tab, "S&hipping")
        action = QAction("&Starshipit…", host.widget)
        action.setStatusTip("Starshipit keys (kept in the keyring), base URL and request rate")
        action.triggered.connect(lambda: open_settings(host.widget, host.settings, host.workers))
        sync = QAction("S&ync with Starshipit", host.widget)
        sync.setStatusTip("Bring home the status, carrier and tracking of every submitted fulfilment")
        sync.triggered.connect(lambda: self.shipping.sync())
        methods = QAction("Shipping &methods…", host.widget)
        methods.setStatusTip("Shipping methods: Starshipit carrier, service code, international, signature")
        methods.triggered.connect(lambda: open_methods(host.widget, host.db))
        self.actions = {"starshipit_settings": action, "starshipit_sync": sync, "shipping_methods": methods}
        self.menus = [("&Settings", [action, methods]), ("Shippin&g", [sync])]
        self.shipping.runEnded.connect(lambda result: host.show_message(
            f"Starshipit: {result.summary()}" if result is not None else "Starshipit: the run stopped.", 15_000))
