"""Two clerks at the same moment: allocations of one credit (or two credits to one order, or a payment and
a credit to one order) raced on two connections released together by a Barrier. The locks make the second
wait and then see the first's allocation: never over-allocated, never over-paid. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from desktop.services import money
from desktop.services import orders as os_
from desktop.services.money import AllocationRefused, Rule
from desktop.store.engine import Database
from tests.test_money import new_credit, new_customer, new_order, outstanding, remaining

D = Decimal
ROUNDS = 4


def race(db: Database, *jobs: Callable[[Session], Any]) -> list[Any]:
    """Run each job in its own unit of work on its own thread and connection, started together.

    On PostgreSQL both transactions are open (a statement has run) before the barrier lets them go, so the
    row locks decide. On SQLite the write lock is taken when the unit of work begins (BEGIN IMMEDIATE), so
    the barrier is just before it: both threads reach for the lock at the same moment.
    """
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            if db.backend == "sqlite":
                barrier.wait(timeout=30)
                with db.transaction() as s:
                    results[i] = jobs[i](s)
            else:
                with db.transaction() as s:
                    s.execute(text("SELECT 1"))
                    barrier.wait(timeout=30)
                    results[i] = jobs[i](s)
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def alloc(credit: int, order: int, amount: str) -> Callable[[Session], Any]:
    return lambda s: money.allocate_credit(s, credit, {"sales_orders": [{"id": order, "amount": amount}]})


def test_same_credit_raced_over_its_remaining_one_wins(db: Database):
    cid = new_customer(db)
    for _ in range(ROUNDS):
        a, b = new_order(db, cid), new_order(db, cid)
        credit = new_credit(db, cid, "100.00")
        results = race(db, alloc(credit, a, "60.00"), alloc(credit, b, "60.00"))
        won = [r for r in results if isinstance(r, money.AllocationResult)]
        lost = [r for r in results if isinstance(r, AllocationRefused)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].rule == Rule.OVER_REMAINING
        assert remaining(db, credit) == D("40.00")
        assert sorted([outstanding(db, a), outstanding(db, b)]) == [D("40.00"), D("100.00")]


def test_same_credit_raced_within_its_remaining_both_win(db: Database):
    cid = new_customer(db)
    for _ in range(ROUNDS):
        a, b = new_order(db, cid), new_order(db, cid)
        credit = new_credit(db, cid, "100.00")
        results = race(db, alloc(credit, a, "45.55"), alloc(credit, b, "54.45"))
        assert all(isinstance(r, money.AllocationResult) for r in results), results
        assert remaining(db, credit) == D("0.00")
        assert sorted(r.remaining for r in results) == [D("0.00"), D("45.55")] or \
            sorted(r.remaining for r in results) == [D("0.00"), D("54.45")]


def test_two_credits_raced_to_one_order_never_over_pay_it(db: Database):
    cid = new_customer(db)
    for _ in range(ROUNDS):
        order = new_order(db, cid, [("1", "50.00")])
        c1, c2 = new_credit(db, cid, "40.00"), new_credit(db, cid, "40.00")
        results = race(db, alloc(c1, order, "40.00"), alloc(c2, order, "40.00"))
        won = [r for r in results if isinstance(r, money.AllocationResult)]
        lost = [r for r in results if isinstance(r, AllocationRefused)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].rule == Rule.OVER_OUTSTANDING
        assert outstanding(db, order) == D("10.00")


def test_payment_raced_with_an_allocation_never_over_pays(db: Database):
    cid = new_customer(db)
    for _ in range(ROUNDS):
        order = new_order(db, cid, [("1", "50.00")])
        credit = new_credit(db, cid, "30.00")
        results = race(db, alloc(credit, order, "30.00"),
                       lambda s: os_.record_payment(s, order, {"amount": "30.00"}))
        assert sum(isinstance(r, (money.AllocationResult, os_.RecordedPayment)) for r in results) == 1, results
        assert any(isinstance(r, (AllocationRefused, os_.OverPayment)) for r in results)
        assert outstanding(db, order) == D("20.00")
