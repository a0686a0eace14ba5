"""`make screenshots`: the main window and each dialog on fictional demo data, rendered offscreen to PNG
files under docs/ (for the README and for looking at the app without running it).

    python -m desktop.ui.screenshots [FOLDER] [--customers N] [--seed S]

A fresh SQLite store in a temporary folder is filled like `customer-desk demo --customers 2000 --seed 3`
(with a fixed "today", so the pictures do not change from one day to the next); a few edits are then
made through the services so that the History tab has something to show. Nothing outside the temporary
folder and the output folder is touched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

SCREEN = {"width": 1920, "height": 1200, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
WINDOW_SIZE = (1360, 800)
DEMO_NOW = dt.datetime(2025, 6, 2, 9, 30)
MAX_BYTES = 300_000


def _offscreen(folder: Path) -> None:
    """Render offscreen on a desktop-sized virtual screen (the plugin's default is 800 x 800 pixels)."""
    config = folder / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "screenshots", "x": 0, "y": 0, **SCREEN}]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    # The History tab shows who made each change: a fictional clerk rather than whoever runs `make`.
    os.environ["LOGNAME"] = "mere.clerk"


class Shooter:
    """Saves widgets as PNG files and remembers what it wrote."""

    def __init__(self, folder: Path, *, suffix: str = "", only: frozenset[str] | None = None):
        self.folder = folder
        self.suffix = suffix
        self.only = only
        self.written: list[Path] = []

    def save(self, widget: Any, name: str) -> Path | None:
        from PySide6.QtWidgets import QApplication

        if self.only is not None and name not in self.only:
            return None
        name += self.suffix

        for _ in range(3):  # layouts settle over a few passes (wrapped labels, resize-to-contents)
            QApplication.processEvents()
        path = self.folder / f"{name}.png"
        image = widget.grab().toImage()
        if not image.save(str(path), "PNG", 9):
            raise OSError(f"cannot write {path}")
        if path.stat().st_size > MAX_BYTES:
            # A palette of 256 colours is plenty for a flat UI and a fraction of the size.
            from PySide6.QtCore import Qt
            from PySide6.QtGui import QImage

            image.convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither
                                  | Qt.ImageConversionFlag.AvoidDither).save(str(path), "PNG", 9)
        self.written.append(path)
        return path


def _pick_customer(session: Any) -> int:
    """An active customer a clerk would open: a company, a sales rep, a pricing tier, and two or more
    addresses, with a sales order (so that deleting it is refused)."""
    from sqlalchemy import func, select

    from desktop.store import models as m

    addresses = (select(m.Address.customer_id, func.count().label("n"))
                 .group_by(m.Address.customer_id).subquery())
    orders = select(m.SalesOrder.customer_id).distinct().subquery()
    stmt = (
        select(m.Customer.id)
        .join(addresses, addresses.c.customer_id == m.Customer.id)
        .join(orders, orders.c.customer_id == m.Customer.id)
        .where(m.Customer.archived_at.is_(None), m.Customer.company.is_not(None),
               m.Customer.default_sales_rep_id.is_not(None), m.Customer.product_pricing_tier_id.is_not(None),
               addresses.c.n >= 2)
        .order_by(func.lower(m.Customer.name), m.Customer.id)
    )
    found = session.scalars(stmt.limit(1)).first()
    if found is None:
        found = session.scalars(select(m.Customer.id).order_by(m.Customer.id).limit(1)).first()
    if found is None:
        raise RuntimeError("the demo store has no customers")
    return int(found)


def _history(db: Any, customer_id: int) -> None:
    """A few edits a clerk would make, through the services, so that History has entries."""
    from desktop.services import addresses as address_service
    from desktop.services import customers as customer_service

    with db.transaction() as s:
        customer = customer_service.get_customer(s, customer_id)
        phone = customer.phone or "+64 9 555 0101"
        customer_service.update_customer(s, customer_id, {
            "phone": phone[:-1] + ("7" if phone[-1] != "7" else "3"),
            "notes": "Prefers email. Deliveries to the loading bay at the back.",
        })
        address = address_service.add_address(s, customer_id, {
            "label": "Accounts", "address1": "PO Box 4127", "city": "Wellington", "zip": "6140",
            "country_code": "NZ", "country": "New Zealand", "name": customer.name, "company": customer.company,
        })
        address_service.set_default_address(s, customer_id, address.id, "billing")


def _near_duplicates(db: Any, customer_id: int) -> None:
    """Two customers that were typed in again over the years (Find match ranks them)."""
    from desktop.services import customers as customer_service

    with db.transaction() as s:
        customer = customer_service.get_customer(s, customer_id)
        shipping = customer.default_shipping_address
        if shipping is None or not shipping.address1:
            return
        first, *rest = customer.name.split()
        street = shipping.address1.replace("Road", "Rd").replace("Street", "St")
        for name, address1 in ((f"{first[0]}. {' '.join(rest)}", street),
                               (f"{customer.name}-Ngata", shipping.address1)):
            customer_service.create_customer(s, {
                "name": name, "address1": address1, "city": shipping.city, "zip": shipping.zip,
                "country_code": shipping.country_code,
            }, allow_duplicate=True)


def _bulk_result(db: Any) -> Any:
    """What deleting fifteen customers, three of them with sales orders, would say (rolled back)."""
    from sqlalchemy import func, select

    from desktop.services import customers as customer_service
    from desktop.store import models as m

    with db.read() as s:  # a read session rolls back: nothing is deleted
        linked = select(m.SalesOrder.customer_id)
        order = (func.lower(m.Customer.name), m.Customer.id)
        with_orders = s.scalars(select(m.Customer.id).where(m.Customer.id.in_(linked)).order_by(*order).limit(3)).all()
        free = s.scalars(select(m.Customer.id).where(m.Customer.id.not_in(linked)).order_by(*order).limit(12)).all()
        return customer_service.bulk_delete(s, ids=[*free[:6], *with_orders, *free[6:]])


def render(folder: Path, customers: int = 2000, seed: int = 3, *, log: Callable[[str], None] = print,
           dark: bool = False, suffix: str = "", only: frozenset[str] | None = None) -> list[Path]:
    """Fill a temporary demo store and write every screenshot into `folder` (or those named in `only`, with
    `suffix` after their names; `dark`: in a dark palette); returns the files."""
    from PySide6.QtWidgets import QApplication

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="customer-desk-shots-") as tmp:
        _offscreen(Path(tmp))
        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setApplicationName("Customer Desk")
        font = app.font()
        font.setFamily("DejaVu Sans")
        font.setPointSizeF(9.5)
        app.setFont(font)
        if dark:
            app.setStyle("Fusion")  # the platform style of a dark desktop theme; Fusion follows the palette
            app.setPalette(dark_palette())

        from desktop.services.demo import seed_demo
        from desktop.store.engine import open_database

        db = open_database(f"sqlite:///{Path(tmp) / 'demo.sqlite3'}")
        try:
            with db.engine.begin() as conn:
                seed_demo(conn, customers, seed=seed, now=DEMO_NOW)
            log(f"demo store: {customers:,} customers (seed {seed})")
            shots = _render(db, Shooter(folder, suffix=suffix, only=only), log)
        finally:
            db.dispose()
    return shots


def _render(db: Any, shooter: Shooter, log: Callable[[str], None]) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from desktop.services import customers as customer_service
    from desktop.ui.common.settings import Settings
    from desktop.ui.customers.address_form import AddressForm
    from desktop.ui.customers.bulk import BulkResultDialog
    from desktop.ui.customers.customer_form import CustomerForm
    from desktop.ui.customers.find_match_dialog import FindMatchDialog
    from desktop.ui.main_window import MainWindow

    with db.read() as s:
        customer_id = _pick_customer(s)
    _history(db, customer_id)
    _near_duplicates(db, customer_id)
    with db.read() as s:
        customer = customer_service.get_customer(s, customer_id)
    shipping = customer.default_shipping_address

    window = MainWindow(db, Settings({}))
    window.resize(*WINDOW_SIZE)
    window.show()
    window.show_customer(customer_id)
    QApplication.processEvents()
    window.customers.detail.setCurrentIndex(0)
    shooter.save(window, "main-window")
    window.customers.detail.setCurrentIndex(1)
    window.customers.detail.address_view.selectRow(0)
    shooter.save(window, "main-window-addresses")
    window.customers.detail.setCurrentIndex(2)
    shooter.save(window, "main-window-history")
    window.customers.detail.setCurrentIndex(0)

    def dialog(widget: Any, name: str, prepare: Callable[[Any], None] | None = None) -> None:
        widget.show()
        QApplication.processEvents()
        if prepare is not None:
            prepare(widget)
        shooter.save(widget, name)
        widget.hide()
        widget.deleteLater()

    def typed(form: Any, values: dict[str, Any]) -> None:
        for key, value in values.items():
            form.fields[key].widget.setFocus()
            form.fields[key].set(value)  # as if typed: the form hears of it and checks it
        form.validate()

    # The new-customer form as a clerk leaves it half-way: a mistyped email is pointed out under it.
    create = CustomerForm.for_create(db, window)
    dialog(create, "customer-form", lambda form: typed(form, {
        "name": "Aroha Kowhai", "company": "Kowhai Traders Ltd", "email": "aroha@kowhai", "phone": "+64 9 555 0101",
        "address1": "12 Kauri Street", "city": "Wellington", "zip": "6011", "country_code": "NZ",
    }))

    # The same customer typed in again: the services say it looks like one that exists.
    def duplicate(form: Any) -> None:
        typed(form, {"name": customer.name.upper(), "address1": shipping.address1 if shipping else "",
                     "zip": shipping.zip if shipping else "", "city": shipping.city if shipping else "",
                     "country_code": shipping.country_code if shipping else None})
        form.submit()
    dialog(CustomerForm.for_create(db, window), "duplicate-warning", duplicate)

    dialog(CustomerForm.for_edit(db, customer_id, window), "customer-form-edit")

    dialog(AddressForm.for_add(db, customer_id, window), "address-form", lambda form: typed(form, {
        "label": "Warehouse", "address1": "48 Hutt Road", "address2": "Unit 3", "city": "Lower Hutt",
        "zip": "5010", "country_code": "NZ",
    }))

    if shipping is not None and shipping.zip and shipping.address1:
        words = customer.name.split()
        near = " ".join([words[0].lower(), *words[1:]])
        find = FindMatchDialog(db, window, name=near, zip_code=shipping.zip,
                               address1=shipping.address1.replace("Road", "Rd").replace("Street", "St"))
        dialog(find, "find-match")

    bulk = BulkResultDialog(_bulk_result(db), window)
    dialog(bulk, "bulk-result")

    # Every other section of the window, on the same demo data.
    for key, name in (("money", "sales-credits"), ("shipping", "shipping-queue"),
                      ("nominal_codes", "nominal-codes"), ("importing", "import-history")):
        window.show_section(window.parts[key].title)
        shooter.save(window, name)
    window.show_section(window.parts["customers"].title)

    # The import preview of a small file with a Cyrillic name, a bad email and a missing name.
    sample_folder = tempfile.TemporaryDirectory(prefix="customer-desk-import-")
    sample = Path(sample_folder.name) / "new-customers.csv"
    sample.write_text("Name,Company,Email,Phone,Address 1,City,Postcode,Country\n"
                      "Olga Petrova,Sever Trading,olga@example.com,+64 9 555 0142,5 Karaka Lane,Nelson,7010,NZ\n"
                      "Иван Соколов,Северная Торговля,ivan@example.org,,14 Rata Street,Napier,4110,NZ\n"
                      "Tama Ngata,,tama@example,,22 Kowhai Road,Rotorua,3010,NZ\n"
                      ",Orphan Ltd,orphan@example.net,,1 Nowhere Road,Timaru,7910,NZ\n", encoding="utf-8")
    try:
        preview = window.parts["importing"].open_import(sample)
        _wait(lambda: not preview.busy)
        preview.resize(1100, 700)
        shooter.save(preview, "import-preview")
        preview.close()
        preview.deleteLater()
    finally:
        sample_folder.cleanup()

    window.close()
    window.deleteLater()
    QApplication.processEvents()
    for path in shooter.written:
        log(f"{path} ({path.stat().st_size // 1024} KB)")
    return shooter.written


def _wait(done: Callable[[], bool], seconds: float = 60) -> None:
    """Let the event loop run until `done()` (a worker's result arrives as an event)."""
    import time

    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("a background job did not finish")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def dark_palette() -> Any:
    """A dark palette like the desktops' dark themes, to check that text and icons stay readable."""
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in ((roles.Window, "#2b2b2e"), (roles.WindowText, "#e6e6e6"), (roles.Base, "#1f1f22"),
                         (roles.AlternateBase, "#2a2a2e"), (roles.Text, "#e6e6e6"), (roles.Button, "#35353a"),
                         (roles.ButtonText, "#e6e6e6"), (roles.Highlight, "#3d6fb4"),
                         (roles.HighlightedText, "#ffffff"), (roles.ToolTipBase, "#35353a"),
                         (roles.ToolTipText, "#e6e6e6"), (roles.PlaceholderText, "#9a9aa0"), (roles.Link, "#8ab4f8")):
        palette.setColor(role, QColor(colour))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#77777c"))
    return palette


def main(argv: Sequence[str] | None = None) -> int:
    global WINDOW_SIZE
    parser = argparse.ArgumentParser(prog="python -m desktop.ui.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="docs", type=Path)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--dark", action="store_true", help="render in a dark palette")
    parser.add_argument("--suffix", default="", help="added to each file name, e.g. -dark or @2x")
    parser.add_argument("--only", action="append", metavar="NAME", help="only this screenshot (repeatable)")
    parser.add_argument("--size", metavar="WxH", help="main window size (default %dx%d)" % WINDOW_SIZE)
    args = parser.parse_args(argv)
    if args.size:
        width, _x, height = args.size.partition("x")
        WINDOW_SIZE = (int(width), int(height))
    render(args.folder, args.customers, args.seed, dark=args.dark, suffix=args.suffix,
           only=frozenset(args.only) if args.only else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
