"""Writes the awkward import files of tests/import_corpus/files (kept in the repository; run this again only
to change them: `.venv/bin/python tests/import_corpus/make_corpus.py`). Every person and company is
fictional. What each file must produce is in tests/test_import_corpus.py."""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

HERE = Path(__file__).with_name("files")

BASIC = [
    ["Name", "Email", "Address1", "City", "Zip", "Country Code"],
    ["Aroha Kowhai", "aroha@kowhai.example", "12 Kauri Street", "Auckland", "1010", "NZ"],
    ["Zoë Müller", "zoe@muller.example", "3 Königstraße", "München", "80331", "DE"],
    ["João Conceição", "joao@conceicao.example", "Rua das Flores, 45", "São Paulo", "01001-000", "BR"],
]


def text(rows: list[list[str]], delimiter: str = ",", newline: str = "\n", quote_all: bool = False) -> str:
    out = io.StringIO()
    import csv

    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return out.getvalue()


def write(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


def xlsx(name: str, rows: list[list[object]], text_cells: bool = True) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Customers"
    for row in rows:
        ws.append(row)
    if text_cells:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.number_format = "@"
    out = io.BytesIO()
    wb.save(out)
    write(name, out.getvalue())


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for old in HERE.iterdir():
        old.unlink()
    write("01_utf8_comma_lf.csv", text(BASIC).encode("utf-8"))
    write("02_utf8_bom_semicolon_crlf.csv", codecs.BOM_UTF8 + text(BASIC, ";", "\r\n").encode("utf-8"))
    write("03_excel_unicode_text.txt", codecs.BOM_UTF16_LE + text(BASIC, "\t", "\r\n").encode("utf-16-le"))
    write("04_utf16_be_bom_comma.csv", codecs.BOM_UTF16_BE + text(BASIC).encode("utf-16-be"))
    cp = [
        ["Name", "Company", "Email", "City", "Country"],
        ["Renée Lefèvre", "Café Crème SARL", "renee@cafe-creme.example", "Besançon", "France"],
        ["Ånund Sørensen", "Fjørd & Co — 5 € Shop", "anund@fjord.example", "Ålesund", "Norway"],
    ]
    write("05_cp1252_semicolon.csv", text(cp, ";", "\r\n").encode("cp1252"))
    latin = [["Name", "City", "Zip", "Country Code"], ["Inés Peña", "Logroño", "26001", "ES"],
             ["Björn Ågren", "Göteborg", "411 03", "SE"]]
    write("06_latin1_pipe_cr.csv", text(latin, "|", "\r").encode("latin-1"))
    quoted = [
        ["Name", "Company", "Address 1", "City", "Notes"],
        ["Tama Ruru", "Ruru, Kereru & Sons", "Unit 4, 22 Rimu Road", "Wellington", "Deliver to the back door.\nRing twice."],
        ["Mere Tui", "Tui \"Best\" Honey", "1 Nikau Lane", "Hamilton", "Line one\r\nLine two; with; semicolons"],
    ]
    write("07_quoted_delimiters_newlines.csv", text(quoted, ",", "\r\n", quote_all=True).encode("utf-8"))
    write("08_ragged_rows.csv", (
        "Name,Email,City,Zip\n"
        "Hemi Kaka,hemi@kaka.example,Napier\n"  # short: the missing zip is empty
        "Anahera Weka,anahera@weka.example,Nelson,7010,EXTRA,MORE\n"  # long: refused
        "Rangi Kea,rangi@kea.example,Dunedin,9016\n"
    ).encode("utf-8"))
    write("09_same_email_rows.csv", text([
        ["Name", "Email", "Address1", "City", "Zip"],
        ["Kiri Pukeko", "kiri@pukeko.example", "7 Harbour View", "Tauranga", "3110"],
        ["Kiri Pukeko", "KIRI@Pukeko.example", "7 Harbour View", "Tauranga", "3110"],
        ["Kiri Pukeko", "kiri@pukeko.example", "88 Beach Road", "Tauranga", "3116"],
    ]).encode("utf-8"))
    dup = ["Wiremu Hoiho", "wiremu@hoiho.example", "2 Albatross Way", "Oamaru", "9400"]
    write("10_duplicate_rows.csv", text([["Name", "Email", "Address1", "City", "Zip"], dup, dup, dup]).encode("utf-8"))
    write("11_formulas.csv", text([
        ["Name", "Company", "Phone", "Notes"],
        ["=HYPERLINK(\"http://evil.example\",\"Click\")", "+cmd|' /C calc'!A0", "", "-2+3"],
        ["@SUM(A1:A9)", "'=1+1", "'+64 9 555 0102", "=1+1"],
    ]).encode("utf-8"))
    write("12_sql_and_markup.csv", text([
        ["Name", "Company", "City"],
        ["Robert'); DROP TABLE customers;--", "1' OR '1'='1", "<script>alert(1)</script>"],
        ["%s %d {0} ${HOME}", "\\x00 not a NUL", "../../etc/passwd"],
    ]).encode("utf-8"))
    write("13_long_values.csv", text([
        ["Name", "Notes", "Company"],
        ["Pania Moana", "n" * 3000, "Moana Ltd"],
        ["Huia Tawa", "h" * 20000, "Tawa Ltd"],
        ["T" * 20000, "", ""],
    ]).encode("utf-8"))
    write("14_empty.csv", b"")
    write("15_header_only.csv", b"Name,Email,Zip\r\n")
    write("16_binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4)
    write("17_no_name_column.csv", text([["Email", "Zip"], ["a@b.example", "1010"]]).encode("utf-8"))
    write("18_shopify_customers.csv", text([
        ["First Name", "Last Name", "Email", "Accepts Email Marketing", "Default Address Company",
         "Default Address Address1", "Default Address Address2", "Default Address City",
         "Default Address Province Code", "Default Address Country Code", "Default Address Zip",
         "Default Address Phone", "Phone", "Accepts SMS Marketing", "Total Spent", "Total Orders", "Note",
         "Tax Exempt", "Tags"],
        ["Ngaio", "Marsh", "ngaio@marsh.example", "yes", "Marsh Books", "10 Cashel St", "Level 2",
         "Christchurch", "CAN", "NZ", "8011", "+64 3 555 0199", "+64 21 555 0100", "no", "120.50", "3",
         "VIP", "no", "vip, books"],
        ["Rewi", "Alley", "rewi@alley.example", "no", "", "5 Queen St", "", "Auckland", "AUK", "NZ",
         "1010", "", "", "no", "0.00", "0", "", "no", ""],
    ]).encode("utf-8"))
    write("19_woocommerce_customers.csv", text([
        ["customer_id", "billing_first_name", "billing_last_name", "billing_company", "billing_email",
         "billing_phone", "billing_address_1", "billing_address_2", "billing_city", "billing_state",
         "billing_postcode", "billing_country"],
        ["", "Kate", "Sheppard", "Suffrage Ltd", "kate@suffrage.example", "03 555 0111", "1 Bealey Ave", "",
         "Christchurch", "CAN", "8013", "NZ"],
    ]).encode("utf-8"))
    xlsx("20_workbook.xlsx", [
        ["Name", "Email", "Zip", "Phone", "City", "Country Code"],
        ["Ruth Lowe", "ruth@lowe.example", "02134", "617 555 0123", "Boston", "US"],
        ["Amir Haddad", "amir@haddad.example", 2134, None, "Boston", "US"],
    ])
    xlsx("21_workbook_named_csv.csv", [["Name", "City"], ["Lena Park", "Seoul"], [None, None],
                                       ["Min-jun Choi", "Busan"]])
    write("22_zip_codes.csv", text([
        ["Name", "Zip", "Country Code"],
        ["Ada Brooks", "02134", "US"], ["Ben Cole", "02134-1234", "US"], ["Cy Dunn", "sw1a 1aa", "GB"],
        ["Di Eve", "12#45", "US"],
    ]).encode("utf-8"))
    write("23_control_characters.csv", (
        "Name,Company,Email\n"
        "Nel\x00son Hart,Hart Ltd,nelson@hart.example\n"
        "Olive Stone,Stone\x07 Ltd,olive@stone.example\n"
        "Pat Quinn,Quinn Ltd,pat@quinn.example\n"
    ).encode("utf-8"))
    write("24_blank_lines.csv", (
        "Name,Email\r\n\r\n"
        "Quade Rowe,quade@rowe.example\r\n"
        ",\r\n"
        "\r\n"
        "Rae Shaw,not an email\r\n"
    ).encode("utf-8"))
    write("25_odd_headers.csv", text([
        ["  CUSTOMER NAME ", "E-Mail Address", "ZIP/Postcode", "State/Province", "Country", "Unused Column"],
        ["Sam Tate", "sam@tate.example", "2000", "NSW", "Australia", "ignored"],
    ]).encode("utf-8"))
    write("26_old_excel.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    with io.BytesIO() as out:
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("readme.txt", "not a workbook")
        write("27_zip_not_workbook.csv", out.getvalue())
    big_ascii = "Name,City\n" + "".join(f"Person {i},Town {i}\n" for i in range(12000))
    write("28_utf8_then_cp1252_late.csv", big_ascii.encode("ascii") + "Élodie Fabre,Besançon\n".encode("cp1252"))
    write("29_only_delimiters.csv", b",,,\r\n;;;\r\n,,,\r\n")
    write("30_bad_email_and_country.csv", text([
        ["Name", "Email", "Country Code", "Phone"],
        ["Uma Vance", "uma@@vance.example", "NZ", ""],
        ["Vic Ward", "vic@ward.example", "QQ", ""],
        ["Wes Young", "wes@young.example", "NZ", "call me"],
        ["", "nobody@nameless.example", "NZ", ""],
    ]).encode("utf-8"))


if __name__ == "__main__":
    main()
