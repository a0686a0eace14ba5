"""initial schema: every entity of DESIGN §1, the search index and the expression indexes

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 18:22:30.505604
"""

from alembic import op
import sqlalchemy as sa

from desktop.store import search


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


ADDRESS_FKS = (
    ("fk_customers_default_shipping_address_id_addresses", "default_shipping_address_id"),
    ("fk_customers_default_billing_address_id_addresses", "default_billing_address_id"),
)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _address_fks() -> list[sa.ForeignKeyConstraint]:
    # customers <-> addresses is a cycle: deferrable, checked at commit.
    return [
        sa.ForeignKeyConstraint(
            [column], ["addresses.id"], name=name, ondelete="SET NULL", deferrable=True, initially="DEFERRED"
        )
        for name, column in ADDRESS_FKS
    ]


def upgrade() -> None:
    op.create_table('change_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('os_user', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_log'))
    )
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.create_index('ix_change_log_entity', ['entity', 'entity_id', 'id'], unique=False)

    op.create_table('import_batches',
    sa.Column('file_name', sa.String(length=1000), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('created_customer_ids', sa.JSON(), nullable=False),
    sa.Column('updated_customer_ids', sa.JSON(), nullable=False),
    sa.Column('committed_at', sa.DateTime(), nullable=True),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    op.create_table('nominal_codes',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nominal_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_nominal_codes_code'))
    )
    op.create_table('pricing_tiers',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pricing_tiers')),
    sa.UniqueConstraint('name', name=op.f('uq_pricing_tiers_name'))
    )
    op.create_table('sales_reps',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_reps'))
    )
    op.create_table('shipping_methods',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_international', sa.Boolean(), nullable=False),
    sa.Column('carrier', sa.String(length=200), nullable=True),
    sa.Column('service_code', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_methods'))
    )
    op.create_table('stores',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stores')),
    sa.UniqueConstraint('name', name=op.f('uq_stores_name'))
    )
    op.create_table('warehouses',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warehouses')),
    sa.UniqueConstraint('name', name=op.f('uq_warehouses_name'))
    )
    op.create_table('customers',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('fax', sa.String(length=50), nullable=True),
    sa.Column('default_sales_rep_id', sa.Integer(), nullable=True),
    sa.Column('product_pricing_tier_id', sa.Integer(), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('shipping_method_domestic_id', sa.Integer(), nullable=True),
    sa.Column('shipping_method_international_id', sa.Integer(), nullable=True),
    sa.Column('default_shipping_address_id', sa.Integer(), nullable=True),
    sa.Column('default_billing_address_id', sa.Integer(), nullable=True),
    sa.Column('archived_at', sa.DateTime(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['default_sales_rep_id'], ['sales_reps.id'], name=op.f('fk_customers_default_sales_rep_id_sales_reps')),
    sa.ForeignKeyConstraint(['product_pricing_tier_id'], ['pricing_tiers.id'], name=op.f('fk_customers_product_pricing_tier_id_pricing_tiers')),
    sa.ForeignKeyConstraint(['shipping_method_domestic_id'], ['shipping_methods.id'], name=op.f('fk_customers_shipping_method_domestic_id_shipping_methods')),
    sa.ForeignKeyConstraint(['shipping_method_international_id'], ['shipping_methods.id'], name=op.f('fk_customers_shipping_method_international_id_shipping_methods')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_customers_store_id_stores')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_customers_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    *(_address_fks() if _is_sqlite() else []),
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_created_at', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_default_billing_address_id'), ['default_billing_address_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_default_sales_rep_id'), ['default_sales_rep_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_default_shipping_address_id'), ['default_shipping_address_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_product_pricing_tier_id'), ['product_pricing_tier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_store_id'), ['store_id'], unique=False)
        batch_op.create_index('ix_customers_updated_at', ['updated_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_warehouse_id'), ['warehouse_id'], unique=False)

    op.create_table('nominal_code_mappings',
    sa.Column('setting', sa.String(length=64), nullable=False),
    sa.Column('nominal_code_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['nominal_code_id'], ['nominal_codes.id'], name=op.f('fk_nominal_code_mappings_nominal_code_id_nominal_codes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nominal_code_mappings')),
    sa.UniqueConstraint('setting', name=op.f('uq_nominal_code_mappings_setting'))
    )
    with op.batch_alter_table('nominal_code_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nominal_code_mappings_nominal_code_id'), ['nominal_code_id'], unique=False)

    op.create_table('addresses',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('company', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('address1', sa.String(length=200), nullable=True),
    sa.Column('address2', sa.String(length=200), nullable=True),
    sa.Column('address3', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('province', sa.String(length=100), nullable=True),
    sa.Column('province_code', sa.String(length=10), nullable=True),
    sa.Column('zip', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=100), nullable=True),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.Column('zip_key', sa.String(length=20), nullable=True),
    sa.Column('address1_key', sa.String(length=200), nullable=True),
    sa.Column('dedup_key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_addresses_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addresses'))
    )
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.create_index('ix_addresses_customer_dedup', ['customer_id', 'dedup_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_addresses_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_addresses_zip_key', ['zip_key', 'address1_key'], unique=False)

    if not _is_sqlite():
        for name, column in ADDRESS_FKS:
            op.create_foreign_key(
                name, "customers", "addresses", [column], ["id"],
                ondelete="SET NULL", deferrable=True, initially="DEFERRED",
            )
    op.create_index("uq_customers_email_lower", "customers", [sa.text("lower(email)")], unique=True)
    op.create_index("ix_customers_name_lower", "customers", [sa.text("lower(name)"), "id"])
    op.create_index("ix_customers_company_sort", "customers", [sa.text("lower(coalesce(company, ''))"), "id"])
    op.create_index("ix_customers_email_sort", "customers", [sa.text("lower(coalesce(email, ''))"), "id"])
    active, archived = sa.text("archived_at IS NULL"), sa.text("archived_at IS NOT NULL")
    op.create_index("ix_customers_active_name", "customers", [sa.text("lower(name)"), "id"],
                    sqlite_where=active, postgresql_where=active)
    op.create_index("ix_customers_archived", "customers", ["archived_at"],
                    sqlite_where=archived, postgresql_where=archived)

    op.create_table('sales_orders',
    sa.Column('order_number', sa.String(length=50), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('order_date', sa.Date(), nullable=False),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('shipping_method_id', sa.Integer(), nullable=True),
    sa.Column('ship_name', sa.String(length=200), nullable=True),
    sa.Column('ship_company', sa.String(length=200), nullable=True),
    sa.Column('ship_email', sa.String(length=254), nullable=True),
    sa.Column('ship_phone', sa.String(length=50), nullable=True),
    sa.Column('ship_address1', sa.String(length=200), nullable=True),
    sa.Column('ship_address2', sa.String(length=200), nullable=True),
    sa.Column('ship_address3', sa.String(length=200), nullable=True),
    sa.Column('ship_city', sa.String(length=100), nullable=True),
    sa.Column('ship_province', sa.String(length=100), nullable=True),
    sa.Column('ship_province_code', sa.String(length=10), nullable=True),
    sa.Column('ship_zip', sa.String(length=20), nullable=True),
    sa.Column('ship_country', sa.String(length=100), nullable=True),
    sa.Column('ship_country_code', sa.String(length=2), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_sales_orders_customer_id_customers')),
    sa.ForeignKeyConstraint(['shipping_method_id'], ['shipping_methods.id'], name=op.f('fk_sales_orders_shipping_method_id_shipping_methods')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_orders')),
    sa.UniqueConstraint('order_number', name=op.f('uq_sales_orders_order_number'))
    )
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_orders_customer_id'), ['customer_id'], unique=False)

    op.create_table('payments',
    sa.Column('sales_order_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('payment_date', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=64), nullable=True),
    sa.Column('external_reference', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sales_order_id'], ['sales_orders.id'], name=op.f('fk_payments_sales_order_id_sales_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_sales_order_id'), ['sales_order_id'], unique=False)

    op.create_table('sales_credits',
    sa.Column('sales_credit_number', sa.String(length=50), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('sales_order_id', sa.Integer(), nullable=True),
    sa.Column('credit_date', sa.Date(), nullable=False),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('sales_credit_note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_sales_credits_customer_id_customers')),
    sa.ForeignKeyConstraint(['sales_order_id'], ['sales_orders.id'], name=op.f('fk_sales_credits_sales_order_id_sales_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_credits')),
    sa.UniqueConstraint('sales_credit_number', name=op.f('uq_sales_credits_sales_credit_number'))
    )
    with op.batch_alter_table('sales_credits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_credits_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_credits_sales_order_id'), ['sales_order_id'], unique=False)

    op.create_table('sales_order_fulfillments',
    sa.Column('sales_order_id', sa.Integer(), nullable=False),
    sa.Column('fulfillment_number', sa.String(length=50), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('starshipit_order_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('tracking_number', sa.String(length=100), nullable=True),
    sa.Column('carrier', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sales_order_id'], ['sales_orders.id'], name=op.f('fk_sales_order_fulfillments_sales_order_id_sales_orders')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_sales_order_fulfillments_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order_fulfillments')),
    sa.UniqueConstraint('fulfillment_number', name=op.f('uq_sales_order_fulfillments_fulfillment_number'))
    )
    with op.batch_alter_table('sales_order_fulfillments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_fulfillments_sales_order_id'), ['sales_order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_fulfillments_status'), ['status'], unique=False)

    op.create_table('sales_order_lines',
    sa.Column('sales_order_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=True),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('weight', sa.Numeric(precision=12, scale=3), nullable=True),
    sa.Column('nominal_code_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['nominal_code_id'], ['nominal_codes.id'], name=op.f('fk_sales_order_lines_nominal_code_id_nominal_codes')),
    sa.ForeignKeyConstraint(['sales_order_id'], ['sales_orders.id'], name=op.f('fk_sales_order_lines_sales_order_id_sales_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order_lines'))
    )
    with op.batch_alter_table('sales_order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_lines_nominal_code_id'), ['nominal_code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_lines_sales_order_id'), ['sales_order_id'], unique=False)

    op.create_table('sales_credit_allocations',
    sa.Column('sales_credit_id', sa.Integer(), nullable=False),
    sa.Column('sales_order_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sales_credit_id'], ['sales_credits.id'], name=op.f('fk_sales_credit_allocations_sales_credit_id_sales_credits')),
    sa.ForeignKeyConstraint(['sales_order_id'], ['sales_orders.id'], name=op.f('fk_sales_credit_allocations_sales_order_id_sales_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_credit_allocations'))
    )
    with op.batch_alter_table('sales_credit_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_credit_allocations_sales_credit_id'), ['sales_credit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_credit_allocations_sales_order_id'), ['sales_order_id'], unique=False)

    op.create_table('sales_order_fulfillment_lines',
    sa.Column('fulfillment_id', sa.Integer(), nullable=False),
    sa.Column('sales_order_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['fulfillment_id'], ['sales_order_fulfillments.id'], name=op.f('fk_sales_order_fulfillment_lines_fulfillment_id_sales_order_fulfillments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sales_order_line_id'], ['sales_order_lines.id'], name=op.f('fk_sales_order_fulfillment_lines_sales_order_line_id_sales_order_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order_fulfillment_lines'))
    )
    with op.batch_alter_table('sales_order_fulfillment_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_fulfillment_lines_fulfillment_id'), ['fulfillment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sales_order_fulfillment_lines_sales_order_line_id'), ['sales_order_line_id'], unique=False)

    search.create(op.get_bind())


def downgrade() -> None:
    search.drop(op.get_bind())
    op.drop_index("ix_customers_archived", table_name="customers")
    op.drop_index("ix_customers_email_sort", table_name="customers")
    op.drop_index("ix_customers_company_sort", table_name="customers")
    op.drop_index("ix_customers_active_name", table_name="customers")
    op.drop_index("ix_customers_name_lower", table_name="customers")
    op.drop_index("uq_customers_email_lower", table_name="customers")
    if not _is_sqlite():
        for name, _column in ADDRESS_FKS:
            op.drop_constraint(name, "customers", type_="foreignkey")
    with op.batch_alter_table('sales_order_fulfillment_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_fulfillment_lines_sales_order_line_id'))
        batch_op.drop_index(batch_op.f('ix_sales_order_fulfillment_lines_fulfillment_id'))

    op.drop_table('sales_order_fulfillment_lines')
    with op.batch_alter_table('sales_credit_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_credit_allocations_sales_order_id'))
        batch_op.drop_index(batch_op.f('ix_sales_credit_allocations_sales_credit_id'))

    op.drop_table('sales_credit_allocations')
    with op.batch_alter_table('sales_order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_lines_sales_order_id'))
        batch_op.drop_index(batch_op.f('ix_sales_order_lines_nominal_code_id'))

    op.drop_table('sales_order_lines')
    with op.batch_alter_table('sales_order_fulfillments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_order_fulfillments_status'))
        batch_op.drop_index(batch_op.f('ix_sales_order_fulfillments_sales_order_id'))

    op.drop_table('sales_order_fulfillments')
    with op.batch_alter_table('sales_credits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_credits_sales_order_id'))
        batch_op.drop_index(batch_op.f('ix_sales_credits_customer_id'))

    op.drop_table('sales_credits')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_sales_order_id'))

    op.drop_table('payments')
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_orders_customer_id'))

    op.drop_table('sales_orders')
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.drop_index('ix_addresses_zip_key')
        batch_op.drop_index(batch_op.f('ix_addresses_customer_id'))
        batch_op.drop_index('ix_addresses_customer_dedup')

    op.drop_table('addresses')
    with op.batch_alter_table('nominal_code_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nominal_code_mappings_nominal_code_id'))

    op.drop_table('nominal_code_mappings')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_warehouse_id'))
        batch_op.drop_index('ix_customers_updated_at')
        batch_op.drop_index(batch_op.f('ix_customers_store_id'))
        batch_op.drop_index(batch_op.f('ix_customers_product_pricing_tier_id'))
        batch_op.drop_index(batch_op.f('ix_customers_default_shipping_address_id'))
        batch_op.drop_index(batch_op.f('ix_customers_default_sales_rep_id'))
        batch_op.drop_index(batch_op.f('ix_customers_default_billing_address_id'))
        batch_op.drop_index('ix_customers_created_at')

    op.drop_table('customers')
    op.drop_table('warehouses')
    op.drop_table('stores')
    op.drop_table('shipping_methods')
    op.drop_table('sales_reps')
    op.drop_table('pricing_tiers')
    op.drop_table('nominal_codes')
    op.drop_table('import_batches')
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index('ix_change_log_entity')

    op.drop_table('change_log')
