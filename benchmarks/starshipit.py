"""Submitting 500 pending fulfilments to a fake Starshipit limited to 20 requests/s, with 10 % of requests
answered 429 (Retry-After: 1) or 500, through the same service and client the app and the CLI use; then a
sync of 2,000 submitted fulfilments at the same rate (issue 14: ≤ 1.2× the minimum the rate allows).

    python -m benchmarks.starshipit [--orders N] [--rate R] [--faults F] [--seed S] [--sync N]

Checks and prints: every order created exactly once (and its id stored), no request sent inside a
Retry-After window, no 429 from the server's own rate limit, and the total time against the minimum the
limit allows for the requests made: N requests at R/s, plus the time the server closed with Retry-After
(nothing may be sent then). Target: total ≤ 1.3 × that minimum.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, insert, select, update

from desktop.services.shipping import submit_pending
from desktop.starshipit.client import StarshipitClient
from desktop.store import models as m
from desktop.store.engine import Database, open_database
from tests.fake_starshipit import API_KEY, SUBSCRIPTION_KEY, FakeStarshipit

TARGET_RATIO = 1.3
SYNC_TARGET_RATIO = 1.2


def seed(db: Database, n: int) -> None:
    """n pending fulfilments, each of its own sales order with a complete shipping address (bulk inserts)."""
    now = m.utcnow()
    stamp = {"created_at": now, "updated_at": now, "version": 1}
    with db.transaction() as s:
        customer = m.Customer(name="Tui Kingfisher Ltd")
        method = m.ShippingMethod(name="Courier", service_code="CPOLP")
        s.add_all([customer, method])
        s.flush()
        s.execute(insert(m.SalesOrder), [{
            **stamp, "order_number": f"SO-B{i:06d}", "customer_id": customer.id, "status": "open",
            "order_date": now.date(), "currency_code": "NZD", "shipping_method_id": method.id,
            "ship_name": f"Receiver {i}", "ship_address1": f"{i} Kowhai Road", "ship_city": "Hamilton",
            "ship_zip": "3204", "ship_country": "New Zealand", "ship_country_code": "NZ",
        } for i in range(n)])
        orders = list(s.scalars(select(m.SalesOrder.id).order_by(m.SalesOrder.id)))
        s.execute(insert(m.SalesOrderLine), [{
            **stamp, "sales_order_id": oid, "sku": "BASKET", "description": "Harakeke basket", "quantity": 1,
            "price": "24.50", "weight": "0.4"} for oid in orders])
        lines = dict(s.execute(select(m.SalesOrderLine.sales_order_id, m.SalesOrderLine.id)).all())
        s.execute(insert(m.SalesOrderFulfillment), [{
            **stamp, "sales_order_id": oid, "fulfillment_number": f"F-B{i:06d}", "status": "pending"}
            for i, oid in enumerate(orders)])
        fulfilments = dict(s.execute(select(m.SalesOrderFulfillment.sales_order_id, m.SalesOrderFulfillment.id)).all())
        s.execute(insert(m.SalesOrderFulfillmentLine), [{
            **stamp, "fulfillment_id": fulfilments[oid], "sales_order_line_id": lines[oid], "quantity": 1}
            for oid in orders])


def merged_length(windows: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for start, stop in sorted(windows):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--faults", type=float, default=0.10, help="share of requests answered 429 or 500")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--sync", type=int, default=2000, help="submitted fulfilments to sync (0: none)")
    args = parser.parse_args(argv)
    ok = submit_bench(args)
    if args.sync:
        ok = sync_bench(args) and ok
    return 0 if ok else 1


def sync_bench(args: argparse.Namespace) -> bool:
    """Sync of `args.sync` submitted fulfilments: 30 % shipped with tracking, 10 % printed, 1 % in neither
    list (asked for one by one), the rest unshipped; 10 % of requests answered 429 (Retry-After: 1)."""
    from desktop.services.shipping_sync import sync_statuses

    n = args.sync
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(f"sqlite:///{Path(folder) / 'bench-sync.sqlite3'}")
        seed(db, n)
        fake = FakeStarshipit(rate=args.rate, burst=2, seed=args.seed, retry_after="1").start()
        with db.transaction() as s:
            rows = s.execute(select(m.SalesOrderFulfillment.id, m.SalesOrderFulfillment.fulfillment_number)
                             .order_by(m.SalesOrderFulfillment.id)).all()
            today = m.utcnow().date().isoformat()
            for i, (fid, number) in enumerate(rows):
                order_id = fake.add_order({"order_number": number, "order_date": f"{today}T00:00:00Z",
                                           "destination": {"name": f"Receiver {i}"}, "items": []})
                if i % 10 < 3:
                    fake.ship(order_id, tracking_number=f"NZ{i:08d}")
                elif i % 10 == 3:
                    fake.ship(order_id, tracking_number=f"NZ{i:08d}", status="Printed")
                elif i % 100 == 99:
                    fake.orders[order_id]["status"] = "Archived"
                s.execute(update(m.SalesOrderFulfillment).where(m.SalesOrderFulfillment.id == fid)
                          .values(status="submitted", starshipit_order_id=order_id, submitted_at=m.utcnow()))
        fake.fault_rates = {"429": args.faults}
        client = StarshipitClient(API_KEY, SUBSCRIPTION_KEY, fake.url, rate=args.rate, timeout=10)
        print(f"Starshipit: syncing {n:,} submitted fulfilments with a fake server limited to {args.rate:g} "
              f"requests/s, {args.faults:.0%} of requests answered 429 …", flush=True)
        try:
            started = time.monotonic()
            result = sync_statuses(db, client)
            elapsed = time.monotonic() - started
        finally:
            client.close()
            fake.stop()
        with db.read() as s:
            shipped = s.scalar(select(func.count()).where(m.SalesOrderFulfillment.status == "shipped"))
        db.dispose()
    requests = len(fake.requests)
    windows = merged_length(fake.windows)
    minimum = max(requests - 1, 1) / args.rate + windows  # the first request goes at once
    ratio = elapsed / minimum
    one_by_one = len(fake.requests_to("GET", "/api/orders"))
    checks = {
        "every printed or shipped order marked shipped": shipped == (n // 10) * 4 + min(n % 10, 4),
        "no request inside a Retry-After window": not fake.inside_windows(),
        "no 429 from the server's own rate limit": fake.rate_limited == 0,
        f"total ≤ {SYNC_TARGET_RATIO}× the minimum": ratio <= SYNC_TARGET_RATIO,
    }
    print(f"  {result.summary()}")
    print(f"  requests made: {requests} (pages of shipped {len(fake.requests_to('GET', '/api/orders/shipped'))}, "
          f"of unshipped {len(fake.requests_to('GET', '/api/orders/unshipped'))}, one by one {one_by_one}); "
          f"429 injected: {sum(1 for r in fake.requests if r.fault == '429')}")
    print(f"  minimum the limit allows: {requests} requests at {args.rate:g}/s = {minimum - windows:.2f} s "
          f"+ Retry-After windows {windows:.1f} s = {minimum:.2f} s")
    print(f"  total time: {elapsed:.2f} s = {ratio:.2f}× the minimum (target ≤ {SYNC_TARGET_RATIO}×)   "
          f"{'OK' if all(checks.values()) else 'MISSED'}")
    for name, ok in checks.items():
        if not ok:
            print(f"  MISSED: {name}")
    return all(checks.values())


def submit_bench(args: argparse.Namespace) -> bool:

    with tempfile.TemporaryDirectory() as folder:
        db = open_database(f"sqlite:///{Path(folder) / 'bench-starshipit.sqlite3'}")
        seed(db, args.orders)
        fake = FakeStarshipit(rate=args.rate, burst=2, seed=args.seed, retry_after="1").start()
        fake.fault_rates = {"429": args.faults / 2, "500": args.faults / 2}
        client = StarshipitClient(API_KEY, SUBSCRIPTION_KEY, fake.url, rate=args.rate, timeout=10)
        print(f"Starshipit: submitting {args.orders} pending fulfilments to a fake server limited to "
              f"{args.rate:g} requests/s, {args.faults:.0%} of requests answered 429 or 500 …", flush=True)
        try:
            started = time.monotonic()
            result = submit_pending(db, client)
            elapsed = time.monotonic() - started
        finally:
            client.close()
            fake.stop()
        with db.read() as s:
            stored = dict(s.execute(select(m.SalesOrderFulfillment.fulfillment_number,
                                           m.SalesOrderFulfillment.starshipit_order_id)).all())
            submitted = s.scalar(select(func.count()).where(m.SalesOrderFulfillment.status == "submitted"))
        db.dispose()

    created = Counter(fake.created_numbers)
    once = len(created) == args.orders and max(created.values()) == 1
    ids_match = all(fake.by_number.get(number) == order_id for number, order_id in stored.items())
    requests = len(fake.requests)
    injected = Counter(r.fault for r in fake.requests if r.fault)
    inside = fake.inside_windows()
    windows = merged_length(fake.windows)
    minimum = requests / args.rate + windows
    ratio = elapsed / minimum
    checks = {
        "every order created exactly once": once and submitted == args.orders and result.all_submitted,
        "every order id stored": ids_match,
        "no request inside a Retry-After window": not inside,
        "no 429 from the server's own rate limit": fake.rate_limited == 0,
        f"total ≤ {TARGET_RATIO}× the minimum": ratio <= TARGET_RATIO,
    }
    print(f"  {result.summary()}; {len(created)} orders created in Starshipit, "
          f"{sum(created.values())} creates")
    print(f"  requests made: {requests} (lookups {len(fake.requests_to('GET', '/api/orders'))}, imports "
          f"{len(fake.requests_to('POST', '/api/orders/import'))}, single creates "
          f"{len(fake.requests_to('POST', '/api/orders'))}); injected faults: "
          + ", ".join(f"{k} ×{v}" for k, v in sorted(injected.items())))
    print(f"  requests inside a Retry-After window: {len(inside)}; 429 from the rate limit itself: "
          f"{fake.rate_limited}; busiest second: {fake.max_in_window(1.0)} requests (limit {args.rate:g})")
    print(f"  minimum the limit allows: {requests} requests at {args.rate:g}/s = {requests / args.rate:.1f} s "
          f"+ Retry-After windows {windows:.1f} s = {minimum:.1f} s")
    print(f"  total time: {elapsed:.1f} s = {ratio:.2f}× the minimum (target ≤ {TARGET_RATIO}×)   "
          f"{'OK' if all(checks.values()) else 'MISSED'}")
    for name, ok in checks.items():
        if not ok:
            print(f"  MISSED: {name}")
    return all(checks.values())


if __name__ == "__main__":
    sys.exit(main())
