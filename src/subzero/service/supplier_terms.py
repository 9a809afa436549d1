"""Supplier terms per item: set them, and turn them into the planning code's terms.

Each (item, supplier) pair has one set of terms: price and all-units price breaks,
MOQ, lot size, capacity per day or week, lead time (the supplier's unless overridden),
an optional expedite option, and whether the supplier is the item's preferred (pinned)
source. The item's own supplier is always a source, on its default terms until some are
set. Values are checked by ``planning.sourcing.SupplierTerms`` before anything is
written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from subzero.domain.commands import SetSupplierTerms
from subzero.domain.errors import InvalidParameter, NotFound
from subzero.domain.events import SupplierTermsSet
from subzero.domain.items import Item
from subzero.domain.purchasing import SupplierItem
from subzero.service.context import Context
from subzero.service.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from subzero.planning.sourcing import CapacityPeriod, SupplierTerms
    from subzero.service.lead_times import LeadTime

__all__ = ["check_terms", "planning_terms", "set_supplier_terms", "terms_view"]


def check_terms(cmd: SetSupplierTerms, supplier_lead_time_days: int) -> CapacityPeriod:
    """Check the terms as the planning code will use them (raises InvalidParameter
    naming the bad term); returns the capacity period."""
    from subzero.planning.sourcing import CapacityPeriod, ExpediteOption, PriceBreak
    from subzero.planning.sourcing import SupplierTerms as Checked

    try:
        period = CapacityPeriod(cmd.capacity_period)
    except ValueError:
        raise InvalidParameter(
            f"capacity period {cmd.capacity_period!r}; use day or week"
        ) from None
    if (cmd.expedite_lead_time_days is None) != (cmd.expedite_cost_per_unit is None):
        raise InvalidParameter("an expedite option needs both its lead time and its extra cost")
    Checked(
        supplier=cmd.supplier,
        lead_time=supplier_lead_time_days if cmd.lead_time_days is None else cmd.lead_time_days,
        unit_price=Decimal(cmd.unit_price),
        price_breaks=tuple(PriceBreak(q, Decimal(p)) for q, p in cmd.price_breaks),
        moq=cmd.moq,
        lot_size=cmd.lot_size,
        capacity=cmd.capacity,
        capacity_period=period,
        expedite=(
            ExpediteOption(cmd.expedite_lead_time_days, Decimal(cmd.expedite_cost_per_unit))
            if cmd.expedite_lead_time_days is not None and cmd.expedite_cost_per_unit is not None
            else None
        ),
        preferred=cmd.preferred,
    )
    return period


def set_supplier_terms(cmd: SetSupplierTerms, *, uow: UnitOfWork, ctx: Context) -> str:
    item = uow.items.get(cmd.sku, lock=True)
    if item is None:
        raise NotFound(f"SKU {cmd.sku!r} not found")
    supplier = uow.suppliers.get(cmd.supplier)
    if supplier is None:
        raise NotFound(f"supplier {cmd.supplier!r} not found")
    period = check_terms(cmd, supplier.lead_time_days)
    existing = {t.supplier.id: t for t in uow.items.terms(item)}
    terms = existing.get(supplier.id)
    if terms is None:
        terms = SupplierItem(item, supplier)
        uow.items.add_terms(terms)
    terms.unit_price = Decimal(cmd.unit_price)
    terms.set_breaks([(q, Decimal(p)) for q, p in cmd.price_breaks])
    terms.moq, terms.lot_size = cmd.moq, cmd.lot_size
    terms.capacity, terms.capacity_period = cmd.capacity, period.value
    terms.lead_time_days = cmd.lead_time_days
    terms.expedite_lead_time_days = cmd.expedite_lead_time_days
    terms.expedite_cost_per_unit = (
        None if cmd.expedite_cost_per_unit is None else Decimal(cmd.expedite_cost_per_unit)
    )
    terms.preferred = cmd.preferred
    if cmd.preferred:
        for other in existing.values():
            if other is not terms:
                other.preferred = False
    uow.record(SupplierTermsSet(item.sku, supplier.name, terms_view(terms)), ctx.now)
    uow.commit()
    return item.sku


def terms_view(terms: SupplierItem) -> dict[str, object]:
    return {
        "sku": terms.item.sku,
        "supplier": terms.supplier.name,
        "unit_price": str(terms.unit_price),
        "price_breaks": [[q, str(p)] for q, p in terms.breaks()],
        "moq": terms.moq,
        "lot_size": terms.lot_size,
        "capacity": terms.capacity,
        "capacity_period": terms.capacity_period,
        "lead_time_days": terms.lead_time_days,
        "expedite_lead_time_days": terms.expedite_lead_time_days,
        "expedite_cost_per_unit": (
            None if terms.expedite_cost_per_unit is None else str(terms.expedite_cost_per_unit)
        ),
        "preferred": terms.preferred,
    }


def planning_terms(
    item: Item,
    rows: list[SupplierItem],
    lead_times: dict[int, LeadTime],
    reliability: dict[int, float],
) -> tuple[SupplierTerms, ...]:
    """The item's sources for the planning code: its terms rows, plus its own supplier
    on default terms when it has none. A supplier's learned lead time is used unless the
    terms override it."""
    from subzero.planning.sourcing import CapacityPeriod, ExpediteOption, PriceBreak
    from subzero.planning.sourcing import SupplierTerms as Terms

    by_supplier = {t.supplier.id: t for t in rows}
    out = []
    if item.supplier.id not in by_supplier:
        sid = item.supplier.id or 0
        out.append(
            Terms(
                item.supplier.name,
                lead_times[sid][0],
                Decimal(0),
                reliability=reliability.get(sid, 1.0),
            )
        )
    for t in rows:
        sid = t.supplier.id or 0
        out.append(
            Terms(
                supplier=t.supplier.name,
                lead_time=lead_times[sid][0] if t.lead_time_days is None else t.lead_time_days,
                unit_price=Decimal(t.unit_price),
                price_breaks=tuple(PriceBreak(q, p) for q, p in t.breaks()),
                moq=t.moq,
                lot_size=t.lot_size,
                capacity=t.capacity,
                capacity_period=CapacityPeriod(t.capacity_period),
                reliability=reliability.get(sid, 1.0),
                expedite=(
                    ExpediteOption(t.expedite_lead_time_days, Decimal(t.expedite_cost_per_unit))
                    if t.expedite_lead_time_days is not None
                    and t.expedite_cost_per_unit is not None
                    else None
                ),
                preferred=t.preferred,
            )
        )
    return tuple(out)
