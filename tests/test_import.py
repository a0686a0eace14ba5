"""Import behaviour on a real store (SQLite and PostgreSQL): updates and their before → after, financial
alerts, duplicates against the store, export → import round trip, undo, strict and dry runs on the command
line (the database file unchanged byte for byte), error rows saved and re-imported, cancel, conflicts."""

from __future__ import annotations

import csv
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop.cli import main
from desktop.importing import plan as imp_plan
from desktop.importing import mapping as imp_mapping
from desktop.importing.commit import (
    ImportConflict,
    UndoRefused,
    commit_preview,
    import_file,
    list_batches,
    undo_batch,
)
from desktop.importing.errors_csv import write_error_rows
from desktop.importing.mapping import auto_mapping
from desktop.importing.reading import open_source
from desktop.services import customers as cs
from desktop.services.customer_list import CustomerQuery
from desktop.services.errors import Cancelled
from desktop.services.export import export_customers
from desktop.store import models as m
from desktop.store.engine import Database, open_database
from tests import factories as f


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def do_import(db: Database, path: Path, **options):  # type: ignore[no-untyped-def]
    source = open_source(path)
    return import_file(db, source, auto_mapping(source.header), imp_plan.Options(**options))


def preview_of(db: Database, path: Path, **options) -> imp_plan.Preview:  # type: ignore[no-untyped-def]
    source = open_source(path)
    with db.read() as s:
        return imp_plan.preview(s, source, auto_mapping(source.header), imp_plan.Options(**options), keep_rows=True)


def customer_count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(m.Customer.id)))


def snapshot(db: Database, *, ignore: tuple[str, ...] = ()) -> list[dict]:
    """Every customer and address as stored (ids, versions and all, but the `ignore`d columns)."""
    with db.read() as s:
        customers = s.execute(select(m.Customer.__table__).order_by(m.Customer.id)).mappings().all()
        addresses = s.execute(select(m.Address.__table__).order_by(m.Address.id)).mappings().all()
    return [{k: v for k, v in r.items() if k not in ignore} for r in [*customers, *addresses]]


@pytest.fixture
def aroha(db: Database) -> cs.CustomerDetail:
    return f.create(db, {"name": "Aroha Kowhai", "email": "aroha@kowhai.example", "company": "Kowhai Traders",
                         "address1": "12 Kauri Street", "city": "Auckland", "zip": "1010", "country_code": "NZ"})


def test_update_shows_each_changed_field_and_unchanged_rows_stay(db: Database, aroha, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "update.csv", [
        ["Email", "Company", "Phone", "City"],
        ["AROHA@kowhai.example", "Kowhai Traders Ltd", "+64 9 555 0101", "Auckland"],
    ])
    preview = preview_of(db, path)
    assert preview.summary.update == 1 and preview.summary.create == 0
    row = preview.rows[0]
    assert row.status is imp_plan.Status.UPDATE and row.customer_id == aroha.id
    assert row.changes == {"company": ("Kowhai Traders", "Kowhai Traders Ltd"), "phone": (None, "+64 9 555 0101")}
    _, done = do_import(db, path)
    assert done is not None and done.updated == 1
    after = f.get(db, aroha.id)
    assert (after.company, after.phone, after.version) == ("Kowhai Traders Ltd", "+64 9 555 0101", aroha.version + 1)
    again = preview_of(db, path)
    assert again.summary.unchanged == 1 and again.summary.update == 0


def test_match_by_id_changes_the_address_in_place(db: Database, aroha, tmp_path: Path) -> None:
    """An id beside the customer's created_at (as this store's export writes them) names that customer."""
    created = f.get(db, aroha.id).created_at.isoformat(sep=" ", timespec="seconds")
    path = write_csv(tmp_path / "by_id.csv", [["id", "name", "address1", "zip", "created_at"],
                                              [str(aroha.id), "Aroha Kowhai", "14 Kauri St", "1011", created]])
    preview = preview_of(db, path)
    assert preview.rows[0].changes == {"address1": ("12 Kauri Street", "14 Kauri St"), "zip": ("1010", "1011")}
    do_import(db, path)
    shipping = f.get(db, aroha.id).default_shipping_address
    assert shipping is not None and (shipping.address1, shipping.zip, shipping.city) == ("14 Kauri St", "1011", "Auckland")


@pytest.mark.parametrize("created", [None, "2001-02-03 04:05:06"])
def test_an_id_from_another_store_names_no_customer_of_this_one(db: Database, aroha, tmp_path: Path,
                                                                created: str | None) -> None:
    """A bare id (a web shop's file), or one whose created_at is not this customer's (another store's
    export), is not this store's customer: the row is matched by email, and here creates a new customer."""
    header, row = ["id", "name", "email"], [str(aroha.id), "Isobel Rainsford", "isobel@rainsford.example"]
    if created is not None:
        header, row = header + ["created_at"], row + [created]
    path = write_csv(tmp_path / "other.csv", [header, row])
    preview = preview_of(db, path)
    assert preview.summary.create == 1 and preview.summary.update == 0
    if created is None:
        assert imp_mapping.id_note(preview.source.header, preview.mapping) == imp_mapping.ID_IGNORED
    else:
        assert any("created at another time" in i.message for i in preview.issues)
    do_import(db, path)
    assert f.get(db, aroha.id).name == "Aroha Kowhai" and customer_count(db) == 2


def test_financial_alerts(db: Database, aroha, tmp_path: Path) -> None:
    with db.transaction() as s:
        gold = f.pricing_tier(s, "Gold")
        f.sales_order(s, aroha.id, lines=[("2", "10.00")])
        s.flush()
        gold_id = gold.id
    path = write_csv(tmp_path / "alerts.csv", [
        ["Email", "Pricing Tier", "Store", "Sales Rep", "Name"],
        ["aroha@kowhai.example", "gold", "Nowhere Store", "", ""],
        ["new@customer.example", "", "", "Nobody Rep", "Nova Customer"],
    ])
    preview = preview_of(db, path)
    alerts = [(i.row, i.column, i.message) for i in preview.issues if i.kind == "financial alert"]
    assert (2, "Pricing Tier", "changes the pricing tier of an existing customer") in alerts
    assert (2, "Store", "unknown store 'Nowhere Store': left unset") in alerts
    assert (3, "Sales Rep", "unknown sales rep 'Nobody Rep': left unset") in alerts
    assert (2, "", "changes a customer with unpaid orders") in alerts
    assert preview.summary.alerts == len(alerts)
    do_import(db, path)
    assert f.get(db, aroha.id).product_pricing_tier_id == gold_id


def test_possible_duplicate_of_a_stored_customer_is_not_created_unless_allowed(db: Database, aroha, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dupe.csv", [["Name", "Address1", "Zip"], ["Aroha Kowhai", "12 Kauri St.", "1010"]])
    preview = preview_of(db, path)
    assert preview.summary.duplicates == 1 and preview.summary.create == 0
    assert preview.rows[0].candidates[0][0] == aroha.id
    _, done = do_import(db, path)
    assert done is None and customer_count(db) == 1
    _, done = do_import(db, path, allow_duplicates=True)
    assert done is not None and done.created == 1 and customer_count(db) == 2


def test_export_then_import_round_trip(db: Database, tmp_path: Path) -> None:
    def methods(s) -> dict[str, int]:  # type: ignore[no-untyped-def]
        return {"overnight": f.shipping_method(s, "Overnight Courier").id,
                "air": f.shipping_method(s, "International Air", is_international=True).id,
                "economy": f.shipping_method(s, "International Economy", is_international=True).id}

    with db.transaction() as s:
        rep = f.sales_rep(s, "Mere Tuhoe")
        s.flush()
        rep_id = rep.id
        way = methods(s)
    rows = [
        {"name": "=Formula Person", "company": "+Plus Co", "email": "formula@person.example", "phone": "+64 9 555 0101",
         "address1": "-1 Minus Street", "city": "Auckland", "zip": "1010", "country_code": "NZ",
         "default_sales_rep_id": rep_id},
        {"name": "Zoë Müller", "email": "zoe@muller.example", "address1": "3 Königstraße", "zip": "80331",
         "country_code": "DE"},
        {"name": "Plain Name"},
    ]
    for data in rows:
        f.create(db, data, allow_duplicate=True)
    with db.transaction() as s:  # notes and shipping methods are set on an existing customer (update only)
        first_id = s.scalar(select(func.min(m.Customer.id)))
        cs.update_customer(s, first_id, {"notes": 'Leave at the "back" door,\nring twice — ☎ Ōtaki',
                                         "shipping_method_domestic_id": way["overnight"],
                                         "shipping_method_international_id": way["air"]})
    first = tmp_path / "first.csv"
    with db.read() as s:
        export_customers(s, CustomerQuery(sort="id"), first)
    before = snapshot(db)
    preview = preview_of(db, first)
    assert preview.summary.unchanged == 3 and preview.summary.update == 0 and not preview.summary.errors
    do_import(db, first)
    assert snapshot(db) == before  # a re-import of one's own export changes nothing

    fresh_path = tmp_path / "fresh.sqlite3"
    fresh = open_database(f"sqlite:///{fresh_path}")
    try:
        with fresh.transaction() as s:
            f.sales_rep(s, "Mere Tuhoe")
            methods(s)
        _, done = do_import(fresh, first)
        assert done is not None and done.created == 3
        second = tmp_path / "second.csv"
        with fresh.read() as s:
            export_customers(s, CustomerQuery(sort="id"), second)
    finally:
        fresh.dispose()

    def content(path: Path) -> list[list[str]]:
        with path.open(encoding="utf-8", newline="") as stream:
            table = list(csv.reader(stream))
        keep = [i for i, h in enumerate(table[0]) if h not in ("id", "created_at")]
        return [[r[i] for i in keep] for r in table]

    assert content(second) == content(first)
    header = content(first)[0]
    assert content(first)[1][header.index("notes")] == 'Leave at the "back" door,\nring twice — ☎ Ōtaki'
    assert content(first)[1][header.index("international_shipping")] == "International Air"

    # Edited in a spreadsheet and imported back: exactly those fields change.
    with first.open(encoding="utf-8", newline="") as stream:
        table = list(csv.reader(stream))
    table[1][table[0].index("notes")] = "Side door"
    table[1][table[0].index("international_shipping")] = "International Economy"
    edited = write_csv(tmp_path / "edited.csv", table)
    preview = preview_of(db, edited)
    assert preview.summary.update == 1 and preview.summary.unchanged == 2 and not preview.summary.errors
    do_import(db, edited)
    after = snapshot(db)
    changed = {k for r_before, r_after in zip(before, after) for k in r_before if r_before[k] != r_after[k]}
    assert changed <= {"notes", "shipping_method_international_id", "version", "updated_at"}
    with db.read() as s:
        got = cs.get_customer(s, first_id)
    assert got.notes == "Side door" and got.shipping_method_international_id == way["economy"]
    assert got.shipping_method_domestic_id == way["overnight"]


def test_undo_reverts_creates_and_updates(db: Database, aroha, tmp_path: Path) -> None:
    before = snapshot(db)
    path = write_csv(tmp_path / "mixed.csv", [
        ["Name", "Email", "Company", "Address1", "Zip"],
        ["Aroha Kowhai", "aroha@kowhai.example", "Kowhai Holdings", "", ""],
        ["Tama Ruru", "tama@ruru.example", "", "5 Rimu Road", "6011"],
        ["Tama Ruru", "tama@ruru.example", "", "7 Rimu Road", "6011"],
    ])
    _, done = do_import(db, path)
    assert done is not None and (done.created, done.updated) == (1, 1)
    with db.read() as s:
        batches = list_batches(s)
    assert [(b.id, b.created, b.updated, b.state) for b in batches] == [(done.batch_id, 1, 1, "committed")]
    with db.transaction() as s:
        result = undo_batch(s, done.batch_id)
    assert (result.deleted, result.restored) == (1, 1)
    # Same rows and values; only Aroha's version and time moved on (import, then undo).
    moving = ("version", "updated_at")
    assert snapshot(db, ignore=moving) == [{k: v for k, v in r.items() if k not in moving} for r in before]
    assert f.get(db, aroha.id).company == "Kowhai Traders"
    with db.transaction() as s, pytest.raises(UndoRefused, match="already undone"):
        undo_batch(s, done.batch_id)


def test_undo_refused_when_a_customer_changed_since(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "new.csv", [["Name", "Email"], ["Hemi Kaka", "hemi@kaka.example"],
                                            ["Rangi Kea", "rangi@kea.example"]])
    _, done = do_import(db, path)
    assert done is not None
    with db.read() as s:
        hemi = s.scalar(select(m.Customer.id).where(m.Customer.name == "Hemi Kaka"))
    with db.transaction() as s:
        cs.update_customer(s, hemi, {"company": "Kaka Ltd"})
    with db.transaction() as s, pytest.raises(UndoRefused) as refused:
        undo_batch(s, done.batch_id)
    assert f"Hemi Kaka (id {hemi})" in str(refused.value) and "Rangi" not in str(refused.value)
    assert customer_count(db) == 2


def test_commit_refuses_when_a_customer_changed_since_the_preview(db: Database, aroha, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "stale.csv", [["Email", "Company"], ["aroha@kowhai.example", "From the file"]])
    preview = preview_of(db, path)
    with db.transaction() as s:
        cs.update_customer(s, aroha.id, {"company": "Edited by a colleague"})
    with pytest.raises(ImportConflict, match=f"Customer {aroha.id} was changed since the preview"):
        with db.transaction() as s:
            commit_preview(s, preview)
    assert f.get(db, aroha.id).company == "Edited by a colleague"
    with db.read() as s:
        assert s.scalar(select(func.count(m.ImportBatch.id))) == 0


def test_cancel_during_commit_rolls_everything_back(db: Database, aroha, tmp_path: Path) -> None:
    rows = [["Name", "Email", "Address1", "Zip"]] + [
        [f"Person {i}", f"person{i}@example.example", f"{i} Long Road", "1010"] for i in range(12_000)
    ]
    path = write_csv(tmp_path / "big.csv", rows)
    before = snapshot(db)
    calls = []

    def progress(done: int, _total: int) -> None:
        calls.append(done)
        if done >= 10_000:
            raise Cancelled()

    source = open_source(path)
    with pytest.raises(Cancelled):
        import_file(db, source, auto_mapping(source.header), progress=progress)
    assert calls and calls[-1] >= 10_000  # it had written two chunks before the cancel
    assert snapshot(db) == before
    with db.read() as s:
        assert s.scalar(select(func.count(m.ImportBatch.id))) == 0
        assert s.scalar(select(func.count(m.ChangeLog.id)).where(m.ChangeLog.action == "import")) == 0


def test_error_rows_saved_fixed_and_imported_again(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "some_bad.csv", [
        ["Name", "Email", "Notes"],
        ["Good One", "good@one.example", "=1+1"],
        ["Bad Email", "bad@@one.example", "=2+2"],
        ["", "nameless@one.example", ""],
    ])
    preview = preview_of(db, path)
    out = tmp_path / "errors.csv"
    assert write_error_rows(preview, out) == 2
    with out.open(encoding="utf-8-sig", newline="") as stream:
        table = list(csv.reader(stream))
    assert table[0] == ["Name", "Email", "Notes", "error"]
    assert table[1][:3] == ["Bad Email", "bad@@one.example", "'=2+2"]
    assert table[1][3].startswith("Email: is not a valid email address")
    assert table[2][3] == "Name: is required for a new customer"
    fixed = [["Name", "Email", "Notes"], ["Bad Email", "bad@one.example", table[1][2]],
             ["Named Now", "nameless@one.example", ""]]
    _, done = do_import(db, write_csv(tmp_path / "fixed.csv", fixed))
    assert done is not None and done.created == 2
    with db.read() as s:
        notes = s.scalar(select(m.Customer.notes).where(m.Customer.name == "Bad Email"))
    assert notes == "=2+2"  # the guard quote of the saved file is gone again


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "store.sqlite3"
    url = f"sqlite:///{path}"
    assert main(["init", url]) == 0
    assert main(["--database", url, "demo", "--customers", "20", "--seed", "3"]) == 0
    return url, path


def test_cli_dry_run_and_strict_refusal_leave_the_file_byte_for_byte(sqlite_store, tmp_path: Path, capsys) -> None:
    url, store_path = sqlite_store
    bad = write_csv(tmp_path / "bad.csv", [["Name", "Email"], ["Good One", "good@one.example"], ["Bad", "x@@y"]])
    digest = file_digest(store_path)
    assert main(["--database", url, "import", str(bad), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "To create:            1" in out and "row 3, Email: is not a valid email address" in out
    assert "Dry run: nothing was written." in out
    assert main(["--database", url, "import", str(bad), "--strict"]) == 1
    assert "Refused (--strict): 1 rows have errors" in capsys.readouterr().out
    assert main(["--database", url, "import", str(bad), "--strict", "--dry-run"]) == 1
    assert file_digest(store_path) == digest
    errors = tmp_path / "out" / "errors.csv"
    errors.parent.mkdir()
    assert main(["--database", url, "import", str(bad), "--errors", str(errors)]) == 0
    out = capsys.readouterr().out
    assert "Imported as batch" in out and "1 created" in out and errors.exists()
    assert file_digest(store_path) != digest


def test_cli_unreadable_file_exits_2_with_one_line(sqlite_store, tmp_path: Path, capsys) -> None:
    url, store_path = sqlite_store
    digest = file_digest(store_path)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["--database", url, "import", str(empty)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["customer-desk: empty.csv is empty: there are no customers to import."]
    assert main(["--database", url, "import", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv does not exist" in capsys.readouterr().err
    assert file_digest(store_path) == digest


def test_cli_imports_list_and_undo(sqlite_store, tmp_path: Path, capsys) -> None:
    url, _ = sqlite_store
    path = write_csv(tmp_path / "two.csv", [["Name", "Email"], ["Hemi Kaka", "hemi@kaka.example"],
                                            ["Rangi Kea", "rangi@kea.example"]])
    assert main(["--database", url, "import", str(path), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["--database", url, "imports", "list"]) == 0
    listing = capsys.readouterr().out
    assert "two.csv" in listing and "committed" in listing
    batch_id = int(listing.splitlines()[1].split()[0])
    assert main(["--database", url, "imports", "undo", str(batch_id)]) == 0
    assert "2 customers deleted" in capsys.readouterr().out
    assert main(["--database", url, "imports", "undo", str(batch_id)]) == 1
    assert "already undone" in capsys.readouterr().err
    assert main(["--database", url, "imports", "undo", "999999"]) == 1


def test_same_email_across_chunks_is_one_customer(db: Database, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(imp_plan, "CHUNK_ROWS", 2)
    path = write_csv(tmp_path / "spread.csv", [
        ["Name", "Email", "Address1", "Zip"],
        ["Kiri Pukeko", "kiri@pukeko.example", "7 Harbour View", "3110"],
        ["Other One", "other@one.example", "", ""],
        ["Third One", "third@one.example", "", ""],
        ["Kiri Pukeko", "Kiri@pukeko.example", "88 Beach Road", "3116"],
        ["Kiri Pukeko", "kiri@pukeko.example", "7 Harbour View", "3110"],
    ])
    preview, done = do_import(db, path)
    assert done is not None and done.created == 3 and preview.summary.same_as == 2
    with db.read() as s:
        kiri = s.scalar(select(m.Customer.id).where(m.Customer.email == "kiri@pukeko.example"))
        addresses = s.scalars(select(m.Address.address1).where(m.Address.customer_id == kiri).order_by(m.Address.id)).all()
    assert addresses == ["7 Harbour View", "88 Beach Road"]


def test_a_row_of_an_earlier_rows_customer_adds_its_billing_address_too(db: Database, tmp_path: Path) -> None:
    """A row with the email of an earlier row adds both addresses it gives (this app's export columns):
    the shipping one and the billing one, each once; the customer's defaults stay those of its first row,
    and undo takes the added addresses away again."""
    path = write_csv(tmp_path / "twice.csv", [
        ["name", "email", "address1", "city", "zip", "country_code",
         "billing_address1", "billing_city", "billing_zip", "billing_country_code"],
        ["Mere Kahu", "mere@kahu.example", "4 Ferry Road", "Napier", "4110", "NZ", "", "", "", ""],
        ["Mere Kahu", "MERE@kahu.example", "9 Quay Street", "Napier", "4110", "NZ",
         "PO Box 12", "Hastings", "4156", "NZ"],
        ["Mere Kahu", "mere@kahu.example", "4 Ferry Road", "Napier", "4110", "NZ",
         "PO Box 12", "Hastings", "4156", "NZ"],
    ])
    preview, done = do_import(db, path)
    assert done is not None and done.created == 1 and preview.summary.same_as == 2
    assert done.addresses_added == 3
    with db.read() as s:
        mere = cs.get_customer(s, s.scalar(select(m.Customer.id).where(m.Customer.email == "mere@kahu.example")))
    assert sorted(a.address1 for a in mere.addresses) == ["4 Ferry Road", "9 Quay Street", "PO Box 12"]
    assert mere.default_shipping_address is not None and mere.default_shipping_address.address1 == "4 Ferry Road"
    assert mere.default_billing_address_id == mere.default_shipping_address_id
    box = next(a for a in mere.addresses if a.address1 == "PO Box 12")
    assert (box.city, box.zip, box.country_code) == ("Hastings", "4156", "NZ")
    with db.transaction() as s:
        undo_batch(s, done.batch_id)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(m.Address)) == 0


def test_money_values_are_untouched_by_imports(db: Database, aroha, tmp_path: Path) -> None:
    """An import only changes customers and addresses: orders and credits keep every cent."""
    with db.transaction() as s:
        f.sales_credit(s, aroha.id)
    with db.read() as s:
        before = s.execute(select(m.SalesCredit.id, m.SalesCredit.total)).all()
    path = write_csv(tmp_path / "co.csv", [["Email", "Company"], ["aroha@kowhai.example", "New Name Ltd"]])
    preview = preview_of(db, path)
    assert any("open sales credits" in i.message for i in preview.issues)
    do_import(db, path)
    with db.read() as s:
        assert s.execute(select(m.SalesCredit.id, m.SalesCredit.total)).all() == before
    assert all(isinstance(t, Decimal) for _i, t in before)


def test_imported_and_updated_customers_are_found_by_search(db: Database, aroha, tmp_path: Path) -> None:
    from desktop.services.customer_list import iter_customers

    path = write_csv(tmp_path / "search.csv", [
        ["Name", "Email", "Company", "Zip"],
        ["Aroha Kowhai", "aroha@kowhai.example", "Pohutukawa Imports", "2468"],
        ["Tama Ruru", "tama@ruru.example", "Rimu Holdings", "6011"],
    ])
    do_import(db, path)

    def found(term: str) -> list[str]:
        with db.read() as s:
            return [r.name for r in iter_customers(s, CustomerQuery(search=term, sort="name"))]

    assert found("pohutukawa") == ["Aroha Kowhai"]  # the updated company
    assert found("Kowhai Traders") == []  # its old company is gone from the index
    assert found("2468") == ["Aroha Kowhai"]  # the zip of its edited default address
    assert found("rimu hold") == ["Tama Ruru"] and found("tama@ruru") == ["Tama Ruru"]
    with db.transaction() as s:  # the index keeps itself current after the import as before
        cs.update_customer(s, aroha.id, {"company": "Kauri Exports"})
    assert found("kauri exp") == ["Aroha Kowhai"]


def test_duplicates_found_in_every_chunk_and_never_against_the_import_itself(db: Database, aroha, tmp_path: Path,
                                                                             monkeypatch) -> None:
    monkeypatch.setattr(imp_plan, "CHUNK_ROWS", 2)
    path = write_csv(tmp_path / "chunks.csv", [
        ["Name", "Address1", "Zip"],
        ["Hemi Kaka", "3 Kauri Street", "1010"],
        ["Aroha Kowhai", "12 KAURI ST.", "1010"],  # chunk 1: a duplicate of the stored customer
        ["Rangi Kea", "5 Kauri Street", "1010"],
        ["Aroha Kowhai", "12 Kauri Street", "1010"],  # chunk 2: the same zip block, read once
        ["Hemi Kaka", "3 Kauri St", "1010"],  # looks like row 2, which this import creates: not a duplicate
    ])
    preview = preview_of(db, path)
    assert [(r.row, r.status.value) for r in preview.rows] == [
        (2, "create"), (3, "possible duplicate"), (4, "create"), (5, "possible duplicate"), (6, "create")]
    assert {r.candidates[0][0] for r in preview.rows if r.candidates} == {aroha.id}
    committed, done = do_import(db, path)
    assert committed.summary.as_dict() == preview.summary.as_dict()  # the commit does what the preview showed
    assert done is not None and done.created == 3


def test_the_default_billing_address_makes_the_round_trip(db: Database, tmp_path: Path) -> None:
    """The export's billing_… columns (empty when billing is the shipping address) are read back: a new
    store gets the same two addresses; an edited billing cell edits the separate billing address in place;
    billing cells for a customer billed at its shipping address give it a billing address of its own; undo
    puts every pointer and address back."""
    split = f.create(db, {"name": "Tui Billing", "email": "tui@billing.example", "address1": "5 Dock Road",
                          "city": "Napier", "zip": "4110", "country_code": "NZ",
                          "default_billing_address": {"address1": "PO Box 9", "city": "Hastings", "zip": "4156",
                                                      "country_code": "NZ"}})
    same = f.create(db, {"name": "Rua Same", "email": "rua@same.example", "address1": "8 Hill Street",
                         "city": "Nelson", "zip": "7010", "country_code": "NZ"})
    first = tmp_path / "first.csv"
    with db.read() as s:
        export_customers(s, CustomerQuery(sort="id"), first)
    with first.open(encoding="utf-8", newline="") as stream:
        table = list(csv.reader(stream))
    head = table[0]
    assert table[1][head.index("billing_address1")] == "PO Box 9" and table[1][head.index("billing_zip")] == "4156"
    assert all(table[2][head.index(c)] == "" for c in head if c.startswith("billing_"))
    assert preview_of(db, first).summary.unchanged == 2

    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        do_import(fresh, first)
        with fresh.read() as s:
            made = {c.name: c for c in (cs.get_customer(s, r.id) for r in list_rows(s))}
        tui = made["Tui Billing"]
        assert tui.default_billing_address is not None and tui.default_billing_address.city == "Hastings"
        assert tui.default_shipping_address is not None and tui.default_shipping_address.city == "Napier"
        assert made["Rua Same"].default_billing_address_id == made["Rua Same"].default_shipping_address_id
    finally:
        fresh.dispose()

    before = snapshot(db)
    table[1][head.index("billing_city")] = "Havelock North"
    table[2][head.index("billing_address1")] = "PO Box 3"
    table[2][head.index("billing_city")] = "Richmond"
    edited = write_csv(tmp_path / "edited.csv", table)
    preview = preview_of(db, edited)
    assert preview.summary.update == 2 and not preview.summary.errors
    _, done = do_import(db, edited)
    assert done is not None
    with db.read() as s:
        tui, rua = cs.get_customer(s, split.id), cs.get_customer(s, same.id)
    assert tui.default_billing_address_id == split.default_billing_address_id  # edited in place
    assert tui.default_billing_address.city == "Havelock North" and tui.default_shipping_address.city == "Napier"
    assert rua.default_billing_address_id != rua.default_shipping_address_id
    assert (rua.default_billing_address.address1, rua.default_billing_address.city) == ("PO Box 3", "Richmond")
    assert rua.default_shipping_address.city == "Nelson" and len(rua.addresses) == 2
    with db.transaction() as s:
        undo_batch(s, done.batch_id)
    assert snapshot(db, ignore=("version", "updated_at")) == [
        {k: v for k, v in r.items() if k not in ("version", "updated_at")} for r in before]


def list_rows(s):  # type: ignore[no-untyped-def]
    from desktop.services.customer_list import iter_customers

    return list(iter_customers(s, CustomerQuery(sort="id")))


def test_billing_columns_are_the_billing_address_only_in_this_apps_export() -> None:
    ours = ["id", "name", "address1", "city", "billing_address1", "billing_city"]
    assert list(auto_mapping(ours).values()) == ["id", "name", "address1", "city", "billing_address1",
                                                  "billing_city"]
    shop = ["billing_first_name", "billing_last_name", "billing_address_1", "billing_city", "billing_postcode"]
    assert list(auto_mapping(shop).values()) == ["first_name", "last_name", "address1", "city", "zip"]


def _big_mixed_file(path: Path, rows: int) -> Path:
    """Rows of every kind a reading worker must treat as the main process would: valid ones, bad emails,
    impossible phones, bad post codes, unknown countries, a repeated email, accents and an empty name."""
    lines = [["Name", "Company", "Email", "Phone", "Address1", "City", "Zip", "Country Code"]]
    for i in range(rows):
        kind = i % 7
        lines.append([
            "" if kind == 6 else ("Aroha Shared" if kind == 2 else f"Zoë Kowhai {i}"), f"Kowhai Trading {i % 13}" if i % 2 else "",
            "not-an-email" if kind == 1 else ("shared@example.example" if kind == 2 else f"z{i}@example.example"),
            "+64 1" if kind == 3 else f"+64 9 {200 + i % 700} {1000 + i % 9000}",
            f"{i % 400} Kauri Street", "Auckland", "ABC" if kind == 4 else f"{1000 + i % 9000}",
            "XX" if kind == 5 else "NZ",
        ])
    return write_csv(path, lines)


def _planned(preview: imp_plan.Preview) -> list[tuple]:  # type: ignore[type-arg]
    return [(p.row, p.status, p.values, [str(i) for i in p.issues], p.billing, p.customer_id, p.first_row)
            for p in preview.rows]


def test_a_big_file_read_by_a_worker_process_plans_exactly_as_one_process(db: Database, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = _big_mixed_file(tmp_path / "big.csv", 2 * imp_plan.CHUNK_ROWS + 321)
    alone = preview_of(db, path)
    assert imp_plan.read_workers(open_source(path)) == 0  # a small file is read in the main process

    monkeypatch.setattr(imp_plan, "PARALLEL_MIN_BYTES", 0)
    from_workers: list[int] = []
    real = imp_plan.RowReader.from_compact

    def spy(records, compact):  # type: ignore[no-untyped-def]
        from_workers.append(len(records))
        return real(records, compact)

    monkeypatch.setattr(imp_plan.RowReader, "from_compact", staticmethod(spy))
    assert imp_plan.read_workers(open_source(path)) >= 1
    together = preview_of(db, path)
    # The first chunk always comes from a worker (later ones may be read here rather than waited for).
    assert from_workers and from_workers[0] == imp_plan.CHUNK_ROWS
    assert _planned(together) == _planned(alone)
    assert together.summary.as_dict() == alone.summary.as_dict()
    assert alone.summary.errors > 0 and alone.summary.same_as > 0  # the file does hold every kind
