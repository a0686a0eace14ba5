"""Subcommands of `customer-desk`, one module per feature (registered in `desktop.cli.build_parser`).

Each module has `register(commands)` that adds its subparsers with `set_defaults(handler=...)`; a handler
takes the parsed arguments and returns the exit code. `desktop.cli` turns StoreError, CommandError and
DomainError into one line on stderr with exit 1, and anything else into one line too (never a traceback).
"""
