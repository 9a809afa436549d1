"""The catalogue CSV the simulator reads and ``subzero tune`` writes.

Columns (header row required; unused cells empty; order free):

==============  ==========================================================================
sku             item name (required)
policy          mto | base-stock | sS | rQ | RS | minmax (required)
s, S            sS: reorder point s, order-up-to S; minmax: s = min, S = max;
                base-stock and RS: S = (order-up-to) base-stock level
r, Q            rQ: reorder point r, order quantity Q
R               RS: review period in days (default 1)
demand          poisson | normal | empirical (required)
mean, sd        poisson: mean; normal: mean and sd per day
history         empirical: past daily demands separated by spaces (bootstrapped)
lead_time       days (default 0); or lead_time_pmf, e.g. ``1:0.2 2:0.5 4:0.3``
holding         holding cost per unit per day [h] (default 1)
backorder       backorder cost per unit per day [p] (default 0)
fixed_cost      cost per order [K] (default 0)
lost_share      optional: share of short units lost (0 backorders … 1 lost sales)
supplier        optional: supplier name (for disruptions; default ``default``)
capacity        optional: most units per order
==============  ==========================================================================

Each sku appears once. A value the simulator cannot take (a negative cost, mean or lead
time, a share outside [0, 1], ...: ``checks.check_items``) is refused when the file is
read, naming the file, line, sku and column.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from subzero.domain.errors import InvalidParameter
from subzero.files import csv_delimiter, replacing
from subzero.planning.pmf import parse_pmf
from subzero.planning.policies.kinds import (
    RQ,
    RS,
    SS,
    BaseStock,
    MakeToOrder,
    MinMax,
    Policy,
    PolicyKind,
)
from subzero.planning.simulate.checks import check_items
from subzero.planning.simulate.demand import (
    DemandSpec,
    EmpiricalDemand,
    NormalDemand,
    PoissonDemand,
)
from subzero.planning.simulate.engine import Item

__all__ = ["COLUMNS", "item_row", "parse_rows", "read_catalog", "write_catalog"]

COLUMNS = (
    "sku",
    "policy",
    "s",
    "S",
    "r",
    "Q",
    "R",
    "demand",
    "mean",
    "sd",
    "history",
    "lead_time",
    "lead_time_pmf",
    "holding",
    "backorder",
    "fixed_cost",
    "lost_share",
    "supplier",
    "capacity",
)


def _cell(row: Mapping[str, str | None], name: str) -> str:
    return (row.get(name) or "").strip()


def _int(row: Mapping[str, str | None], name: str, where: str, default: int | None = None) -> int:
    text = _cell(row, name)
    if not text:
        if default is None:
            raise InvalidParameter(f"{where}: column {name!r} is empty, a whole number is needed")
        return default
    try:
        value = float(text)
    except ValueError:
        raise InvalidParameter(f"{where}: {name}={text!r} is not a number") from None
    if value != int(value):
        raise InvalidParameter(f"{where}: {name}={text!r} must be a whole number")
    return int(value)


def _float(
    row: Mapping[str, str | None], name: str, where: str, default: float | None = None
) -> float:
    text = _cell(row, name)
    if not text:
        if default is None:
            raise InvalidParameter(f"{where}: column {name!r} is empty, a number is needed")
        return default
    try:
        return float(text)
    except ValueError:
        raise InvalidParameter(f"{where}: {name}={text!r} is not a number") from None


def _policy(row: Mapping[str, str | None], where: str) -> Policy:
    name = _cell(row, "policy")
    try:
        kind = PolicyKind(name)
    except ValueError:
        valid = ", ".join(k.value for k in PolicyKind)
        raise InvalidParameter(f"{where}: policy {name!r} is not one of {valid}") from None
    try:
        return _policy_of(kind, row, where)
    except InvalidParameter as exc:
        if str(exc).startswith(where):
            raise
        raise InvalidParameter(f"{where}: {exc}") from None  # e.g. (s,S) with S ≤ s


def _policy_of(kind: PolicyKind, row: Mapping[str, str | None], where: str) -> Policy:
    if kind is PolicyKind.MAKE_TO_ORDER:
        return MakeToOrder()
    if kind is PolicyKind.BASE_STOCK:
        return BaseStock(_int(row, "S", where))
    if kind is PolicyKind.S_S:
        return SS(_int(row, "s", where), _int(row, "S", where))
    if kind is PolicyKind.R_Q:
        return RQ(_int(row, "r", where), _int(row, "Q", where))
    if kind is PolicyKind.R_S:
        return RS(_int(row, "R", where, 1), _int(row, "S", where))
    return MinMax(_int(row, "s", where), _int(row, "S", where))


def _demand(row: Mapping[str, str | None], where: str) -> DemandSpec:
    name = _cell(row, "demand")
    if name == "poisson":
        return PoissonDemand(_float(row, "mean", where))
    if name == "normal":
        return NormalDemand(_float(row, "mean", where), _float(row, "sd", where))
    if name == "empirical":
        try:
            values = tuple(int(v) for v in _cell(row, "history").split())
        except ValueError:
            raise InvalidParameter(f"{where}: history must be whole numbers") from None
        return EmpiricalDemand(values)
    raise InvalidParameter(f"{where}: demand {name!r} is not one of poisson, normal, empirical")


def _lead(row: Mapping[str, str | None], where: str) -> int | dict[int, float]:
    pmf = _cell(row, "lead_time_pmf")
    if not pmf:
        return _int(row, "lead_time", where, 0)
    return parse_pmf(pmf, name=f"{where}: lead_time_pmf")


_COLUMN_OF = {
    "holding_cost": "holding",
    "backorder_cost": "backorder",
    "demand.mean": "mean",
    "demand.sd": "sd",
    "demand.values": "history",
}


def parse_rows(rows: Iterable[Mapping[str, str | None]], source: str) -> list[Item]:
    """Items from CSV rows (dicts by column name; the first is line 2, under the header).

    Raises:
        InvalidParameter: naming ``source``, the line and, once known, the sku: a cell
            that is not a number where one is needed, a sku seen on an earlier line, or a
            value ``checks.check_items`` refuses (then also the column).
    """
    items = []
    lines: list[int] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        where = f"{source} line {line}"
        sku = _cell(row, "sku")
        if not sku:
            raise InvalidParameter(f"{where}: sku is empty")
        if sku in seen:
            raise InvalidParameter(
                f"{where}: sku {sku!r} is already on line {seen[sku]}; give each item once"
            )
        seen[sku] = line
        where = f"{where}, sku {sku!r}"
        capacity = _cell(row, "capacity")
        items.append(
            Item(
                sku=sku,
                policy=_policy(row, where),
                demand=_demand(row, where),
                lead_time=_lead(row, where),
                holding_cost=_float(row, "holding", where, 1.0),
                backorder_cost=_float(row, "backorder", where, 0.0),
                fixed_cost=_float(row, "fixed_cost", where, 0.0),
                lost_share=_float(row, "lost_share", where, 0.0),
                supplier=_cell(row, "supplier") or "default",
                capacity=_int(row, "capacity", where) if capacity else None,
            )
        )
        lines.append(line)
    if not items:
        raise InvalidParameter(f"{source}: no items")

    def column(i: int, field: str) -> str:
        name = _COLUMN_OF.get(field, field)
        if field == "lead_time" and not isinstance(items[i].lead_time, int):
            name = "lead_time_pmf"
        return f"{source} line {lines[i]}, sku {items[i].sku!r}: {name}"

    check_items(items, column)
    return items


def read_catalog(path: str | Path) -> list[Item]:
    """Items of a catalogue CSV (columns in the module docstring)."""
    p = Path(path)
    if not p.exists():
        raise InvalidParameter(f"catalog {p}: file not found")
    with p.open(newline="", encoding="utf-8-sig") as fh:  # a spreadsheet's BOM is fine
        reader = csv.DictReader(fh, delimiter=csv_delimiter(p))
        reader.fieldnames = [name.strip() for name in reader.fieldnames or ()]
        missing = {"sku", "policy", "demand"} - set(reader.fieldnames)
        if missing:
            raise InvalidParameter(f"catalog {p}: missing column(s) {', '.join(sorted(missing))}")
        return parse_rows(reader, str(p))


def item_row(item: Item) -> dict[str, object]:
    """One CSV row for ``item`` (inverse of ``parse_rows`` for the columns it uses)."""
    row: dict[str, object] = {"sku": item.sku, "policy": item.policy.kind.value}
    match item.policy:
        case BaseStock(base_stock_level=s_level):
            row["S"] = s_level
        case SS(reorder_point=s, order_up_to=s_up) | MinMax(minimum=s, maximum=s_up):
            row.update(s=s, S=s_up)
        case RQ(reorder_point=r, order_quantity=q):
            row.update(r=r, Q=q)
        case RS(review_period_days=period, order_up_to=s_up):
            row.update(R=period, S=s_up)
    match item.demand:
        case PoissonDemand(mean=mean):
            row.update(demand="poisson", mean=mean)
        case NormalDemand(mean=mean, sd=sd):
            row.update(demand="normal", mean=mean, sd=sd)
        case EmpiricalDemand(values=values):
            row.update(demand="empirical", history=" ".join(map(str, values)))
    if isinstance(item.lead_time, int):
        row["lead_time"] = item.lead_time
    else:
        row["lead_time_pmf"] = " ".join(f"{d}:{p}" for d, p in sorted(item.lead_time.items()))
    row.update(
        holding=item.holding_cost,
        backorder=item.backorder_cost,
        fixed_cost=item.fixed_cost,
        lost_share=item.lost_share,
        supplier=item.supplier,
        capacity=item.capacity,
    )
    return row


def write_catalog(path: str | Path, rows: Sequence[Mapping[str, object]]) -> None:
    """Write rows (``item_row`` plus any extra columns) as CSV."""
    extra = [k for r in rows for k in r if k not in COLUMNS]
    header = list(COLUMNS) + list(dict.fromkeys(extra))
    with replacing(path) as partial, partial.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
