"""``supplier-view``, ``po confirm``, ``po reschedule``, ``vmi …``: supplier collaboration."""

from __future__ import annotations

from typing import Any

import typer

from subzero.cli.output import emit_json, parse_day, parse_whole, print_table

__all__ = ["register"]

vmi_app = typer.Typer(
    help="Vendor-managed inventory: agreed bounds, the supplier's orders, the report.",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print one JSON value on stdout.")
_RAW = {"ignore_unknown_options": True}  # "-3" and "2.5" get one clear error line


def supplier_view(
    supplier: str = typer.Argument(..., help="Supplier name."),
    as_json: bool = _JSON,
) -> None:
    """What a supplier sees of its own items: stock position, backorders, the latest
    forecast, and its open purchase orders (never other suppliers')."""
    from subzero.bootstrap import utc_now
    from subzero.cli.runtime import runtime
    from subzero.service.supplier_view import supplier_view as view_of

    data = view_of(runtime().read_uow(), supplier, now=utc_now()).as_dict()
    if as_json:
        emit_json(data)
        return
    typer.echo(
        f"supplier {data['supplier']}: lead time {data['lead_time_days']} d, "
        f"on time {data['on_time_share']:.0%} of {data['deliveries_judged']} deliveries"
    )
    cols = ["sku", "on_hand", "backordered", "on_order", "inventory_position"]
    print_table(
        "items",
        [*cols, "vmi", "waiting lines", "forecast"],
        [
            [
                *(it["position"][c] for c in cols),
                f"{it['vmi']['min']}-{it['vmi']['max']}" if it["vmi"] else "",
                len(it["backorders"]),
                f"{it['forecast_total']:.1f} / {len(it['forecast'])} d" if it["forecast"] else "",
            ]
            for it in data["items"]
        ],
    )
    print_table(
        "backorders",
        ["sku", "line", "backordered", "placed_on", "promised_date", "late"],
        [
            [
                it["sku"],
                b["line_id"],
                b["backordered"],
                b["placed_on"],
                b["promised_date"],
                b["late"],
            ]
            for it in data["items"]
            for b in it["backorders"]
        ],
    )
    po_cols = ["po_id", "sku", "qty", "received", "status", "expected_date", "confirmed", "source"]
    print_table(
        "open purchase orders",
        po_cols,
        [[po[c] for c in po_cols] for po in data["purchase_orders"]],
    )


def _show_update(update: Any, as_json: bool) -> None:
    data = update.as_dict()
    if as_json:
        emit_json(data)
        return
    typer.echo(
        f"PO {data['po_id']} ({data['sku']}, {data['supplier']}): {data['qty']} unit(s) "
        f"expected {data['expected_date']} ({data['status']})"
    )
    if data["note"]:
        typer.echo(f"  {data['note']}")
    for moved in data["repromised"]:
        typer.echo(
            f"  order {moved['order_id']} line {moved['line_id']}: "
            f"promise {moved['old_date']} -> {moved['new_date']}"
        )


def po_confirm(
    po_id: str = typer.Argument(..., help="Purchase order id."),
    supplier: str = typer.Option(..., "--supplier", help="The supplier confirming (its own PO)."),
    date: str | None = typer.Option(None, "--date", help="Delivery date YYYY-MM-DD."),
    as_json: bool = _JSON,
) -> None:
    """The supplier confirms its sent order (optionally with its own delivery date);
    waiting customer lines are re-promised at once."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import ConfirmPurchaseOrder

    cmd = ConfirmPurchaseOrder(parse_whole("PO id", po_id), supplier, parse_day(date))
    _show_update(runtime().bus.handle(cmd), as_json)


def po_reschedule(
    po_id: str = typer.Argument(..., help="Purchase order id."),
    supplier: str = typer.Option(..., "--supplier", help="The supplier (its own PO)."),
    date: str | None = typer.Option(None, "--date", help="New delivery date YYYY-MM-DD."),
    qty: str | None = typer.Option(
        None,
        "--qty",
        help="New quantity (at least what has come; 0 cancels an order nothing of which has come).",
    ),
    as_json: bool = _JSON,
) -> None:
    """The supplier moves its order's date and/or quantity; waiting customer lines are
    re-promised at once, and a cut below waiting backorders is reported."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import ReschedulePurchaseOrder

    cmd = ReschedulePurchaseOrder(
        parse_whole("PO id", po_id),
        supplier,
        parse_day(date),
        None if qty is None else parse_whole("quantity", qty),
    )
    _show_update(runtime().bus.handle(cmd), as_json)


def _show_bounds(sku: str, as_json: bool) -> None:
    from subzero.cli.runtime import runtime
    from subzero.service.views import stock

    rt = runtime()
    position = stock(rt.read_uow(), sku)
    with rt.read_uow() as uow:
        item = uow.items.get(sku)
        assert item is not None
        bounds = (item.vmi_min, item.vmi_max)
    data = {
        "sku": sku,
        "vmi_min": bounds[0],
        "vmi_max": bounds[1],
        "inventory_position": position.inventory_position,
    }
    if as_json:
        emit_json(data)
    elif bounds[0] is None:
        typer.echo(f"item {sku}: not under VMI (replenished by its own policy)")
    else:
        typer.echo(
            f"item {sku}: VMI bounds {bounds[0]}-{bounds[1]}, "
            f"inventory position {position.inventory_position}"
        )


@vmi_app.command("set", context_settings=_RAW)
def vmi_set(
    sku: str = typer.Argument(..., help="Item SKU."),
    minimum: str = typer.Option(..., "--min", help="Agreed minimum inventory position."),
    maximum: str = typer.Option(..., "--max", help="Agreed maximum inventory position."),
    as_json: bool = _JSON,
) -> None:
    """Put an item under VMI (its supplier replenishes it within the bounds)."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import SetVmi

    runtime().bus.handle(SetVmi(sku, parse_whole("--min", minimum), parse_whole("--max", maximum)))
    _show_bounds(sku, as_json)


@vmi_app.command("off")
def vmi_off(sku: str = typer.Argument(..., help="Item SKU."), as_json: bool = _JSON) -> None:
    """End VMI: the item is replenished by its own policy again."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import SetVmi

    runtime().bus.handle(SetVmi(sku, None, None))
    _show_bounds(sku, as_json)


@vmi_app.command("order", context_settings=_RAW)
def vmi_order(
    sku: str = typer.Argument(..., help="Item SKU."),
    supplier: str = typer.Option(..., "--supplier", help="The item's VMI supplier."),
    qty: str = typer.Option(..., "--qty", help="Units."),
    date: str | None = typer.Option(None, "--date", help="Delivery date YYYY-MM-DD."),
    as_json: bool = _JSON,
) -> None:
    """The supplier's replenishment decision: refused above the agreed maximum."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import PlaceVmiOrder
    from subzero.service.views import purchase_orders

    rt = runtime()
    po_id = rt.bus.handle(
        PlaceVmiOrder(sku, supplier, parse_whole("quantity", qty), parse_day(date))
    )
    view = next(po for po in purchase_orders(rt.read_uow(), sku=sku) if po.po_id == po_id)
    if as_json:
        emit_json(view.as_dict())
    else:
        typer.echo(f"PO {po_id}: {view.qty} x {sku} from {supplier}, expected {view.expected_date}")


@vmi_app.command("report")
def vmi_report(
    sku: str | None = typer.Option(None, "--sku", help="Only this item."),
    supplier: str | None = typer.Option(None, "--supplier", help="Only this vendor's items."),
    days: int = typer.Option(28, "--days", help="Window: the last N days (review points)."),
    target: float = typer.Option(0.95, "--target", help="Agreed fill rate (0-1)."),
    as_json: bool = _JSON,
) -> None:
    """How well each vendor kept its VMI agreement: review days below the minimum or
    above the maximum, and the fill rate of the item's order lines."""
    from subzero.bootstrap import utc_now
    from subzero.cli.runtime import runtime
    from subzero.service.supplier_view import vmi_report as report

    rows = [
        r.as_dict()
        for r in report(
            runtime().read_uow(),
            now=utc_now(),
            days=days,
            sku=sku,
            supplier=supplier,
            service_target=target,
        )
    ]
    if as_json:
        emit_json(rows)
        return
    cols = [
        "sku",
        "supplier",
        "vmi_min",
        "vmi_max",
        "inventory_position",
        "review_days",
        "days_below_min",
        "days_above_max",
        "fill_rate",
        "lines",
        "vmi_orders",
        "kept",
    ]
    print_table(f"VMI report, last {days} days", cols, [[r[c] for c in cols] for r in rows])


def register(app: typer.Typer) -> None:
    from subzero.cli.orders import po_app

    app.command("supplier-view")(supplier_view)
    po_app.command("confirm", context_settings=_RAW)(po_confirm)
    po_app.command("reschedule", context_settings=_RAW)(po_reschedule)
    app.add_typer(vmi_app, name="vmi")
