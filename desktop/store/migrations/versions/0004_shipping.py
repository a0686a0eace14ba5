"""Shipping: what the Starshipit queue needs

Each fulfilment records which submit run is sending it to Starshipit and since when (`submit_claim`,
`submit_claimed_at`), so that two desks submitting at once never both create its order.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sales_order_fulfillments", sa.Column("submit_claim", sa.String(length=100), nullable=True))
    op.add_column("sales_order_fulfillments", sa.Column("submit_claimed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sales_order_fulfillments") as batch:
        batch.drop_column("submit_claimed_at")
        batch.drop_column("submit_claim")
