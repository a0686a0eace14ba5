"""`customer-desk starshipit submit|view|update` against the fake Starshipit, and where the keys come from
(environment, or the keyring: an in-memory back-end here, set with keyring.set_keyring)."""

from __future__ import annotations

import json

import keyring
import keyring.backend
import pytest

from desktop.cli import main
from desktop.starshipit import credentials
from desktop.starshipit.errors import NotConfigured
from desktop.store import models as m
from tests import factories as fx
from tests.fake_starshipit import API_KEY, SUBSCRIPTION_KEY, FakeStarshipit


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture
def memory_keyring():
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


@pytest.fixture
def fake():
    server = FakeStarshipit().start()
    yield server
    server.stop()


@pytest.fixture
def env(monkeypatch, fake, memory_keyring):
    monkeypatch.setenv("STARSHIPIT_API_KEY", API_KEY)
    monkeypatch.setenv("STARSHIPIT_SUBSCRIPTION_KEY", SUBSCRIPTION_KEY)
    monkeypatch.setenv("STARSHIPIT_RATE", "200")
    monkeypatch.delenv("STARSHIPIT_BASE_URL", raising=False)
    return fake


def url(db) -> str:
    return db.url.render_as_string(hide_password=False)


def make(db, n: int, **ship) -> list[m.SalesOrderFulfillment]:
    with db.transaction() as s:
        return [fx.shippable_fulfillment(s, **ship) for _ in range(n)]


def test_submit_prints_a_line_per_order_and_a_summary(db, env, capsys):
    made = make(db, 2)
    assert main(["--database", url(db), "starshipit", "submit", "--base-url", env.url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{made[0].fulfillment_number}: submitted (Starshipit order 5000")
    assert out[1].startswith(f"{made[1].fulfillment_number}: submitted")
    assert out[2] == "2 of 2 submitted."
    assert main(["--database", url(db), "starshipit", "submit", "--base-url", env.url]) == 0
    assert capsys.readouterr().out.strip() == "Nothing to submit: no pending fulfilments."
    assert len(env.created_numbers) == 2


def test_submit_exits_1_and_lists_the_failures(db, env, capsys):
    good, bad = make(db, 1)[0], make(db, 1, ship_zip=None)[0]
    assert main(["--database", url(db), "starshipit", "submit", "--base-url", env.url]) == 1
    out = capsys.readouterr().out
    assert f"{good.fulfillment_number}: submitted" in out
    assert "1 of 2 submitted, 1 failed." in out
    assert f"Failed (1):\n  {bad.fulfillment_number} (id {bad.id}): Fulfilment {bad.fulfillment_number} cannot be " \
           "sent to Starshipit: the shipping address has no post code." in out


def test_submit_json(db, env, capsys):
    make(db, 3)
    assert main(["--database", url(db), "starshipit", "submit", "--base-url", env.url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 3 and data["submitted"] == 3 and data["failed"] == 0
    assert [o["ok"] for o in data["outcomes"]] == [True] * 3


def test_view_and_update(db, env, capsys):
    (f,) = make(db, 1)
    assert main(["--database", url(db), "starshipit", "view", str(f.id), "--base-url", env.url]) == 1
    assert "has not been submitted to Starshipit yet" in capsys.readouterr().err
    main(["--database", url(db), "starshipit", "submit", "--base-url", env.url])
    capsys.readouterr()
    order_id = env.by_number[f.fulfillment_number]
    env.ship(order_id, tracking_number="NZ777")
    assert main(["--database", url(db), "starshipit", "view", f.fulfillment_number, "--base-url", env.url]) == 0
    out = capsys.readouterr().out
    assert f"Starshipit order {order_id} ({f.fulfillment_number})" in out
    assert "Status:   Shipped" in out and "Tracking: NZ777  https://tracking.example.test/NZ777" in out
    assert "Items (1):" in out and "Packages (1):" in out
    assert main(["--database", url(db), "starshipit", "view", str(f.id), "--base-url", env.url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tracking_number"] == "NZ777" and data["carrier"] == "NZ Post" and len(data["packages"]) == 1
    # Shipped: the update is refused before anything is sent, and the order stays as it is.
    assert main(["--database", url(db), "starshipit", "update", str(f.id), "--base-url", env.url]) == 1
    assert capsys.readouterr().err == (f"customer-desk: Starshipit has already shipped the order of fulfilment "
                                       f"{f.fulfillment_number}: change it there or cancel the label. Nothing was "
                                       f"changed.\n")
    assert env.requests_to("PUT", "/api/orders") == []
    env.set_status(order_id, "Unshipped")  # the label was cancelled in Starshipit
    assert main(["--database", url(db), "starshipit", "update", str(f.id), "--base-url", env.url]) == 0
    assert f"Updated Starshipit order {order_id}" in capsys.readouterr().out
    (put,) = env.updates
    assert put["order_id"] == order_id and put["items"][0]["item_id"] == order_id * 100 + 1
    assert put["packages"][0]["package_id"] == order_id * 10 + 1 and put["carrier"] == "NZPost"


def test_unknown_fulfilment_and_missing_keys_are_one_line(db, env, capsys, monkeypatch):
    assert main(["--database", url(db), "starshipit", "view", "F-NOPE", "--base-url", env.url]) == 1
    assert capsys.readouterr().err.strip() == "customer-desk: Fulfilment F-NOPE does not exist (it may have been " \
                                              "deleted)."
    monkeypatch.delenv("STARSHIPIT_API_KEY")
    assert main(["--database", url(db), "starshipit", "submit", "--base-url", env.url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("customer-desk: Starshipit keys are not set") and err.count("\n") == 1


def test_wrong_keys_stop_with_one_line(db, env, capsys, monkeypatch):
    make(db, 1)
    monkeypatch.setenv("STARSHIPIT_API_KEY", "wrong")
    assert main(["--database", url(db), "starshipit", "submit", "--base-url", env.url]) == 1
    captured = capsys.readouterr()
    assert "customer-desk: stopped: Starshipit refused the keys (HTTP 401)" in captured.err
    assert "wrong" not in captured.err and API_KEY not in captured.err + captured.out


def test_keys_from_the_keyring(db, env, capsys, monkeypatch, memory_keyring):
    monkeypatch.delenv("STARSHIPIT_API_KEY")
    monkeypatch.delenv("STARSHIPIT_SUBSCRIPTION_KEY")
    credentials.save_keys(API_KEY, SUBSCRIPTION_KEY)
    assert memory_keyring.entries[(credentials.KEYRING_SERVICE, "api-key")] == API_KEY
    make(db, 1)
    assert main(["--database", url(db), "starshipit", "submit", "--base-url", env.url]) == 0
    keys = credentials.load_keys({})
    assert keys is not None and keys.source == "keyring" and API_KEY not in repr(keys)
    credentials.clear_keys()
    assert credentials.load_keys({}) is None
    with pytest.raises(NotConfigured):
        credentials.require_keys({})


def test_no_keyring_backend_is_explained():
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert credentials.keyring_problem() == "no keyring back-end was found"
        with pytest.raises(credentials.KeyringUnavailable, match="no keyring to keep the Starshipit keys"):
            credentials.save_keys("a", "b")
        assert credentials.load_keys({}) is None
    finally:
        keyring.set_keyring(before)


def test_bad_rate_setting(db, env, capsys, monkeypatch):
    monkeypatch.setenv("STARSHIPIT_RATE", "fast")
    assert main(["--database", url(db), "starshipit", "submit"]) == 1
    assert "STARSHIPIT_RATE='fast' is not a number" in capsys.readouterr().err


def test_a_process_killed_while_waiting_for_starshipit_resumes_without_duplicates(db, env, capsys):
    """SIGKILL at the worst moment: Starshipit has created the batch, the answer (with the ids) has not
    arrived. Started again, the run finds them by order number and creates nothing."""
    import os
    import signal
    import subprocess
    import sys
    import time

    made = make(db, 5)
    env.slow_s = 30.0
    env.fail_next("slow", method="POST", path="/api/orders/import")
    with subprocess.Popen(
        [sys.executable, "-m", "desktop", "--database", url(db), "starshipit", "submit", "--base-url", env.url],
        env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ) as process:
        try:
            deadline = time.monotonic() + 60
            while len(env.created_numbers) < 5 and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)  # polling another process, not waiting for our own code
            assert len(env.created_numbers) == 5 and process.poll() is None
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    with db.read() as s:
        assert s.query(m.SalesOrderFulfillment).filter(m.SalesOrderFulfillment.starshipit_order_id.isnot(None)).count() == 0
    assert main(["--database", url(db), "starshipit", "submit", "--base-url", env.url]) == 0
    out = capsys.readouterr().out
    assert out.count("already in Starshipit") == 5 and "5 of 5 submitted." in out
    assert sorted(env.created_numbers) == sorted(f.fulfillment_number for f in made)
    with db.read() as s:
        stored = dict(s.query(m.SalesOrderFulfillment.fulfillment_number, m.SalesOrderFulfillment.starshipit_order_id))
    assert stored == {number: env.by_number[number] for number in stored}
