"""``subzero init`` and master data: ``supplier``, ``customer`` and ``item`` add,
update and list (``supplier terms`` too)."""

from __future__ import annotations

import typer

from subzero.cli.output import emit_json

__all__ = ["register"]

supplier_app = typer.Typer(help="Suppliers and their lead times.", no_args_is_help=True)
customer_app = typer.Typer(
    help="Customers and their priorities: add, update, list.", no_args_is_help=True
)
item_app = typer.Typer(
    help="Items (SKUs): supplier, opening stock, below-zero rules: add, update, list.",
    no_args_is_help=True,
)


def init(
    as_json: bool = typer.Option(False, "--json", help='Print {"revision", "database"}.'),
) -> None:
    """Create or migrate the database (SUBZERO_DATABASE_URL; default sqlite:///subzero.db).
    Safe to run again: it only applies what is missing."""
    from subzero.bootstrap import init_database
    from subzero.config import get_settings

    settings = get_settings()
    revision = init_database(settings)
    if as_json:
        emit_json({"revision": revision, "database": settings.database_url})
    else:
        typer.echo(f"database {settings.database_url} is at schema revision {revision}")


@supplier_app.command("add")
def supplier_add(
    name: str = typer.Argument(..., help="Supplier name, e.g. ACME."),
    lead_time_days: int = typer.Option(
        ..., "--lead-time-days", help="Days from sending a PO to receiving it."
    ),
    lead_time_sd: float = typer.Option(
        0.0, "--lead-time-sd", help="Standard deviation of the lead time, days (0 = reliable)."
    ),
) -> None:
    """Add a supplier."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import AddSupplier

    runtime().bus.handle(AddSupplier(name, lead_time_days, lead_time_sd))
    typer.echo(f"supplier {name}: lead time {lead_time_days} d (sd {lead_time_sd:g})")


@supplier_app.command("update")
def supplier_update(
    name: str = typer.Argument(..., help="Supplier name."),
    lead_time_days: int | None = typer.Option(
        None, "--lead-time-days", help="New stated lead time, days from sending to receipt."
    ),
    lead_time_sd: float | None = typer.Option(
        None, "--lead-time-sd", help="New standard deviation of the lead time, days."
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help='Print {"name", "lead_time_days", "lead_time_sd", "orders_moved"}.',
    ),
) -> None:
    """Restate a supplier's lead time, e.g. after `subzero alerts` says it runs slow.

    Promises learn its lateness afresh from the orders sent from now on, and the lines
    waiting on it are re-promised at once. Its open orders that took the old lead time,
    and whose dates it has not moved itself, now expect the new one.
    """
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import UpdateSupplier
    from subzero.domain.errors import InvalidParameter

    if lead_time_days is None and lead_time_sd is None:
        raise InvalidParameter("supplier update: give --lead-time-days and/or --lead-time-sd")
    rt = runtime()
    moved = rt.bus.handle(UpdateSupplier(name, lead_time_days, lead_time_sd))
    with rt.read_uow() as uow:
        supplier = uow.suppliers.get(name)
        assert supplier is not None
        days, sd = supplier.lead_time_days, supplier.lead_time_sd_days
    if as_json:
        emit_json({"name": name, "lead_time_days": days, "lead_time_sd": sd, "orders_moved": moved})
    else:
        typer.echo(
            f"supplier {name}: lead time {days} d (sd {sd:g}); {moved} open order(s) moved to "
            "it; waiting lines re-promised"
        )


@supplier_app.command("terms")
def supplier_terms(
    sku: str = typer.Argument(..., help="Item SKU."),
    supplier: str = typer.Argument(..., help="Supplier name."),
    price: str = typer.Option("0", "--price", help="Unit price below the first break."),
    breaks: list[str] | None = typer.Option(
        None, "--break", help="All-units price break MIN_QTY:PRICE (repeat, increasing)."
    ),
    moq: int = typer.Option(1, "--moq", help="Minimum order quantity."),
    lot: int = typer.Option(1, "--lot", help="Orders are multiples of this lot size."),
    capacity: int | None = typer.Option(None, "--capacity", help="Units per period."),
    capacity_period: str = typer.Option("week", "--capacity-period", help="day or week."),
    lead_time_days: int | None = typer.Option(
        None, "--lead-time-days", help="Lead time for this item (default: the supplier's)."
    ),
    expedite_days: int | None = typer.Option(
        None, "--expedite-days", help="Lead time of the expedite option."
    ),
    expedite_cost: str | None = typer.Option(
        None, "--expedite-cost", help="Extra cost per unit when expedited."
    ),
    preferred: bool = typer.Option(False, "--preferred", help="Pin this supplier for the item."),
    as_json: bool = typer.Option(False, "--json", help="Print the terms as JSON."),
) -> None:
    """Set what SUPPLIER offers for SKU: price breaks, MOQ, lot size, capacity, lead
    time, expedite option, preference. Replaces earlier terms of the pair."""
    from decimal import Decimal, InvalidOperation

    from subzero.cli.runtime import runtime
    from subzero.domain.commands import SetSupplierTerms
    from subzero.domain.errors import InvalidParameter

    def money(what: str, text: str) -> Decimal:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise InvalidParameter(f"{what} {text!r} is not a number") from None
        return value

    parsed = []
    for text in breaks or []:
        qty, _, amount = text.partition(":")
        try:
            parsed.append((int(qty), money(f"price break {text!r}", amount)))
        except ValueError:
            raise InvalidParameter(
                f"price break {text!r}: use MIN_QTY:PRICE, e.g. 100:9.50"
            ) from None
    rt = runtime()
    rt.bus.handle(
        SetSupplierTerms(
            sku,
            supplier,
            money("price", price),
            tuple(parsed),
            moq,
            lot,
            capacity,
            capacity_period,
            lead_time_days,
            expedite_days,
            None if expedite_cost is None else money("expedite cost", expedite_cost),
            preferred,
        )
    )
    from subzero.service.supplier_terms import terms_view

    with rt.read_uow() as uow:
        item = uow.items.get(sku)
        assert item is not None
        view = next(terms_view(t) for t in uow.items.terms(item) if t.supplier.name == supplier)
    if as_json:
        emit_json(view)
    else:
        typer.echo(
            f"{supplier} for {sku}: "
            + ", ".join(f"{k}={v}" for k, v in view.items() if k not in ("sku", "supplier"))
        )


@supplier_app.command("list")
def supplier_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Suppliers with their stated lead time, learned lead time, on-time share, and the
    days a new order is promised in (stated lead time and recent lateness, at the
    promise confidence)."""
    from subzero.cli.output import print_table
    from subzero.cli.runtime import runtime
    from subzero.service.lead_times import (
        promise_lead_time,
        supplier_lead_time,
        supplier_reliability,
    )

    rt = runtime()
    rows = []
    with rt.read_uow() as uow:
        for s in uow.suppliers.list():
            _, mean, source = supplier_lead_time(uow, s)
            on_time, judged = supplier_reliability(uow, s)
            promise = promise_lead_time(uow, s).quantile_days(rt.settings.promise_confidence)
            rows.append(
                {
                    "supplier": s.name,
                    "lead_time_days": s.lead_time_days,
                    "lead_time_sd": s.lead_time_sd_days,
                    "learned_lead_time": round(mean, 2),
                    "learned_from": source,
                    "on_time": round(on_time, 4),
                    "deliveries": judged,
                    "promise_days": promise,
                }
            )
    if as_json:
        emit_json(rows)
        return
    cols = list(rows[0]) if rows else ["supplier"]
    print_table("suppliers", cols, [[r[c] for c in cols] for r in rows])


@customer_app.command("add")
def customer_add(
    name: str = typer.Argument(..., help="Customer name."),
    priority: int = typer.Option(5, "--priority", help="1 (served first) to 9; default 5."),
) -> None:
    """Add a customer."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import AddCustomer

    runtime().bus.handle(AddCustomer(name, priority))
    typer.echo(f"customer {name}: priority {priority}")


@customer_app.command("update")
def customer_update(
    name: str = typer.Argument(..., help="Customer name."),
    priority: int = typer.Option(..., "--priority", help="1 (served first) to 9."),
    as_json: bool = typer.Option(
        False, "--json", help='Print {"name", "priority", "lines_moved"}.'
    ),
) -> None:
    """Change a customer's priority. Its open lines take it at once: waiting ones move
    in the queue for arriving stock and are re-promised."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import UpdateCustomer

    moved = runtime().bus.handle(UpdateCustomer(name, priority))
    if as_json:
        emit_json({"name": name, "priority": priority, "lines_moved": moved})
    else:
        typer.echo(f"customer {name}: priority {priority}; {moved} open line(s) moved")


@customer_app.command("list")
def customer_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every customer, by name, with its priority (1 is served first)."""
    from subzero.cli.output import print_table
    from subzero.cli.runtime import runtime
    from subzero.service.views import customers

    rows = [c.as_dict() for c in customers(runtime().read_uow())]
    if as_json:
        emit_json(rows)
        return
    print_table("customers", ["name", "priority"], [[r["name"], r["priority"]] for r in rows])


@item_app.command("add")
def item_add(
    sku: str = typer.Argument(..., help="The item's SKU."),
    supplier: str = typer.Option(
        ..., "--supplier", help="Name of the supplier that replenishes it."
    ),
    on_hand: int = typer.Option(0, "--on-hand", help="Opening stock (units)."),
    no_negative: bool = typer.Option(
        False, "--no-negative", help="Refuse any order that would backorder this item."
    ),
    backorder_limit: int | None = typer.Option(
        None, "--backorder-limit", help="At most this many units may wait (default: no limit)."
    ),
    jit: bool = typer.Option(False, "--jit", help="Plan receipts just in time, smallest lots."),
    policy: str = typer.Option(
        "mto",
        "--policy",
        help="Replenishment policy: mto (default), base-stock:S=N, sS:s=N,S=N, "
        "rQ:r=N,Q=N, RS:R=N,S=N, minmax:min=N,max=N.",
    ),
) -> None:
    """Add an item."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import AddItem

    runtime().bus.handle(
        AddItem(
            sku,
            supplier,
            on_hand,
            allow_negative=not no_negative,
            backorder_limit=backorder_limit,
            policy=policy,
            jit=jit,
        )
    )
    typer.echo(f"item {sku}: {on_hand} on hand, supplier {supplier}, policy {policy}")


@item_app.command("update")
def item_update(
    sku: str = typer.Argument(..., help="The item's SKU."),
    supplier: str | None = typer.Option(
        None, "--supplier", help="A new supplier for its next purchase orders."
    ),
    allow_negative: bool | None = typer.Option(
        None,
        "--allow-negative/--no-negative",
        help="May new orders take it below zero? (--no-negative refuses them.)",
        show_default=False,
    ),
    backorder_limit: int | None = typer.Option(
        None, "--backorder-limit", help="At most this many units may wait."
    ),
    no_backorder_limit: bool = typer.Option(
        False, "--no-backorder-limit", help="Lift the backorder limit."
    ),
    jit: bool | None = typer.Option(
        None,
        "--jit/--no-jit",
        help="Plan receipts just in time, smallest lots.",
        show_default=False,
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the item as `item list` does."),
) -> None:
    """Change an item's supplier, below-zero rules or JIT flag. The rules judge new
    orders (orders already accepted stay); a new supplier gets the next purchase orders
    (the old one's unsent drafts are cancelled). Policy: subzero policy."""
    from subzero.cli.runtime import runtime
    from subzero.domain.commands import UpdateItem
    from subzero.domain.errors import InvalidParameter
    from subzero.service.views import items

    given = (supplier, allow_negative, backorder_limit, jit)
    if all(v is None for v in given) and not no_backorder_limit:
        raise InvalidParameter(
            "item update: give --supplier, --allow-negative/--no-negative, "
            "--backorder-limit/--no-backorder-limit or --jit/--no-jit"
        )
    rt = runtime()
    rt.bus.handle(
        UpdateItem(sku, supplier, allow_negative, backorder_limit, no_backorder_limit, jit)
    )
    (row,) = [i.as_dict() for i in items(rt.read_uow()) if i.sku == sku]
    if as_json:
        emit_json(row)
        return
    limit = "no limit" if row["backorder_limit"] is None else row["backorder_limit"]
    below = f"may go below zero ({limit})" if row["allow_negative"] else "no negative"
    jit_text = ", JIT" if row["jit"] else ""
    typer.echo(f"item {sku}: supplier {row['supplier']}, {below}{jit_text}")


@item_app.command("list")
def item_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every item, by SKU: supplier, replenishment policy, whether it may go below zero
    (and how far), JIT and VMI bounds. Stock figures: subzero stock."""
    from subzero.cli.output import print_table
    from subzero.cli.runtime import runtime
    from subzero.service.views import items

    rows = [i.as_dict() for i in items(runtime().read_uow())]
    if as_json:
        emit_json(rows)
        return
    cols = ["sku", "supplier", "policy", "allow_negative", "backorder_limit", "jit"]
    cols += ["vmi_min", "vmi_max"]
    print_table("items", cols, [[r[c] for c in cols] for r in rows])


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(supplier_app, name="supplier")
    app.add_typer(customer_app, name="customer")
    app.add_typer(item_app, name="item")
