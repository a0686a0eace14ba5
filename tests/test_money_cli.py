"""`customer-desk orders unpaid`, `credits open`, `credits allocate`: output, --json, exit codes 0/1/2."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from desktop.cli import main
from desktop.store.engine import Database
from tests.test_money import new_credit, new_customer, new_order, outstanding, remaining

D = Decimal


def run(capsys: Any, db: Database, *argv: str) -> tuple[int, str, str]:
    url = db.url.render_as_string(hide_password=False)
    code = main(["--database", url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def books(db: Database) -> dict[str, int]:
    cid = new_customer(db)
    a = new_order(db, cid, [("1", "40.00")], day=1)
    b = new_order(db, cid, [("3", "0.10"), ("1", "0.20")], day=2)
    credit = new_credit(db, cid, "50.00")
    return {"customer": cid, "a": a, "b": b, "credit": credit}


def test_orders_unpaid_table_and_json(db: Database, books: dict[str, int], capsys: Any):
    code, out, err = run(capsys, db, "orders", "unpaid", str(books["customer"]))
    assert code == 0 and err == ""
    assert "40.00" in out and "0.50" in out and "2 orders" in out and "40.50" in out
    code, out, _ = run(capsys, db, "orders", "unpaid", str(books["customer"]), "--json")
    data = json.loads(out)
    assert code == 0
    assert [o["id"] for o in data["orders"]] == [books["a"], books["b"]]
    assert data["orders"][1]["total"] == "0.50" and data["totals"]["NZD"]["outstanding"] == "40.50"


def test_credits_open_table_and_json(db: Database, books: dict[str, int], capsys: Any):
    code, out, _ = run(capsys, db, "credits", "open", str(books["customer"]))
    assert code == 0 and "50.00" in out and "SC-" in out
    code, out, _ = run(capsys, db, "credits", "open", str(books["customer"]), "--json")
    data = json.loads(out)
    assert data["credits"][0]["id"] == books["credit"] and data["credits"][0]["remaining"] == "50.00"
    assert data["totals"] == {"NZD": {"total": "50.00", "allocated": "0.00", "remaining": "50.00"}}


def test_allocate_exit_0(db: Database, books: dict[str, int], capsys: Any):
    code, out, err = run(capsys, db, "credits", "allocate", str(books["credit"]), f"{books['a']}=40",
                         f"{books['b']}=0.1")
    assert code == 0, err
    assert "Allocated 40.10" in out and "9.90 remaining" in out
    assert outstanding(db, books["a"]) == D("0.00") and outstanding(db, books["b"]) == D("0.40")
    code, out, _ = run(capsys, db, "credits", "allocate", str(books["credit"]), f"{books['b']}=0.2", "--json")
    data = json.loads(out)
    assert code == 0 and data["allocated"] is True and data["remaining"] == "9.70"
    assert data["sales_orders"] == [{"id": books["b"], "amount": "0.20"}]


@pytest.mark.parametrize("amount, rule", [("0.001", "amount_precision"), ("-5", "amount_not_positive"),
                                          ("0", "amount_not_positive"), ("40.01", "over_outstanding"),
                                          ("ten", "amount_invalid")])
def test_allocate_refused_exit_1_names_the_rule(db: Database, books: dict[str, int], capsys: Any,
                                                amount: str, rule: str):
    code, out, err = run(capsys, db, "credits", "allocate", str(books["credit"]), f"{books['a']}={amount}")
    assert code == 1 and out == ""
    assert err.startswith(f"customer-desk: refused ({rule}): Nothing was allocated:")
    assert "Traceback" not in err
    code, out, err = run(capsys, db, "credits", "allocate", str(books["credit"]), f"{books['a']}={amount}",
                         "--json")
    data = json.loads(out)
    assert code == 1 and data["allocated"] is False and data["rule"] == rule and data["order_id"] == books["a"]
    assert remaining(db, books["credit"]) == D("50.00")


def test_allocate_sum_over_remaining_and_unknown_credit(db: Database, books: dict[str, int], capsys: Any):
    extra = new_order(db, books["customer"], [("1", "40.00")])
    code, out, err = run(capsys, db, "credits", "allocate", str(books["credit"]), f"{books['a']}=30",
                         f"{extra}=20.01", "--json")
    assert code == 1 and json.loads(out)["rule"] == "over_remaining"
    code, out, err = run(capsys, db, "credits", "allocate", "99999", f"{books['a']}=1")
    assert code == 1 and "credit_not_found" in err and "99999" in err


@pytest.mark.parametrize("argv", [
    ["credits", "allocate", "1"], ["credits", "allocate", "1", "5"], ["credits", "allocate", "1", "x=5"],
    ["credits", "allocate", "1", "5="], ["credits", "allocate", "abc", "5=1"], ["orders", "unpaid"],
    ["orders", "unpaid", "-3"], ["credits", "open", "x"], ["credits"],
])
def test_usage_exit_2(capsys: Any, argv: list[str]):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_unknown_customer_is_one_line(db: Database, capsys: Any):
    code, out, err = run(capsys, db, "orders", "unpaid", "4242")
    assert code == 1 and err.strip() == "customer-desk: Customer 4242 does not exist (it may have been deleted)."
