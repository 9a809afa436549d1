"""``order …``, ``stock``, ``po …``, ``replenish``, ``events verify``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from subzero.cli.output import emit_json, parse_day, parse_whole, print_table

if TYPE_CHECKING:
    from subzero.service.costs import CostRates

__all__ = ["register"]

order_app = typer.Typer(
    help="Customer orders: place, list, show, cancel, ship.", no_args_is_help=True
)
po_app = typer.Typer(
    help="Purchase orders: list, send, receive; suppliers confirm and reschedule.",
    no_args_is_help=True,
)
events_app = typer.Typer(help="The hash-chained event log.", no_args_is_help=True)

_JSON = typer.Option(False, "--json", help="Print one JSON value on stdout.")
# Quantities are parsed by us, not click: "-3" and "2.5" get one clear error line.
_RAW = {"ignore_unknown_options": True}


def _show_order(view: Any, as_json: bool, *, with_history: bool) -> None:
    data = view.as_dict(with_history=with_history)
    if as_json:
        emit_json(data)
        return
    typer.echo(f"order {data['order_id']} for {data['customer']}: {data['status']}")
    print_table(
        "",
        ["line", "sku", "qty", "allocated", "backordered", "shipped", "promised", "p"],
        [
            [
                ln["line_id"],
                ln["sku"],
                ln["qty"],
                ln["allocated"],
                ln["backordered"],
                ln["shipped"],
                ln["promised_date"],
                ln["promise_probability"],
            ]
            for ln in data["lines"]
        ],
    )
    for event in data.get("history", []):
        details = {k: v for k, v in event.items() if k not in ("seq", "at", "event")}
        typer.echo(f"  {event['at'][:19]}  {event['event']:<22} {details}")


def _order_after(order_id: int, as_json: bool, *, with_history: bool = False) -> None:
    from subzero.cli.runtime import runtime
    from subzero.service.views import order_view

    _show_order(
        order_view(runtime().read_uow(), order_id, with_history=with_history),
        as_json,
        with_history=with_history,
    )


@order_app.command("place", context_settings=_RAW)
def order_place(
    customer: str = typer.Argument(..., help="Customer name."),
    sku: str = typer.Argument(..., help="Item SKU."),
    qty: str = typer.Argument(..., help="Units (a whole number ≥ 1)."),
    lines: list[str] | None = typer.Option(
        None, "--line", help="Another line of the same order, SKU:QTY (repeatable)."
    ),
    as_json: bool = _JSON,
) -> None:
    """Place an order; free stock is allocated, the rest backordered and promised.
    The whole order is accepted or refused together; a refused order is kept as demand
    (`subzero refused`)."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import OrderLineRequest, PlaceOrder
    from subzero.domain.errors import InsufficientStock, InvalidParameter

    requests = [OrderLineRequest(sku, parse_whole("quantity", qty))]
    for text in lines or []:
        more_sku, sep, more_qty = text.rpartition(":")
        if not sep or not more_sku:
            raise InvalidParameter(f"--line {text!r}: use SKU:QTY, e.g. W:3")
        requests.append(
            OrderLineRequest(more_sku, parse_whole(f"quantity of {more_sku}", more_qty))
        )
    try:
        order_id = runtime().bus.handle(PlaceOrder(customer, tuple(requests)))
    except InsufficientStock as refused:
        raise InsufficientStock(
            f"{refused.message}; the request is kept as demand (subzero refused)"
        ) from None
    _order_after(order_id, as_json)


@order_app.command("list")
def order_list(
    customer: str | None = typer.Option(None, "--customer", help="Only this customer's."),
    sku: str | None = typer.Option(None, "--sku", help="Only orders with a line of this item."),
    every: bool = typer.Option(
        False, "--all", help="Shipped and cancelled orders too (default: the open ones)."
    ),
    as_json: bool = _JSON,
) -> None:
    """Orders, oldest first: by default the open ones (units still to ship), each with its
    status, units waiting and the latest promised date of its open lines."""
    from subzero.cli.runtime import runtime
    from subzero.service.views import orders

    views = orders(runtime().read_uow(), customer=customer, sku=sku, open_only=not every)
    data = [v.as_dict(with_history=False) for v in views]
    if as_json:
        emit_json(data)
        return
    rows = []
    for order in data:
        lines = order["lines"]
        promised = [
            ln["promised_date"]
            for ln in lines
            if ln["promised_date"] and ln["status"] not in ("shipped", "cancelled")
        ]
        rows.append(
            [
                order["order_id"],
                order["customer"],
                order["placed_at"][:16].replace("T", " "),
                order["status"],
                ", ".join(ln["sku"] for ln in lines),
                sum(ln["qty"] for ln in lines),
                sum(ln["backordered"] for ln in lines),
                max(promised, default=None),
            ]
        )
    print_table(
        f"{'orders' if every else 'open orders'} ({len(rows)})",
        ["order_id", "customer", "placed", "status", "items", "units", "backordered", "promised"],
        rows,
        note=None if every else "shipped and cancelled orders are not shown: --all lists them",
    )


@order_app.command("show", context_settings=_RAW)
def order_show(
    order_id: str = typer.Argument(..., help="Order id."), as_json: bool = _JSON
) -> None:
    """An order's lines, promises, status and full history."""
    _order_after(parse_whole("order id", order_id), as_json, with_history=True)


@order_app.command("cancel", context_settings=_RAW)
def order_cancel(
    order_id: str = typer.Argument(..., help="Order id."),
    lines: list[str] | None = typer.Option(
        None, "--line", help="Only this line (its id in order show; repeatable)."
    ),
    backordered: bool = typer.Option(
        False,
        "--backordered",
        help="Only the units still waiting: what is allocated stays to ship "
        "(the customer takes a partial shipment instead of waiting).",
    ),
    as_json: bool = _JSON,
) -> None:
    """Cancel every open unit, or a line's, or only what still waits; released stock goes
    to the next waiting backorder, and a draft PO the order alone caused shrinks. A sent
    PO that now brings more than anyone needs is named on stderr (`subzero alerts`)."""
    from subzero.cli.runtime import runtime, stock_reader
    from subzero.domain.commands import CancelOrder
    from subzero.service.alerts import excess_on_order
    from subzero.service.stock_view import stock_position
    from subzero.service.views import order_view

    command = CancelOrder(
        parse_whole("order id", order_id),
        tuple(parse_whole("line id", line) for line in lines or ()),
        backordered_only=backordered,
    )
    cancelled = runtime().bus.handle(command)
    view = order_view(runtime().read_uow(), cancelled, with_history=False)
    _show_order(view, as_json, with_history=False)
    # drafts shrink by themselves; a sent PO now bringing more than anyone needs is the
    # planner's to take up with the supplier
    reader = stock_reader()
    positions = [stock_position(reader, sku) for sku in sorted({ln.sku for ln in view.lines})]
    for alert in excess_on_order(runtime().read_uow(), positions):
        typer.echo(f"note: {alert.sku}: {alert.message}", err=True)


@order_app.command("ship", context_settings=_RAW)
def order_ship(
    order_id: str = typer.Argument(..., help="Order id."), as_json: bool = _JSON
) -> None:
    """Ship every allocated unit of the order."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import ShipOrder

    oid = runtime().bus.handle(ShipOrder(parse_whole("order id", order_id)))
    _order_after(oid, as_json)


def stock(
    sku: str | None = typer.Argument(None, help="Item SKU; omit for every item."),
    as_json: bool = _JSON,
) -> None:
    """Stock position: on hand, allocated, backordered, on order, available, position."""
    from subzero.cli.runtime import stock_reader
    from subzero.service.stock_view import stock_position, stock_positions

    reader = stock_reader()
    positions = [stock_position(reader, sku)] if sku is not None else stock_positions(reader)
    rows = [p.as_dict() for p in positions]
    if as_json:
        emit_json(rows[0] if sku is not None else rows)
        return
    cols = [
        "sku",
        "on_hand",
        "allocated",
        "backordered",
        "on_order",
        "available",
        "inventory_position",
    ]
    print_table("stock", cols, [[r[c] for c in cols] for r in rows])


@po_app.command("list")
def po_list(
    status: str | None = typer.Option(
        None, "--status", help="draft, sent, partial, received or cancelled."
    ),
    sku: str | None = typer.Option(None, "--sku", help="Only this item."),
    supplier: str | None = typer.Option(None, "--supplier", help="Only this supplier's POs."),
    open_only: bool | None = typer.Option(
        None,
        "--open/--all",
        help="Only open POs (draft, sent, partial), or every PO. Default: the table shows "
        "the open ones, --json lists every PO.",
    ),
    as_json: bool = _JSON,
) -> None:
    """Purchase orders, oldest first."""
    from subzero.cli.runtime import runtime
    from subzero.service.views import purchase_orders

    if open_only is None:
        open_only = not as_json and status is None
    pos = purchase_orders(
        runtime().read_uow(), status=status, sku=sku, open_only=open_only, supplier=supplier
    )
    rows = [po.as_dict() for po in pos]
    if as_json:
        emit_json(rows)
        return
    cols = ["po_id", "supplier", "sku", "qty", "received", "status", "expected_date", "reason"]
    print_table(
        f"open purchase orders ({len(rows)})" if open_only else "purchase orders",
        cols,
        [[r[c] for c in cols] for r in rows],
        note="received and cancelled POs are not shown: --all lists them" if open_only else None,
    )


@po_app.command("receive", context_settings=_RAW)
def po_receive(
    po_id: str = typer.Argument(..., help="Purchase order id."),
    qty: str | None = typer.Option(
        None, "--qty", help="Units received (default: all outstanding)."
    ),
    as_json: bool = _JSON,
) -> None:
    """Book a delivery; arriving units go to waiting backorders by priority."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import ReceivePurchaseOrder
    from subzero.service.views import purchase_orders

    rt = runtime()
    pid = parse_whole("PO id", po_id)
    rt.bus.handle(ReceivePurchaseOrder(pid, None if qty is None else parse_whole("quantity", qty)))
    view = next(po for po in purchase_orders(rt.read_uow()) if po.po_id == pid)
    if as_json:
        emit_json(view.as_dict())
    else:
        typer.echo(f"PO {pid}: {view.received} of {view.qty} {view.sku} received ({view.status})")


@po_app.command("send")
def po_send(
    po_ids: list[int] | None = typer.Argument(None, help="PO ids; omit to send every draft."),
    as_json: bool = _JSON,
) -> None:
    """Send draft purchase orders to their suppliers (their lead time starts now)."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import SendPurchaseOrders

    sent = runtime().bus.handle(SendPurchaseOrders(tuple(po_ids or ())))
    if as_json:
        emit_json({"sent": sent})
    else:
        typer.echo(f"sent {len(sent)} purchase order(s): {', '.join(map(str, sent)) or '-'}")


def backorders(
    sku: str | None = typer.Option(None, "--sku", help="Only this item."),
    customer: str | None = typer.Option(None, "--customer", help="Only this customer."),
    supplier: str | None = typer.Option(None, "--supplier", help="Only this supplier's items."),
    as_json: bool = _JSON,
) -> None:
    """Every waiting (backordered) line, oldest first, with its promise and whether
    that promise is already late: the planner's daily worklist."""
    from subzero.bootstrap import utc_now
    from subzero.cli.runtime import runtime
    from subzero.service.views import backorders as waiting

    found = waiting(
        runtime().read_uow(), now=utc_now(), sku=sku, customer=customer, supplier=supplier
    )
    rows = [b.as_dict() for b in found]
    if as_json:
        emit_json(rows)
        return
    cols = [
        "order_id",
        "customer",
        "priority",
        "sku",
        "backordered",
        "age_days",
        "promised_date",
        "promise_probability",
        "late",
    ]
    print_table(f"backorders ({len(rows)} lines)", cols, [[r[c] for c in cols] for r in rows])


def alerts(
    age_days: float = typer.Option(
        7.0, "--age-days", help="A line waiting this many days or more is ageing."
    ),
    kind: list[str] | None = typer.Option(
        None, "--kind", help="Only alerts of this kind (repeatable)."
    ),
    as_json: bool = _JSON,
) -> None:
    """Early warning, most urgent first: promises already late, backorders ageing,
    promises at risk (their supply is overdue), purchase orders overdue, suppliers slower
    than stated, stock on order beyond need, forecasts biased. Exit code 0 either way;
    --json for scripts."""
    from subzero.bootstrap import utc_now
    from subzero.cli.runtime import runtime, stock_reader
    from subzero.domain.errors import InvalidParameter
    from subzero.service.alerts import ALERT_KINDS
    from subzero.service.alerts import alerts as warnings
    from subzero.service.stock_view import stock_positions

    unknown = sorted(set(kind or ()) - set(ALERT_KINDS))
    if unknown:
        raise InvalidParameter(f"--kind {unknown[0]!r}: use one of {', '.join(ALERT_KINDS)}")
    found = warnings(
        runtime().read_uow(),
        stock_positions(stock_reader()),
        now=utc_now(),
        age_days=age_days,
    )
    rows = [a.as_dict() for a in found if not kind or a.kind in kind]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        typer.echo("no alerts")
        return
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["severity"]] = counts.get(r["severity"], 0) + 1
    print_table(
        "alerts (" + ", ".join(f"{n} {s}" for s, n in counts.items()) + ")",
        ["severity", "kind", "sku", "message"],
        [[r["severity"], r["kind"].replace("_", " "), r["sku"] or "", r["message"]] for r in rows],
    )


def refused(
    since: str | None = typer.Option(None, "--since", help="From this day (YYYY-MM-DD)."),
    sku: str | None = typer.Option(None, "--sku", help="Only this item."),
    as_json: bool = _JSON,
) -> None:
    """Orders turned away because an item may not go (further) below zero: lost sales
    unless the customer came back. The forecast counts them as demand."""
    from subzero.cli.runtime import runtime
    from subzero.service.views import refusals

    rows = [r.as_dict() for r in refusals(runtime().read_uow(), since=parse_day(since), sku=sku)]
    if as_json:
        emit_json(rows)
        return
    cols = ["at", "customer", "sku", "qty", "reason"]
    units = sum(r["qty"] for r in rows)
    print_table(
        f"refused orders ({len(rows)} requests, {units} units)",
        cols,
        [[r["at"][:16].replace("T", " "), *(r[c] for c in cols[1:])] for r in rows],
    )


def kpis(
    since: str | None = typer.Option(
        None, "--since", help="First day of order placement (YYYY-MM-DD; default: 27 days ago)."
    ),
    until: str | None = typer.Option(
        None, "--until", help="Last day of order placement (YYYY-MM-DD; default: today)."
    ),
    by: str | None = typer.Option(
        None,
        "--by",
        help="Also one row per item, customer or supplier (worst first), or per week.",
    ),
    sku: str | None = typer.Option(None, "--sku", help="Only this item."),
    customer: str | None = typer.Option(None, "--customer", help="Only this customer."),
    supplier: str | None = typer.Option(None, "--supplier", help="Only this supplier's items."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Draw the KPIs week by week to this PNG, SVG or PDF file."
    ),
    holding: float | None = typer.Option(
        None, "--holding", help="Holding cost h per unit per day on hand (prices the costs)."
    ),
    backorder: float | None = typer.Option(
        None, "--backorder", help="Backorder cost p per unit per day waited, and per unit lost."
    ),
    fixed_cost: float | None = typer.Option(
        None, "--fixed-cost", help="Fixed cost K per purchase order sent."
    ),
    costs: bool = typer.Option(
        False, "--costs", help="Also show the cost drivers (shown anyway with a cost rate)."
    ),
    as_json: bool = _JSON,
) -> None:
    """How satisfied customers are, from the ledger: fill rate from stock, share of lines
    backordered, mean and 95th-percentile wait, share of promises kept, on time in full
    (OTIF), the 0-100 satisfaction score and stock turns, over the lines placed in a
    window (the last 28 days by default); and what it cost: stock held, units waiting,
    units lost, purchase orders and expedites, priced with --holding, --backorder and
    --fixed-cost as in `subzero simulate`. The definitions are the simulator's and the
    demo's (docs/simulator.md)."""
    from subzero.bootstrap import utc_now
    from subzero.cli.output import check_output_path
    from subzero.cli.runtime import runtime
    from subzero.service.costs import CostRates
    from subzero.service.kpis import kpi_report

    rates = CostRates(holding, backorder, fixed_cost)
    check_output_path(plot, "--plot")
    if plot is not None:
        from subzero.planning.forecast_plot import check_plot_path

        check_plot_path(plot)
    now = utc_now()
    last = parse_day(until) or now.date()
    first = parse_day(since) or last - dt.timedelta(days=27)

    def report_by(group: str | None) -> dict[str, Any]:
        return kpi_report(
            runtime().read_uow(),
            since=first,
            until=last,
            now=now,
            by=group,
            sku=sku,
            customer=customer,
            supplier=supplier,
            rates=rates,
        ).as_dict()

    report = report_by(by)
    if plot is not None:
        from subzero.cli.kpi_plot import plot_weekly_kpis

        plot_weekly_kpis(report if by == "week" else report_by("week"), plot)
    if as_json:
        emit_json(report)
        return
    columns = {  # JSON key: table header
        "lines": "lines",
        "fill_rate": "fill rate",
        "backorder_rate": "backordered",
        "mean_wait_days": "wait (d)",
        "p95_wait_days": "p95 wait (d)",
        "promise_reliability": "promises kept",
        "otif": "OTIF",
        "inventory_turns": "turns/yr",
        "satisfaction": "satisfaction",
    }
    if report["overall"]["cancelled_waiting"]:
        columns["cancelled_waiting"] = "gave up"
    if by is not None and report["overall"]["backorder_promises"]:
        columns["backorder_promises_told"] = "told (waited)"
        columns["backorder_promises_kept"] = "kept (waited)"
    rows = [["all", *(_kpi_cell(c, report["overall"][c]) for c in columns)]]
    rows += [[g["key"], *(_kpi_cell(c, g[c]) for c in columns)] for g in report["groups"]]
    notes = []
    if "cancelled_waiting" in columns:
        notes.append("gave up: lines cancelled while they waited, left out of the other figures")
    overall = report["overall"]
    if overall["backorder_promises"]:
        notes.append(
            f"lines that had to wait: {overall['backorder_promises']} first promises judged, "
            f"told {overall['backorder_promises_told']:.1%} likely on average, "
            f"{overall['backorder_promises_kept']:.1%} kept"
            + (" (per row: told (waited), kept (waited))" if by is not None else "")
        )
    print_table(
        f"service KPIs of the lines placed {report['since']} … {report['until']}",
        [by or "", *columns.values()],
        rows,
        note="\n".join(notes) or None,
    )
    if costs or rates.given:
        _print_costs(report, by, rates)


def _print_costs(report: dict[str, Any], by: str | None, rates: CostRates) -> None:
    drivers = {  # key of "costs": table header
        "held_unit_days": "held (unit-days)",
        "backordered_unit_days": "waited (unit-days)",
        "lost_units": "lost",
        "purchase_orders": "POs",
        "expedited_units": "expedited",
        "expedite_premium": "expedite premium",
    }
    money = {
        "holding_cost": "holding",
        "backorder_cost": "backorder",
        "lost_sales_cost": "lost sales",
        "ordering_cost": "ordering",
        "total_cost": "total",
        "total_cost_per_day": "per day",
    }
    columns = {**drivers, **(money if rates.given else {})}
    groups = [("all", report["overall"]), *((g["key"], g) for g in report["groups"])]

    def cell(key: str, value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:,.2f}" if key in money or key == "expedite_premium" else f"{value:,.0f}"

    missing = rates.missing()
    note: str | None
    if not rates.given:
        note = "price them with --holding, --backorder and --fixed-cost (as subzero simulate)"
    else:
        note = f"not priced: {', '.join(missing)} not given" if missing else None
    days = report["overall"]["costs"]["days"]
    print_table(
        f"costs over {days} day{'s' * (days != 1)}"
        + (" (priced)" if rates.given else ": the drivers"),
        [by or "", *columns.values()],
        [[key, *(cell(c, g["costs"][c]) for c in columns)] for key, g in groups],
        note=note,
    )


def _kpi_cell(name: str, value: float | None) -> str:
    if value is None:
        return "-"
    if name in (
        "fill_rate",
        "backorder_rate",
        "promise_reliability",
        "otif",
        "backorder_promises_told",
        "backorder_promises_kept",
    ):
        return f"{value:.1%}"
    if name.endswith("_days"):
        return f"{value:.1f}"
    return str(value)


def replenish(as_json: bool = _JSON) -> None:
    """Run replenishment now for every item and re-promise every waiting line with
    today's knowledge. Idempotent: a second run changes nothing."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import Replenish

    result = runtime().bus.handle(Replenish())
    rows = [
        {"po_id": ch.po_id, "sku": ch.sku, "old_qty": ch.old_qty, "new_qty": ch.new_qty}
        for ch in result.changes
    ]
    moved = [e.payload() for e in result.repromised]  # as the event log keeps them
    if as_json:
        emit_json({"changes": rows, "repromised": moved})
        return
    if rows:
        print_table(
            "replenishment",
            ["po_id", "sku", "old_qty", "new_qty"],
            [list(r.values()) for r in rows],
        )
    if moved:
        print_table(
            "promises moved",
            ["order_id", "line_id", "sku", "old_date", "new_date", "probability"],
            [list(m.values()) for m in moved],
        )
    if not rows and not moved:
        typer.echo("nothing to change")


@events_app.command("verify")
def events_verify(as_json: bool = _JSON) -> None:
    """Check the event log's hash chain and its head; exit 1 if any event was
    rewritten, moved, removed or cut off the end, or the head is missing or forged."""
    from subzero.cli.runtime import runtime
    from subzero.domain.errors import InvalidState
    from subzero.service.views import verify_event_log

    broken = verify_event_log(runtime().read_uow())
    if as_json:
        emit_json(
            {
                "intact": broken is None,
                "first_bad_seq": None if broken is None else int(broken),
                "reason": None if broken is None else broken.reason,
            }
        )
    if broken is not None:
        raise InvalidState(f"event log broken at seq {broken}: {broken.reason}")
    if not as_json:
        typer.echo("event log intact")


def register(app: typer.Typer) -> None:
    app.add_typer(order_app, name="order")
    app.command("stock")(stock)
    app.add_typer(po_app, name="po")
    app.command("replenish")(replenish)
    app.command("backorders")(backorders)
    app.command("alerts")(alerts)
    app.command("refused")(refused)
    app.command("kpis")(kpis)
    app.add_typer(events_app, name="events")
