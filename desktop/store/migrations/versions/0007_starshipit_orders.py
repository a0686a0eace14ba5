"""Starshipit orders in full: what the order body, the status sync and safe updates need

- shipping methods: `signature_required` (the default for their orders);
- sales orders: `signature_required` (null: the shipping method's) and `delivery_instructions`;
- order lines: `tariff_code` and `country_of_origin` (customs, for international orders);
- fulfilments: `packages` (JSON list of {weight, length, width, height}, kg and m; null: one package
  weighed from the lines), Starshipit's own `starshipit_status` and `status_checked_at`, the
  `tracking_url`, and `refused_body` (the sha256 of a body Starshipit refused with validation errors: that
  same body is never sent again) with `refused_at`.

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("shipping_methods", sa.Column("signature_required", sa.Boolean(), nullable=False,
                                                server_default=sa.false()))
    op.add_column("sales_orders", sa.Column("signature_required", sa.Boolean(), nullable=True))
    op.add_column("sales_orders", sa.Column("delivery_instructions", sa.String(length=500), nullable=True))
    op.add_column("sales_order_lines", sa.Column("tariff_code", sa.String(length=20), nullable=True))
    op.add_column("sales_order_lines", sa.Column("country_of_origin", sa.String(length=2), nullable=True))
    f = "sales_order_fulfillments"
    op.add_column(f, sa.Column("packages", sa.JSON(), nullable=True))
    op.add_column(f, sa.Column("starshipit_status", sa.String(length=40), nullable=True))
    op.add_column(f, sa.Column("status_checked_at", sa.DateTime(), nullable=True))
    op.add_column(f, sa.Column("tracking_url", sa.String(length=500), nullable=True))
    op.add_column(f, sa.Column("refused_body", sa.String(length=64), nullable=True))
    op.add_column(f, sa.Column("refused_at", sa.DateTime(), nullable=True))


def _drop(table: str, column: str) -> None:
    """SQLite drops a column in place since 3.35 (batch mode would copy the table and reflect its
    neighbours, whose expression indexes it cannot read)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    else:
        op.drop_column(table, column)


def downgrade() -> None:
    for column in ("refused_at", "refused_body", "tracking_url", "status_checked_at", "starshipit_status",
                   "packages"):
        _drop("sales_order_fulfillments", column)
    _drop("sales_order_lines", "country_of_origin")
    _drop("sales_order_lines", "tariff_code")
    _drop("sales_orders", "delivery_instructions")
    _drop("sales_orders", "signature_required")
    _drop("shipping_methods", "signature_required")
