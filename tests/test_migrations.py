"""The migrations build exactly the schema the models declare, on both back-ends."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import SAWarning

from desktop.store.models import Base
from desktop.store.search import ADDRESS_PREFIX_INDEXES, FTS_TABLE, PG_PREFIX_INDEXES, PG_TRIGRAM_INDEXES


def test_migrated_schema_matches_the_models(db):
    with db.engine.connect() as conn, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; alembic warns and skips them.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", SAWarning)
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    # The search index objects (FTS table on SQLite, trigram and prefix indexes) live in store.search.
    diffs = [
        d for d in diffs
        if not (d[0] == "remove_table" and d[1].name.startswith(FTS_TABLE))
        and not (d[0] == "remove_index"
                 and d[1].name in {**PG_TRIGRAM_INDEXES, **PG_PREFIX_INDEXES, **ADDRESS_PREFIX_INDEXES})
    ]
    assert diffs == []


def test_head_constant_is_alembics_head():
    from desktop.store.migrate import HEAD, head_revision

    assert head_revision() == HEAD
