"""`customer-desk customers …` and `customer-desk addresses …`: every customer operation of the customer
API from a script, with the same rules, messages and transactions as the window (desktop.services).

Exit codes (all of them): 0 done; 1 refused by a rule (one line on stderr per refusal, naming the rule and
the customer), or the store cannot be read; 2 a wrong command line. `--json` prints the objects the services
return: ids, money as strings, dates ISO 8601, the same keys every time.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from desktop.commands.common import EXIT_ERROR, EXIT_OK, CommandError, open_store, whole_number

if TYPE_CHECKING:  # the services (and their validation libraries) are imported only when a command runs
    from sqlalchemy.orm import Session

    from desktop.services.customer_list import CustomerQuery

EXIT_CODES = ("exit codes: 0 done; 1 refused by a rule (one line on stderr for each, naming the rule and the "
              "customer) or the store cannot be read; 2 a wrong command line")

CUSTOMER_OPTIONS = ("name", "company", "email", "phone", "fax", "notes")
LOCATION_OPTIONS = ("address1", "address2", "address3", "city", "province", "province_code", "zip", "country",
                    "country_code")
ADDRESS_OPTIONS = ("label", "name", "company", "email", "phone", *LOCATION_OPTIONS)
# --option -> (the service's field, the reference table's model name); a name (any case) or an id.
REFERENCES = {
    "sales_rep": ("default_sales_rep_id", "SalesRep", "sales rep"),
    "pricing_tier": ("product_pricing_tier_id", "PricingTier", "pricing tier"),
    "store": ("store_id", "Store", "store"),
    "warehouse": ("warehouse_id", "Warehouse", "warehouse"),
    "domestic_shipping": ("shipping_method_domestic_id", "ShippingMethod", "shipping method"),
    "international_shipping": ("shipping_method_international_id", "ShippingMethod", "shipping method"),
}
SETTINGS = ("pricing_tier", "store", "warehouse", "domestic_shipping", "international_shipping")
# List filter option -> the CustomerQuery field it sets.
LIST_FILTERS = {"sales_rep": "sales_rep_id", "pricing_tier": "pricing_tier_id", "store": "store_id",
                "warehouse": "warehouse_id"}
ID = whole_number("a customer id", low=1)
ADDRESS_ID = whole_number("an address id", low=1)


def _ids(text: str) -> list[int]:
    parts = [p for p in text.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("give at least one customer id (1,2,3)")
    return [ID(p) for p in parts]


def _opt(name: str) -> str:
    return "--" + name.replace("_", "-")


def _parser(sub: argparse._SubParsersAction, name: str, help_text: str, description: str = "") -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help_text, description=(description or help_text) + ".", epilog=EXIT_CODES)


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--search", metavar="TEXT",
                   help="name, company, email, phone, street, city, province or zip containing every word")
    p.add_argument("--archived", choices=("active", "archived", "all"), default="active")
    for key in LIST_FILTERS:
        p.add_argument(_opt(key), metavar="NAME", help=f"only customers of this {REFERENCES[key][2]} (name or id)")


def _sort_field(value: str) -> str:
    """--sort FIELD or -FIELD: a sortable column (anything else is a usage error, exit 2)."""
    from desktop.services.customer_list import SORT_KEYS

    if value.removeprefix("-") not in SORT_KEYS:
        raise argparse.ArgumentTypeError(f"cannot sort by {value.removeprefix('-')!r}: choose one of "
                                         f"{', '.join(sorted(SORT_KEYS))}")
    return value


def register(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser("customers", help="list, show, create, change, archive and delete customers",
                                epilog=EXIT_CODES)
    sub = group.add_subparsers(dest="customers_command", metavar="COMMAND", required=True)

    p = _parser(sub, "list", "list customers a page at a time, with the total",
                "List customers as the window does: search, filters, sort (-FIELD descending), page and limit")
    _add_filters(p)
    p.add_argument("--sort", type=_sort_field, default="name", metavar="FIELD|-FIELD",
                   help="name, company, email, phone, city, province, zip, country_code, sales_rep, pricing_tier, "
                        "store, warehouse, created_at, updated_at, archived_at or id (default name)")
    p.add_argument("--page", type=whole_number("a page", low=1), default=1, metavar="N")
    p.add_argument("--limit", type=whole_number("a limit", low=1, high=1000), default=50, metavar="N",
                   help="customers per page, 1 to 1,000 (default 50)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = _parser(sub, "get", "show one customer with its addresses, defaults, sales rep and settings")
    p.add_argument("id", type=ID, metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_get)

    p = _parser(sub, "create", "create a customer; its address becomes the default shipping and billing one",
                "Create a customer. The address options make its default shipping (and billing) address; the "
                "--billing-… options a separate billing address. A customer that looks like an existing one "
                "(same name and zip, address 1 alike) is refused unless --allow-duplicate; default settings "
                "are set with `customers update`")
    for key in (*CUSTOMER_OPTIONS, *LOCATION_OPTIONS):
        p.add_argument(_opt(key), dest=key, metavar="TEXT", required=key == "name")
    for key in LOCATION_OPTIONS:
        p.add_argument(_opt("billing_" + key), dest="billing_" + key, metavar="TEXT")
    p.add_argument("--sales-rep", dest="sales_rep", metavar="NAME", help="the default sales rep (name or id)")
    p.add_argument("--allow-duplicate", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_create)

    p = _parser(sub, "update", "change the given fields of a customer (default settings only here)",
                "Change only the fields given ('' clears one); the address options edit the default shipping "
                "address. --expect-version refuses the change when the customer has changed since that version")
    p.add_argument("id", type=ID, metavar="ID")
    for key in (*CUSTOMER_OPTIONS, *LOCATION_OPTIONS):
        p.add_argument(_opt(key), dest=key, metavar="TEXT")
    for key in REFERENCES:
        p.add_argument(_opt(key), dest=key, metavar="NAME", help=f"the {REFERENCES[key][2]} (name or id; '' for none)")
    p.add_argument("--expect-version", type=whole_number("a version", low=1), metavar="V")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_update)

    p = _parser(sub, "delete", "delete customers that nothing links to",
                "Delete each customer (and its addresses), each in its own transaction. One linked to sales "
                "orders, credits, payments or fulfilments is refused, naming what links it (archive it instead)")
    p.add_argument("ids", type=ID, nargs="+", metavar="ID")
    p.set_defaults(handler=cmd_delete)

    p = _parser(sub, "check-deletable", "say for each customer whether it can be deleted, and what links it")
    p.add_argument("ids", type=ID, nargs="+", metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_check_deletable)

    for verb in ("archive", "unarchive"):
        p = _parser(sub, verb, f"{verb} customers", f"{verb.capitalize()} each customer (its own transaction)")
        p.add_argument("ids", type=ID, nargs="+", metavar="ID")
        p.set_defaults(handler=cmd_archive, archive=verb == "archive")

    bulk = _parser(sub, "bulk", "archive, unarchive or delete many customers in one transaction")
    bulk_sub = bulk.add_subparsers(dest="bulk_action", metavar="ACTION", required=True)
    for action in ("archive", "unarchive", "delete"):
        p = _parser(bulk_sub, action, f"{action} the given customers, or every one matching the filters",
                    f"{action.capitalize()} the customers given by --ids, or with --all every customer matching "
                    "the filters (then --yes is needed: without it, the command says how many it would touch "
                    "and exits 1). One transaction: a failure or Ctrl+C changes nothing")
        which = p.add_mutually_exclusive_group(required=True)
        which.add_argument("--ids", type=_ids, metavar="ID,ID…")
        which.add_argument("--all", action="store_true")
        _add_filters(p)
        p.add_argument("--yes", action="store_true", help="with --all: do it")
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=cmd_bulk)

    p = _parser(sub, "email-clashes", "list emails that more than one customer holds (from before the rule)",
                "List every email (any case) held by more than one customer, as its own email or on an address. "
                "Such clashes come from stores older than the rule that an email is one customer's; they stay "
                "until the email is changed (a new clash is refused). Exit 0 whatever it finds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_email_clashes)

    group = commands.add_parser("addresses", help="a customer's addresses and its default ones", epilog=EXIT_CODES)
    sub = group.add_subparsers(dest="addresses_command", metavar="COMMAND", required=True)
    p = _parser(sub, "list", "list a customer's addresses with the default flags")
    p.add_argument("customer_id", type=ID, metavar="CUSTOMER_ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_addresses_list)

    p = _parser(sub, "add", "add an address to a customer",
                "Add an address. When the customer already has it (written alike), nothing is added: the "
                "existing address is printed and the exit code is 0")
    p.add_argument("customer_id", type=ID, metavar="CUSTOMER_ID")
    for key in ADDRESS_OPTIONS:
        p.add_argument(_opt(key), dest=key, metavar="TEXT")
    p.add_argument("--default-shipping", action="store_true", help="make it the default shipping address")
    p.add_argument("--default-billing", action="store_true", help="make it the default billing address")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_addresses_add)

    for role in ("shipping", "billing"):
        p = _parser(sub, f"set-default-{role}", f"make one of a customer's addresses its default {role} address")
        p.add_argument("customer_id", type=ID, metavar="CUSTOMER_ID")
        p.add_argument("address_id", type=ADDRESS_ID, metavar="ADDRESS_ID")
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=cmd_set_default, role=role)


# --- output ---------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """A service's object as JSON: dataclasses as objects (every field, in order), dates ISO 8601, money
    as strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name != "sort_value"}
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _print_json(value: Any) -> None:
    print(json.dumps(jsonable(value), indent=2, ensure_ascii=False))


def _refuse(text: str) -> None:
    print(f"customer-desk: {text}", file=sys.stderr, flush=True)


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(rows: Iterable[Iterable[Any]], headers: tuple[str, ...], widths: tuple[int, ...]) -> None:
    print("  ".join(f"{h:<{w}}" for h, w in zip(headers, widths)).rstrip())
    for row in rows:
        print("  ".join(f"{_cell(v, w):<{w}}" for v, w in zip(row, widths)).rstrip())


def _progress(verb: str) -> Callable[[int, int], None] | None:
    stream = sys.stderr
    if stream is None or not stream.isatty():
        return None

    def report(done: int, total: int) -> None:
        try:
            print(f"\r{verb} {done:,} of {total:,} customers\033[K", end="", file=stream, flush=True)
        except (OSError, ValueError):
            pass
    return report


# --- what the options say -----------------------------------------------------------------------


def _reference(session: Session, key: str, text: str) -> int | None:
    """A reference option's id: '' is none; else a name (any case), else an id of that table."""
    from sqlalchemy import func, select

    from desktop.store import models as m

    _field, model_name, what = REFERENCES[key]
    model = getattr(m, model_name)
    wanted = text.strip()
    if not wanted:
        return None
    found = list(session.scalars(select(model.id).where(func.lower(model.name) == wanted.lower()).limit(2)))
    if len(found) == 1:
        return int(found[0])
    if len(found) > 1:
        raise CommandError(f"more than one {what} is named {wanted!r}: give its id instead.")
    if wanted.isdigit() and session.get(model, int(wanted)) is not None:
        return int(wanted)
    raise CommandError(f"there is no {what} named {wanted!r}.")


def _given(args: argparse.Namespace, keys: Iterable[str], prefix: str = "") -> dict[str, Any]:
    """The options given ('' becomes None: the field is cleared)."""
    values: dict[str, Any] = {}
    for key in keys:
        value = getattr(args, prefix + key, None)
        if value is not None:
            values[key] = value if value.strip() else None
    return values


def query_of(session: Session, args: argparse.Namespace, sort: str = "name") -> CustomerQuery:
    from desktop.services.customer_list import CustomerQuery

    ids = {field: _reference(session, k, getattr(args, k))
           for k, field in LIST_FILTERS.items() if getattr(args, k, None) is not None}
    return CustomerQuery(search=args.search, archived=args.archived, sort=sort, **ids)


def _filters_text(args: argparse.Namespace) -> str:
    parts = [f"searching {args.search!r}"] if args.search else []
    parts += [f"{REFERENCES[k][2]} {getattr(args, k)!r}" for k in LIST_FILTERS if getattr(args, k, None)]
    parts.append({"active": "active customers", "archived": "archived customers",
                  "all": "active and archived customers"}[args.archived])
    return ", ".join(parts)


def _name(session: Session, customer_id: int) -> str:
    from desktop.store import models as m

    customer = session.get(m.Customer, customer_id)
    return f"{customer.name} ({customer_id})" if customer is not None else f"customer {customer_id}"


# --- customers ------------------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    from desktop.services.customer_list import list_customers_page

    db = open_store(args)
    try:
        with db.read() as session:
            q = query_of(session, args, args.sort)
            page = list_customers_page(session, q, page=args.page, limit=args.limit)
    finally:
        db.dispose()
    pages = max(1, -(-page.total // args.limit))
    if args.json:
        _print_json({"total": page.total, "page": args.page, "limit": args.limit, "pages": pages,
                     "customers": page.rows})
        return EXIT_OK
    _table(((r.id, r.name, r.company, r.email, r.phone, r.city, r.country_code, "archived" if r.archived else "")
            for r in page.rows),
           ("id", "name", "company", "email", "phone", "city", "country", ""), (8, 28, 24, 30, 16, 18, 7, 8))
    first = (args.page - 1) * args.limit + 1
    shown = f"{first:,}–{first + len(page.rows) - 1:,} of " if page.rows else "none of "
    print(f"{shown}{page.total:,} customer{'s' if page.total != 1 else ''} (page {args.page:,} of {pages:,})",
          file=sys.stderr)
    return EXIT_OK


def _show(session: Session, detail: Any) -> None:
    from desktop.store import models as m

    def ref(model: Any, ref_id: int | None) -> str:
        if ref_id is None:
            return ""
        row = session.get(model, ref_id)
        return f"{row.name} ({ref_id})" if row is not None else str(ref_id)

    lines = [
        ("id", detail.id), ("version", detail.version), ("name", detail.name), ("company", detail.company),
        ("email", detail.email), ("phone", detail.phone), ("fax", detail.fax), ("notes", detail.notes),
        ("sales rep", ref(m.SalesRep, detail.default_sales_rep_id)),
        ("pricing tier", ref(m.PricingTier, detail.product_pricing_tier_id)),
        ("store", ref(m.Store, detail.store_id)), ("warehouse", ref(m.Warehouse, detail.warehouse_id)),
        ("domestic shipping", ref(m.ShippingMethod, detail.shipping_method_domestic_id)),
        ("international shipping", ref(m.ShippingMethod, detail.shipping_method_international_id)),
        ("archived", detail.archived_at.isoformat() if detail.archived_at else "no"),
        ("created", detail.created_at.isoformat()), ("updated", detail.updated_at.isoformat()),
    ]
    for label, value in lines:
        print(f"{label + ':':<24}{'' if value is None else value}")
    print("addresses:" if detail.addresses else "addresses:              none")
    for a in detail.addresses:
        print(f"  {_address_line(a)}")


def _address_line(a: Any) -> str:
    flags = [w for w, on in (("default shipping", a.is_default_shipping), ("default billing", a.is_default_billing)) if on]
    label = f" “{a.label}”" if a.label else ""
    return f"{a.id}{label}: {a.one_line() or '(no lines)'}{' — ' + ', '.join(flags) if flags else ''}"


def cmd_get(args: argparse.Namespace) -> int:
    from desktop.services.customers import get_customer

    db = open_store(args)
    try:
        with db.read() as session:
            detail = get_customer(session, args.id)
            if args.json:
                _print_json(detail)
            else:
                _show(session, detail)
    finally:
        db.dispose()
    return EXIT_OK


def cmd_create(args: argparse.Namespace) -> int:
    from desktop.services.customers import create_customer

    data = _given(args, (*CUSTOMER_OPTIONS, *LOCATION_OPTIONS))
    billing = _given(args, LOCATION_OPTIONS, prefix="billing_")
    if billing:
        data["default_billing_address"] = billing
    db = open_store(args)
    try:
        with db.transaction() as session:
            if args.sales_rep is not None:
                data["default_sales_rep_id"] = _reference(session, "sales_rep", args.sales_rep)
            detail = create_customer(session, data, allow_duplicate=args.allow_duplicate)
    finally:
        db.dispose()
    if args.json:
        _print_json(detail)
    else:
        print(f"Created customer {detail.id}: {detail.name}")
    return EXIT_OK


def cmd_update(args: argparse.Namespace) -> int:
    from desktop.services.customers import update_customer

    data = _given(args, (*CUSTOMER_OPTIONS, *LOCATION_OPTIONS))
    db = open_store(args)
    try:
        with db.transaction() as session:
            for key in REFERENCES:
                if getattr(args, key) is not None:
                    data[REFERENCES[key][0]] = _reference(session, key, getattr(args, key))
            if not data:
                raise CommandError("nothing to change: give the fields to change (see --help).")
            detail = update_customer(session, args.id, data, expected_version=args.expect_version)
    finally:
        db.dispose()
    if args.json:
        _print_json(detail)
    else:
        print(f"Updated customer {detail.id}: {detail.name} (version {detail.version})")
    return EXIT_OK


def _each(args: argparse.Namespace, work: Callable[[Session, int], str | None]) -> int:
    """`work` for each id in its own transaction; a refusal is one line on stderr and exit 1 at the end."""
    from desktop.services.errors import DomainError

    refused = 0
    db = open_store(args)
    try:
        for customer_id in dict.fromkeys(args.ids):
            try:
                with db.transaction() as session:
                    said = work(session, customer_id)
            except DomainError as exc:
                refused += 1
                said = str(exc)
                _refuse(said if str(customer_id) in said else f"customer {customer_id}: {said}")
                continue
            if said:
                print(said)
    finally:
        db.dispose()
    return EXIT_ERROR if refused else EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    from desktop.services.customers import delete_customer

    def work(session: Session, customer_id: int) -> str:
        name = _name(session, customer_id)
        delete_customer(session, customer_id)
        return f"Deleted {name}"
    return _each(args, work)


def cmd_archive(args: argparse.Namespace) -> int:
    from desktop.services.customers import archive_customer, unarchive_customer

    def work(session: Session, customer_id: int) -> str:
        changed = (archive_customer if args.archive else unarchive_customer)(session, customer_id)
        name = _name(session, customer_id)
        if args.archive:
            return f"Archived {name}" if changed else f"{name} was already archived"
        return f"Unarchived {name}" if changed else f"{name} was not archived"
    return _each(args, work)


def cmd_check_deletable(args: argparse.Namespace) -> int:
    from desktop.services.customers import check_deletable

    db = open_store(args)
    try:
        with db.read() as session:
            ids = list(dict.fromkeys(args.ids))
            links = check_deletable(session, ids)
            names = {cid: _name(session, cid) for cid in links}
    finally:
        db.dispose()
    rows = []
    for cid in ids:
        found = links.get(cid)
        rows.append({
            "customer_id": cid, "exists": found is not None,
            "deletable": found is not None and not found.any,
            "sales_orders": found.sales_orders if found else 0, "sales_credits": found.sales_credits if found else 0,
            "payments": found.payments if found else 0, "fulfillments": found.fulfillments if found else 0,
            "reason": None if found is None or not found.any else f"linked to {found.describe()}",
        })
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            cid = row["customer_id"]
            if not row["exists"]:
                continue
            verdict = "can be deleted" if row["deletable"] else f"cannot be deleted: {row['reason']}"
            print(f"{names[cid]}: {verdict}")
    missing = [r["customer_id"] for r in rows if not r["exists"]]
    for cid in missing:
        _refuse(f"customer {cid} does not exist.")
    return EXIT_ERROR if missing else EXIT_OK


def cmd_bulk(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from desktop.services import customers as cs
    from desktop.services.customer_list import matching_ids

    verb = {"archive": "Archiving", "unarchive": "Unarchiving", "delete": "Deleting"}[args.bulk_action]
    db = open_store(args)
    try:
        if args.all:
            with db.read() as session:
                q = query_of(session, args)
                count = int(session.scalar(select(func.count()).select_from(matching_ids(session, q).subquery())) or 0)
            if not args.yes:
                _refuse(f"this would {args.bulk_action} {count:,} customer{'s' if count != 1 else ''} "
                        f"({_filters_text(args)}): add --yes to do it.")
                return EXIT_ERROR
        with db.transaction() as session:
            common: dict[str, Any] = {"progress": _progress(verb)}
            if args.all:
                common.update(apply_to_all=True, query=query_of(session, args))
            else:
                common["ids"] = args.ids
            if args.bulk_action == "delete":
                result = cs.bulk_delete(session, **common)
            else:
                description = ("every customer: " + _filters_text(args)) if args.all else \
                    f"{len(args.ids):,} customers by id"
                work = cs.bulk_archive if args.bulk_action == "archive" else cs.bulk_unarchive
                result = work(session, description=f"Command line, {description}", **common)
        if common["progress"] is not None:
            print(file=sys.stderr)
    finally:
        db.dispose()
    # Skipped because it already was so: not a refusal. Gone or linked: refused.
    refused = [o for o in result.skipped if not (o.reason or "").startswith("already ")]
    if args.json:
        _print_json({"action": args.bulk_action, "done": len(result.done), "skipped": len(result.skipped),
                     "bulk_action_id": result.bulk_action_id, "outcomes": result.outcomes})
    else:
        for o in result.outcomes:
            who = f"{o.name} ({o.customer_id})" if o.name else f"customer {o.customer_id}"
            if o.done:
                print(f"{result.action.capitalize()}: {who}")
            elif o not in refused:
                print(f"Skipped {who}: {o.reason}")
        print(result.summary(), file=sys.stderr)
    for o in refused:
        who = f"{o.name} ({o.customer_id})" if o.name else f"customer {o.customer_id}"
        _refuse(f"{who} was not {result.action}: {o.reason}")
    return EXIT_ERROR if refused else EXIT_OK


def cmd_email_clashes(args: argparse.Namespace) -> int:
    from desktop.services.customers import list_email_clashes

    db = open_store(args)
    try:
        with db.read() as session:
            clashes = list_email_clashes(session)
    finally:
        db.dispose()
    if args.json:
        _print_json(clashes)
        return EXIT_OK
    for clash in clashes:
        holders = "; ".join(f"{h.name} ({h.customer_id}, {h.where})" for h in clash.holders)
        print(f"{clash.email}: {holders}")
    print(f"{len(clashes):,} email{'s' if len(clashes) != 1 else ''} held by more than one customer", file=sys.stderr)
    return EXIT_OK


# --- addresses ----------------------------------------------------------------------------------


def cmd_addresses_list(args: argparse.Namespace) -> int:
    from desktop.services.addresses import list_addresses

    db = open_store(args)
    try:
        with db.read() as session:
            addresses = list_addresses(session, args.customer_id)
    finally:
        db.dispose()
    if args.json:
        _print_json(addresses)
    elif not addresses:
        print("No addresses.", file=sys.stderr)
    for a in addresses if not args.json else ():
        print(_address_line(a))
    return EXIT_OK


def cmd_addresses_add(args: argparse.Namespace) -> int:
    from desktop.services.addresses import add_address

    data = _given(args, ADDRESS_OPTIONS)
    if args.default_shipping:
        data["is_default_shipping"] = True
    if args.default_billing:
        data["is_default_billing"] = True
    db = open_store(args)
    try:
        with db.transaction() as session:
            address = add_address(session, args.customer_id, data)
    finally:
        db.dispose()
    if args.json:
        _print_json(address)
    elif address.duplicate:
        print(f"The customer already has this address: {_address_line(address)}")
    else:
        print(f"Added address {_address_line(address)}")
    return EXIT_OK


def cmd_set_default(args: argparse.Namespace) -> int:
    from desktop.services.addresses import set_default_address

    db = open_store(args)
    try:
        with db.transaction() as session:
            address = set_default_address(session, args.customer_id, args.address_id, args.role)
    finally:
        db.dispose()
    if args.json:
        _print_json(address)
    else:
        print(f"Default {args.role} address of customer {args.customer_id}: {_address_line(address)}")
    return EXIT_OK
