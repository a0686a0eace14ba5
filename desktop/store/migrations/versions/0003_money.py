"""Money: what unpaid orders, open credits and allocation need

Indexes that let a customer's orders and credits be read oldest first, and every open credit newest
first in keyset pages, without a scan of sales_orders or sales_credits.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa  # noqa: F401


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_sales_orders_customer_date", "sales_orders", ["customer_id", "order_date", "id"]),
    ("ix_sales_credits_customer_date", "sales_credits", ["customer_id", "credit_date", "id"]),
    ("ix_sales_credits_date", "sales_credits", ["credit_date", "id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
