"""`customer-desk orders unpaid CUSTOMER_ID`, `customer-desk credits open CUSTOMER_ID` and
`customer-desk credits allocate CREDIT_ID ORDER_ID=AMOUNT ...`, each with `--json`.

Exit codes of `credits allocate`: 0 allocated; 1 refused (the rule that failed is printed, and is the
`rule` of the JSON); 2 usage (a malformed ORDER_ID=AMOUNT: no `=`, an order id that is not a whole number,
an empty amount). An amount that is not a valid amount (`0.001`, `-5`, `ten`) is a refused rule, exit 1.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from decimal import Decimal
from typing import Any

from desktop.commands.common import EXIT_ERROR, EXIT_OK, MAX_ID, in_store, open_store, whole_number
from desktop.services.money import fmt

EXIT_REFUSED = EXIT_ERROR


_customer_id = whole_number("a customer id", low=1)
_credit_id = whole_number("a credit id", low=1)


def _pair(text: str) -> tuple[int, str]:
    order, sep, amount = text.partition("=")
    order = order.strip()
    valid = sep and re.fullmatch(r"[0-9]{1,19}", order) and 0 < int(order) <= MAX_ID and amount.strip()
    if not valid:
        raise argparse.ArgumentTypeError(f"{text!r} is not ORDER_ID=AMOUNT (for example 1042=25.50)")
    return int(order), amount.strip()


def register(commands: argparse._SubParsersAction) -> None:
    orders = commands.add_parser("orders", help="sales orders: what customers owe")
    orders_sub = orders.add_subparsers(dest="orders_command", metavar="COMMAND", required=True)
    unpaid = orders_sub.add_parser("unpaid", help="a customer's unpaid orders, oldest first, with totals")
    unpaid.add_argument("customer_id", type=_customer_id, metavar="CUSTOMER_ID")
    unpaid.add_argument("--json", action="store_true", help="print JSON instead of a table")
    unpaid.set_defaults(handler=cmd_orders_unpaid)

    credits = commands.add_parser("credits", help="sales credits: open credits and allocating them")
    credits_sub = credits.add_subparsers(dest="credits_command", metavar="COMMAND", required=True)
    open_ = credits_sub.add_parser("open", help="a customer's open sales credits, oldest first, with totals")
    open_.add_argument("customer_id", type=_customer_id, metavar="CUSTOMER_ID")
    open_.add_argument("--json", action="store_true", help="print JSON instead of a table")
    open_.set_defaults(handler=cmd_credits_open)
    allocate = credits_sub.add_parser(
        "allocate", help="allocate a sales credit to orders (all or nothing)",
        description="Allocate a sales credit to orders, all or nothing. Exit 0 allocated, 1 refused (the "
                    "rule that failed is printed), 2 usage.")
    allocate.add_argument("credit_id", type=_credit_id, metavar="CREDIT_ID")
    allocate.add_argument("pairs", type=_pair, nargs="+", metavar="ORDER_ID=AMOUNT")
    allocate.add_argument("--json", action="store_true", help="print the outcome as JSON")
    allocate.set_defaults(handler=cmd_credits_allocate)


def _money(value: Decimal) -> str:
    return str(value)


def _print_json(payload: Any) -> None:
    print(json.dumps(payload, indent=2))


def cmd_orders_unpaid(args: argparse.Namespace) -> int:
    from desktop.services.money import unpaid_orders

    result = in_store(args, lambda s: unpaid_orders(s, args.customer_id))
    if args.json:
        _print_json({
            "customer_id": result.customer_id,
            "orders": [{"id": o.id, "order_number": o.order_number, "order_date": o.order_date.isoformat(),
                        "status": o.status, "currency_code": o.currency_code, "total": _money(o.total),
                        "paid": _money(o.paid), "credited": _money(o.credited),
                        "outstanding": _money(o.outstanding)} for o in result.orders],
            "totals": {cur: {k: _money(v) for k, v in sums.items()}
                       for cur, sums in result.totals.by_currency.items()},
        })
        return EXIT_OK
    if not result.orders:
        print(f"Customer {args.customer_id} has no unpaid orders.")
        return EXIT_OK
    print(f"{'id':>8}  {'order':<14} {'date':<10} {'cur':<3} {'total':>12} {'paid':>12} {'credited':>12} "
          f"{'outstanding':>12}")
    for o in result.orders:
        print(f"{o.id:>8}  {o.order_number:<14} {o.order_date.isoformat():<10} {o.currency_code:<3} "
              f"{fmt(o.total):>12} {fmt(o.paid):>12} {fmt(o.credited):>12} {fmt(o.outstanding):>12}")
    for currency, sums in sorted(result.totals.by_currency.items()):
        count = sum(1 for o in result.orders if o.currency_code == currency)
        print(f"{'':8}  {f'{count:,} orders':<25} {currency:<3} {fmt(sums['total']):>12} {fmt(sums['paid']):>12} "
              f"{fmt(sums['credited']):>12} {fmt(sums['outstanding']):>12}")
    return EXIT_OK


def cmd_credits_open(args: argparse.Namespace) -> int:
    from desktop.services.money import open_credits

    result = in_store(args, lambda s: open_credits(s, args.customer_id))
    if args.json:
        _print_json({
            "customer_id": result.customer_id,
            "credits": [{"id": c.id, "sales_credit_number": c.sales_credit_number,
                         "credit_date": c.credit_date.isoformat(), "currency_code": c.currency_code,
                         "total": _money(c.total), "allocated": _money(c.allocated),
                         "remaining": _money(c.remaining)} for c in result.credits],
            "totals": {cur: {k: _money(v) for k, v in sums.items()}
                       for cur, sums in result.totals.by_currency.items()},
        })
        return EXIT_OK
    if not result.credits:
        print(f"Customer {args.customer_id} has no open sales credits.")
        return EXIT_OK
    print(f"{'id':>8}  {'credit':<14} {'date':<10} {'cur':<3} {'total':>12} {'allocated':>12} {'remaining':>12}")
    for c in result.credits:
        print(f"{c.id:>8}  {c.sales_credit_number:<14} {c.credit_date.isoformat():<10} {c.currency_code:<3} "
              f"{fmt(c.total):>12} {fmt(c.allocated):>12} {fmt(c.remaining):>12}")
    for currency, sums in sorted(result.totals.by_currency.items()):
        count = sum(1 for c in result.credits if c.currency_code == currency)
        print(f"{'':8}  {f'{count:,} credits':<25} {currency:<3} {fmt(sums['total']):>12} "
              f"{fmt(sums['allocated']):>12} {fmt(sums['remaining']):>12}")
    return EXIT_OK


def cmd_credits_allocate(args: argparse.Namespace) -> int:
    from desktop.services.errors import NotFound
    from desktop.services.money import AllocationRefused, allocate_credit

    request = {"sales_orders": [{"id": order_id, "amount": amount} for order_id, amount in args.pairs]}
    db = open_store(args)
    try:
        with db.transaction() as s:
            result = allocate_credit(s, args.credit_id, request)
    except AllocationRefused as exc:
        if args.json:
            _print_json({"allocated": False, "credit_id": args.credit_id, "rule": str(exc.rule),
                         "order_id": exc.order_id, "message": str(exc),
                         "problems": [{"rule": str(p.rule), "order_id": p.order_id, "message": p.message}
                                      for p in exc.problems]})
        print(f"customer-desk: refused ({exc.rule}): {exc}", file=sys.stderr)
        for problem in exc.problems[1:]:
            print(f"customer-desk:   also ({problem.rule}): {problem.message}", file=sys.stderr)
        return EXIT_REFUSED
    except NotFound as exc:
        if args.json:
            _print_json({"allocated": False, "credit_id": args.credit_id, "rule": "credit_not_found",
                         "order_id": None, "message": str(exc), "problems": []})
        print(f"customer-desk: refused (credit_not_found): {exc}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        db.dispose()
    if args.json:
        _print_json({"allocated": True, "credit_id": result.credit_id,
                     "sales_credit_number": result.sales_credit_number,
                     "sales_orders": [{"id": oid, "amount": _money(a)} for oid, a in result.lines.items()],
                     "total": _money(result.total), "remaining": _money(result.remaining)})
        return EXIT_OK
    print(f"Allocated {fmt(result.total)} of credit {result.sales_credit_number} to "
          f"{len(result.lines)} order{'s' if len(result.lines) != 1 else ''}; {fmt(result.remaining)} remaining.")
    return EXIT_OK
