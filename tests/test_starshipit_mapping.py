"""The Starshipit order body from a plain shipment (desktop/starshipit/mapping.py, issue 14): carrier and
service code, the method's name, signature, delivery instructions, packages, the address laid out per
country, customs for international orders, every limit checked, nothing truncated or mangled."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from desktop.starshipit.errors import InvalidShipment
from desktop.starshipit.mapping import Line, Method, Parcel, Shipment, ShipTo, build_order, layout

NZ = ShipTo(name="Hemi Walker", address1="12 Tui Street", address2="Ponsonby", city="Auckland", zip="1011",
            country_code="NZ", country="New Zealand", phone="+64 9 555 0101")
COURIER = Method(name="Overnight courier", carrier="CourierPost", service_code="CPOLE", signature_required=True)


def shipment(**changes) -> Shipment:  # type: ignore[no-untyped-def]
    base = dict(order_number="F-00001", reference="SO-00001", order_date=dt.date(2026, 12, 1), currency="NZD",
                ship_to=NZ, lines=(Line("KETE-1", "Flax kete", Decimal("2"), Decimal("45.00"), Decimal("0.4")),),
                method=COURIER)
    base.update(changes)
    return Shipment(**base)  # type: ignore[arg-type]


def problems(s: Shipment) -> list[str]:
    with pytest.raises(InvalidShipment) as refused:
        build_order(s)
    assert refused.value.fulfillment_number == s.order_number
    return refused.value.problems


def test_the_body_carries_carrier_service_method_signature_and_one_weighed_package() -> None:
    body = build_order(shipment(delivery_instructions="Leave at the back door")).to_json()
    assert (body["carrier"], body["carrier_service_code"], body["shipping_method"]) == (
        "CourierPost", "CPOLE", "Overnight courier")
    assert body["signature_required"] is True
    assert body["packages"] == [{"weight": 0.8}]
    assert body["destination"] == {"name": "Hemi Walker", "phone": "+64 9 555 0101", "street": "12 Tui Street",
                                   "suburb": "Ponsonby", "city": "Auckland", "post_code": "1011",
                                   "country": "New Zealand", "delivery_instructions": "Leave at the back door"}
    assert body["items"] == [{"description": "Flax kete", "sku": "KETE-1", "quantity": 2, "weight": 0.4,
                              "value": 45}]
    assert "declared_value" not in body


def test_the_order_says_no_signature_when_the_method_wants_one() -> None:
    assert build_order(shipment(signature_required=False)).to_json()["signature_required"] is False
    assert build_order(shipment(method=Method("Post"))).to_json()["signature_required"] is False


def test_packages_entered_on_the_fulfilment_are_sent_as_entered() -> None:
    parcels = (Parcel(Decimal("1.2"), Decimal("0.3"), Decimal("0.2"), Decimal("0.1")), Parcel(Decimal("0.5")))
    body = build_order(shipment(packages=parcels)).to_json()
    assert body["packages"] == [{"weight": 1.2, "height": 0.1, "width": 0.2, "length": 0.3}, {"weight": 0.5}]
    bad = (Parcel(None), Parcel(Decimal("2000")), Parcel(Decimal("1"), Decimal("12")))
    said = problems(shipment(packages=bad))
    assert "package 1 has no weight (kg)" in said
    assert "package 2 weighs 2000 kg (at most 1000 kg)" in said
    assert "package 3 length is 12 m (above 0, at most 10 m)" in said


def test_a_line_without_a_weight_is_named_when_no_package_was_entered() -> None:
    lines = (Line("KETE-1", "Flax kete", Decimal("1"), Decimal("45"), None),
             Line("PUTIPUTI", "Bubble wrap", Decimal("1"), Decimal("1"), Decimal("0.1")))
    assert problems(shipment(lines=lines)) == [
        "line 1 (KETE-1) has no weight: enter the package weight on the fulfilment"]
    assert build_order(shipment(lines=lines, packages=(Parcel(Decimal("1")),))).packages[0].weight == 1


@pytest.mark.parametrize("carrier", ["NZ Post", "nzpost"])
def test_a_carrier_spelt_loosely_is_sent_as_starshipit_names_it(carrier: str) -> None:
    assert build_order(shipment(method=Method("Post", carrier=carrier))).carrier == "NZPost"


def test_an_unknown_carrier_is_refused_before_sending() -> None:
    assert problems(shipment(method=Method("Drone", carrier="SkyHook"))) == [
        "the carrier 'SkyHook' of shipping method 'Drone' is not one Starshipit knows (for example NZPost, "
        "CourierPost, AusPost, DHL)"]


def test_addresses_are_laid_out_per_country() -> None:
    unit = ShipTo(name="Ana Reed", address1="Unit 4", address2="12 Tui Street", address3="Ponsonby",
                  city="Auckland", zip="1011", country_code="NZ")
    where, left = layout(unit)
    assert (where.building, where.street, where.suburb, where.city) == ("Unit 4", "12 Tui Street", "Ponsonby",
                                                                        "Auckland")
    assert left == []
    au = ShipTo(name="Ivo Stone", address1="20 George Street", address2="Level 3", city="Sydney", zip="2000",
                country_code="AU", province_code="NSW")
    where, left = layout(au)
    assert (where.building, where.street, where.suburb, where.city, where.state) == (
        "Level 3", "20 George Street", "Sydney", None, "NSW")
    us = ShipTo(name="Mere Hale", address1="1 Main St", address2="Springfield Heights", city="Springfield",
                zip="62701", country_code="US", province_code="IL")
    where, left = layout(us)
    assert where.suburb is None and left == [
        "the address line 'Springfield Heights' cannot be placed with confidence: edit the address into its own "
        "fields (US: street, city)"]


def test_international_orders_carry_customs_or_name_what_is_missing() -> None:
    abroad = Method("International air", carrier="NZPost", service_code="TIEZ", international=True)
    lines = (Line("KETE-1", "Flax kete", Decimal("2"), Decimal("45.00"), Decimal("0.4"), "4602.19", "nz"),)
    body = build_order(shipment(method=abroad, lines=lines)).to_json()
    assert body["declared_value"] == 90 and body["currency"] == "NZD"
    assert body["items"][0]["tariff_code"] == "4602.19" and body["items"][0]["country_of_origin"] == "NZ"
    said = problems(shipment(method=abroad, currency=None))
    assert "line 1 (KETE-1) has no tariff code or country of origin, which an international order needs for " \
           "customs" in said
    assert "an international order needs its currency" in said


def test_every_limit_is_checked_and_nothing_is_cut() -> None:
    long = ShipTo(name="N" * 101, address1="S" * 101, address2="Ponsonby", city="Auckland", zip="12345678901",
                  country_code="NZ")
    said = problems(shipment(ship_to=long, order_number="F-" + "9" * 60, delivery_instructions="x" * 251))
    assert "the order number is 62 characters (at most 50)" in said
    assert "the destination name is 101 characters (at most 100)" in said
    assert "the destination street is 101 characters (at most 100)" in said
    assert "the destination post code is 11 characters (at most 10)" in said
    assert "the destination delivery instructions is 251 characters (at most 250)" in said


def test_a_name_in_any_script_is_kept_exactly() -> None:
    for name in ("Zoë Ngāti-Pōrou", "Иван Петров", "山田太郎", "김민준"):
        where = build_order(shipment(ship_to=ShipTo(**{**NZ.__dict__, "name": name}))).destination
        assert where.name == name


def test_item_and_package_ids_are_sent_for_an_update() -> None:
    body = build_order(shipment(), order_id=900001, item_ids=[700001], package_ids=[800001]).to_json()
    assert body["order_id"] == 900001
    assert body["items"][0]["item_id"] == 700001 and body["packages"][0]["package_id"] == 800001


def test_the_body_hash_ignores_the_order_id_and_sees_every_change() -> None:
    one = build_order(shipment())
    assert one.body_hash() == build_order(shipment(), order_id=5).body_hash()
    assert one.body_hash() != build_order(shipment(delivery_instructions="Ring twice")).body_hash()
