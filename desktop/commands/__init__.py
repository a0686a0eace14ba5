"""Subcommands of `customer-desk`, one module per feature, listed in COMMANDS (which `desktop.cli` reads).

Each module has `register(commands)` that adds its subparsers with `set_defaults(handler=...)`; a handler
takes the parsed arguments and returns the exit code. What they share (exit codes, CommandError, opening the
store) is in `desktop.commands.common`; no command module imports `desktop.cli`. `desktop.cli` turns
StoreError, CommandError and DomainError into one line on stderr with exit 1, and anything else into one line
too (never a traceback).
"""

from __future__ import annotations

from types import ModuleType

# Static imports, so that PyInstaller sees them.
from desktop.commands import customers, imports, money, nominal_codes, starshipit

COMMANDS: list[ModuleType] = [customers, imports, money, nominal_codes, starshipit]
