"""What one supplier offers for one item, checked: ``SupplierTerms`` and its parts.

Lead time (fixed days or a fitted ``LeadTimeDistribution``, read at a service level),
price with all-units price breaks, MOQ and lot size, capacity per day or week,
reliability, an optional expedite option and whether the supplier is pinned. A term out
of range is refused on construction, naming the supplier and the value; money is at
most ``MAX_MONEY`` with 4 decimals, as stored. How terms turn requirements into
proposals is ``sourcing``'s business (issue 7, "Supplier terms per item").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from subzero.domain.errors import InvalidParameter
from subzero.domain.purchasing import all_units_price
from subzero.planning.leadtime import LeadTimeDistribution

__all__ = [
    "MAX_MONEY",
    "CapacityPeriod",
    "ExpediteOption",
    "PriceBreak",
    "SupplierTerms",
]


class CapacityPeriod(enum.StrEnum):
    """The period a supplier's capacity is stated for."""

    DAY = "day"
    WEEK = "week"

    @property
    def days(self) -> int:
        return 1 if self is CapacityPeriod.DAY else 7


@dataclass(frozen=True, slots=True)
class PriceBreak:
    """All-units discount: an order of at least ``min_qty`` costs ``unit_price`` per unit."""

    min_qty: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class ExpediteOption:
    """A faster delivery at an extra cost per unit (air freight, priority slot)."""

    lead_time: int | LeadTimeDistribution
    extra_cost_per_unit: Decimal


def _lead_days(lead_time: int | LeadTimeDistribution, level: float) -> int:
    return lead_time if isinstance(lead_time, int) else lead_time.quantile(level)


def _check_lead_time(supplier: str, what: str, lead_time: object) -> None:
    if isinstance(lead_time, LeadTimeDistribution):
        return
    if isinstance(lead_time, bool) or not isinstance(lead_time, int) or lead_time < 0:
        raise InvalidParameter(
            f"supplier {supplier}: {what} {lead_time!r}; use whole days ≥ 0 or a "
            "LeadTimeDistribution"
        )


def _check_whole(supplier: str, what: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidParameter(
            f"supplier {supplier}: {what} {value!r}; must be a whole number ≥ {minimum}"
        )


MAX_MONEY = Decimal("9999999999.9999")
"""The largest amount stored (``NUMERIC(14, 4)``): prices have at most 4 decimals."""


def _check_money(supplier: str, what: str, value: object) -> None:
    shown = str(value)
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise InvalidParameter(f"supplier {supplier}: {what} {shown}; must be a number ≥ 0")
    if value > MAX_MONEY or value != value.quantize(Decimal("0.0001")):
        raise InvalidParameter(
            f"supplier {supplier}: {what} {shown}; must be at most {MAX_MONEY} with at most "
            "4 decimals"
        )


@dataclass(frozen=True, slots=True)
class SupplierTerms:
    """What one supplier offers for one item.

    Args:
        supplier: the supplier's name.
        lead_time: days from order to receipt [L], fixed or a fitted distribution.
        unit_price: price per unit below the first break.
        price_breaks: all-units discounts, minimum quantities strictly increasing and
            prices not increasing.
        moq: minimum order quantity, ≥ 1.
        lot_size: orders are multiples of it, ≥ 1.
        capacity: units the supplier can deliver per ``capacity_period`` (None: no limit).
        capacity_period: ``day`` or ``week``.
        reliability: share of orders delivered on time, 0–1.
        expedite: an optional faster delivery at extra cost.
        preferred: pinned: this supplier takes all it can before any other.

    Raises:
        InvalidParameter: any term out of range, with the supplier and the bad value.
    """

    supplier: str
    lead_time: int | LeadTimeDistribution
    unit_price: Decimal
    price_breaks: tuple[PriceBreak, ...] = ()
    moq: int = 1
    lot_size: int = 1
    capacity: int | None = None
    capacity_period: CapacityPeriod = CapacityPeriod.WEEK
    reliability: float = 1.0
    expedite: ExpediteOption | None = None
    preferred: bool = False

    def __post_init__(self) -> None:
        name = self.supplier
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameter(f"supplier name {name!r}; must be a non-empty text")
        _check_lead_time(name, "lead time", self.lead_time)
        _check_money(name, "unit price", self.unit_price)
        _check_whole(name, "MOQ", self.moq, 1)
        _check_whole(name, "lot size", self.lot_size, 1)
        if not isinstance(self.reliability, int | float) or not 0.0 <= self.reliability <= 1.0:
            raise InvalidParameter(
                f"supplier {name}: reliability {self.reliability!r}; must lie in 0–1"
            )
        last_qty, last_price = 1, self.unit_price
        for brk in self.price_breaks:
            _check_whole(name, "price break quantity", brk.min_qty, 2)
            _check_money(name, f"price at break {brk.min_qty}", brk.unit_price)
            if brk.min_qty <= last_qty:
                raise InvalidParameter(
                    f"supplier {name}: price break at {brk.min_qty} must come after {last_qty}; "
                    "list breaks by increasing quantity"
                )
            if brk.unit_price > last_price:
                raise InvalidParameter(
                    f"supplier {name}: price break at {brk.min_qty} ({brk.unit_price}) is dearer "
                    f"than {last_price} below it"
                )
            last_qty, last_price = brk.min_qty, brk.unit_price
        if self.capacity is not None:
            _check_whole(name, "capacity", self.capacity, 1)
            if self.largest_order(self.capacity) == 0:
                raise InvalidParameter(
                    f"supplier {name}: capacity {self.capacity}/{self.capacity_period} cannot "
                    f"fit one order (MOQ {self.moq}, lot {self.lot_size}: smallest order "
                    f"{self.smallest_order(1)})"
                )
        if self.expedite is not None:
            _check_lead_time(name, "expedite lead time", self.expedite.lead_time)
            _check_money(name, "expedite extra cost", self.expedite.extra_cost_per_unit)
            fast = _lead_days(self.expedite.lead_time, 0.5)
            normal = _lead_days(self.lead_time, 0.5)
            if fast >= normal:
                raise InvalidParameter(
                    f"supplier {name}: expedite lead time {fast} days is not shorter than the "
                    f"normal {normal} days"
                )

    def lead_time_days(self, service_level: float, *, expedited: bool = False) -> int:
        """Lead time [L_α] in days at ``service_level`` (the expedite option's if asked)."""
        if expedited:
            if self.expedite is None:
                raise InvalidParameter(f"supplier {self.supplier} has no expedite option")
            return _lead_days(self.expedite.lead_time, service_level)
        return _lead_days(self.lead_time, service_level)

    def price_for(self, qty: int) -> Decimal:
        """Unit price of an order of ``qty`` units (all-units discount)."""
        return all_units_price(
            self.unit_price, ((b.min_qty, b.unit_price) for b in self.price_breaks), qty
        )

    def smallest_order(self, at_least: int) -> int:
        """Smallest allowed order (≥ MOQ, a lot multiple) of at least ``at_least`` units."""
        lot = self.lot_size
        return lot * -(-max(at_least, self.moq) // lot)

    def largest_order(self, at_most: int) -> int:
        """Largest allowed order of at most ``at_most`` units, or 0 if none fits."""
        qty = self.lot_size * (max(at_most, 0) // self.lot_size)
        return qty if qty >= self.moq else 0

    def allows(self, qty: int) -> bool:
        """True when ``qty`` is a lot multiple ≥ MOQ."""
        return qty >= self.moq and qty % self.lot_size == 0
