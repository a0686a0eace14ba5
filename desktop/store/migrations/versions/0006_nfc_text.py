"""Stored text in one Unicode form: NFC, without zero-width characters

Text typed on a Mac arrives decomposed ("Cafe" + a combining accent), on Windows composed; the app now
stores every text field in NFC (desktop.services.validation.normal_text), and this brings the text that
is already stored into the same form, so that searches and matches find both. Rows are read in id order,
in batches, and only those that change are written (a store typed on Windows changes nothing). The
search index follows the rows it indexes (its triggers on SQLite, its expressions on PostgreSQL).

Revision ID: 0006
Revises: 0005
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BATCH = 5_000
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u180e]")
TEXT = {
    "customers": ("name", "company", "email", "phone", "fax", "notes"),
    "addresses": ("label", "name", "company", "email", "phone", "address1", "address2", "address3", "city",
                  "province", "province_code", "zip", "country", "country_code"),
}


def _normal(value):  # type: ignore[no-untyped-def]
    if not isinstance(value, str) or value.isascii():
        return value
    return unicodedata.normalize("NFC", _INVISIBLE.sub("", value))


def upgrade() -> None:
    conn = op.get_bind()
    for name, columns in TEXT.items():
        table = sa.table(name, sa.column("id"), *(sa.column(c) for c in columns))
        present = list(columns)
        last = 0
        while True:
            rows = conn.execute(
                sa.select(table.c.id, *(table.c[c] for c in present))
                .where(table.c.id > last).order_by(table.c.id).limit(BATCH)
            ).all()
            if not rows:
                break
            for row in rows:
                values = dict(zip(present, row[1:]))
                changed = {c: _normal(v) for c, v in values.items() if _normal(v) != v}
                if changed:
                    conn.execute(sa.update(table).where(table.c.id == row[0]).values(**changed))
            last = rows[-1][0]


def downgrade() -> None:
    pass  # NFC is a form of the same text: nothing to undo
