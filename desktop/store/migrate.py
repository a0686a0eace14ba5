"""Apply Alembic migrations programmatically (the app and the CLI call this whenever they open a store).

Opening an up-to-date store costs one SELECT: Alembic itself is imported only when there is work to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions (a test checks it against Alembic's own answer).
HEAD = "0012"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


class NewerStore(Exception):
    """The store's schema is of a revision this app does not know: a newer version of it wrote it."""

    def __init__(self, revision: str):
        super().__init__(revision)
        self.revision = revision


def upgrade_to_head(engine: Engine) -> None:
    current = current_revision(engine)
    if current == HEAD:
        return
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    cfg = alembic_config()
    if current is not None:
        try:
            known = ScriptDirectory.from_config(cfg).get_revision(current) is not None
        except CommandError:  # ResolutionError is one
            known = False
        if not known:
            raise NewerStore(current)  # never migrated "down" or overwritten by this older app
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
