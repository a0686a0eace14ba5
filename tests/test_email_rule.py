"""An email is one customer's, across customers and their addresses' emails, whatever its case (the
customer API's rule): create, update, address add and edit, and import refuse a new clash naming the other
customer; a clash from before the rule stays until the email changes, and `customers email-clashes` lists it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import update

from desktop.cli import main
from desktop.importing import plan as imp_plan
from desktop.importing.mapping import auto_mapping
from desktop.importing.reading import open_source
from desktop.services import addresses as addr
from desktop.services import customers as cs
from desktop.services.errors import EmailTaken
from desktop.store import models as m
from desktop.store.engine import Database


@pytest.fixture
def two(db: Database) -> dict[str, int]:
    """Aroha (her depot address carries depot@kowhai.example) and Ben."""
    with db.transaction() as s:
        aroha = cs.create_customer(s, {"name": "Aroha Kowhai", "email": "aroha@kowhai.example",
                                       "address1": "1 Wharf Road", "zip": "4110", "country_code": "NZ"}).id
        depot = addr.add_address(s, aroha, {"label": "Depot", "email": "Depot@Kowhai.example",
                                            "address1": "9 Port Road", "zip": "4110", "country_code": "NZ"}).id
        ben = cs.create_customer(s, {"name": "Ben Tasman", "email": "ben@tasman.example"}).id
    return {"aroha": aroha, "depot": depot, "ben": ben}


def test_create_and_update_refuse_an_email_on_another_customers_address(db: Database, two) -> None:
    with db.transaction() as s, pytest.raises(EmailTaken) as caught:
        cs.create_customer(s, {"name": "Cara Nui", "email": "DEPOT@kowhai.example"})
    assert caught.value.customer_id == two["aroha"] and "Aroha Kowhai" in str(caught.value)
    with db.transaction() as s, pytest.raises(EmailTaken):
        cs.update_customer(s, two["ben"], {"email": "depot@kowhai.example"})
    with db.transaction() as s:  # her own address may carry it: she may take it as her email
        assert cs.update_customer(s, two["aroha"], {"email": "depot@kowhai.example"}).email == "depot@kowhai.example"


def test_addresses_refuse_another_customers_email(db: Database, two) -> None:
    with db.transaction() as s, pytest.raises(EmailTaken) as caught:
        addr.add_address(s, two["ben"], {"email": "Aroha@Kowhai.example", "address1": "3 Hill Street"})
    assert "Aroha Kowhai" in str(caught.value)
    with db.transaction() as s, pytest.raises(EmailTaken):
        addr.add_address(s, two["ben"], {"email": "depot@kowhai.example", "address1": "3 Hill Street"})
    with db.transaction() as s:
        own = addr.add_address(s, two["ben"], {"email": "BEN@tasman.example", "address1": "3 Hill Street"})
    with db.transaction() as s, pytest.raises(EmailTaken):
        addr.update_address(s, own.id, {"email": "aroha@kowhai.example"})
    with db.read() as s:
        assert [a.email for a in addr.list_addresses(s, two["ben"])] == ["BEN@tasman.example"]


def test_a_clash_from_before_the_rule_stays_listed_and_only_new_ones_are_refused(db: Database, two, capsys) -> None:
    with db.transaction() as s:  # as an older store may hold it
        s.execute(update(m.Customer).where(m.Customer.id == two["ben"]).values(email="DEPOT@kowhai.example"))
    with db.transaction() as s:  # Ben's other fields can still be changed, and his email kept
        assert cs.update_customer(s, two["ben"], {"phone": "+64 3 548 0000", "email": "depot@KOWHAI.example"})
    url = db.engine.url.render_as_string(hide_password=False)
    assert main(["--database", url, "customers", "email-clashes", "--json"]) == 0
    clashes = json.loads(capsys.readouterr().out)
    assert len(clashes) == 1 and clashes[0]["email"].lower() == "depot@kowhai.example"
    holders = {(h["customer_id"], h["where"]) for h in clashes[0]["holders"]}
    assert holders == {(two["aroha"], f"address {two['depot']}"), (two["ben"], "customer")}
    assert main(["--database", url, "customers", "email-clashes"]) == 0
    out, err = capsys.readouterr()
    assert "Aroha Kowhai" in out and "Ben Tasman" in out and "1 email held by more than one customer" in err


def test_import_refuses_a_row_whose_email_is_on_another_customers_address(db: Database, two, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([["name", "email"], ["Cara Nui", "depot@kowhai.example"],
                                      ["Dee Moana", "dee@moana.example"]])
    source = open_source(path)
    with db.read() as s:
        preview = imp_plan.preview(s, source, auto_mapping(source.header), imp_plan.Options(), keep_rows=True)
    errors = [(i.row, i.message) for i in preview.issues if i.kind == "error"]
    assert errors == [(2, "depot@kowhai.example is on an address of another customer, Aroha Kowhai "
                          f"(id {two['aroha']})")]
    assert preview.summary.create == 1
