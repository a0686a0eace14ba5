"""`customer-desk nominal-codes deletable [CODE ...] [--json]`: exit 0 when the check ran (whatever it found),
1 with one line when a code does not exist, 2 for a wrong command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from desktop.cli import main
from desktop.services import nominal_codes as svc
from desktop.store.engine import open_database
from tests import factories as f

both = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ledger(database_url: str) -> dict[str, int]:
    """4000 with 12 order lines and the sales mapping, 4100 with the shipping and sales credits mappings,
    4900 unused."""
    db = open_database(database_url)
    try:
        with db.transaction() as s:
            ids = {code: svc.create_nominal_code(s, {"code": code, "name": name, "type": "revenue"}).id
                   for code, name in (("4000", "Sales"), ("4100", "Shipping income"), ("4900", "Other income"))}
            customer = f.customer(s, "Aroha Kowhai")
            order = f.sales_order(s, customer.id, lines=[("1", "10.00")] * 12)
            for line in order.lines:
                line.nominal_code_id = ids["4000"]
            s.flush()
            svc.set_mappings(s, {"sales": ids["4000"], "shipping": ids["4100"], "sales_credits": ids["4100"]})
        return ids
    finally:
        db.dispose()


@both
def test_every_code_checked_when_none_given(database_url, ledger, capsys) -> None:
    code, out, err = run(capsys, "--database", database_url, "nominal-codes", "deletable")
    assert code == 0, err
    assert out.splitlines() == [
        "code  name             deletable",
        "4000  Sales            no: used by 12 order lines and the 'sales' mapping",
        "4100  Shipping income  no: used by the 'shipping' and 'sales credits' mappings",
        "4900  Other income     yes",
    ]
    assert err == ""


@both
def test_given_codes_in_their_order_any_case_and_json(database_url, ledger, capsys) -> None:
    code, out, _err = run(capsys, "--database", database_url, "nominal-codes", "deletable", "4900", "4000")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["4900", "4000"]

    code, out, _err = run(capsys, "--database", database_url, "nominal-codes", "deletable", "--json", "4000", "4900")
    assert code == 0
    assert json.loads(out) == [
        {"id": ledger["4000"], "code": "4000", "name": "Sales", "type": "revenue", "deletable": False,
         "order_lines": 12, "mappings": ["sales"], "reason": "used by 12 order lines and the 'sales' mapping"},
        {"id": ledger["4900"], "code": "4900", "name": "Other income", "type": "revenue", "deletable": True,
         "order_lines": 0, "mappings": [], "reason": None},
    ]


def test_codes_match_whatever_their_case(database_url, capsys) -> None:
    db = open_database(database_url)
    with db.transaction() as s:
        svc.create_nominal_code(s, {"code": "SALES-UK", "name": "Sales UK", "type": "revenue"})
    db.dispose()
    code, out, _err = run(capsys, "--database", database_url, "nominal-codes", "deletable", "sales-uk", "--json")
    assert code == 0 and [r["code"] for r in json.loads(out)] == ["SALES-UK"]


@both
def test_unknown_code_is_one_line_and_exit_1(database_url, ledger, capsys) -> None:
    code, out, err = run(capsys, "--database", database_url, "nominal-codes", "deletable", "4000", "9999")
    assert code == 1
    assert out == ""
    assert err == "customer-desk: Unknown nominal code: 9999.\n"
    code, out, err = run(capsys, "--database", database_url, "nominal-codes", "deletable", "--json", "x", "y")
    assert (code, out, err) == (1, "", "customer-desk: Unknown nominal codes: x, y.\n")


def test_an_empty_store_has_nothing_to_check(database_url, capsys) -> None:
    assert run(capsys, "--database", database_url, "nominal-codes", "deletable") == (0, "No nominal codes.\n", "")
    code, out, _err = run(capsys, "--database", database_url, "nominal-codes", "deletable", "--json")
    assert (code, json.loads(out)) == (0, [])


def test_wrong_command_lines_exit_2(database_url, capsys) -> None:
    for argv in (["nominal-codes"], ["nominal-codes", "deletable", "--jsn"], ["nominal-codes", "remove", "4000"]):
        with pytest.raises(SystemExit) as exc:
            main(["--database", database_url, *argv])
        assert exc.value.code == 2, argv


def test_unreadable_store_is_one_line_exit_1(tmp_path) -> None:
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(os.urandom(4096))
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--database", str(bad), "nominal-codes", "deletable", "4000"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("customer-desk: Cannot open database")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
