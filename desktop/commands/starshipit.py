"""`customer-desk` subcommands of this feature (see desktop/commands/__init__.py)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:  # noqa: ARG001 - filled in by the feature
    pass
