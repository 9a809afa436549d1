"""ERP import validation on the in-memory unit of work: every class of rejected row,
with its file and line, and nothing written when any row is bad."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from tests.fakes import FakeUnitOfWork
from tests.unit.conftest import Shop

from subzero.domain.ledger import StockMove
from subzero.domain.orders import Order
from subzero.domain.purchasing import Receipt
from subzero.service.exchange import ImportRejected, Row, import_tables
from subzero.service.unit_of_work import UnitOfWork

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)  # before the shop's clock


class FakeReader:
    def __init__(self, uow: UnitOfWork) -> None:
        assert isinstance(uow, FakeUnitOfWork)
        self.store = uow.store

    def orders(self) -> Sequence[Order]:
        return list(self.store.orders.values())

    def receipts(self) -> Sequence[Receipt]:
        return list(self.store.receipts)

    def moves(self) -> Sequence[StockMove]:
        return list(self.store.moves)


def rows(file: str, *records: dict[str, Any], start: int = 2) -> list[Row]:
    return [Row(f"{file} line {n}", rec) for n, rec in enumerate(records, start=start)]


def line(order_id: int, customer: str, sku: str, qty: int, **more: Any) -> dict[str, Any]:
    return {"order_id": order_id, "customer": customer, "placed_at": T0, "sku": sku,
            "qty": qty, **more}  # fmt: skip


def reject(shop: Shop, **tables: list[Row]) -> list[str]:
    with pytest.raises(ImportRejected) as info:
        import_tables(tables, bus=shop.bus, reader=FakeReader)
    return [str(r) for r in info.value.rejections]


def test_a_valid_import_goes_through_the_use_cases(shop: Shop) -> None:
    report = import_tables(
        {
            "suppliers": rows("suppliers.csv", {"name": "FAST", "lead_time_days": 2}),
            "customers": rows("customers.csv", {"name": "carol", "priority": 2}),
            "items": rows("items.csv", {"sku": "V", "supplier": "FAST"}),
            "stock": rows("stock.csv", {"sku": "V", "on_hand": 4}),
            "orders": rows("orders.csv", line(1, "carol", "V", 6), line(2, "bob", "W", 1)),
        },
        bus=shop.bus,
        reader=FakeReader,
    )
    assert report.counts["orders"] == {"open": 2, "placed": 2}  # "placed": format 1's name
    assert report.counts["items"] == {"added": 1}
    item = shop.store.items["V"]
    assert item.on_hand == 4
    placed = [o for o in shop.store.orders.values() if o.customer.name == "carol"]
    assert [(ln.qty, ln.allocated, ln.backordered) for ln in placed[0].lines] == [(6, 4, 2)]
    assert placed[0].placed_at == T0  # the order keeps its time
    # make-to-order: the 2 units below zero are on a draft purchase order
    assert sum(po.qty for po in shop.store.pos.values() if po.item.sku == "V") == 2


def test_references_to_missing_rows_name_the_file_and_line(shop: Shop) -> None:
    got = reject(
        shop,
        items=rows("items.csv", {"sku": "A", "supplier": "ACME"}, {"sku": "B", "supplier": "ZED"}),
        stock=rows("stock.csv", {"sku": "NOPE", "on_hand": 1}),
        orders=rows("orders.csv", line(1, "nobody", "A", 1), line(2, "bob", "Q", 1)),
    )
    assert got == [
        "items.csv line 3: supplier 'ZED' not found",
        "orders.csv line 2: customer 'nobody' not found",
        "orders.csv line 3: SKU 'Q' not found",
        "stock.csv line 2: SKU 'NOPE' not found",
    ]
    assert "A" not in shop.store.items  # nothing written


def test_a_reference_to_a_row_of_another_file_of_the_same_import_resolves(shop: Shop) -> None:
    import_tables(
        {
            "suppliers": rows("suppliers.csv", {"name": "NEW", "lead_time_days": 1}),
            "items": rows("items.csv", {"sku": "N", "supplier": "NEW"}),
            "supplier_terms": rows(
                "supplier_terms.csv", {"sku": "N", "supplier": "NEW", "unit_price": Decimal("1.5")}
            ),
        },
        bus=shop.bus,
        reader=FakeReader,
    )
    assert shop.store.items["N"].supplier.name == "NEW"
    assert [t.unit_price for t in shop.store.terms] == [Decimal("1.5")]


def test_duplicates_are_rejected_with_the_first_occurrence(shop: Shop) -> None:
    got = reject(
        shop,
        suppliers=rows(
            "suppliers.csv",
            {"name": "S1", "lead_time_days": 1},
            {"name": "S1", "lead_time_days": 1},
        ),
        items=rows("items.csv", {"sku": "A", "supplier": "S1"}, {"sku": "A", "supplier": "S1"}),
    )
    assert got == [
        "items.csv line 3: duplicate SKU 'A' (first at items.csv line 2)",
        "suppliers.csv line 3: duplicate supplier 'S1' (first at suppliers.csv line 2)",
    ]


def test_conflicts_with_existing_rows_are_rejected_identical_ones_skipped(shop: Shop) -> None:
    got = reject(
        shop,
        suppliers=rows("suppliers.csv", {"name": "ACME", "lead_time_days": 9}),
        customers=rows("customers.csv", {"name": "bob", "priority": 5}),
        items=rows("items.csv", {"sku": "W", "supplier": "ACME", "policy": "base-stock:S=4"}),
        stock=rows("stock.csv", {"sku": "W", "on_hand": 7}),
    )
    assert got == [
        "items.csv line 2: SKU 'W' already exists with policy 'mto' (file: 'base-stock:S=4'): "
        "an import never changes an item",
        "stock.csv line 2: SKU 'W' already has 3 on hand; the file says 7: an import never "
        "adjusts stock",
        "suppliers.csv line 2: supplier 'ACME' already exists with lead time 5 days (sd 0.0); "
        "the file says 9 (sd 0.0): an import never changes a supplier",
    ]
    report = import_tables(
        {"customers": rows("customers.csv", {"name": "bob", "priority": 5})},
        bus=shop.bus,
        reader=FakeReader,
    )
    assert report.counts == {"customers": {"skipped": 1}}


def test_domain_rules_reject_bad_values(shop: Shop) -> None:
    got = reject(
        shop,
        customers=rows("customers.csv", {"name": "zed", "priority": 12}),
        items=rows(
            "items.csv",
            {"sku": "bad sku!", "supplier": "ACME"},
            {"sku": "P", "supplier": "ACME", "policy": "magic"},
        ),
        stock=rows("stock.csv", {"sku": "P", "on_hand": -3}),
    )
    assert got[0] == "customers.csv line 2: customer zed: priority 12; use 1 (first) to 9"
    assert got[1].startswith("items.csv line 2: SKU 'bad sku!' is not a valid name")
    assert got[2].startswith("items.csv line 3: policy 'magic': use mto")
    assert got[3] == "stock.csv line 2: on_hand: -3 units; must be 0 or more"


def test_order_lines_must_balance_and_agree_on_their_order(shop: Shop) -> None:
    later = T0 + dt.timedelta(hours=1)
    got = reject(
        shop,
        orders=rows(
            "orders.csv",
            line(1, "bob", "W", 5, allocated=1, backordered=1, shipped=0, cancelled=0),
            line(1, "alice", "W", 1),
            line(2, "bob", "W", 2, shipped=2, cancelled=1),
            line(3, "bob", "W", 1, status="lost"),
            {**line(4, "bob", "W", 1), "placed_at": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)},
            {**line(5, "bob", "W", 1), "placed_at": later},
            {**line(5, "bob", "W", 1)},
        ),
    )
    assert got == [
        "orders.csv line 2: qty 5 is not allocated + backordered + shipped + cancelled "
        "(1 + 1 + 0 + 0 = 2)",
        "orders.csv line 3: order 1: customer 'alice' differs from 'bob' at orders.csv line 2",
        "orders.csv line 4: shipped 2 + cancelled 1 exceed qty 2",
        "orders.csv line 5: status 'lost'; use one of backordered, ready, shipped, cancelled",
        "orders.csv line 6: placed_at 2030-01-01T00:00:00+00:00 is in the future",
        f"orders.csv line 8: order 5: placed_at '{T0.isoformat()}' differs from "
        f"'{later.isoformat()}' at orders.csv line 7",
    ]


def po(po_id: int, status: str, qty: int, received: int, **more: Any) -> dict[str, Any]:
    return {"po_id": po_id, "sku": "W", "supplier": "ACME", "qty": qty, "received": received,
            "status": status, "created_at": T0, "sent_at": T0,
            "expected_date": dt.date(2026, 3, 6), **more}  # fmt: skip


def test_purchase_orders_and_receipts_must_agree(shop: Shop) -> None:
    got = reject(
        shop,
        purchase_orders=rows(
            "purchase_orders.csv",
            po(1, "sent", 5, 2),
            po(2, "partial", 5, 2),
            po(3, "shipped", 5, 0),
            po(4, "sent", 5, 0, sent_at=None),
            po(5, "sent", 5, 0, expected_date=dt.date(2026, 2, 1)),
            po(6, "draft", 5, 0, sent_at=None),
            po(7, "draft", 5, 0),
        ),
        receipts=rows(
            "receipts.csv",
            {"po_id": 2, "qty": 1, "at": T0},
            {"po_id": 99, "qty": 1, "at": T0},
            {"po_id": 6, "qty": 1, "at": T0},
        ),
    )
    assert got == [
        "purchase_orders.csv line 2: status sent does not fit received 2 of qty 5",
        "purchase_orders.csv line 3: received 2, but its receipts add up to 1",
        "purchase_orders.csv line 4: status 'shipped'; use one of draft, sent, partial, "
        "received, cancelled",
        "purchase_orders.csv line 5: sent_at is required for a sent purchase order",
        "purchase_orders.csv line 6: expected_date 2026-02-01 is before sent_at 2026-03-01",
        "purchase_orders.csv line 8: a draft has not been sent: leave sent_at empty",
        "receipts.csv line 3: po_id 99 not found in the purchase orders file",
        "receipts.csv line 4: purchase order 6 is draft: it has no receipts",
    ]


def test_supplier_terms_are_checked_like_the_use_case(shop: Shop) -> None:
    got = reject(
        shop,
        supplier_terms=rows(
            "supplier_terms.csv",
            {"sku": "W", "supplier": "ACME", "price_breaks": "[[10, 'x']]"},
            {"sku": "W", "supplier": "ACME", "moq": 1},
            {"sku": "W", "supplier": "FAST", "capacity_period": "month"},
        ),
        suppliers=rows("suppliers.csv", {"name": "FAST", "lead_time_days": 2}),
    )
    assert got[0].startswith("supplier_terms.csv line 2: price_breaks \"[[10, 'x']]\" is not")
    assert got[1].startswith("supplier_terms.csv line 3: duplicate terms for 'W' from 'ACME'")
    assert len(got) == 3 and "capacity period 'month'; use day or week" in got[2]


def test_orders_the_source_accepted_stay_accepted_whatever_the_items_rules_now(
    shop: Shop,
) -> None:
    """F may no longer go below zero and G lets 2 units wait, but their orders were
    accepted when the rules allowed them: they are imported as they stand."""
    report = import_tables(
        {
            "items": rows(
                "items.csv",
                {"sku": "F", "supplier": "ACME", "allow_negative": False},
                {"sku": "G", "supplier": "ACME", "backorder_limit": 2},
            ),
            "stock": rows("stock.csv", {"sku": "F", "on_hand": 1}),
            "orders": rows(
                "orders.csv",
                line(1, "bob", "F", 2, allocated=1, backordered=1),
                line(2, "alice", "G", 3, allocated=0, backordered=3),
            ),
        },
        bus=shop.bus,
        reader=FakeReader,
    )
    assert report.counts["orders"] == {"open": 2, "placed": 2}
    got = {
        ln.item.sku: (ln.qty, ln.allocated, ln.backordered)
        for order in shop.store.orders.values()
        for ln in order.lines
    }
    assert got == {"F": (2, 1, 1), "G": (3, 0, 3)}
    assert shop.uow().events.of_type("DemandRefused") == []


def refusal(customer: str, sku: str, qty: int, **more: Any) -> dict[str, Any]:
    return {"customer": customer, "sku": sku, "qty": qty, "at": T0, **more}


def test_refusals_must_name_known_rows_a_quantity_and_a_past_time(shop: Shop) -> None:
    future = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    got = reject(
        shop,
        refusals=rows(
            "refusals.csv",
            refusal("nobody", "W", 1),
            refusal("bob", "Q", 1),
            refusal("alice", "W", 0),
            refusal("bob", "W", 2, at=future),
            refusal("bob", "W", 3),
            refusal("bob", "W", 4, reason="again"),
        ),
    )
    assert got == [
        "refusals.csv line 2: customer 'nobody' not found",
        "refusals.csv line 3: SKU 'Q' not found",
        "refusals.csv line 4: qty: 0 units; must be at least 1",
        "refusals.csv line 5: at 2030-01-01T00:00:00+00:00 is in the future",
        f"refusals.csv line 7: duplicate refusal of 'W' for 'bob' at '{T0.isoformat()}' "
        "(first at refusals.csv line 6)",
    ]
    assert shop.uow().events.of_type("DemandRefused") == []  # nothing written


def test_refusals_are_recorded_as_demand_at_their_time_and_skipped_when_known(
    shop: Shop,
) -> None:
    tables = {
        "customers": rows("customers.csv", {"name": "carol", "priority": 2}),
        "refusals": rows(
            "refusals.csv",
            refusal("carol", "W", 4, reason="lost sale in the old ERP"),
            refusal("bob", "W", 2, at=T0 - dt.timedelta(days=1)),
        ),
    }
    on_hand, orders = shop.store.items["W"].on_hand, len(shop.store.orders)
    report = import_tables(tables, bus=shop.bus, reader=FakeReader)
    assert report.counts["refusals"] == {"added": 2}
    got = [
        (e.at, e.payload["customer"], e.payload["sku"], e.payload["qty"], e.payload["reason"])
        for e in shop.uow().events.of_type("DemandRefused")
    ]
    assert got == [  # oldest first
        (T0 - dt.timedelta(days=1), "bob", "W", 2, "imported"),
        (T0, "carol", "W", 4, "lost sale in the old ERP"),
    ]
    assert shop.store.items["W"].on_hand == on_hand and len(shop.store.orders) == orders
    again = import_tables(tables, bus=shop.bus, reader=FakeReader)
    assert again.counts["refusals"] == {"skipped": 2}
    assert len(shop.uow().events.of_type("DemandRefused")) == 2


def test_imported_receipts_teach_promises_the_suppliers_lateness(shop: Shop) -> None:
    """A delivery imported with its receipts counts from its first receipt (2 days after
    the expected 2026-02-25); one imported as a balance only has no time to learn from."""
    sent = {
        "sent_at": dt.datetime(2026, 2, 20, 9, tzinfo=dt.UTC),
        "created_at": T0 - dt.timedelta(days=10),
    }
    expected = {"expected_date": dt.date(2026, 2, 25)}
    import_tables(
        {
            "purchase_orders": rows(
                "purchase_orders.csv", po(1, "received", 5, 5, **sent, **expected)
            ),
            "receipts": rows(
                "receipts.csv",
                {"po_id": 1, "qty": 2, "at": dt.datetime(2026, 2, 27, 9, tzinfo=dt.UTC)},
                {"po_id": 1, "qty": 3, "at": dt.datetime(2026, 2, 28, 9, tzinfo=dt.UTC)},
            ),
        },
        bus=shop.bus,
        reader=FakeReader,
    )
    import_tables(
        {
            "purchase_orders": rows(
                "purchase_orders.csv", po(2, "received", 3, 3, **sent, **expected)
            )
        },
        bus=shop.bus,
        reader=FakeReader,
    )
    uow = shop.uow()
    with uow:
        acme = uow.suppliers.get("ACME")
        assert acme is not None
        assert uow.purchase_orders.recent_lateness(acme, latest=50) == (2,)
