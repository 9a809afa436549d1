"""What running below zero cost, from the ledger: the simulator's cost terms.

The simulator charges, per day, h·(end-of-day stock on hand) + p·(end-of-day units
backordered) + p·(units lost) + K per order + the expedite cost (``docs/simulator.md``).
The ledger gives the same drivers:

* **held unit-days** — the sum over the window's days (up to today) of the end-of-day
  stock on hand of the group's items (the stock moves);
* **backordered unit-days** — for the lines placed in the window, their backordered
  units times the days' ends they waited (placement day to the day the line was ready,
  to the day the customer cancelled it while it waited, or to today if it still waits);
  like the wait KPI, a line's backordered units wait until the whole line is ready;
* **lost units** — refused requests beyond what the same customer then ordered of the
  item that day (``service.demand.refused_extra``), on the window's days;
* **purchase orders** sent in the window (each costs K);
* **expedite premium** — for the expedited POs sent in the window, their units times
  the PO's unit price above the item's own supplier's price for that quantity (money,
  from the prices; a PO without a price counts its units but no premium).

The rates h, p and K are not stored: the report takes them, as ``subzero simulate``
does. A cost whose rate is not given is None; the total adds the costs that are known.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from subzero.domain.errors import InvalidParameter
from subzero.domain.orders import OrderLine
from subzero.domain.purchasing import PurchaseOrder, SupplierItem

__all__ = ["CostRates", "LedgerCosts", "backordered_unit_days", "expedite_premium"]


@dataclass(frozen=True, slots=True)
class CostRates:
    """Cost rates: h per unit per day on hand, p per unit per day backordered (and per
    unit lost), K per purchase order. None: not given.

    Raises:
        InvalidParameter: a rate is negative or not finite.
    """

    holding: float | None = None
    backorder: float | None = None
    fixed: float | None = None

    def __post_init__(self) -> None:
        for flag, rate in self._by_flag():
            if rate is not None and not (math.isfinite(rate) and rate >= 0):
                raise InvalidParameter(f"{flag} {rate}: a cost rate must be a number ≥ 0")

    def _by_flag(self) -> tuple[tuple[str, float | None], ...]:
        return (
            ("--holding", self.holding),
            ("--backorder", self.backorder),
            ("--fixed-cost", self.fixed),
        )

    @property
    def given(self) -> bool:
        """At least one rate was given."""
        return any(rate is not None for _, rate in self._by_flag())

    def missing(self) -> list[str]:
        """The options of the rates not given."""
        return [flag for flag, rate in self._by_flag() if rate is None]


@dataclass(frozen=True, slots=True)
class LedgerCosts:
    """A group's cost drivers over ``days`` days and, with rates, its costs.

    Figures that do not belong to a customer (stock held, POs, expedites, lost units,
    which the ledger does not tie to one customer) are None in a customer's row.
    """

    days: int
    held_unit_days: float | None
    backordered_unit_days: int
    lost_units: int | None
    purchase_orders: int | None
    expedited_units: int | None
    expedite_premium: float | None
    rates: CostRates

    def _cost(self, rate: float | None, amount: float | None) -> float | None:
        return None if rate is None or amount is None else rate * amount

    @property
    def holding(self) -> float | None:
        return self._cost(self.rates.holding, self.held_unit_days)

    @property
    def backorder(self) -> float | None:
        return self._cost(self.rates.backorder, self.backordered_unit_days)

    @property
    def lost_sales(self) -> float | None:
        return self._cost(self.rates.backorder, self.lost_units)

    @property
    def ordering(self) -> float | None:
        return self._cost(self.rates.fixed, self.purchase_orders)

    @property
    def total(self) -> float | None:
        """The known costs added up (None when no rate was given)."""
        if not self.rates.given:
            return None
        parts = (self.holding, self.backorder, self.lost_sales, self.ordering)
        return sum(p for p in (*parts, self.expedite_premium) if p is not None)

    @property
    def total_per_day(self) -> float | None:
        total = self.total
        return None if total is None or not self.days else total / self.days

    def as_dict(self) -> dict[str, Any]:
        def money(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        return {
            "days": self.days,
            "held_unit_days": None if self.held_unit_days is None else round(self.held_unit_days),
            "backordered_unit_days": self.backordered_unit_days,
            "lost_units": self.lost_units,
            "purchase_orders": self.purchase_orders,
            "expedited_units": self.expedited_units,
            "expedite_premium": money(self.expedite_premium),
            "holding_cost": money(self.holding),
            "backorder_cost": money(self.backorder),
            "lost_sales_cost": money(self.lost_sales),
            "ordering_cost": money(self.ordering),
            "total_cost": money(self.total),
            "total_cost_per_day": money(self.total_per_day),
        }


def backordered_unit_days(
    lines: Iterable[OrderLine],
    *,
    now: dt.datetime,
    cancelled_at: Mapping[int, dt.datetime] | None = None,
) -> int:
    """Σ backordered units × days' ends waited over ``lines`` (see the module docstring).

    ``cancelled_at``: when each line (by id) was last cancelled (``LineCancelled``); a
    line cancelled before it was ever ready waited until then (left out when unknown).
    """
    total = 0
    for line in lines:
        short = line.qty - line.served_from_stock
        if short <= 0:
            continue
        if line.cancelled and line.filled_at is None:
            gave_up = (cancelled_at or {}).get(line.id or 0)
            if gave_up is None:
                continue
            end = gave_up
        else:
            end = line.filled_at or now
        total += short * max((end.date() - line.placed_at.date()).days, 0)
    return total


def expedite_premium(
    pos: Sequence[PurchaseOrder], terms: dict[tuple[int, int], SupplierItem]
) -> tuple[int, float]:
    """(units, premium) of the expedited POs among ``pos``; ``terms`` by (item id,
    supplier id). The premium per unit is the PO's unit price above the price the item's
    own supplier asks for that quantity (no premium without both prices)."""
    units = 0
    premium = Decimal(0)
    for po in pos:
        if not po.expedite:
            continue
        units += po.qty
        own = terms.get((po.item.id or 0, po.item.supplier.id or 0))
        if po.unit_price is None or own is None:
            continue
        premium += max(Decimal(po.unit_price) - own.price_for(po.qty), Decimal(0)) * po.qty
    return units, float(premium)
