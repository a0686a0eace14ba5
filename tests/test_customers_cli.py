"""`customer-desk customers …` and `customer-desk addresses …` through the real entry point, on both back-ends:
success, each refusal (exit 1, one line naming the rule and the customer, nothing changed), `--json`
shapes, usage errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.services import customers as cs
from desktop.store.engine import open_database
from tests import factories as f

both = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

DETAIL_KEYS = ["id", "version", "name", "company", "email", "phone", "fax", "notes", "default_sales_rep_id",
               "default_sales_rep", "product_pricing_tier_id", "store_id", "warehouse_id",
               "shipping_method_domestic_id", "shipping_method_international_id", "default_shipping_address_id",
               "default_billing_address_id", "archived_at", "created_at", "updated_at", "addresses"]


def run(capsys, url: str, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(["--database", url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(capsys, url: str, tmp_path: Path) -> bytes:  # type: ignore[no-untyped-def]
    """Every customer as the export writes them: what must stay byte for byte when a command is refused."""
    target = tmp_path / "snapshot.csv"
    target.unlink(missing_ok=True)
    assert main(["--database", url, "export", str(target), "--archived", "all"]) == 0
    capsys.readouterr()
    return target.read_bytes()


@pytest.fixture
def shop(database_url: str) -> dict[str, int]:
    """Hana (linked to a sales order), Yuki and Kiri (free), Mere the sales rep, the Retail tier."""
    db = open_database(database_url)
    try:
        with db.transaction() as s:
            rep = f.sales_rep(s, "Mere Tuhoe")
            tier = f.pricing_tier(s, "Retail")
            hana = cs.create_customer(s, {"name": "Hana Thornbury", "email": "hana@example.com",
                                          "address1": "1 Wharf Road", "city": "Napier", "zip": "4110",
                                          "country_code": "NZ", "default_sales_rep_id": rep.id}).id
            yuki = cs.create_customer(s, {"name": "Yuki Coldwell", "address1": "2 Hill Street", "city": "Nelson",
                                          "zip": "7010", "country_code": "NZ"}).id
            kiri = cs.create_customer(s, {"name": "Kiri Prescott", "default_sales_rep_id": rep.id}).id
            f.sales_order(s, hana, lines=[("1", "10.00")])
        return {"hana": hana, "yuki": yuki, "kiri": kiri, "rep": rep.id, "tier": tier.id}
    finally:
        db.dispose()


@both
def test_list_pages_sorts_filters_and_json(database_url, shop, capsys) -> None:
    code, out, err = run(capsys, database_url, "customers", "list", "--limit", "2")
    assert code == 0, err
    assert [line.split()[1] for line in out.splitlines()[1:]] == ["Hana", "Kiri"]
    assert "1–2 of 3 customers (page 1 of 2)" in err
    code, out, _ = run(capsys, database_url, "customers", "list", "--limit", "2", "--page", "2", "--sort", "-name",
                       "--json")
    page = json.loads(out)
    assert code == 0 and page["total"] == 3 and page["page"] == 2 and page["pages"] == 2
    assert [c["name"] for c in page["customers"]] == ["Hana Thornbury"]
    row = page["customers"][0]
    assert row["id"] == shop["hana"] and row["city"] == "Napier" and row["sales_rep"] == "Mere Tuhoe"
    assert row["created_at"].startswith("20") and "T" in row["created_at"] and "sort_value" not in row
    code, out, _ = run(capsys, database_url, "customers", "list", "--sales-rep", "mere tuhoe", "--json")
    assert sorted(c["name"] for c in json.loads(out)["customers"]) == ["Hana Thornbury", "Kiri Prescott"]
    assert run(capsys, database_url, "customers", "archive", str(shop["yuki"]))[0] == 0
    code, out, _ = run(capsys, database_url, "customers", "list", "--archived", "all", "--sort=-archived_at", "--json")
    assert json.loads(out)["customers"][0]["name"] == "Yuki Coldwell"  # the archived first, newest first
    code, out, _ = run(capsys, database_url, "customers", "list", "--archived", "all", "--sort", "archived_at",
                       "--json")
    assert json.loads(out)["customers"][-1]["name"] == "Yuki Coldwell"


@both
def test_get_shows_addresses_defaults_rep_and_settings(database_url, shop, capsys) -> None:
    code, out, err = run(capsys, database_url, "customers", "get", str(shop["hana"]))
    assert code == 0, err
    assert "Hana Thornbury" in out and "Mere Tuhoe" in out and "default shipping, default billing" in out
    code, out, _ = run(capsys, database_url, "customers", "get", str(shop["hana"]), "--json")
    detail = json.loads(out)
    assert list(detail) == DETAIL_KEYS
    assert detail["default_sales_rep"] == "Mere Tuhoe" and detail["addresses"][0]["city"] == "Napier"
    assert detail["addresses"][0]["is_default_shipping"] is True
    code, out, err = run(capsys, database_url, "customers", "get", "999999")
    assert code == 1 and out == "" and err.count("\n") == 1 and "999999" in err


@both
def test_create_with_billing_and_the_duplicate_and_email_rules(database_url, shop, capsys, tmp_path) -> None:
    code, out, err = run(capsys, database_url, "customers", "create", "--name", "Moana Ngata", "--email",
                         "moana@example.com", "--address1", "3 Bay Road", "--city", "Gisborne", "--zip", "4010",
                         "--country-code", "NZ", "--billing-address1", "PO Box 12", "--billing-city", "Gisborne",
                         "--billing-zip", "4040", "--billing-country-code", "NZ", "--sales-rep", "Mere Tuhoe",
                         "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["name"] == "Moana Ngata" and made["default_sales_rep_id"] == shop["rep"]
    billing = next(a for a in made["addresses"] if a["is_default_billing"])
    assert billing["address1"] == "PO Box 12" and not billing["is_default_shipping"]

    before = snapshot(capsys, database_url, tmp_path)
    # The same person again (name, zip, address 1): refused, naming who it looks like.
    code, out, err = run(capsys, database_url, "customers", "create", "--name", "Moana Ngata", "--address1",
                         "3 Bay Road", "--zip", "4010", "--country-code", "NZ")
    assert code == 1 and out == "" and "Moana Ngata" in err and err.count("\n") == 1
    # An email someone has (any case).
    code, _, err = run(capsys, database_url, "customers", "create", "--name", "Someone Else", "--email",
                       "HANA@example.com")
    assert code == 1 and "Hana Thornbury" in err
    # Default settings are for update only; an unknown sales rep is named.
    code, _, err = run(capsys, database_url, "customers", "create", "--name", "Tama Rewi", "--sales-rep", "Nobody")
    assert code == 1 and "no sales rep named 'Nobody'" in err
    assert snapshot(capsys, database_url, tmp_path) == before
    code, out, _ = run(capsys, database_url, "customers", "create", "--name", "Moana Ngata", "--address1",
                       "3 Bay Road", "--zip", "4010", "--country-code", "NZ", "--allow-duplicate")
    assert code == 0 and out.startswith("Created customer ")


@both
def test_update_fields_settings_and_version(database_url, shop, capsys, tmp_path) -> None:
    hana = str(shop["hana"])
    code, out, err = run(capsys, database_url, "customers", "update", hana, "--phone", "+64 6 835 0000",
                         "--pricing-tier", "retail", "--company", "Thornbury Joinery", "--json")
    assert code == 0, err
    detail = json.loads(out)
    assert detail["product_pricing_tier_id"] == shop["tier"] and detail["company"] == "Thornbury Joinery"
    version = detail["version"]
    code, out, _ = run(capsys, database_url, "customers", "update", hana, "--company", "", "--json")
    assert json.loads(out)["company"] is None  # '' clears

    before = snapshot(capsys, database_url, tmp_path)
    for argv, says in (
        (["--company", "Late Ltd", "--expect-version", str(version)], "changed by someone else"),
        (["--store", "Nowhere"], "no store named 'Nowhere'"),
        (["--email", "not an email"], "mail"),
        ([], "nothing to change"),
    ):
        code, out, err = run(capsys, database_url, "customers", "update", hana, *argv)
        assert code == 1 and out == "" and says in err and err.count("\n") == 1, (argv, err)
    assert snapshot(capsys, database_url, tmp_path) == before


@both
def test_delete_check_deletable_archive_and_unarchive(database_url, shop, capsys, tmp_path) -> None:
    code, out, err = run(capsys, database_url, "customers", "check-deletable", str(shop["hana"]), str(shop["yuki"]),
                         "--json")
    assert code == 0, err
    rows = {r["customer_id"]: r for r in json.loads(out)}
    assert rows[shop["hana"]]["deletable"] is False and rows[shop["hana"]]["sales_orders"] == 1
    assert rows[shop["yuki"]]["deletable"] is True and rows[shop["yuki"]]["reason"] is None
    code, _, err = run(capsys, database_url, "customers", "check-deletable", "999999")
    assert code == 1 and "999999 does not exist" in err

    code, out, err = run(capsys, database_url, "customers", "delete", str(shop["hana"]), str(shop["yuki"]))
    assert code == 1
    assert out.strip() == f"Deleted Yuki Coldwell ({shop['yuki']})"
    assert err.count("\n") == 1 and "Hana Thornbury cannot be deleted: linked to 1 sales order" in err

    code, out, _ = run(capsys, database_url, "customers", "archive", str(shop["kiri"]), str(shop["kiri"]))
    assert code == 0 and out.strip() == f"Archived Kiri Prescott ({shop['kiri']})"
    code, out, _ = run(capsys, database_url, "customers", "archive", str(shop["kiri"]))
    assert code == 0 and "already archived" in out
    code, out, _ = run(capsys, database_url, "customers", "unarchive", str(shop["kiri"]))
    assert code == 0 and out.strip() == f"Unarchived Kiri Prescott ({shop['kiri']})"


@both
def test_bulk_all_needs_yes_and_is_one_transaction(database_url, shop, capsys, tmp_path) -> None:
    before = snapshot(capsys, database_url, tmp_path)
    code, out, err = run(capsys, database_url, "customers", "bulk", "archive", "--all", "--sales-rep", "Mere Tuhoe")
    assert code == 1 and out == "" and "would archive 2 customers" in err and "--yes" in err
    assert snapshot(capsys, database_url, tmp_path) == before

    code, out, err = run(capsys, database_url, "customers", "bulk", "archive", "--all", "--sales-rep", "Mere Tuhoe",
                         "--yes", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["action"] == "archive" and result["done"] == 2 and result["bulk_action_id"]
    assert sorted(o["name"] for o in result["outcomes"] if o["done"]) == ["Hana Thornbury", "Kiri Prescott"]
    db = open_database(database_url)
    try:
        with db.read() as s:
            assert [a.count for a in cs.list_bulk_actions(s)] == [2]  # one undoable entry
    finally:
        db.dispose()

    code, out, err = run(capsys, database_url, "customers", "bulk", "delete", "--ids",
                         f"{shop['hana']},{shop['yuki']},999999")
    assert code == 1
    assert f"Deleted: Yuki Coldwell ({shop['yuki']})" in out
    refusals = [line for line in err.splitlines() if line.startswith("customer-desk:")]
    assert len(refusals) == 2 and any("Hana Thornbury" in r and "sales order" in r for r in refusals)
    assert any("999999" in r for r in refusals)


@both
def test_addresses_list_add_dedup_and_defaults(database_url, shop, capsys, tmp_path) -> None:
    yuki = str(shop["yuki"])
    code, out, err = run(capsys, database_url, "addresses", "add", yuki, "--label", "Depot", "--address1",
                         "9 Port Road", "--city", "Nelson", "--zip", "7010", "--country-code", "NZ", "--json")
    assert code == 0, err
    added = json.loads(out)
    assert added["label"] == "Depot" and added["duplicate"] is False and added["is_default_billing"] is False
    code, out, _ = run(capsys, database_url, "addresses", "add", yuki, "--address1", "9  PORT road", "--city",
                       "nelson", "--zip", "7010", "--country-code", "nz", "--json")
    again = json.loads(out)
    assert code == 0 and again["duplicate"] is True and again["id"] == added["id"]  # nothing added
    code, out, _ = run(capsys, database_url, "addresses", "set-default-billing", yuki, str(added["id"]))
    assert code == 0 and "Default billing address" in out
    code, out, _ = run(capsys, database_url, "addresses", "list", yuki, "--json")
    listed = json.loads(out)
    assert len(listed) == 2 and [a["id"] for a in listed if a["is_default_billing"]] == [added["id"]]
    before = snapshot(capsys, database_url, tmp_path)
    code, out, err = run(capsys, database_url, "addresses", "set-default-shipping", str(shop["hana"]), str(added["id"]))
    assert code == 1 and out == "" and f"does not belong to customer {shop['hana']}" in err
    assert snapshot(capsys, database_url, tmp_path) == before


def test_wrong_command_lines_exit_2_and_help_names_the_exit_codes(database_url, capsys) -> None:
    for argv in (["customers", "get", "x"], ["customers", "bulk", "archive", "--ids", "1", "--all"],
                 ["customers", "bulk", "delete"], ["customers", "list", "--limit", "0"],
                 ["customers", "delete"], ["addresses", "set-default-shipping", "1"],
                 ["customers", "list", "--sort", "-colour"]):
        with pytest.raises(SystemExit) as stop:
            main(["--database", database_url, *argv])
        assert stop.value.code == 2, argv
    capsys.readouterr()
    for argv in (["customers", "list"], ["customers", "bulk", "archive"], ["addresses", "add"], ["customers"]):
        with pytest.raises(SystemExit):
            main([*argv, "--help"])
        assert "exit codes: 0 done; 1 refused" in " ".join(capsys.readouterr().out.split()), argv
