"""Shipping methods with Starshipit's carriers, and a fulfilment's shipment corrected before it is sent
(issue 14), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from desktop.services import shipping_setup as setup
from desktop.services.errors import ConflictError, ValidationError
from desktop.store import models as m
from tests import factories as fx


def test_a_method_takes_starshipits_carrier_names_and_refuses_others(db) -> None:
    with db.transaction() as s:
        row = setup.save_method(s, {"name": "Overnight", "carrier": "courier post", "service_code": "CPOLE",
                                    "signature_required": True})
    assert (row.carrier, row.service_code, row.signature_required) == ("CourierPost", "CPOLE", True)
    with pytest.raises(ValidationError) as refused, db.transaction() as s:
        setup.save_method(s, {"name": "Drone", "carrier": "SkyHook"}, method_id=row.id,
                          expected_version=row.version)
    assert [e.field for e in refused.value.errors] == ["carrier"]
    with pytest.raises(ValidationError), db.transaction() as s:
        setup.save_method(s, {"name": "Code only", "service_code": "X1"})
    with db.transaction() as s:
        changed = setup.save_method(s, {"name": "Overnight NZ", "carrier": "NZPost", "is_international": False},
                                    method_id=row.id, expected_version=row.version)
    with pytest.raises(ConflictError), db.transaction() as s:  # another desk saw the old version
        setup.save_method(s, {"name": "Stale"}, method_id=row.id, expected_version=row.version)
    with db.read() as s:
        assert [(r.name, r.carrier) for r in setup.list_methods(s)] == [("Overnight NZ", "NZPost")]
        assert changed.version > row.version


def test_a_shipment_is_corrected_with_packages_in_cm_and_kept_in_metres(db) -> None:
    with db.transaction() as s:
        fid = fx.shippable_fulfillment(s).id
    with db.read() as s:
        form = setup.shipment_form(s, fid)
    assert form.ship_to["address1"] == "12 Tui Street" and form.packages == [] and form.signature_required is None
    data = {"ship_to": {**form.ship_to, "address1": "14 Tui Street", "country_code": "nz",
                        "email": "hemi@kauri.example"},
            "delivery_instructions": "  Ring   the bell ", "signature_required": True,
            "packages": [{"weight": "2.5", "length": "40", "width": "30", "height": "20"}, {"weight": ""}]}
    with db.transaction() as s:
        saved = setup.save_shipment(s, fid, data, order_version=form.order_version,
                                    fulfillment_version=form.fulfillment_version)
    assert saved.packages == [{"weight": "2.5", "length": "40", "width": "30", "height": "20"}]
    with db.read() as s:
        f = s.get(m.SalesOrderFulfillment, fid)
        order = s.get(m.SalesOrder, f.sales_order_id)
        assert f.packages == [{"weight": "2.5", "length": "0.4", "width": "0.3", "height": "0.2"}]
        assert (order.ship_address1, order.delivery_instructions, order.signature_required) == (
            "14 Tui Street", "Ring   the bell", True)  # as typed (trimmed); spaces fold when sent
    with pytest.raises(ConflictError), db.transaction() as s:
        setup.save_shipment(s, fid, data, order_version=form.order_version)
    bad = {**data, "packages": [{"weight": "0", "length": "-1"}], "ship_to": {**data["ship_to"], "zip": "10 11 ;"}}
    with pytest.raises(ValidationError) as refused, db.transaction() as s:
        setup.save_shipment(s, fid, bad)
    assert {e.field for e in refused.value.errors} == {"packages.1.weight", "zip"}


def test_a_shipped_fulfilment_cannot_be_changed(db) -> None:
    with db.transaction() as s:
        fid = fx.shippable_fulfillment(s, status="shipped").id
    with pytest.raises(setup.AlreadyShipped), db.transaction() as s:
        setup.save_shipment(s, fid, {"ship_to": {"name": "Someone Else"}})


def test_a_refused_shipment_that_is_changed_is_no_longer_refused(db) -> None:
    with db.transaction() as s:
        f = fx.shippable_fulfillment(s, ship_email=None)
        f.refused_body, f.last_error = "0" * 64, "Refused by Starshipit: Invalid destination"
        fid = f.id
    with db.read() as s:
        form = setup.shipment_form(s, fid)
    with db.transaction() as s:  # saved as it was: still refused
        setup.save_shipment(s, fid, {"ship_to": form.ship_to})
    with db.read() as s:
        assert s.get(m.SalesOrderFulfillment, fid).refused_body is not None
    with db.transaction() as s:
        setup.save_shipment(s, fid, {"ship_to": {**form.ship_to, "zip": "1010"}})
    with db.read() as s:
        f = s.get(m.SalesOrderFulfillment, fid)
        assert f.refused_body is None and f.last_error == "Changed since: Refused by Starshipit: Invalid destination"


def test_the_lines_of_a_shipment_change_within_what_the_order_still_holds(db) -> None:
    with db.transaction() as s:
        f = fx.shippable_fulfillment(s, lines=(("3", "10.00"), ("1", "5.00")))
        first_line = f.lines[0]
        first_line.quantity = 1  # this fulfilment ships 1 of 3: 2 are still open
        fid = f.id
    with db.read() as s:
        form = setup.shipment_form(s, fid)
    one, two = form.lines
    assert (one.quantity, one.most, two.quantity, two.most) == (1, 3, 1, 1)
    with pytest.raises(ValidationError) as refused, db.transaction() as s:
        setup.save_shipment(s, fid, {"lines": {one.id: "4", two.id: "x"}})
    assert [e.field for e in refused.value.errors] == [f"lines.{one.id}", f"lines.{two.id}"]
    assert "4 is more than the 3 this fulfilment can hold" in refused.value.errors[0].message
    with pytest.raises(ValidationError), db.transaction() as s:
        setup.save_shipment(s, fid, {"lines": {one.id: "0", two.id: "0"}})
    with db.transaction() as s:
        setup.save_shipment(s, fid, {"lines": {one.id: "3", two.id: "0"}})
    with db.read() as s:
        f = s.get(m.SalesOrderFulfillment, fid)
        assert [(fl.id, fl.quantity) for fl in f.lines] == [(one.id, 3)]
