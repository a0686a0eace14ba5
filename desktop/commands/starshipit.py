"""`customer-desk starshipit submit|sync|view FULFILLMENT_ID|update FULFILLMENT_ID [--base-url URL] [--json]`.

Keys come from STARSHIPIT_API_KEY and STARSHIPIT_SUBSCRIPTION_KEY, or from the keyring (Settings →
Starshipit in the app). The base URL from --base-url, then STARSHIPIT_BASE_URL, then Starshipit's own; the
rate from STARSHIPIT_RATE (requests per second; 2 on a developer subscription, 20 on production).

`submit` prints one line per order as it is done, then a summary; exit 0 when every pending fulfilment was
submitted, 1 when some failed (they are listed) or the run stopped. `sync` asks Starshipit about every
submitted, not yet shipped fulfilment (a few pages of orders, then one request for each order in neither
list), prints one line per fulfilment that changed and a summary, and shows its progress on stderr on a
terminal; exit 0, or 1 when it stopped (keys refused, Starshipit unreachable) or some answers could not be
read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from desktop.commands.common import EXIT_ERROR, EXIT_OK, CommandError, open_store
from desktop.starshipit.credentials import ENV_BASE_URL, ENV_RATE, require_keys
from desktop.starshipit.limits import DEFAULT_BASE_URL, DEFAULT_RATE

if TYPE_CHECKING:
    from desktop.starshipit.client import StarshipitClient

EXIT_FAILED = EXIT_ERROR
EXIT_INTERRUPTED = 130


def register(commands: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--base-url", metavar="URL",
                        help=f"Starshipit API base URL (default: ${ENV_BASE_URL}, then {DEFAULT_BASE_URL})")
    common.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser = commands.add_parser(
        "starshipit", help="submit fulfilments to Starshipit, view or update their orders",
        description="Starshipit orders from the store's fulfilments. Keys: $STARSHIPIT_API_KEY and "
                    "$STARSHIPIT_SUBSCRIPTION_KEY, or the keyring (Settings → Starshipit in the app). "
                    f"Requests per second: ${ENV_RATE} (default {DEFAULT_RATE:g}).")
    actions = parser.add_subparsers(dest="starshipit_action", metavar="ACTION", required=True)
    submit = actions.add_parser("submit", parents=[common],
                                help="submit every pending fulfilment not yet submitted (never twice)")
    submit.set_defaults(handler=cmd_submit)
    sync = actions.add_parser("sync", parents=[common],
                              help="bring home the status, carrier and tracking of every submitted fulfilment")
    sync.set_defaults(handler=cmd_sync)
    view = actions.add_parser("view", parents=[common], help="show a fulfilment's Starshipit order")
    view.add_argument("fulfillment", metavar="FULFILLMENT_ID", help="fulfilment id or number")
    view.set_defaults(handler=cmd_view)
    update = actions.add_parser("update", parents=[common],
                                help="send a fulfilment's destination and items to its Starshipit order")
    update.add_argument("fulfillment", metavar="FULFILLMENT_ID", help="fulfilment id or number")
    update.set_defaults(handler=cmd_update)


def _rate() -> float:
    raw = os.environ.get(ENV_RATE, "").strip()
    if not raw:
        return DEFAULT_RATE
    try:
        rate = float(raw)
    except ValueError:
        raise CommandError(f"{ENV_RATE}={raw!r} is not a number of requests per second") from None
    if not 0 < rate <= 1000:
        raise CommandError(f"{ENV_RATE} must be above 0 (and at most 1000)")
    return rate


def _client(args: argparse.Namespace) -> StarshipitClient:
    from desktop.services.shipping_errors import domain_errors
    from desktop.starshipit.client import StarshipitClient

    with domain_errors():  # no keys: a DomainError, one line like every other
        keys = require_keys()
        base_url = args.base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
        return StarshipitClient(keys.api_key, keys.subscription_key, base_url, rate=_rate())


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def cmd_submit(args: argparse.Namespace) -> int:
    from desktop.services.shipping import SubmitOutcome, submit_pending

    client = _client(args)
    db = open_store(args)
    seen: list[SubmitOutcome] = []

    def on_outcome(outcome: SubmitOutcome) -> None:
        seen.append(outcome)
        if not args.json:
            print(outcome.line(), flush=True)

    try:
        result = submit_pending(db, client, on_outcome=on_outcome)
    except KeyboardInterrupt:
        done = sum(o.ok for o in seen)
        print(f"customer-desk: interrupted after {done} submitted; run it again to go on (nothing is sent "
              "twice).", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        client.close()
        db.dispose()
    if args.json:
        _print_json({
            "total": result.total, "submitted": len(result.submitted), "failed": len(result.failed),
            "skipped": len(result.skipped),
            "not_attempted": result.not_attempted, "stopped": result.stopped, "requests": result.requests,
            "outcomes": [asdict(o) for o in result.outcomes],
        })
    elif result.total == 0:
        print("Nothing to submit: no pending fulfilments.")
    else:
        print(result.summary().split(" — ")[0] + ".")
        if result.failed:
            print(f"Failed ({len(result.failed)}):")
            for o in result.failed:
                print(f"  {o.fulfillment_number} (id {o.fulfillment_id}): {o.error}")
        if result.skipped:
            print(f"Skipped, being submitted from another desk ({len(result.skipped)}): "
                  + ", ".join(o.fulfillment_number for o in result.skipped))
    if result.stopped:
        print(f"customer-desk: stopped: {result.stopped}", file=sys.stderr)
    return EXIT_OK if result.all_submitted else EXIT_FAILED


def cmd_view(args: argparse.Namespace) -> int:
    from desktop.services.shipping import view_order

    client = _client(args)
    db = open_store(args)
    try:
        view = view_order(db, client, args.fulfillment)
    finally:
        client.close()
        db.dispose()
    o = view.order
    if args.json:
        _print_json({
            "fulfillment_id": view.fulfillment_id, "fulfillment_number": view.fulfillment_number,
            "sales_order_number": view.sales_order_number, "customer": view.customer_name,
            "order_id": o.order_id, "order_number": o.order_number, "status": o.status,
            "carrier": o.carrier_display, "tracking_number": o.tracking_number, "tracking_url": o.tracking_url,
            "destination": o.destination.to_json() if o.destination else None,
            "items": [i.to_json() for i in o.items],
            "packages": [asdict(p) for p in o.packages],
        })
        return EXIT_OK
    print(f"Starshipit order {o.order_id} ({o.order_number}) for fulfilment {view.fulfillment_number}, "
          f"sales order {view.sales_order_number}, {view.customer_name}")
    print(f"  Status:   {o.status or '—'}")
    print(f"  Carrier:  {o.carrier_display or '—'}")
    print(f"  Tracking: {o.tracking_number or '—'}" + (f"  {o.tracking_url}" if o.tracking_url else ""))
    if o.destination:
        print(f"  Ship to:  {o.destination.one_line()}")
    print(f"  Items ({len(o.items)}):")
    for i in o.items:
        print(f"    {i.quantity.normalize():>6} × {i.sku or '—'}  {i.description or ''}")
    print(f"  Packages ({len(o.packages)}):")
    for p in o.packages:
        print(f"    {p.name or 'package'}  {p.tracking_number or '—'}  {p.delivery_status or ''}".rstrip())
    return EXIT_OK


def cmd_update(args: argparse.Namespace) -> int:
    from desktop.services.shipping import update_from_fulfillment

    client = _client(args)
    db = open_store(args)
    try:
        order = update_from_fulfillment(db, client, args.fulfillment)
    finally:
        client.close()
        db.dispose()
    if args.json:
        _print_json({"order_id": order.order_id, "order_number": order.order_number, "updated": True})
    else:
        print(f"Updated Starshipit order {order.order_id} ({order.order_number}) from the fulfilment.")
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    from desktop.services.shipping_sync import SyncChange, sync_statuses

    client = _client(args)
    db = open_store(args)
    tty = _isatty(sys.stderr)

    def progress(done: int, total: int) -> None:
        if tty:
            print(f"\rSyncing with Starshipit: {done:,} of about {total:,} requests\033[K", end="",
                  file=sys.stderr, flush=True)

    def on_change(change: SyncChange) -> None:
        if not args.json:
            if tty:
                print("\r\033[K", end="", file=sys.stderr, flush=True)
            print(change.line(), flush=True)

    try:
        result = sync_statuses(db, client, progress=progress, on_change=on_change)
    except KeyboardInterrupt:
        print("\ncustomer-desk: interrupted; what was learnt so far is kept. Run it again to go on.",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if tty:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
        client.close()
        db.dispose()
    if args.json:
        _print_json({
            "checked": result.checked, "shipped": result.shipped, "requests": result.requests,
            "changes": [asdict(c) for c in result.changes], "not_found": result.not_found,
            "problems": result.problems, "stopped": result.stopped,
        })
    elif result.checked == 0:
        print("Nothing to sync: no submitted fulfilment waits for Starshipit.")
    else:
        print(result.summary().split(" — ")[0] + ".")
        for line in result.problems:
            print(f"  {line}")
        if result.not_found:
            print("Not found in Starshipit (deleted or archived there?): " + ", ".join(result.not_found))
    if result.stopped:
        print(f"customer-desk: stopped: {result.stopped}", file=sys.stderr)
    return EXIT_OK if not result.stopped and not result.problems else EXIT_FAILED


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
