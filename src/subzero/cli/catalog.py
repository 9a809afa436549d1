"""``subzero init``, ``supplier add``, ``customer add``, ``item add``."""

from __future__ import annotations

import typer

from subzero.cli.output import emit_json

__all__ = ["register"]

supplier_app = typer.Typer(help="Suppliers and their lead times.", no_args_is_help=True)
customer_app = typer.Typer(help="Customers and their priorities.", no_args_is_help=True)
item_app = typer.Typer(
    help="Items (SKUs): supplier, opening stock, below-zero rules.", no_args_is_help=True
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
        )
    )
    typer.echo(f"item {sku}: {on_hand} on hand, supplier {supplier}, policy {policy}")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(supplier_app, name="supplier")
    app.add_typer(customer_app, name="customer")
    app.add_typer(item_app, name="item")
