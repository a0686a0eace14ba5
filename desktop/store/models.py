"""Typed SQLAlchemy 2 models for every entity of DESIGN §1.

Timestamps are naive UTC on both back-ends. Money is `Numeric(14, 2)`; derived amounts (order total,
outstanding, credit remaining) are SQL expressions, rounded to cents so that SQLite's REAL arithmetic can
never leave a stray 1e-15 behind a comparison.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    false,
    func,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, declared_attr, Mapped, column_property, mapped_column, relationship

# Lengths shared by the store and by validation (services.validation reads them from here).
NAME_LEN = 200
COMPANY_LEN = 200
EMAIL_LEN = 254
PHONE_LEN = 50
NOTES_LEN = 4000
LABEL_LEN = 100
ADDRESS_LINE_LEN = 200
CITY_LEN = 100
PROVINCE_LEN = 100
PROVINCE_CODE_LEN = 10
ZIP_LEN = 20
COUNTRY_LEN = 100
COUNTRY_CODE_LEN = 2
CURRENCY_LEN = 3
KEY_LEN = 64

Money = Numeric(14, 2)
Quantity = Numeric(12, 3)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Now, as naive UTC (the store's convention on every back-end)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Timestamped:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class Versioned(Timestamped):
    """A mutable row: `version` is checked on every UPDATE, so a stale write fails instead of overwriting."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


# --- reference data -----------------------------------------------------------------------------


class SalesRep(Versioned, Base):
    __tablename__ = "sales_reps"
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    email: Mapped[str | None] = mapped_column(String(EMAIL_LEN))


class PricingTier(Versioned, Base):
    __tablename__ = "pricing_tiers"
    name: Mapped[str] = mapped_column(String(NAME_LEN), unique=True)


class Store(Versioned, Base):
    __tablename__ = "stores"
    name: Mapped[str] = mapped_column(String(NAME_LEN), unique=True)


class Warehouse(Versioned, Base):
    __tablename__ = "warehouses"
    name: Mapped[str] = mapped_column(String(NAME_LEN), unique=True)


class ShippingMethod(Versioned, Base):
    __tablename__ = "shipping_methods"
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    is_international: Mapped[bool] = mapped_column(Boolean, default=False)
    carrier: Mapped[str | None] = mapped_column(String(NAME_LEN))  # Starshipit's carrier name (NZPost, AusPost…)
    service_code: Mapped[str | None] = mapped_column(String(KEY_LEN))  # the carrier's service code
    signature_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class NominalCode(Versioned, Base):
    __tablename__ = "nominal_codes"
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    type: Mapped[str] = mapped_column(String(KEY_LEN))


class NominalCodeMapping(Versioned, Base):
    __tablename__ = "nominal_code_mappings"
    setting: Mapped[str] = mapped_column(String(KEY_LEN), unique=True)
    nominal_code_id: Mapped[int] = mapped_column(ForeignKey("nominal_codes.id"), index=True)
    nominal_code: Mapped[NominalCode] = relationship()


# --- customers and addresses --------------------------------------------------------------------


def _default_address_fk() -> ForeignKey:
    return ForeignKey("addresses.id", use_alter=True, deferrable=True, initially="DEFERRED", ondelete="SET NULL")


class Customer(Versioned, Base):
    __tablename__ = "customers"
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    company: Mapped[str | None] = mapped_column(String(COMPANY_LEN))
    email: Mapped[str | None] = mapped_column(String(EMAIL_LEN))
    phone: Mapped[str | None] = mapped_column(String(PHONE_LEN))
    fax: Mapped[str | None] = mapped_column(String(PHONE_LEN))
    default_sales_rep_id: Mapped[int | None] = mapped_column(ForeignKey("sales_reps.id"), index=True)
    product_pricing_tier_id: Mapped[int | None] = mapped_column(
        ForeignKey("pricing_tiers.id"), index=True
    )
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), index=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"), index=True)
    shipping_method_domestic_id: Mapped[int | None] = mapped_column(ForeignKey("shipping_methods.id"))
    shipping_method_international_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipping_methods.id")
    )
    # Customer <-> Address is a cycle; these two are deferrable so both rows can go in one transaction.
    default_shipping_address_id: Mapped[int | None] = mapped_column(_default_address_fk(), index=True)
    default_billing_address_id: Mapped[int | None] = mapped_column(_default_address_fk(), index=True)
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    notes: Mapped[str | None] = mapped_column(Text)

    addresses: Mapped[list[Address]] = relationship(
        back_populates="customer",
        foreign_keys="Address.customer_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Address.id",
    )
    default_sales_rep: Mapped[SalesRep | None] = relationship()

    __table_args__ = (
        Index("uq_customers_email_lower", func.lower(email), unique=True),
        Index("ix_customers_name_lower", func.lower(name), "id"),
        # Sort keys of the table's text columns (customer_list.SORT_KEYS), so each sort can walk an index.
        Index("ix_customers_company_sort", func.lower(func.coalesce(company, "")), "id"),
        Index("ix_customers_email_sort", func.lower(func.coalesce(email, "")), "id"),
        Index("ix_customers_phone_sort", func.coalesce(phone, ""), "id"),
        Index("ix_customers_created_at", "created_at", "id"),
        Index("ix_customers_updated_at", "updated_at", "id"),
        # The everyday list (active customers by name) walks this partial index in order and stops early;
        # without it a planner without statistics would pick an archived_at index and sort a million rows.
        # The migrations make these two partial on PostgreSQL too (the same WHERE); it is not repeated here
        # because any postgresql_* option makes SQLAlchemy import its PostgreSQL dialect (0.1 s of every start
        # on SQLite), and the schema is only ever made by the migrations.
        Index("ix_customers_active_name", func.lower(name), "id", sqlite_where=text("archived_at IS NULL")),
        Index("ix_customers_archived", "archived_at", sqlite_where=text("archived_at IS NOT NULL")),
    )


class Address(Versioned, Base):
    __tablename__ = "addresses"
    # Looked up through ix_addresses_customer_dedup, which leads with it (no index of its own).
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    label: Mapped[str | None] = mapped_column(String(LABEL_LEN))
    name: Mapped[str | None] = mapped_column(String(NAME_LEN))
    company: Mapped[str | None] = mapped_column(String(COMPANY_LEN))
    email: Mapped[str | None] = mapped_column(String(EMAIL_LEN))
    phone: Mapped[str | None] = mapped_column(String(PHONE_LEN))
    address1: Mapped[str | None] = mapped_column(String(ADDRESS_LINE_LEN))
    address2: Mapped[str | None] = mapped_column(String(ADDRESS_LINE_LEN))
    address3: Mapped[str | None] = mapped_column(String(ADDRESS_LINE_LEN))
    city: Mapped[str | None] = mapped_column(String(CITY_LEN))
    province: Mapped[str | None] = mapped_column(String(PROVINCE_LEN))
    province_code: Mapped[str | None] = mapped_column(String(PROVINCE_CODE_LEN))
    zip: Mapped[str | None] = mapped_column(String(ZIP_LEN))
    country: Mapped[str | None] = mapped_column(String(COUNTRY_LEN))
    country_code: Mapped[str | None] = mapped_column(String(COUNTRY_CODE_LEN))
    # Normalised zip (upper case, no spaces, ZIP+4 cut to five digits): the blocking key of Find Match.
    zip_key: Mapped[str | None] = mapped_column(String(ZIP_LEN))
    # Normalised address1 (case, punctuation and Street/St-style abbreviations unified): compared by Find
    # Match without re-normalising every candidate of a zip block.
    address1_key: Mapped[str | None] = mapped_column(String(ADDRESS_LINE_LEN))
    # Normalised form of the whole address: two addresses of one customer with equal keys are one.
    dedup_key: Mapped[str] = mapped_column(String(KEY_LEN))

    customer: Mapped[Customer] = relationship(
        back_populates="addresses", foreign_keys=[customer_id]
    )

    __table_args__ = (
        Index("ix_addresses_customer_dedup", "customer_id", "dedup_key"),
        # Covers Find Match's block read: the zip's addresses and their normalised address1, index only
        # (SQLite's index ends with the rowid, i.e. the id; on PostgreSQL the migration INCLUDEs the id).
        Index("ix_addresses_zip_key", "zip_key", "address1_key"),
        # An email is one customer's, on its addresses too: the check reads this (not unique: older
        # stores may hold clashes, listed by `customers email-clashes`).
        Index("ix_addresses_email_lower", func.lower(email)),
    )


# --- orders and money ---------------------------------------------------------------------------

ORDER_STATUSES = ("draft", "open", "fulfilled", "closed", "cancelled")
FULFILLMENT_STATUSES = ("pending", "submitted", "shipped")


class SalesOrder(Versioned, Base):
    __tablename__ = "sales_orders"
    order_number: Mapped[str] = mapped_column(String(50), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    order_date: Mapped[dt.date] = mapped_column(Date)
    currency_code: Mapped[str] = mapped_column(String(CURRENCY_LEN))
    shipping_method_id: Mapped[int | None] = mapped_column(ForeignKey("shipping_methods.id"))
    # Shipping address snapshot: the order keeps where it went even if the customer's address changes.
    ship_name: Mapped[str | None] = mapped_column(String(NAME_LEN))
    ship_company: Mapped[str | None] = mapped_column(String(COMPANY_LEN))
    ship_email: Mapped[str | None] = mapped_column(String(EMAIL_LEN))
    ship_phone: Mapped[str | None] = mapped_column(String(PHONE_LEN))
    ship_address1: Mapped[str | None] = mapped_column(String(ADDRESS_LINE_LEN))
    ship_address2: Mapped[str | None] = mapped_column(String(ADDRESS_LINE_LEN))
    ship_address3: Mapped[str | None] = mapped_column(String(ADDRESS_LINE_LEN))
    ship_city: Mapped[str | None] = mapped_column(String(CITY_LEN))
    ship_province: Mapped[str | None] = mapped_column(String(PROVINCE_LEN))
    ship_province_code: Mapped[str | None] = mapped_column(String(PROVINCE_CODE_LEN))
    ship_zip: Mapped[str | None] = mapped_column(String(ZIP_LEN))
    ship_country: Mapped[str | None] = mapped_column(String(COUNTRY_LEN))
    ship_country_code: Mapped[str | None] = mapped_column(String(COUNTRY_CODE_LEN))
    signature_required: Mapped[bool | None] = mapped_column(Boolean)  # None: the shipping method's
    delivery_instructions: Mapped[str | None] = mapped_column(String(500))

    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="sales_order", cascade="all, delete-orphan", order_by="SalesOrderLine.id"
    )

    # A customer's orders oldest first (unpaid orders, the allocation dialog) straight from one index.
    __table_args__ = (Index("ix_sales_orders_customer_date", "customer_id", "order_date", "id"),)


class SalesOrderLine(Versioned, Base):
    __tablename__ = "sales_order_lines"
    sales_order_id: Mapped[int] = mapped_column(
        ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str | None] = mapped_column(String(KEY_LEN))
    description: Mapped[str | None] = mapped_column(String(NAME_LEN))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    price: Mapped[Decimal] = mapped_column(Money)
    weight: Mapped[Decimal | None] = mapped_column(Quantity)  # kg, of one item
    tariff_code: Mapped[str | None] = mapped_column(String(20))  # HS code, for customs
    country_of_origin: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    nominal_code_id: Mapped[int | None] = mapped_column(ForeignKey("nominal_codes.id"), index=True)

    sales_order: Mapped[SalesOrder] = relationship(back_populates="lines")


class Payment(Versioned, Base):
    __tablename__ = "payments"
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    payment_date: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str | None] = mapped_column(String(KEY_LEN))
    external_reference: Mapped[str | None] = mapped_column(String(NAME_LEN))


class SalesCredit(Versioned, Base):
    __tablename__ = "sales_credits"
    sales_credit_number: Mapped[str] = mapped_column(String(50), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    sales_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    credit_date: Mapped[dt.date] = mapped_column(Date)
    currency_code: Mapped[str] = mapped_column(String(CURRENCY_LEN))
    total: Mapped[Decimal] = mapped_column(Money)
    sales_credit_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # A customer's credits oldest first (open credits); every customer's credits newest first, in keyset
        # pages (the Sales credits section).
        Index("ix_sales_credits_customer_date", "customer_id", "credit_date", "id"),
        Index("ix_sales_credits_date", "credit_date", "id"),
    )


class SalesCreditAllocation(Versioned, Base):
    __tablename__ = "sales_credit_allocations"
    sales_credit_id: Mapped[int] = mapped_column(ForeignKey("sales_credits.id"), index=True)
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)


class SalesOrderFulfillment(Versioned, Base):
    __tablename__ = "sales_order_fulfillments"
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    fulfillment_number: Mapped[str] = mapped_column(String(50), unique=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    starshipit_order_id: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    carrier: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    # The submit run sending this fulfilment to Starshipit ("host/pid/run") and since when: another desk's
    # run leaves it alone meanwhile (services.shipping). Bookkeeping, so it does not bump `version`.
    submit_claim: Mapped[str | None] = mapped_column(String(100))
    submit_claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The packages as the clerk entered them ([{weight, length, width, height}], kg and m); None: one
    # package weighed from the lines.
    packages: Mapped[list[Any] | None] = mapped_column(JSON)
    starshipit_status: Mapped[str | None] = mapped_column(String(40))  # as Starshipit names it (Printed…)
    status_checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    tracking_url: Mapped[str | None] = mapped_column(String(500))
    # sha256 of an order body Starshipit refused with its validation errors: that body is not sent again.
    refused_body: Mapped[str | None] = mapped_column(String(64))
    refused_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    lines: Mapped[list[SalesOrderFulfillmentLine]] = relationship(
        back_populates="fulfillment", cascade="all, delete-orphan"
    )


class SalesOrderFulfillmentLine(Versioned, Base):
    __tablename__ = "sales_order_fulfillment_lines"
    fulfillment_id: Mapped[int] = mapped_column(
        ForeignKey("sales_order_fulfillments.id", ondelete="CASCADE"), index=True
    )
    sales_order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)

    fulfillment: Mapped[SalesOrderFulfillment] = relationship(back_populates="lines")


# --- history ------------------------------------------------------------------------------------


class ImportBatch(Versioned, Base):
    __tablename__ = "import_batches"
    file_name: Mapped[str] = mapped_column(String(1000))
    checksum: Mapped[str] = mapped_column(String(KEY_LEN))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_customer_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_customer_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    committed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # What Undo needs: {"stamp", "customers": {id: {"version", "before"}}, "addresses": {...},
    # "added_addresses": [...]} (created customers are in created_customer_ids).
    undo: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    os_user: Mapped[str | None] = mapped_column(String(NAME_LEN))


class BulkAction(Versioned, Base):
    """One bulk archive or unarchive of customers, so that it can be undone as one (like an import)."""

    __tablename__ = "bulk_actions"
    action: Mapped[str] = mapped_column(String(KEY_LEN))  # "archive" or "unarchive"
    description: Mapped[str] = mapped_column(String(1000))  # what was chosen: "12 selected", "all matching …"
    count: Mapped[int] = mapped_column(Integer)
    # The customers it changed, and for an unarchive their archived_at before it ({id: ISO time}).
    customer_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The time it wrote into their updated_at (and archived_at): a customer whose updated_at is still this
    # was not touched since.
    stamp: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    os_user: Mapped[str | None] = mapped_column(String(NAME_LEN))


class ChangeLog(Base):
    """Append-only history: one row per change, with `changes` = {field: [before, after]}."""

    __tablename__ = "change_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(KEY_LEN))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(KEY_LEN))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    os_user: Mapped[str | None] = mapped_column(String(NAME_LEN))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    __table_args__ = (Index("ix_change_log_entity", "entity", "entity_id", "id"),)


# --- derived amounts (SQL expressions) ----------------------------------------------------------

order_total_expr = (
    select(func.coalesce(func.sum(func.round(SalesOrderLine.quantity * SalesOrderLine.price, 2)), 0))
    .where(SalesOrderLine.sales_order_id == SalesOrder.id)
    .correlate_except(SalesOrderLine)
    .scalar_subquery()
)
order_paid_expr = (
    select(func.coalesce(func.sum(Payment.amount), 0))
    .where(Payment.sales_order_id == SalesOrder.id)
    .correlate_except(Payment)
    .scalar_subquery()
)
order_credited_expr = (
    select(func.coalesce(func.sum(SalesCreditAllocation.amount), 0))
    .where(SalesCreditAllocation.sales_order_id == SalesOrder.id)
    .correlate_except(SalesCreditAllocation)
    .scalar_subquery()
)
order_outstanding_expr = func.round(order_total_expr - order_paid_expr - order_credited_expr, 2)
credit_allocated_expr = (
    select(func.coalesce(func.sum(SalesCreditAllocation.amount), 0))
    .where(SalesCreditAllocation.sales_credit_id == SalesCredit.id)
    .correlate_except(SalesCreditAllocation)
    .scalar_subquery()
)
credit_remaining_expr = func.round(SalesCredit.total - credit_allocated_expr, 2)

SalesOrder.total = column_property(func.round(order_total_expr, 2).cast(Money), deferred=True)  # type: ignore[attr-defined]
SalesOrder.paid = column_property(order_paid_expr.cast(Money), deferred=True)  # type: ignore[attr-defined]
SalesOrder.credited = column_property(order_credited_expr.cast(Money), deferred=True)  # type: ignore[attr-defined]
SalesOrder.outstanding = column_property(order_outstanding_expr.cast(Money), deferred=True)  # type: ignore[attr-defined]
SalesCredit.allocated = column_property(credit_allocated_expr.cast(Money), deferred=True)  # type: ignore[attr-defined]
SalesCredit.remaining = column_property(credit_remaining_expr.cast(Money), deferred=True)  # type: ignore[attr-defined]

UNPAID_EXCLUDED_STATUSES = ("draft", "cancelled")
