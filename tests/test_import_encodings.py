"""Files from desks around the world, in the encodings their spreadsheets save: each is read exactly by
default, or refused with exit 2 naming the two candidate encodings (one of them right) — never mojibake.
Fictional customers in each script."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.cli import main
from desktop.importing.encodings import mojibake_signs
from desktop.importing.reading import open_source
from desktop.store import models as m
from desktop.store.engine import Database

CORPUS = {
    "russian": [("Иван Петров", "Москва"), ("Ольга Смирнова", "Санкт-Петербург"), ("Пётр Иванов", "Казань"),
                ("Анна Кузнецова", "Новосибирск"), ("Сергей Попов", "Екатеринбург")],
    "chinese": [("王伟", "北京"), ("李娜", "上海"), ("张敏", "广州"), ("刘洋", "深圳"), ("陈静", "成都")],
    "taiwanese": [("陳建宏", "臺北"), ("林怡君", "高雄"), ("黃志明", "臺中"), ("張淑芬", "臺南"), ("李美玲", "新竹")],
    "japanese": [("山田太郎", "東京"), ("佐藤花子", "大阪"), ("鈴木一郎", "ｷｮｳﾄ"), ("高橋美咲", "札幌"),
                 ("田中健太", "福岡")],
    "korean": [("김민준", "서울"), ("이서연", "부산"), ("박지훈", "인천"), ("최수빈", "대구"), ("정예은", "광주")],
    "greek": [("Γιώργος Παπαδόπουλος", "Αθήνα"), ("Μαρία Κωνσταντίνου", "Θεσσαλονίκη"),
              ("Νίκος Γεωργίου", "Πάτρα"), ("Ελένη Δημητρίου", "Ηράκλειο"), ("Κώστας Νικολάου", "Λάρισα")],
    "polish": [("Łukasz Wiśniewski", "Łódź"), ("Małgorzata Wójcik", "Kraków"), ("Grzegorz Kamiński", "Gdańsk"),
               ("Agnieszka Zielińska", "Wrocław"), ("Paweł Szymański", "Poznań")],
    "czech": [("Jiří Dvořák", "Plzeň"), ("Kateřina Svobodová", "Brno"), ("Tomáš Černý", "Ostrava"),
              ("Lucie Procházková", "České Budějovice"), ("Petr Novotný", "Liberec")],
    "german": [("Jürgen Müller", "München"), ("Björn Weiß", "Köln"), ("Zoë Fischer", "Düsseldorf"),
               ("André Schäfer", "Nürnberg"), ("Käthe Groß", "Lübeck")],
}
CASES = [
    ("russian", "cp1251"), ("russian", "koi8-r"), ("chinese", "gb18030"), ("taiwanese", "big5"),
    ("japanese", "euc-jp"), ("japanese", "shift_jis"), ("greek", "iso-8859-7"), ("greek", "cp1253"),
    ("korean", "euc-kr"), ("polish", "cp1250"), ("polish", "iso-8859-2"), ("czech", "cp1250"),
    ("german", "cp1252"), ("german", "latin-1"), ("japanese", "utf-16-le"), ("chinese", "utf-16-be"),
    ("korean", "utf-8"), ("greek", "utf-16"),
]


def corpus_bytes(language: str, encoding: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Name", "Email", "City"])
    for i, (name, city) in enumerate(CORPUS[language]):
        writer.writerow([name, f"customer{i}@{language}.example", city])
    return out.getvalue().encode(encoding)


def stored(db: Database) -> list[tuple[str, str | None]]:
    with db.read() as s:
        rows = s.execute(select(m.Customer.name, m.Address.city).join(
            m.Address, m.Address.id == m.Customer.default_shipping_address_id).order_by(m.Customer.id))
        return [(name, city) for name, city in rows]


@pytest.mark.parametrize(("language", "encoding"), CASES, ids=[f"{lang}-{enc}" for lang, enc in CASES])
def test_every_desk_reads_exactly_or_names_its_candidates(tmp_path: Path, capsys, language: str,
                                                          encoding: str) -> None:
    store = tmp_path / "shop.sqlite"
    assert main(["init", str(store)]) == 0
    path = tmp_path / f"{language}.csv"
    path.write_bytes(corpus_bytes(language, encoding))
    capsys.readouterr()
    code = main(["--database", str(store), "import", str(path), "--quiet"])
    out, err = capsys.readouterr()
    if code == 2:  # refused: both candidates named, one of them right, and nothing imported
        assert "its encoding is unclear" in err and "--encoding" in err
        named = re.findall(r"--encoding (\S+)", err)
        assert len(named) == 2
        assert any(corpus_bytes(language, encoding).decode(codec) == corpus_bytes(language, encoding).decode(encoding)
                   for codec in named), err
        assert main(["--database", str(store), "import", str(path), "--quiet", "--encoding", encoding]) == 0
    else:
        assert code == 0, err
    db_url = f"sqlite:///{store}"
    from desktop.store.engine import open_database

    db = open_database(db_url, create=False)
    try:
        assert stored(db) == CORPUS[language]
    finally:
        db.dispose()


def test_detection_reports_its_evidence(tmp_path: Path) -> None:
    path = tmp_path / "ru.csv"
    path.write_bytes(corpus_bytes("russian", "cp1251"))
    source = open_source(path)
    assert source.encoding == "cp1251"
    (note,) = source.notes
    assert note.startswith("not UTF-8: read as cp1251 (Windows-1251 (Cyrillic)") and "next best" in note


def test_utf8_with_one_stray_byte_keeps_every_other_row_exact(db: Database, tmp_path: Path, capsys) -> None:
    path = tmp_path / "stray.csv"
    with path.open("wb") as f:
        f.write(b"Name,Email,City\n")
        for i in range(3_000):
            line = f"J\u00fcrgen M\u00fcller{i},j{i}@stray.example,K\u00f6ln\n".encode()
            if i == 1_500:
                line = b"Andr\xe9 Stray,andre@stray.example,Lyon\n"  # one name pasted from a cp1252 file
            f.write(line)
    url = db.url.render_as_string(hide_password=False)
    assert main(["--database", url, "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "UTF-8 with 1 damaged byte" in out
    assert "row 1502, Name: holds bytes that are not UTF-8 (0xE9)" in out
    with db.read() as s:
        names = s.scalars(select(m.Customer.name)).all()
    assert len(names) == 2_999 and all(n.startswith("J\u00fcrgen M\u00fcller") for n in names)
    assert not any(mojibake_signs(n) for n in names)


def test_mojibake_signs_see_what_a_clerk_sees() -> None:
    assert mojibake_signs("Jürgen Müller, Łódź, Иван Петров, 山田太郎, ｷｮｳﾄ, Zoë") == 0
    assert mojibake_signs("JÃ¼rgen MÃ¼ller") > 0  # UTF-8 read as Windows-1252
    assert mojibake_signs("£ukasz Wiœniewski") > 0  # Polish read as Windows-1252
    assert mojibake_signs("Jiøí Dvoøák") > 0  # Czech read as Windows-1252: no one alphabet has ø and á
    assert mojibake_signs("Èâàí Ïåòðîâ") > 0  # Russian read as Windows-1252


# --- no person overwritten by another ------------------------------------------------------------------


def _seed(db: Database) -> int:
    from desktop.services import customers as cs

    with db.transaction() as s:
        return cs.create_customer(s, {"name": "Tui Bianchi", "email": "tui@bianchi.example", "city": "Napier"}).id


def test_a_row_that_changes_name_and_email_is_held_unless_accepted(db: Database, tmp_path: Path, capsys) -> None:
    """This store's own export, edited so that one row names another person: held back unless accepted."""
    cid = _seed(db)
    url = db.url.render_as_string(hide_password=False)
    exported = tmp_path / "ours.csv"
    assert main(["--database", url, "export", str(exported)]) == 0
    with exported.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == [str(cid)]
    rows[0].update(name="Isobel Rainsford", email="isobel@rainsford.example", city="Picton")
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    capsys.readouterr()
    assert main(["--database", url, "import", str(edited)]) == 0
    out = capsys.readouterr().out
    assert (f"row 2, name: changes both the name (Tui Bianchi → Isobel Rainsford) and the email of customer {cid}: "
            f"another person? Not imported") in out
    with db.read() as s:
        row = s.get(m.Customer, cid)
        assert row is not None and (row.name, row.email) == ("Tui Bianchi", "tui@bianchi.example")
    assert main(["--database", url, "import", str(edited), "--accept-identity-changes"]) == 0
    assert "(accepted)" in capsys.readouterr().out
    with db.read() as s:
        row = s.get(m.Customer, cid)
        assert row is not None and row.name == "Isobel Rainsford"


@pytest.mark.parametrize("other_address", [False, True])
def test_a_row_that_changes_the_name_and_the_only_address_is_held(db: Database, tmp_path: Path, capsys,
                                                                   other_address: bool) -> None:
    """Matched by email, a row with another name and another street: another person, when that street was
    the customer's only address; with a second address kept, it is the same customer moving."""
    from desktop.services import addresses as addr
    from desktop.services import customers as cs

    with db.transaction() as s:
        tui = cs.create_customer(s, {"name": "Tui Bianchi", "email": "tui@bianchi.example",
                                     "address1": "12 Kauri Street", "city": "Napier", "zip": "4110"})
        if other_address:
            addr.new_address(s, tui, {"address1": "1 Wharf Road", "city": "Picton", "zip": "7220"})
        cid = tui.id
    path = tmp_path / "moved.csv"
    path.write_text("Name,Email,Address1,City,Zip\nIsobel Rainsford,tui@bianchi.example,9 Totara Avenue,Dunedin,"
                    "9016\n", encoding="utf-8")
    url = db.url.render_as_string(hide_password=False)
    assert main(["--database", url, "import", str(path)]) == 0
    out = capsys.readouterr().out
    held = (f"row 2, Name: changes both the name (Tui Bianchi → Isobel Rainsford) and the only address of customer "
            f"{cid}: another person? Not imported") in out
    assert held is not other_address, out
    with db.read() as s:
        assert s.get(m.Customer, cid).name == ("Isobel Rainsford" if other_address else "Tui Bianchi")


def test_another_stores_export_changes_no_customer_of_this_one(db: Database, tmp_path: Path, capsys) -> None:
    """Ids from another store (a bare id column, or ids whose created_at is not this store's): matched by
    email, so its id 1 does not replace this store's customer 1."""
    cid = _seed(db)
    url = db.url.render_as_string(hide_password=False)
    other = tmp_path / "other-store.csv"
    other.write_text(f"id,name,email,city\n{cid},Isobel Rainsford,isobel@rainsford.example,Picton\n"
                     f"{cid},Tui Bianchi,tui@bianchi.example,Hastings\n", encoding="utf-8")
    assert main(["--database", url, "import", str(other)]) == 0
    out = capsys.readouterr().out
    assert "id: ignored (not this store's export" in out
    with db.read() as s:
        people = {c.email: (c.id, c.name) for c in s.scalars(select(m.Customer))}
        cities = sorted(s.scalars(select(m.Address.city)).all())
    assert people["tui@bianchi.example"] == (cid, "Tui Bianchi")
    assert people["isobel@rainsford.example"][1] == "Isobel Rainsford" and len(people) == 2
    assert "Hastings" in cities  # row 3 matched Tui by email, as another address or the same one changed


def test_the_same_email_with_another_name_is_a_possible_duplicate(db: Database, tmp_path: Path, capsys) -> None:
    url = db.url.render_as_string(hide_password=False)
    path = tmp_path / "shared.csv"
    path.write_text("Name,Email,City\nMere Hale,office@hale.example,Napier\n"
                    "Rangi Hale,office@hale.example,Hastings\nMere Hale,office@hale.example,Taupo\n",
                    encoding="utf-8")
    assert main(["--database", url, "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "row 3, Name: the same email as row 2 (Mere Hale) but another name: a possible duplicate" in out
    with db.read() as s:
        assert s.scalars(select(m.Customer.name)).all() == ["Mere Hale"]
        cities = sorted(s.scalars(select(m.Address.city)).all())
    assert cities == ["Napier", "Taupo"]  # row 4 is the same person: its address is added; row 3 is not


def test_countries_by_code_name_alias_and_nonsense(db: Database, tmp_path: Path, capsys) -> None:
    url = db.url.render_as_string(hide_password=False)
    path = tmp_path / "countries.csv"
    path.write_text("Name,Email,City,Country,Province Code\n"
                    "Ana Reed,ana@c.example,Nelson,NZ,\nIvo Stone,ivo@c.example,Leeds,UK,\n"
                    "Mere Hale,mere@c.example,Napier,Aotearoa,\nKiri Moss,kiri@c.example,Perth,australia,WA\n"
                    "Tia Marsh,tia@c.example,Nowhere,Narnia,\nOren Vale,oren@c.example,Austin,USA,ZZ\n",
                    encoding="utf-8")
    assert main(["--database", url, "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "row 6, Country: 'Narnia' is not a country this app knows" in out
    assert "row 7, Province Code: 'ZZ' is not a province or state code of US (ISO 3166-2): check it" in out
    with db.read() as s:
        rows = s.execute(select(m.Customer.name, m.Address.country_code, m.Address.country).join(
            m.Address, m.Address.id == m.Customer.default_shipping_address_id).order_by(m.Customer.id)).all()
    assert [tuple(r) for r in rows] == [
        ("Ana Reed", "NZ", "New Zealand"), ("Ivo Stone", "GB", "United Kingdom"),
        ("Mere Hale", "NZ", "New Zealand"), ("Kiri Moss", "AU", "Australia"),
        ("Oren Vale", "US", "United States")]
