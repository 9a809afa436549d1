"""ERP import of history on the in-memory unit of work: purchase orders of every status,
impossible history refused by file, line and field, orders kept as they stand (a known
order with other lines is a conflict), the stock ledger, and what KPIs need of a line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from tests.unit.conftest import Shop
from tests.unit.test_exchange_validation import T0, FakeReader, line, po, reject, rows

from subzero.domain.ledger import MoveKind
from subzero.domain.purchasing import POStatus
from subzero.service.exchange import import_tables

SENT = dt.datetime(2026, 2, 20, 9, tzinfo=dt.UTC)


def test_impossible_purchase_order_history_is_refused_by_line_and_field(shop: Shop) -> None:
    got = reject(
        shop,
        purchase_orders=rows(
            "purchase_orders.csv",
            po(1, "received", 5, 5, created_at=SENT + dt.timedelta(hours=1), sent_at=SENT),
            po(2, "received", 5, 5, sent_at=SENT, created_at=SENT),
            po(
                3,
                "sent",
                5,
                0,
                sent_at=SENT,
                created_at=SENT,
                first_expected_date=dt.date(2026, 2, 1),
            ),
            po(4, "draft", 5, 0, sent_at=None, created_at=SENT, confirmed_at=SENT),
            po(5, "sent", 5, 0, created_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)),
        ),
        receipts=rows(
            "receipts.csv",
            {"po_id": 2, "qty": 2, "at": SENT + dt.timedelta(days=3)},
            {"po_id": 2, "qty": 3, "at": SENT - dt.timedelta(days=1)},
        ),
    )
    assert got == [
        "purchase_orders.csv line 2: created_at 2026-02-20T10:00:00+00:00 is after sent_at "
        "2026-02-20T09:00:00+00:00: a purchase order is sent after it is created",
        "purchase_orders.csv line 3: received 5, but its receipts add up to 2",
        "purchase_orders.csv line 4: first_expected_date 2026-02-01 is before sent_at 2026-02-20",
        "purchase_orders.csv line 5: confirmed_at is given, but the purchase order was never "
        "sent (no sent_at)",
        "purchase_orders.csv line 6: created_at 2030-01-01T00:00:00+00:00 is in the future",
        "receipts.csv line 3: at 2026-02-19T09:00:00+00:00 is before purchase order 2 was "
        "sent (sent_at 2026-02-20T09:00:00+00:00 at purchase_orders.csv line 3)",
    ]
    assert shop.store.pos == {}  # nothing written


def test_amounts_and_quantities_beyond_what_is_stored_are_refused(shop: Shop) -> None:
    got = reject(
        shop,
        purchase_orders=rows(
            "purchase_orders.csv",
            po(1, "sent", 5, 0, unit_price=Decimal("123456789012.5")),
            po(2, "sent", 5, 0, unit_price=Decimal("1.23456")),
            po(3, "sent", 10**12, 0),
            po(4, "sent", 5, 0, lead_time_days=5000),
            po(5, "sent", 5, 0, source="magic"),
        ),
        supplier_terms=rows(
            "supplier_terms.csv",
            {"sku": "W", "supplier": "ACME", "moq": 10**12},
        ),
        items=rows("items.csv", {"sku": "B", "supplier": "ACME", "backorder_limit": 2**62}),
    )
    assert got == [
        "items.csv line 2: backorder_limit: 4611686018427387904 units; must be at most 100,000,000",
        "purchase_orders.csv line 2: unit_price 123456789012.5; must be 0 to "
        "9999999999.9999 with at most 4 decimals",
        "purchase_orders.csv line 3: unit_price 1.23456; must be 0 to 9999999999.9999 with "
        "at most 4 decimals",
        "purchase_orders.csv line 4: qty: 1000000000000 units; must be at most 100,000,000",
        "purchase_orders.csv line 5: lead_time_days 5000; use 0-3650",
        "purchase_orders.csv line 6: source 'magic'; use one of replenish, plan, vmi, import",
        "supplier_terms.csv line 2: moq: 1000000000000 units; must be at most 100,000,000",
    ]


def test_purchase_orders_of_every_status_are_imported_as_they_are_and_none_is_created(
    shop: Shop,
) -> None:
    """A draft, a cancelled order (0 units), a sent one and a received one: the same
    four after the import, and replenishment, which sees the draft on order, adds none."""
    day = T0.date()
    report = import_tables(
        {
            "items": rows(
                "items.csv", {"sku": "B", "supplier": "ACME", "policy": "base-stock:S=10"}
            ),
            "stock": rows("stock.csv", {"sku": "B", "on_hand": 2}),
            "purchase_orders": rows(
                "purchase_orders.csv",
                {
                    **po(1, "draft", 4, 0, sku="B", sent_at=None),
                    "source": "replenish",
                    "order_date": day,
                    "due_period": dt.date(2026, 3, 2),
                    "lead_time_days": 5,
                },
                {**po(2, "cancelled", 0, 0, sku="B", sent_at=None), "source": "replenish"},
                po(3, "sent", 4, 0, sku="B", expedite=True, unit_price=Decimal("2.5")),
                po(4, "received", 3, 3, sku="B", sent_at=SENT, created_at=SENT),
            ),
        },
        bus=shop.bus,
        reader=FakeReader,
    )
    assert report.counts["purchase_orders"] == {"added": 4}
    got = [
        (p.status, p.qty, p.received, p.source, p.expedite, p.sent_at is not None)
        for p in shop.store.pos.values()
    ]
    assert got == [
        (POStatus.DRAFT, 4, 0, "replenish", False, False),
        (POStatus.CANCELLED, 0, 0, "replenish", False, False),
        (POStatus.SENT, 4, 0, "import", True, True),
        (POStatus.RECEIVED, 3, 3, "import", False, True),
    ]
    draft = shop.store.pos[min(shop.store.pos)]
    assert (draft.order_date, draft.due_period, draft.lead_time_days) == (
        day,
        dt.date(2026, 3, 2),
        5,
    )
    again = import_tables(
        {"purchase_orders": rows("purchase_orders.csv", po(2, "cancelled", 0, 0, sku="B"))},
        bus=shop.bus,
        reader=FakeReader,
    )
    assert again.counts["purchase_orders"] == {"skipped": 1}


def test_a_second_draft_for_the_same_week_is_refused(shop: Shop) -> None:
    draft = {"sent_at": None, "due_period": dt.date(2026, 3, 2)}
    got = reject(
        shop,
        purchase_orders=rows(
            "purchase_orders.csv",
            po(1, "draft", 4, 0, **draft),
            po(2, "draft", 4, 0, **draft, created_at=T0 + dt.timedelta(hours=1)),
        ),
    )
    assert got == [
        "purchase_orders.csv line 3: duplicate draft for 'W' from 'ACME' due the week of "
        "2026-03-02 (first at purchase_orders.csv line 2)"
    ]


def test_an_order_at_a_known_time_with_other_lines_is_a_conflict_not_a_skip(
    shop: Shop,
) -> None:
    first = {"orders": rows("orders.csv", line(1, "bob", "W", 5))}
    import_tables(first, bus=shop.bus, reader=FakeReader)
    again = import_tables(first, bus=shop.bus, reader=FakeReader)
    assert again.counts["orders"] == {"skipped": 1}
    got = reject(shop, orders=rows("orders.csv", line(9, "bob", "W", 7)))
    assert got == [
        f"orders.csv line 2: order 9: 'bob' already has an order placed at {T0.isoformat()} "
        "with 5 x W; the file's has 7 x W: an import never changes an order"
    ]
    assert len(shop.store.orders) == 1


def test_allocated_units_must_be_on_hand(shop: Shop) -> None:
    """W has 3 on hand and none allocated: new open lines may hold 3 of them."""
    got = reject(
        shop,
        orders=rows(
            "orders.csv",
            line(1, "bob", "W", 2, allocated=2),
            {**line(2, "alice", "W", 2, allocated=2), "placed_at": T0 + dt.timedelta(hours=1)},
        ),
    )
    assert got == [
        "orders.csv line 3: allocated 2: open lines of 'W' would hold 4 units, more than its "
        "3 on hand"
    ]


def shipped_line(**more: Any) -> dict[str, Any]:
    return line(
        1, "bob", "N", 3, shipped=2, cancelled=1, served_from_stock=1,
        filled_at=T0 + dt.timedelta(hours=20), promised_date=dt.date(2026, 3, 4),
        first_promised_date=dt.date(2026, 3, 3), first_promise_probability=0.8,
        promise_probability=0.9, priority=2, cancelled_at=T0 + dt.timedelta(hours=10),
        **more,
    )  # fmt: skip


def test_a_line_keeps_what_the_kpis_need_of_it(shop: Shop) -> None:
    import_tables(
        {
            "items": rows("items.csv", {"sku": "N", "supplier": "ACME"}),
            "orders": rows("orders.csv", shipped_line()),
        },
        bus=shop.bus,
        reader=FakeReader,
    )
    [order] = [o for o in shop.store.orders.values() if o.lines[0].item.sku == "N"]
    ln = order.lines[0]
    assert (ln.served_from_stock, ln.filled_at, ln.priority) == (1, T0 + dt.timedelta(hours=20), 2)
    assert (ln.first_promised_date, ln.promised_date) == (dt.date(2026, 3, 3), dt.date(2026, 3, 4))
    assert (ln.first_promise_probability, ln.promise_probability) == (0.8, 0.9)
    [cancelled] = shop.uow().events.of_type("LineCancelled")
    assert cancelled.at == T0 + dt.timedelta(hours=10)  # when the customer gave up, not now
    assert cancelled.payload["line_id"] == ln.id and cancelled.payload["units"] == 1


def test_a_lines_times_and_figures_must_be_possible(shop: Shop) -> None:
    got = reject(
        shop,
        items=rows("items.csv", {"sku": "N", "supplier": "ACME"}),
        orders=rows(
            "orders.csv",
            shipped_line(),
            {**shipped_line(), "order_id": 2, "filled_at": T0 - dt.timedelta(days=1)},
            {**shipped_line(), "order_id": 3, "priority": 0, "first_promise_probability": 1.5},
            {**shipped_line(), "order_id": 4, "served_from_stock": 4},
        ),
    )
    assert got == [
        "orders.csv line 3: filled_at 2026-02-28T09:00:00+00:00 is before placed_at "
        "2026-03-01T09:00:00+00:00",
        "orders.csv line 4: priority 0; use 1 (first) to 9",
        "orders.csv line 4: first_promise_probability 1.5; must lie in 0-1",
        "orders.csv line 5: served_from_stock 4 exceeds qty 3",
    ]


def move(sku: str, qty: int, kind: str, at: dt.datetime, ref: str = "") -> dict[str, Any]:
    return {"sku": sku, "qty": qty, "kind": kind, "at": at, "ref": ref}


def test_the_stock_ledger_is_imported_with_its_references_renumbered(shop: Shop) -> None:
    day = dt.timedelta(days=1)
    tables = {
        "items": rows("items.csv", {"sku": "N", "supplier": "ACME"}),
        "stock": rows("stock.csv", {"sku": "N", "on_hand": 5}),
        "orders": rows("orders.csv", line(7, "bob", "N", 3, shipped=3)),
        "purchase_orders": rows(
            "purchase_orders.csv",
            po(4, "received", 4, 4, sku="N", created_at=T0 - 3 * day, sent_at=T0 - 3 * day),
        ),
        "receipts": rows("receipts.csv", {"po_id": 4, "qty": 4, "at": T0 - day}),
        "stock_moves": rows(
            "stock_moves.csv",
            move("N", 4, "opening", T0 - 5 * day, "opening"),
            move("N", 4, "receipt", T0 - day, "po:4"),
            move("N", -3, "shipment", T0 + day / 2, "order:7"),
        ),
    }
    report = import_tables(tables, bus=shop.bus, reader=FakeReader)
    assert report.counts["stock_moves"] == {"added": 3}
    item = shop.store.items["N"]
    assert item.on_hand == 5
    [order] = [o for o in shop.store.orders.values() if o.lines[0].item.sku == "N"]
    [received] = [p for p in shop.store.pos.values() if p.item is item]
    got = [(m.qty, m.kind, m.at, m.ref) for m in shop.store.moves if m.item_id == item.id]
    assert got == [
        (4, MoveKind.OPENING, T0 - 5 * day, "opening"),
        (4, MoveKind.RECEIPT, T0 - day, f"po:{received.id}"),
        (-3, MoveKind.SHIPMENT, T0 + day / 2, f"order:{order.id}"),
    ]
    [added] = [e for e in shop.uow().events.of_type("ItemAdded") if e.payload["sku"] == "N"]
    assert added.payload["on_hand"] == 4  # its opening, as the source's event said
    again = import_tables(tables, bus=shop.bus, reader=FakeReader)
    assert again.counts["stock_moves"] == {"skipped": 3}
    assert len([m for m in shop.store.moves if m.item_id == item.id]) == 3


def test_a_ledger_that_does_not_add_up_or_names_unknown_rows_is_refused(shop: Shop) -> None:
    got = reject(
        shop,
        items=rows("items.csv", {"sku": "N", "supplier": "ACME"}),
        stock=rows("stock.csv", {"sku": "N", "on_hand": 5}),
        stock_moves=rows(
            "stock_moves.csv",
            move("N", 4, "opening", T0),
            move("N", -1, "shipment", T0, "order:3"),
            move("N", 2, "receipt", T0, "po:8"),
            move("N", 2, "theft", T0),
            move("N", 0, "adjustment", T0),
            move("W", 1, "adjustment", T0),
        ),
    )
    assert got == [
        "stock.csv line 2: on_hand 5, but the stock moves of 'N' add up to 4",
        "stock_moves.csv line 3: ref 'order:3': order 3 of the orders file has no 'N'",
        "stock_moves.csv line 4: ref 'po:8': no purchase order 8 for 'N' in the file",
        "stock_moves.csv line 5: kind 'theft'; use one of opening, receipt, shipment, adjustment",
        "stock_moves.csv line 6: qty 0; a move is 1 to 100,000,000 units in or out",
        "stock_moves.csv line 7: SKU 'W' already exists and its ledger has no such move: an "
        "import never adjusts stock",
    ]


@pytest.mark.parametrize("with_moves", [False, True])
def test_without_a_ledger_the_report_says_what_the_kpis_lack(shop: Shop, with_moves: bool) -> None:
    tables = {
        "items": rows("items.csv", {"sku": "N", "supplier": "ACME"}),
        "stock": rows("stock.csv", {"sku": "N", "on_hand": 1}),
    }
    if with_moves:
        tables["stock_moves"] = rows("stock_moves.csv", move("N", 1, "opening", T0))
    report = import_tables(tables, bus=shop.bus, reader=FakeReader)
    if with_moves:
        assert report.warnings == []
    else:
        [warning] = report.warnings
        assert warning.startswith("no stock_moves file: each new item's ledger starts with")
        assert "count only from the import on" in warning
