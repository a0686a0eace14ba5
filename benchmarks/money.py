"""`make bench` (money): opening the credit allocation dialog for a customer with 5,000 unpaid orders, and the
plans of the unpaid-orders and open-credits queries.

    python -m benchmarks.money [--postgresql] [--orders N] [--others N]

The store is new each run (SQLite in a temporary folder; with --postgresql also a throwaway cluster): one
customer with N unpaid orders (a payment on every third, a line or two each), 200 other customers with 50
orders and 20 credits each, all by bulk Core inserts, then ANALYZE. The figure is the median wall time of
constructing the dialog (both reads, the model filled) and painting it once, offscreen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import insert, select  # noqa: E402

from desktop.services import money  # noqa: E402
from desktop.store import models as m  # noqa: E402
from desktop.store.engine import Database, open_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300.0


def seed(db: Database, orders: int, others: int) -> tuple[int, int]:
    """The customer under test (its id) with `orders` unpaid orders and an open credit (its id)."""
    now = m.utcnow()
    stamp = {"created_at": now, "updated_at": now, "version": 1}
    with db.engine.begin() as conn:
        conn.execute(insert(m.Customer), [{"name": f"Bench Customer {i}", **stamp} for i in range(others + 1)])
        ids = list(conn.scalars(select(m.Customer.id).order_by(m.Customer.id)))
        target, rest = ids[0], ids[1:]
        start = dt.date(2010, 1, 1)
        order_rows = [{"order_number": f"BM-{target}-{i:06d}", "customer_id": target, "status": "open",
                       "order_date": start + dt.timedelta(days=i // 3), "currency_code": "NZD", **stamp}
                      for i in range(orders)]
        order_rows += [{"order_number": f"BM-{cid}-{i:06d}", "customer_id": cid, "status": "open",
                        "order_date": start + dt.timedelta(days=i * 20), "currency_code": "NZD", **stamp}
                       for cid in rest for i in range(50)]
        conn.execute(insert(m.SalesOrder), order_rows)
        order_ids = list(conn.scalars(select(m.SalesOrder.id).order_by(m.SalesOrder.id)))
        conn.execute(insert(m.SalesOrderLine), [
            {"sales_order_id": oid, "sku": "KETE-1", "description": "Harakeke kete", "quantity": Decimal(1 + n % 3),
             "price": Decimal("19.95"), **stamp} for n, oid in enumerate(order_ids)])
        conn.execute(insert(m.SalesOrderLine), [
            {"sales_order_id": oid, "sku": "SHIP", "description": "Courier", "quantity": Decimal(1),
             "price": Decimal("8.50"), **stamp} for oid in order_ids[::2]])
        conn.execute(insert(m.Payment), [
            {"sales_order_id": oid, "amount": Decimal("5.00"), "payment_date": dt.date(2024, 1, 1), **stamp}
            for oid in order_ids[::3]])
        conn.execute(insert(m.SalesCredit), [
            {"sales_credit_number": f"BC-{cid}-{i}", "customer_id": cid, "credit_date": dt.date(2023, 1, 1 + i),
             "currency_code": "NZD", "total": Decimal("250.00"), **stamp}
            for cid in ids for i in range(20 if cid != target else 3)])
        credit = conn.scalar(select(m.SalesCredit.id).where(m.SalesCredit.customer_id == target)
                             .order_by(m.SalesCredit.id).limit(1))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return target, int(credit)


def plans(db: Database, customer_id: int) -> None:
    for title, stmt in (("unpaid orders", money.unpaid_orders_stmt(customer_id)),
                        ("open credits", money.open_credits_stmt(customer_id)),
                        ("all open credits (first page)", money.all_open_credits_stmt(None, 200))):
        sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        with db.engine.connect() as conn:
            if db.backend == "sqlite":
                lines = [str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
            else:
                lines = [str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + sql)]
        tables = ("sales_orders", "sales_credits")
        if db.backend == "sqlite":
            main = [line.strip() for line in lines if line.strip().startswith(("SEARCH", "SCAN"))
                    and line.split()[1] in tables]
        else:
            main = [line.strip().lstrip("-> ").split("  (cost")[0] for line in lines
                    if any(f" on {t} " in f"{line} " for t in tables)]
        print(f"  plan, {title}: {' | '.join(dict.fromkeys(main)) or lines[0]}")


def run(db: Database, orders: int, others: int) -> bool:
    from PySide6.QtWidgets import QApplication

    from desktop.ui.money.allocation_dialog import AllocationDialog
    from desktop.ui.common.workers import Workers

    print(f"\nmoney on {db.backend} ({db.location})")
    start = time.perf_counter()
    customer, credit = seed(db, orders, others)
    print(f"  seeded {orders:,} unpaid orders for one customer, {others * 50:,} more for {others:,} others "
          f"({time.perf_counter() - start:.1f} s, bulk Core inserts)")
    app = QApplication.instance() or QApplication([])
    workers = Workers()
    samples, reads, cpu = [], [], []
    for _ in range(7):
        c0 = time.process_time()
        t0 = time.perf_counter()
        dialog = AllocationDialog(db, workers, customer, credit)
        dialog.show()
        app.processEvents()
        dialog.view.viewport().repaint()
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        reads.append(dialog.load_ms)
        rows = dialog.model.rowCount()
        dialog.close()
        dialog.deleteLater()
        app.processEvents()
    figure = statistics.median(samples[1:])
    ok = figure <= TARGET_MS and rows == orders
    print(f"  open allocation dialog, {rows:,} orders {figure:8.1f} ms   target ≤ {TARGET_MS:.0f} ms: "
          f"{'ok' if ok else 'MISSED'} (reads and model {statistics.median(reads[1:]):.1f} ms of it; "
          f"this process's CPU {statistics.median(cpu[1:]):.1f} ms; load average {os.getloadavg()[0]:.1f})")

    dialog = AllocationDialog(db, workers, customer, credit)
    t0 = time.perf_counter()
    dialog.fill_oldest_first()
    fill = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    for text in ("1", "12", "12.", "12.5", "12.50"):
        dialog.model.set_amount(orders - 1, text)
    keystroke = (time.perf_counter() - t0) * 1000 / 5
    print(f"  allocate oldest first (fill)       {fill:8.1f} ms")
    print(f"  one keystroke in an amount cell    {keystroke:8.2f} ms   (re-check of the row and the running total)")
    dialog.deleteLater()
    plans(db, customer)
    workers.wait(10_000)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.money")
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--others", type=int, default=200)
    parser.add_argument("--postgresql", action="store_true", help="also run on a throwaway PostgreSQL")
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(f"sqlite:///{folder}/money.sqlite3")
        ok &= run(db, args.orders, args.others)
        db.dispose()
    if args.postgresql:
        sys.path.insert(0, str(ROOT))
        from tests.pgcluster import PostgresCluster

        cluster = PostgresCluster().start()
        try:
            db = open_database(cluster.create_database("bench_money"))
            ok &= run(db, args.orders, args.others)
            db.dispose()
        finally:
            cluster.stop()
    print("\nmoney: all targets met" if ok else "\nmoney: missed a target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
