"""The awkward-file corpus (tests/import_corpus/files, written by make_corpus.py): each file imported into a
real store on SQLite and PostgreSQL, with the exact customers it must produce, the rows it must refuse and
the files that cannot be read at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from desktop.importing.commit import import_file
from desktop.importing.mapping import auto_mapping
from desktop.importing.reading import UnreadableFile, open_source
from desktop.store import models as m
from desktop.store.engine import Database

FILES = Path(__file__).with_name("import_corpus") / "files"
SHOWN = ("name", "company", "email", "phone", "notes")
WHERE = ("address1", "address2", "city", "province", "province_code", "zip", "country", "country_code")

BASIC = [
    {"name": "Aroha Kowhai", "email": "aroha@kowhai.example", "address1": "12 Kauri Street", "city": "Auckland",
     "zip": "1010", "country_code": "NZ", "country": "New Zealand"},
    {"name": "Zoë Müller", "email": "zoe@muller.example", "address1": "3 Königstraße", "city": "München",
     "zip": "80331", "country_code": "DE", "country": "Germany"},
    {"name": "João Conceição", "email": "joao@conceicao.example", "address1": "Rua das Flores, 45",
     "city": "São Paulo", "zip": "01001-000", "country_code": "BR", "country": "Brazil"},
]

# file -> (summary counts that must hold, customers in the store afterwards, (row, column) of each error)
CASES: dict[str, tuple[dict[str, int], list[dict[str, Any]], list[tuple[int, str]]]] = {
    "01_utf8_comma_lf.csv": ({"rows": 3, "create": 3}, BASIC, []),
    "02_utf8_bom_semicolon_crlf.csv": ({"rows": 3, "create": 3}, BASIC, []),
    "03_excel_unicode_text.txt": ({"rows": 3, "create": 3}, BASIC, []),
    "04_utf16_be_bom_comma.csv": ({"rows": 3, "create": 3}, BASIC, []),
    "05_cp1252_semicolon.csv": ({"rows": 2, "create": 2}, [
        {"name": "Renée Lefèvre", "company": "Café Crème SARL", "email": "renee@cafe-creme.example",
         "city": "Besançon", "country": "France", "country_code": "FR"},
        {"name": "Ånund Sørensen", "company": "Fjørd & Co — 5 € Shop", "email": "anund@fjord.example",
         "city": "Ålesund", "country": "Norway", "country_code": "NO"},
    ], []),
    "06_latin1_pipe_cr.csv": ({"rows": 2, "create": 2}, [
        {"name": "Inés Peña", "city": "Logroño", "zip": "26001", "country_code": "ES", "country": "Spain"},
        {"name": "Björn Ågren", "city": "Göteborg", "zip": "411 03", "country_code": "SE", "country": "Sweden"},
    ], []),
    "07_quoted_delimiters_newlines.csv": ({"rows": 2, "create": 2}, [
        {"name": "Tama Ruru", "company": "Ruru, Kereru & Sons", "address1": "Unit 4, 22 Rimu Road",
         "city": "Wellington", "notes": "Deliver to the back door.\nRing twice."},
        {"name": "Mere Tui", "company": 'Tui "Best" Honey', "address1": "1 Nikau Lane", "city": "Hamilton",
         "notes": "Line one\r\nLine two; with; semicolons"},
    ], []),
    "08_ragged_rows.csv": ({"rows": 3, "create": 2, "errors": 1}, [
        {"name": "Hemi Kaka", "email": "hemi@kaka.example", "city": "Napier"},
        {"name": "Rangi Kea", "email": "rangi@kea.example", "city": "Dunedin", "zip": "9016"},
    ], [(3, "")]),
    "09_same_email_rows.csv": ({"rows": 3, "create": 1, "same_as": 2}, [
        {"name": "Kiri Pukeko", "email": "kiri@pukeko.example", "address1": "7 Harbour View", "city": "Tauranga",
         "zip": "3110", "addresses": 2},
    ], []),
    "10_duplicate_rows.csv": ({"rows": 3, "create": 1, "same_as": 2}, [
        {"name": "Wiremu Hoiho", "email": "wiremu@hoiho.example", "address1": "2 Albatross Way", "city": "Oamaru",
         "zip": "9400", "addresses": 1},
    ], []),
    "11_formulas.csv": ({"rows": 2, "create": 2}, [
        {"name": '=HYPERLINK("http://evil.example","Click")', "company": "+cmd|' /C calc'!A0", "notes": "-2+3",
         "addresses": 0},
        {"name": "@SUM(A1:A9)", "company": "=1+1", "phone": "+64 9 555 0102", "notes": "=1+1", "addresses": 0},
    ], []),
    "12_sql_and_markup.csv": ({"rows": 2, "create": 2}, [
        {"name": "Robert'); DROP TABLE customers;--", "company": "1' OR '1'='1", "city": "<script>alert(1)</script>"},
        {"name": "%s %d {0} ${HOME}", "company": "\\x00 not a NUL", "city": "../../etc/passwd"},
    ], []),
    "13_long_values.csv": ({"rows": 3, "create": 1, "errors": 2}, [
        {"name": "Pania Moana", "company": "Moana Ltd", "notes": "n" * 3000, "addresses": 0},
    ], [(3, "Notes"), (4, "Name")]),
    "15_header_only.csv": ({"rows": 0, "create": 0}, [], []),
    "18_shopify_customers.csv": ({"rows": 2, "create": 2}, [
        {"name": "Ngaio Marsh", "company": "Marsh Books", "email": "ngaio@marsh.example", "phone": "+64 21 555 0100",
         "notes": "VIP", "address1": "10 Cashel St", "address2": "Level 2", "city": "Christchurch",
         "province_code": "CAN", "zip": "8011", "country_code": "NZ", "country": "New Zealand"},
        {"name": "Rewi Alley", "email": "rewi@alley.example", "address1": "5 Queen St", "city": "Auckland",
         "province_code": "AUK", "zip": "1010", "country_code": "NZ", "country": "New Zealand"},
    ], []),
    "19_woocommerce_customers.csv": ({"rows": 1, "create": 1}, [
        {"name": "Kate Sheppard", "company": "Suffrage Ltd", "email": "kate@suffrage.example", "phone": "03 555 0111",
         "address1": "1 Bealey Ave", "city": "Christchurch", "province": "CAN", "zip": "8013", "country_code": "NZ",
         "country": "New Zealand"},
    ], []),
    # Amir's zip is a number cell that lost its leading zero (2134 for 02134): not a US zip, an error named.
    "20_workbook.xlsx": ({"rows": 2, "create": 1, "errors": 1}, [
        {"name": "Ruth Lowe", "email": "ruth@lowe.example", "zip": "02134", "phone": "617 555 0123", "city": "Boston",
         "country_code": "US", "country": "United States"},
    ], [(3, "Zip")]),
    "21_workbook_named_csv.csv": ({"rows": 2, "create": 2}, [
        {"name": "Lena Park", "city": "Seoul"}, {"name": "Min-jun Choi", "city": "Busan"},
    ], []),
    "22_zip_codes.csv": ({"rows": 4, "create": 3, "errors": 1}, [
        {"name": "Ada Brooks", "zip": "02134", "country_code": "US", "country": "United States"},
        {"name": "Ben Cole", "zip": "02134-1234", "country_code": "US", "country": "United States"},
        {"name": "Cy Dunn", "zip": "sw1a 1aa", "country_code": "GB", "country": "United Kingdom"},
    ], [(5, "Zip")]),
    "23_control_characters.csv": ({"rows": 3, "create": 1, "errors": 2}, [
        {"name": "Pat Quinn", "company": "Quinn Ltd", "email": "pat@quinn.example", "addresses": 0},
    ], [(2, "Name"), (3, "Company")]),
    "24_blank_lines.csv": ({"rows": 2, "create": 1, "errors": 1}, [
        {"name": "Quade Rowe", "email": "quade@rowe.example", "addresses": 0},
    ], [(6, "Email")]),
    "25_odd_headers.csv": ({"rows": 1, "create": 1}, [
        {"name": "Sam Tate", "email": "sam@tate.example", "zip": "2000", "province": "NSW", "country": "Australia",
         "country_code": "AU"},
    ], []),
    "30_bad_email_and_country.csv": ({"rows": 4, "create": 0, "errors": 4}, [],
                                     [(2, "Email"), (3, "Country Code"), (4, "Phone"), (5, "Name")]),
}

REFUSED = {
    "14_empty.csv": "is empty",
    "16_binary.csv": "binary data",
    "17_no_name_column.csv": "no column that gives a customer's name",
    "26_old_excel.xls": "old-style Excel (.xls)",
    "27_zip_not_workbook.csv": "zip archive, not an Excel workbook",
    "29_only_delimiters.csv": "no column that gives a customer's name",
}


def stored(db: Database) -> list[dict[str, Any]]:
    c, a, other = m.Customer, m.Address, aliased(m.Address)
    count = select(func.count(other.id)).where(other.customer_id == c.id).correlate(c).scalar_subquery()
    stmt = (
        select(*(getattr(c, f) for f in SHOWN), *(getattr(a, f) for f in WHERE), count.label("addresses"))
        .outerjoin(a, a.id == c.default_shipping_address_id)
        .order_by(c.id)
    )
    with db.read() as s:
        return [dict(row) for row in s.execute(stmt).mappings()]


def expected_row(expected: dict[str, Any]) -> dict[str, Any]:
    """Every shown field: the expected value, None where the file gives nothing."""
    has_address = any(expected.get(f) for f in WHERE)
    row = {f: expected.get(f) for f in (*SHOWN, *WHERE)}
    row["addresses"] = expected.get("addresses", 1 if has_address else 0)
    return row


def run(db: Database, name: str):  # type: ignore[no-untyped-def]
    source = open_source(FILES / name)
    return import_file(db, source, auto_mapping(source.header))


def test_the_corpus_has_every_awkward_file() -> None:
    files = sorted(p.name for p in FILES.iterdir())
    assert len(files) >= 25
    assert set(CASES) | set(REFUSED) | {"28_utf8_then_cp1252_late.csv"} == set(files)


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_file_imports_exactly(db: Database, name: str) -> None:
    counts, customers, errors = CASES[name]
    preview, done = run(db, name)
    summary = preview.summary.as_dict()
    for key, value in counts.items():
        assert summary[key] == value, (key, summary)
    assert [(i.row, i.column) for i in preview.issues if i.kind == "error"] == errors
    assert stored(db) == [expected_row(c) for c in customers]
    if counts.get("create", 0) or counts.get("update", 0):
        assert done is not None and done.created == counts.get("create", 0)
    else:
        assert done is None  # nothing to import: not even a batch is written
        with db.read() as s:
            assert s.scalar(select(func.count(m.ImportBatch.id))) == 0


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unreadable_file_is_refused_with_one_sentence(db: Database, name: str) -> None:
    with pytest.raises(UnreadableFile) as refused:
        run(db, name)
    message = str(refused.value)
    assert REFUSED[name] in message
    assert "\n" not in message and name in message
    assert stored(db) == []


def test_file_that_stops_being_utf8_late_is_read_whole_as_cp1252(db: Database) -> None:
    source = open_source(FILES / "28_utf8_then_cp1252_late.csv")
    assert source.encoding == "cp1252" and any("not UTF-8" in n for n in source.notes)
    preview, done = import_file(db, source, auto_mapping(source.header))
    assert preview.summary.create == 12_001 and done is not None
    rows = stored(db)
    assert rows[0]["name"] == "Person 0" and rows[-1]["name"] == "Élodie Fabre"
    assert rows[-1]["city"] == "Besançon"


def test_detected_encoding_and_delimiter_are_reported() -> None:
    seen = {name: (open_source(FILES / name).encoding, open_source(FILES / name).delimiter) for name in (
        "01_utf8_comma_lf.csv", "02_utf8_bom_semicolon_crlf.csv", "03_excel_unicode_text.txt",
        "04_utf16_be_bom_comma.csv", "05_cp1252_semicolon.csv", "06_latin1_pipe_cr.csv")}
    assert seen == {
        "01_utf8_comma_lf.csv": ("utf-8", ","),
        "02_utf8_bom_semicolon_crlf.csv": ("utf-8-sig", ";"),
        "03_excel_unicode_text.txt": ("utf-16", "\t"),
        "04_utf16_be_bom_comma.csv": ("utf-16", ","),
        "05_cp1252_semicolon.csv": ("cp1252", ";"),
        "06_latin1_pipe_cr.csv": ("cp1252", "|"),
    }
    assert open_source(FILES / "21_workbook_named_csv.csv").kind == "xlsx"


def test_shop_platform_headers_map_to_fields() -> None:
    source = open_source(FILES / "18_shopify_customers.csv")
    mapping = auto_mapping(source.header)
    named = {source.header[i]: f for i, f in mapping.items()}
    assert named == {
        "First Name": "first_name", "Last Name": "last_name", "Email": "email",
        "Default Address Company": "company", "Default Address Address1": "address1",
        "Default Address Address2": "address2", "Default Address City": "city",
        "Default Address Province Code": "province_code", "Default Address Country Code": "country_code",
        "Default Address Zip": "zip", "Phone": "phone", "Note": "notes",
    }
