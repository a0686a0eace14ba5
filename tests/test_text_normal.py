"""Text is stored in one form: NFC without zero-width characters, emails compared after NFKC; direction
overrides are refused naming the field; search finds "Café" however it was typed; and a store written
before this migrates to the same form."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import select, text

from desktop.cli import main
from desktop.services import customers as cs
from desktop.services.customer_list import CustomerQuery, list_customers
from desktop.services.errors import EmailTaken, ValidationError
from desktop.services.validation import email_form, normal_text
from desktop.store import models as m
from desktop.store.engine import Database

DECOMPOSED = "Cafe\u0301 Ame\u0301lie"  # as macOS writes it
COMPOSED = "Caf\u00e9 Am\u00e9lie"


def test_normal_text_is_nfc_without_zero_width_characters() -> None:
    assert normal_text(DECOMPOSED) == COMPOSED
    assert normal_text("Ana\u200b Reed\ufeff") == "Ana Reed"
    assert normal_text("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # ZWNJ stays
    assert email_form("\uff26\uff37@ex.com") == "FW@ex.com"


def test_the_form_stores_nfc_and_search_finds_either_form(db: Database) -> None:
    with db.transaction() as s:
        created = cs.create_customer(s, {"name": DECOMPOSED, "city": "Nelson"})
    assert created.name == COMPOSED and created.addresses[0].city == "Nelson"
    with db.read() as s:
        for query in (COMPOSED.split()[0], DECOMPOSED.split()[0], "ame\u0301lie"):
            page = list_customers(s, CustomerQuery(search=query))
            assert [r.id for r in page.rows] == [created.id], query


def test_direction_overrides_are_refused_naming_the_field(db: Database) -> None:
    with db.transaction() as s, pytest.raises(ValidationError) as refused:
        cs.create_customer(s, {"name": "Ana \u202eReed", "city": "Nelson"})
    assert refused.value.errors[0].field == "name" and "U+202E" in refused.value.errors[0].message


def test_a_full_width_email_is_the_same_email(db: Database) -> None:
    with db.transaction() as s:
        first = cs.create_customer(s, {"name": "Fen Wu", "email": "\uff26\uff37@ex.com"})
    assert first.email == "FW@ex.com"
    with db.transaction() as s, pytest.raises(EmailTaken):
        cs.create_customer(s, {"name": "Fen Wu", "email": "fw@ex.com"})


def test_import_export_import_keeps_one_form(db: Database, tmp_path: Path, capsys) -> None:
    url = db.url.render_as_string(hide_password=False)
    source = tmp_path / "mac.csv"
    source.write_text(f"Name,Email,City\n{DECOMPOSED},amelie@cafe.example,Z\u00fcrich\n"
                      f"Ivo\u200b Stone,\uff49\uff56\uff4f@stone.example,Nelson\n"
                      f"\u05d3\u05e0\u05d4 \u05dc\u05d5\u05d9,dana@levi.example,Haifa\n"  # right-to-left: kept
                      f"Ana \u202eReed,ana@reed.example,Nelson\n", encoding="utf-8")  # an override: refused
    assert main(["--database", url, "import", str(source)]) == 0
    out = capsys.readouterr().out
    assert "row 5, Name: contains invisible direction marks (U+202E)" in out
    exported = tmp_path / "out.csv"
    assert main(["--database", url, "export", str(exported)]) == 0
    body = exported.read_text(encoding="utf-8")
    assert COMPOSED in body and "Ivo Stone" in body and "ivo@stone.example" in body
    assert "\u05d3\u05e0\u05d4 \u05dc\u05d5\u05d9" in body and "\u202e" not in body and "ana@reed" not in body
    assert unicodedata.is_normalized("NFC", body) and "\u200b" not in body
    capsys.readouterr()
    assert main(["--database", url, "import", str(exported), "--dry-run"]) == 0
    assert "To create:            0" in capsys.readouterr().out  # the same three customers, nothing new


def test_a_store_written_before_migrates_to_nfc(tmp_path: Path) -> None:
    from alembic import command

    from desktop.store.engine import open_database
    from desktop.store.migrate import alembic_config

    path = tmp_path / "old.sqlite3"
    db = open_database(str(path))
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
        conn.execute(text("INSERT INTO customers (name, version, created_at, updated_at) "
                          "VALUES (:n, 1, '2026-01-01', '2026-01-01')"), {"n": DECOMPOSED + "\u200b"})
    db.dispose()
    db = open_database(str(path))  # migrates to the head
    try:
        with db.read() as s:
            assert s.scalars(select(m.Customer.name)).all() == [COMPOSED]
            assert [r.name for r in list_customers(s, CustomerQuery(search="Café")).rows] == [COMPOSED]
    finally:
        db.dispose()
