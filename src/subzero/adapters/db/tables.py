"""The database schema (SQLAlchemy Core), shared by the ORM mapping and Alembic."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.types import DateTime, TypeDecorator

from subzero.domain.ledger import MoveKind
from subzero.domain.purchasing import POStatus

__all__ = ["metadata"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times are UTC-aware")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC)


def _enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(
        cls,
        values_callable=lambda members: [m.value for m in members],
        native_enum=False,
        validate_strings=True,
        length=16,
        name=cls.__name__.lower(),
    )


suppliers = Table(
    "suppliers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("lead_time_days", Integer, nullable=False),
    Column("lead_time_sd_days", Float, nullable=False, server_default=text("0")),
    # migration 0008: when the stated lead time was last set (promises learn from after)
    Column("lead_time_set_at", UtcDateTime, nullable=True),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("priority", Integer, nullable=False),
    CheckConstraint("priority BETWEEN 1 AND 9", name="priority_range"),
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(64), nullable=False, unique=True),
    Column("supplier_id", ForeignKey("suppliers.id"), nullable=False),
    Column("on_hand", Integer, nullable=False),
    Column("allow_negative", Boolean, nullable=False),
    Column("backorder_limit", Integer, nullable=True),
    Column("policy", String(200), nullable=False, server_default=text("'mto'")),
    # migration 0003: just-in-time timing, vendor-managed bounds
    Column("jit", Boolean, nullable=False, server_default=text("false")),
    Column("vmi_min", Integer, nullable=True),
    Column("vmi_max", Integer, nullable=True),
)

stock_moves = Table(
    "stock_moves",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", ForeignKey("items.id"), nullable=False, index=True),
    Column("qty", Integer, nullable=False),
    Column("kind", _enum(MoveKind), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("ref", String(64), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("placed_at", UtcDateTime, nullable=False),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("allocated", Integer, nullable=False),
    Column("shipped", Integer, nullable=False),
    Column("cancelled", Integer, nullable=False),
    Column("served_from_stock", Integer, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("placed_at", UtcDateTime, nullable=False),
    Column("promised_date", Date, nullable=True),
    Column("first_promised_date", Date, nullable=True),
    Column("promise_probability", Float, nullable=True),
    Column("filled_at", UtcDateTime, nullable=True),
    # migration 0009: the probability told with the first promise (KPIs: told vs kept)
    Column("first_promise_probability", Float, nullable=True),
    CheckConstraint("qty > 0", name="qty_positive"),
    CheckConstraint(
        "allocated >= 0 AND shipped >= 0 AND cancelled >= 0 "
        "AND allocated + shipped + cancelled <= qty",
        name="units_balance",
    ),
    Index("ix_order_lines_item_open", "item_id", "qty", "shipped", "cancelled"),
    # migration 0008: recent demand of an item by priority, for promises
    Index("ix_order_lines_item_placed", "item_id", "placed_at"),
)

purchase_orders = Table(
    "purchase_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", ForeignKey("items.id"), nullable=False),
    Column("supplier_id", ForeignKey("suppliers.id"), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("received", Integer, nullable=False),
    Column("status", _enum(POStatus), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    Column("expected_date", Date, nullable=False),
    # migration 0003: planning keys, prices, supplier collaboration
    Column("order_date", Date, nullable=True),  # planned send day (drafts)
    Column("lead_time_days", Integer, nullable=True),
    Column("due_period", Date, nullable=True),  # start of the due week: the idempotency key
    Column("expedite", Boolean, nullable=False, server_default=text("false")),
    Column("unit_price", Numeric(14, 4), nullable=True),
    Column("source", String(16), nullable=False, server_default=text("'replenish'")),
    Column("first_expected_date", Date, nullable=True),  # expected when sent: on-time yardstick
    Column("confirmed_at", UtcDateTime, nullable=True),
    # migration 0008: the first receipt's time (a delivery's end), for promises' lateness
    Column("first_received_at", UtcDateTime, nullable=True),
    # migration 0010: the latest receipt's time, for how long a split delivery's rest took
    Column("last_received_at", UtcDateTime, nullable=True),
    CheckConstraint("qty >= 0 AND received >= 0 AND received <= qty", name="qty_balance"),
    Index("ix_purchase_orders_item_status", "item_id", "status"),
    Index("ix_purchase_orders_supplier_received", "supplier_id", "first_received_at"),
    # split deliveries only (a partial index): the walk for their rests does not pass
    # over every whole delivery of the supplier's history
    Index(
        "ix_purchase_orders_supplier_split",
        "supplier_id",
        "last_received_at",
        postgresql_where=text("last_received_at > first_received_at"),
        sqlite_where=text("last_received_at > first_received_at"),
    ),
    # Idempotent replenishment: at most one draft per (item, supplier, due period,
    # expedite), even under races.
    Index(
        "uq_purchase_orders_one_draft",
        "item_id",
        "supplier_id",
        "due_period",
        "expedite",
        unique=True,
        sqlite_where=text("status = 'draft'"),
        postgresql_where=text("status = 'draft'"),
    ),
)

supplier_items = Table(
    "supplier_items",
    metadata,
    Column("item_id", ForeignKey("items.id"), primary_key=True),
    Column("supplier_id", ForeignKey("suppliers.id"), primary_key=True),
    Column("unit_price", Numeric(14, 4), nullable=False, server_default=text("0")),
    Column("price_breaks", Text, nullable=False, server_default=text("'[]'")),
    Column("moq", Integer, nullable=False, server_default=text("1")),
    Column("lot_size", Integer, nullable=False, server_default=text("1")),
    Column("capacity", Integer, nullable=True),
    Column("capacity_period", String(8), nullable=False, server_default=text("'week'")),
    Column("lead_time_days", Integer, nullable=True),  # None: the supplier's lead time
    Column("expedite_lead_time_days", Integer, nullable=True),
    Column("expedite_cost_per_unit", Numeric(14, 4), nullable=True),
    Column("preferred", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("moq >= 1 AND lot_size >= 1", name="lots"),
)

receipts = Table(
    "receipts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("po_id", ForeignKey("purchase_orders.id"), nullable=False, index=True),
    Column("qty", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("type", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("sku", String(64), nullable=True, index=True),
    Column("order_id", Integer, nullable=True, index=True),
    Column("po_id", Integer, nullable=True, index=True),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("published_at", UtcDateTime, nullable=True),
    Index("ix_events_type_at", "type", "at"),
)

# One row (id = 1): the head of the hash chain, locked while events are appended.
event_chain = Table(
    "event_chain",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
)

# --- forecasting (migration 0002) ------------------------------------------------------

forecast_runs = Table(
    "forecast_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("horizon", Integer, nullable=False),
    Column("quantiles", String(200), nullable=False),  # "0.5,0.9,0.95"
    Column("series", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
)

forecast_values = Table(
    "forecast_values",
    metadata,
    Column("run_id", ForeignKey("forecast_runs.id"), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("ds", Date, primary_key=True),
    Column("mean", Float, nullable=False),
    Column("statistical_mean", Float, nullable=False),
    Column("quantiles", Text, nullable=False),  # JSON {"0.9": 3.1, ...}
)

forecast_items = Table(
    "forecast_items",
    metadata,
    Column("run_id", ForeignKey("forecast_runs.id"), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("demand_class", String(32), nullable=False),
    Column("model", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    # Demand over the item's protection period (lead time + 1 day) from the forecast's
    # error paths, for the policies; NULL before migration 0007 or past the horizon.
    Column("ltd_days", Integer, nullable=True),
    Column("ltd_mean", Float, nullable=True),
    Column("ltd_sd", Float, nullable=True),
)

forecast_overrides = Table(
    "forecast_overrides",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(64), nullable=False, index=True),
    Column("ds", Date, nullable=False),
    Column("value", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("statistical", Float, nullable=True),  # the forecast it replaced, once applied
    Column("actual", Float, nullable=True),  # the demand that happened, once scored
    Column("scored_at", UtcDateTime, nullable=True),
    # One pending override per item and day, even when planners race: a second one
    # revises the first (``override_forecast``); scored ones are history and stay.
    Index(
        "uq_forecast_overrides_pending",
        "sku",
        "ds",
        unique=True,
        sqlite_where=text("actual IS NULL"),
        postgresql_where=text("actual IS NULL"),
    ),
)

forecast_accuracy = Table(
    "forecast_accuracy",
    metadata,
    Column("run_id", ForeignKey("forecast_runs.id"), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("measured_at", UtcDateTime, nullable=False),
    Column("periods", Integer, nullable=False),
    Column("bias", Float, nullable=False),
    Column("mae", Float, nullable=False),
    Column("rmse", Float, nullable=False),
    Column("mase", Float, nullable=True),
    Column("rmsse", Float, nullable=True),
    Column("tracking_signal", Float, nullable=False),
    Column("biased", Boolean, nullable=False),
    Column("forecast_total", Float, nullable=True),  # NULL: measured before migration 0005
    Column("bias_z", Float, nullable=True),
    Column("bias_periods", Integer, nullable=True),  # days pooled for tracking signal, z
)
