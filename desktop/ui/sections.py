"""The sections of the window, in the order the navigation shows them (DESIGN's order). A feature joins the
window by adding its Section class here; the window imports no feature itself. Each is built after the
ones before it (the Customers section first: the others add tabs to its detail pane)."""

from __future__ import annotations

from desktop.ui.common.section import Section
from desktop.ui.customers.section import Customers
from desktop.ui.importing.section import Importing
from desktop.ui.money.section import Money
from desktop.ui.nominal_codes.section import NominalCodes
from desktop.ui.shipping.section import Shipping

SECTIONS: tuple[type[Section], ...] = (Customers, Money, NominalCodes, Shipping, Importing)

