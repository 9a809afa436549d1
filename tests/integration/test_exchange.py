"""ERP exchange on SQLite and PostgreSQL: export → import round trips (CSV through the
CLI, Parquet in process, and a realistic shop played by the demo, whose stock, purchase
orders, KPIs and event log must come back as they were), refused demand surviving the
round trip, rejected rows reported at once with nothing written, and a failure in the
middle of an import rolling everything back."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from subzero.adapters.io.files import read_directory, write_directory
from subzero.adapters.io.reader import exchange_reader
from subzero.bootstrap import Runtime, bootstrap, init_database
from subzero.config import Settings
from subzero.domain import commands as c
from subzero.domain.errors import InsufficientStock, InvalidParameter
from subzero.service import exchange
from subzero.service.costs import CostRates
from subzero.service.demand import order_history_frame
from subzero.service.demo import DemoClock, DemoConfig, run_demo
from subzero.service.exchange import ImportRejected, export_tables, import_tables
from subzero.service.kpis import kpi_report
from subzero.service.rebalance import position_of
from subzero.service.views import purchase_orders, refusals, verify_event_log

if TYPE_CHECKING:
    from tests.integration.conftest import Cli, Clock


@pytest.fixture
def second_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second fresh, migrated database on the same backend as ``database_url``."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'second.db'}"
        init_database(Settings(database_url=url))
        yield url
        return
    server = request.getfixturevalue("pg_server")
    name = f"{request.getfixturevalue('pg_session_database')}_x{uuid.uuid4().hex[:8]}"
    server.create_database(name)
    try:
        url = server.url(name)
        init_database(Settings(database_url=url))
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture
def second(second_url: str, clock: Clock) -> Iterator[Runtime]:
    rt = bootstrap(Settings(database_url=second_url), clock=clock)
    try:
        yield rt
    finally:
        rt.dispose()


def build_shop(rt: Runtime, clock: Clock) -> None:
    """Master data, terms, a sent and a partly received PO, open orders with backorders,
    a shipped order, a cancelled one and a refused one (two ``DemandRefused`` events)."""
    h = rt.bus.handle
    h(c.AddSupplier("ACME", 5))
    h(c.AddSupplier("FAST", 2, 0.5))
    h(c.AddCustomer("bob", 5))
    h(c.AddCustomer("alice", 1))
    h(c.AddItem("W", "ACME", on_hand=3))
    h(c.AddItem("X", "ACME", policy="base-stock:S=10"))
    h(c.AddItem("Y", "FAST", on_hand=5, allow_negative=False, jit=True))
    h(
        c.SetSupplierTerms(
            "W", "FAST", unit_price=Decimal("2.50"),
            price_breaks=((10, Decimal("2.25")),), moq=2, preferred=True,
        )
    )  # fmt: skip
    h(c.PlaceOrder("bob", (c.OrderLineRequest("W", 5),)))
    h(c.SendPurchaseOrders())
    clock.advance(days=2)
    x_po = purchase_orders(rt.uow(), sku="X")[0]
    h(c.ReceivePurchaseOrder(x_po.po_id, 4))
    h(c.PlaceOrder("alice", (c.OrderLineRequest("W", 2), c.OrderLineRequest("X", 1))))
    clock.advance(hours=3)
    h(c.ShipOrder(h(c.PlaceOrder("bob", (c.OrderLineRequest("Y", 2),)))))
    clock.advance(hours=1)
    with pytest.raises(InsufficientStock):  # Y has 3 left and may not go below zero
        h(c.PlaceOrder("alice", (c.OrderLineRequest("W", 1), c.OrderLineRequest("Y", 4))))
    h(c.CancelOrder(h(c.PlaceOrder("bob", (c.OrderLineRequest("X", 1),)))))
    clock.advance(days=1)


def state(rt: Runtime) -> dict[str, Any]:
    """What a round trip must reproduce: every row of every file but the ids (and the
    references made of them), the open lines' current promises and the drafts' expected
    dates, which the import recomputes as of its own time (the CLI's is today's)."""
    tables = export_tables(rt.uow(), exchange_reader)
    recomputed = {"order_id", "promised_date", "promise_probability"}

    def line(row: dict[str, Any]) -> dict[str, Any]:
        keep = row["status"] in ("shipped", "cancelled")  # closed: its promise stands
        return {k: v for k, v in row.items() if (keep and k != "order_id") or k not in recomputed}

    return {
        **{k: tables[k] for k in ("suppliers", "customers", "items", "supplier_terms", "stock")},
        "orders": sorted(
            (line(row) for row in tables["orders"]), key=lambda r: (r["placed_at"], r["sku"])
        ),
        "purchase_orders": sorted(
            (
                {k: v for k, v in row.items() if k != "po_id"}
                | ({"expected_date": None} if row["status"] == "draft" else {})
                for row in tables["purchase_orders"]
            ),
            key=lambda r: (r["created_at"], r["sku"], r["status"]),
        ),
        "receipts": [(r["sku"], r["qty"], r["at"]) for r in tables["receipts"]],
        "stock_moves": [
            (m["sku"], m["qty"], m["kind"], m["at"], m["ref"].partition(":")[0])
            for m in tables["stock_moves"]
        ],
        "refusals": tables["refusals"],
    }


def test_csv_round_trip_through_the_cli(
    runtime: Runtime, clock: Clock, cli: Cli, make_cli: Any, second: Runtime, tmp_path: Path
) -> None:
    imported = second
    build_shop(runtime, clock)
    out = tmp_path / "erp"
    manifest = cli.json("export", str(out), "--format", "csv")
    assert manifest["counts"]["orders"] == 5 and manifest["schema_version"] == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{e}.csv" for e in manifest["counts"]] + ["manifest.json"]
    )
    target = make_cli(second.settings.database_url)
    report = target.json("import", str(out))
    assert report["counts"]["orders"] == {"open": 2, "closed": 2, "placed": 2, "history": 2}
    assert report["counts"]["purchase_orders"] == {"added": manifest["counts"]["purchase_orders"]}
    assert report["warnings"] == []
    assert target.json("stock") == cli.json("stock")
    assert state(imported) == state(runtime)
    # importing the same files again changes nothing
    again = import_tables(read_directory(out).tables, bus=imported.bus, reader=exchange_reader)
    assert again.counts["orders"] == {"skipped": 4}
    assert again.counts["refusals"] == {"skipped": 2}
    assert set(again.counts["stock_moves"]) == {"skipped"}
    assert state(imported) == state(runtime)


def test_parquet_round_trip(
    runtime: Runtime, clock: Clock, cli: Cli, second: Runtime, tmp_path: Path
) -> None:
    build_shop(runtime, clock)
    assert cli.json("export", str(tmp_path / "pq"), "--format", "parquet")["format"] == "parquet"
    assert (tmp_path / "pq" / "orders.parquet").exists()
    found = read_directory(tmp_path / "pq")
    assert found.rejections == [] and found.warnings == []
    report = import_tables(found.tables, bus=second.bus, reader=exchange_reader)
    assert report.counts["refusals"] == {"added": 2}
    assert state(second) == state(runtime)
    # same clock: the open lines' promises are what the live rules promise today
    runtime.bus.handle(c.Replenish())
    promised = [
        (r["sku"], r["promised_date"])
        for r in export_tables(second.uow(), exchange_reader)["orders"]
        if r["status"] in ("backordered", "ready")
    ]
    assert promised == [
        (r["sku"], r["promised_date"])
        for r in export_tables(runtime.uow(), exchange_reader)["orders"]
        if r["status"] in ("backordered", "ready")
    ]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_refused_demand_survives_export_and_import(
    runtime: Runtime, clock: Clock, second: Runtime, tmp_path: Path, fmt: str
) -> None:
    h = runtime.bus.handle
    h(c.AddSupplier("ACME", 5))
    h(c.AddCustomer("bob", 5))
    h(c.AddItem("F", "ACME", on_hand=1, allow_negative=False))
    refused_at = clock.advance(days=1, hours=2, seconds=0.123456)  # microseconds kept
    with pytest.raises(InsufficientStock):
        h(c.PlaceOrder("bob", (c.OrderLineRequest("F", 3),)))
    clock.advance(days=2)  # the import runs later: the refusal keeps its own time
    [source] = refusals(runtime.uow())
    assert (source.at, source.customer, source.sku, source.qty) == (refused_at, "bob", "F", 3)

    tables = export_tables(runtime.uow(), exchange_reader)
    manifest = write_directory(tmp_path, tables, fmt=fmt, exported_at=clock.now)
    assert manifest["counts"]["refusals"] == 1 and manifest["counts"]["orders"] == 0
    assert (tmp_path / f"refusals.{fmt}").exists()
    found = read_directory(tmp_path)
    assert found.rejections == []
    report = import_tables(found.tables, bus=second.bus, reader=exchange_reader)
    assert report.counts["refusals"] == {"added": 1}
    assert refusals(second.uow()) == [source]  # same time, customer, SKU, qty and reason
    with second.uow() as uow:
        frame = order_history_frame(uow)
        assert uow.orders.demand_history() == []  # no order was written
        item = uow.items.get("F")
        assert item is not None and item.on_hand == 1  # no stock change
        logged = len(uow.events.history())
    demand = frame[frame["unique_id"] == "F"].set_index("ds")["y"]
    assert demand.sum() == 3 and demand[str(refused_at.date())] == 3  # counted as demand

    again = import_tables(read_directory(tmp_path).tables, bus=second.bus, reader=exchange_reader)
    assert again.counts["refusals"] == {"skipped": 1}
    assert refusals(second.uow()) == [source]
    with second.uow() as uow:
        assert len(uow.events.history()) == logged  # nothing added


def test_rejected_rows_are_all_reported_and_nothing_is_written(
    runtime: Runtime, cli: Cli, tmp_path: Path
) -> None:
    erp = tmp_path / "bad"
    erp.mkdir()
    (erp / "suppliers.csv").write_text("name,lead_time_days\nACME,5\n")
    (erp / "customers.csv").write_text("name,priority\nbob,5\n")
    (erp / "items.csv").write_text("sku,supplier\nW,ACME\nV,ZED\n")
    (erp / "stock.csv").write_text("sku,on_hand\nW,4\n")
    (erp / "orders.csv").write_text(
        "order_id,customer,placed_at,sku,qty\n"
        "1,bob,2025-01-06T09:00:00+00:00,W,2\n"
        "2,bob,2025-01-06T10:00:00+00:00,W,2.5\n"
    )
    proc = cli("import", str(erp))
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "items.csv line 3: supplier 'ZED' not found",
        "orders.csv line 3: qty '2.5' is not a whole number",
        "error[invalid_parameter]: 2 row(s) rejected, nothing was imported",
    ]
    proc = cli("import", str(erp), "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["rejected"][0] == {
        "where": "items.csv line 3",
        "message": "supplier 'ZED' not found",
    }
    # not even the valid rows
    assert all(not v for v in export_tables(runtime.uow(), exchange_reader).values())


def test_a_use_case_refusal_mid_import_rolls_everything_back(
    runtime: Runtime, monkeypatch: Any
) -> None:
    """Every row passed the checks, but a use case refuses one while applying: it is
    reported against that row and nothing stays, not even what came before it."""
    rows = {
        "suppliers": [exchange.Row("suppliers.csv line 2", {"name": "ACME", "lead_time_days": 5})],
        "customers": [exchange.Row("customers.csv line 2", {"name": "bob", "priority": 5})],
        "items": [exchange.Row("items.csv line 2", {"sku": "F", "supplier": "ACME"})],
        "stock": [exchange.Row("stock.csv line 2", {"sku": "F", "on_hand": 1})],
        "supplier_terms": [
            exchange.Row("supplier_terms.csv line 2", {"sku": "F", "supplier": "ACME"})
        ],
    }
    real = exchange.handler_for

    def refusing(command_type: type) -> Any:
        if command_type is c.SetSupplierTerms:

            def refuse(*args: Any, **kwargs: Any) -> None:
                raise InvalidParameter("the supplier no longer quotes F")

            return refuse
        return real(command_type)

    monkeypatch.setattr(exchange, "handler_for", refusing)
    with pytest.raises(ImportRejected) as info:
        import_tables(rows, bus=runtime.bus, reader=exchange_reader)
    assert [str(r) for r in info.value.rejections] == [
        "supplier_terms.csv line 2: the supplier no longer quotes F"
    ]
    with runtime.uow() as uow:  # the supplier, customer and item added before are gone
        assert uow.suppliers.list() == [] and uow.items.list() == []
        assert uow.customers.list() == [] and uow.events.history() == []


def test_an_unexpected_failure_mid_import_rolls_everything_back(
    runtime: Runtime, clock: Clock, second: Runtime, tmp_path: Path, monkeypatch: Any
) -> None:
    build_shop(runtime, clock)
    write_directory(
        tmp_path, export_tables(runtime.uow(), exchange_reader), fmt="csv", exported_at=clock.now
    )
    rows = read_directory(tmp_path).tables

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(exchange, "_add_order", crash)
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_tables(rows, bus=second.bus, reader=exchange_reader)
    assert all(not v for v in export_tables(second.uow(), exchange_reader).values())
    with second.uow() as uow:
        assert uow.events.history() == []


# -- a realistic shop ------------------------------------------------------------------


def _kpis(rt: Runtime, clock: DemoClock, since: dt.date) -> dict[str, Any]:
    """``subzero kpis`` over the whole story, overall and week by week, with costs."""
    rates = CostRates(holding=0.1, backorder=2.0, fixed=25.0)
    report = kpi_report(
        rt.uow(), since=since, until=clock.current.date(), now=clock.current, by="week",
        rates=rates,
    )  # fmt: skip
    return report.as_dict()


def _events(rt: Runtime) -> list[Any]:
    with rt.uow() as uow:
        return list(uow.events.history())


def test_a_played_shop_comes_back_whole_with_its_kpis_and_its_own_event_log(
    database_url: str, second_url: str, tmp_path: Path
) -> None:
    """Three weeks of the demo (orders below zero, base-stock and make-to-order
    purchase orders, late deliveries, impatient customers), then the planner tightens
    the rules of items with backorders: the export, imported into an empty database,
    must give the same stock, the same purchase orders (drafts and cancelled ones too,
    and none created), the same KPIs and costs, and a log of its own that holds."""
    clock = DemoClock(dt.datetime(2025, 3, 1, 6, tzinfo=dt.UTC))
    source = bootstrap(Settings(database_url=database_url), clock=clock.now)
    target = bootstrap(Settings(database_url=second_url), clock=clock.now)
    try:
        run_demo(source.bus, source.uow, clock, DemoConfig(days=21, items=10, split_share=0.3))
        # the morning after: a make-to-order draft cancelled with its order, another open
        with source.uow() as uow:
            mto = next(i for i in uow.items.list() if i.policy == "mto")
            walk_in = (c.OrderLineRequest(mto.sku, position_of(uow, mto).free + 2),)
        source.bus.handle(c.CancelOrder(source.bus.handle(c.PlaceOrder("walk-in", walk_in))))
        source.bus.handle(c.PlaceOrder("garage-kovacs", walk_in))
        with source.uow() as uow:
            waiting = sorted({ln.item.sku for ln in uow.orders.waiting_lines()})
        assert len(waiting) >= 2  # the story has backorders to tighten rules under
        source.bus.handle(c.UpdateItem(waiting[0], allow_negative=False))
        source.bus.handle(c.UpdateItem(waiting[1], backorder_limit=0))
        first_day = clock.current.date() - dt.timedelta(days=21)
        before = _events(source)
        tables = export_tables(source.uow(), exchange_reader)
        assert _events(source) == before  # exporting writes nothing
        write_directory(tmp_path, tables, fmt="csv", exported_at=clock.current)
        statuses = Counter(r["status"] for r in tables["purchase_orders"])
        assert statuses["cancelled"] >= 1 and statuses["draft"] >= 1

        report = import_tables(
            read_directory(tmp_path).tables, bus=target.bus, reader=exchange_reader
        )
        assert report.counts["purchase_orders"] == {"added": len(tables["purchase_orders"])}
        assert report.warnings == []

        got = export_tables(target.uow(), exchange_reader)
        assert got["stock"] == tables["stock"]
        assert Counter(r["status"] for r in got["purchase_orders"]) == Counter(
            r["status"] for r in tables["purchase_orders"]
        )
        assert _kpis(target, clock, first_day) == _kpis(source, clock, first_day)
        assert state(target) == state(source)

        # the imported log is its own: intact, from the genesis, sharing no hash
        imported = _events(target)
        assert verify_event_log(source.uow()) is None and verify_event_log(target.uow()) is None
        assert not {e.hash for e in imported} & {e.hash for e in before}
        assert imported[0].seq == 1
        assert {e.type for e in imported} >= {"ItemAdded", "OrderImported", "PurchaseOrderImported"}
        # and each goes on by itself
        customer = tables["customers"][0]["name"]
        sku = next(r["sku"] for r in tables["items"] if r["sku"] not in waiting[:2])
        for rt in (source, target):
            rt.bus.handle(c.PlaceOrder(customer, (c.OrderLineRequest(sku, 1),)))
            assert verify_event_log(rt.uow()) is None

        again = import_tables(
            read_directory(tmp_path).tables, bus=target.bus, reader=exchange_reader
        )
        assert {k: set(v) for k, v in again.counts.items() if v} == {
            k: {"skipped"} for k, v in again.counts.items() if v
        }
    finally:
        source.dispose()
        target.dispose()


def test_the_cli_names_files_it_ignores_and_refuses_a_directory_with_none(
    runtime: Runtime, clock: Clock, cli: Cli, make_cli: Any, second: Runtime, tmp_path: Path
) -> None:
    build_shop(runtime, clock)
    out = tmp_path / "erp"
    cli("export", str(out), "--format", "parquet", check=True)
    cli("export", str(out), "--format", "csv", check=True)  # the parquet files go
    (out / "Notes.txt").write_text("from the ERP team\n")
    target = make_cli(second.settings.database_url)
    proc = target("import", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["warnings"] == ["Notes.txt: not an exchange file; ignored"]
    assert proc.stderr == "warning: Notes.txt: not an exchange file; ignored\n"
    assert target.json("stock") == cli.json("stock")

    lone = tmp_path / "lone"
    lone.mkdir()
    proc = target("import", str(lone))
    assert proc.returncode == 1 and "no exchange file to import" in proc.stderr
    (lone / "Suppliers.csv").write_text("name,lead_time_days\nZED,5\n")
    proc = target("import", str(lone))
    assert proc.returncode == 1 and proc.stderr.endswith("found only Suppliers.csv\n")


def test_an_order_placed_during_an_import_cannot_take_the_units_the_file_allocates(
    runtime: Runtime, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """W has 5 on hand; the file holds an open order with all 5 allocated. Another
    planner orders 5 W right after the import has checked its rows: the import holds
    the item, so that order waits, then finds nothing free and is backordered (found in
    review: on PostgreSQL both took the 5 units, allocated 10 of 5)."""
    import threading

    from subzero.service import exchange_checks

    runtime.bus.handle(c.AddSupplier("ACME", 5))
    runtime.bus.handle(c.AddCustomer("bob", 3))
    runtime.bus.handle(c.AddItem("W", "ACME", 5))
    (tmp_path / "orders.csv").write_text(
        "order_id,customer,placed_at,sku,qty,allocated\n1,bob,2025-01-01T09:00:00+00:00,W,5,5\n"
    )
    other = bootstrap(Settings(database_url=database_url))
    racer = threading.Thread(
        target=lambda: other.bus.handle(c.PlaceOrder("bob", (c.OrderLineRequest("W", 5),)))
    )
    checked = exchange_checks.ImportChecks.run

    def run_then_race(self: Any) -> Any:
        plan = checked(self)
        racer.start()  # it commits as soon as the import lets it
        racer.join(timeout=1.0)  # it waits for the import's lock on W
        return plan

    monkeypatch.setattr(exchange_checks.ImportChecks, "run", run_then_race)
    found = read_directory(tmp_path)
    try:
        import_tables(found.tables, bus=runtime.bus, reader=exchange_reader, rejected=[])
        racer.join(timeout=60)
        assert not racer.is_alive()
    finally:
        other.dispose()
    with runtime.uow() as uow:
        item = uow.items.get("W")
        assert item is not None
        lines = uow.orders.open_lines(item)
        assert (item.on_hand, sum(ln.allocated for ln in lines)) == (5, 5)
        assert sorted(ln.backordered for ln in lines) == [0, 5]


def test_an_export_is_one_snapshot_while_orders_ship(
    runtime: Runtime, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An order ships after the export read the stock and before it read the stock
    moves: the files must still agree with each other (found in review: on PostgreSQL
    the moves held the shipment and the stock did not, and the export's own import
    refused it)."""
    from subzero.adapters.io import reader as readers

    runtime.bus.handle(c.AddSupplier("ACME", 5))
    runtime.bus.handle(c.AddCustomer("bob", 3))
    runtime.bus.handle(c.AddItem("W", "ACME", 5))
    order = runtime.bus.handle(c.PlaceOrder("bob", (c.OrderLineRequest("W", 2),)))
    other = bootstrap(Settings(database_url=database_url))
    read_moves = readers.SqlExchangeReader.moves

    def ship_then_read(self: Any) -> Any:
        other.bus.handle(c.ShipOrder(order))  # committed while the export runs
        return read_moves(self)

    monkeypatch.setattr(readers.SqlExchangeReader, "moves", ship_then_read)
    try:
        exported = export_tables(runtime.read_uow(), exchange_reader)
    finally:
        other.dispose()
    (stock,) = exported["stock"]
    assert stock["on_hand"] == sum(m["qty"] for m in exported["stock_moves"]) == 5
    assert [(o["allocated"], o["shipped"]) for o in exported["orders"]] == [(2, 0)]
