"""`customer-desk nominal-codes deletable [CODE ...] [--json]`: Check Deletable for nominal codes (DESIGN §2
item 16) from a script. Exit 0 when the check ran, whatever it found; 1 with one line when a code does not
exist (or the store cannot be read)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from desktop.commands.common import EXIT_OK, in_store

if TYPE_CHECKING:  # the service (and its validation libraries) is imported only when the command runs
    from desktop.services.nominal_codes import NominalCodeRow


def register(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser("nominal-codes", help="nominal codes: check which can be deleted")
    sub = group.add_subparsers(dest="nominal_codes_command", metavar="COMMAND", required=True)
    deletable = sub.add_parser(
        "deletable",
        help="say for each code whether it can be deleted, and if not what uses it (order lines, mappings)",
        description="Check Deletable: a nominal code linked to sales order lines or used by a mapping setting "
                    "cannot be deleted. Without CODE, every code is checked. Exit 0 when the check ran; 1 when "
                    "a code does not exist.",
    )
    deletable.add_argument("codes", nargs="*", metavar="CODE", help="codes such as 4000 (case does not matter)")
    deletable.add_argument("--json", action="store_true", help="print JSON instead of a table")
    deletable.set_defaults(handler=cmd_deletable)


def as_json(row: NominalCodeRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "type": row.type,
        "deletable": row.deletable,
        "order_lines": row.usage.order_lines,
        "mappings": list(row.usage.mappings),
        "reason": None if row.deletable else row.usage.describe(),
    }


def cmd_deletable(args: argparse.Namespace) -> int:
    from desktop.services.nominal_codes import check_deletable_codes

    rows = in_store(args, lambda s: check_deletable_codes(s, args.codes))
    if args.json:
        print(json.dumps([as_json(r) for r in rows], indent=2))
        return EXIT_OK
    if not rows:
        print("No nominal codes.")
        return EXIT_OK
    code_width = max(len("code"), *(len(r.code) for r in rows))
    name_width = min(max(len("name"), *(len(r.name) for r in rows)), 40)
    print(f"{'code':<{code_width}}  {'name':<{name_width}}  deletable")
    for r in rows:
        name = r.name if len(r.name) <= name_width else r.name[: name_width - 1] + "…"
        verdict = "yes" if r.deletable else f"no: {r.usage.describe()}"
        print(f"{r.code:<{code_width}}  {name:<{name_width}}  {verdict}")
    return EXIT_OK
