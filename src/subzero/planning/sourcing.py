"""How one net requirement becomes purchase proposals, on the suppliers' terms.

The terms themselves (``SupplierTerms``, ``PriceBreak``, ``ExpediteOption``,
``CapacityPeriod``) are defined and checked in ``supplier_terms`` and importable from
here too.

Business rules (issue 7, "Supplier terms per item"; docs/replenishment.md has examples):

* **Timing.** ``order_date = need_date − L_α`` where L_α is the supplier's lead-time
  quantile at the planning service level α, never before today; ``due_date = order_date
  + L_α``. When ``due_date`` falls after ``need_date`` the proposal is *late* and its
  reason says by how many days.
* **Allowed quantities.** An order is a multiple of the lot size and at least the MOQ:
  the smallest allowed order ≥ q is ``lot · ⌈max(q, MOQ) / lot⌉``.
* **Price breaks** are all-units discounts: the whole order is priced at the highest break
  whose minimum it reaches. We order up to a break only when it pays: the saving
  ``c · (p(q) − p(c))`` on c units must exceed the cost of holding the extra units until
  the forecast (μ units/day) consumes them, ``h · p(c) · Σ_k (x + k)/μ`` for the extra
  units k = 1…c − q behind x units of forced rounding (h = holding rate per day).
  Silver, Pyke & Thomas, *Inventory and Production Management in Supply Chains*, 4th ed.,
  §5.5 (quantity discounts: compare the discount with the extra carrying cost).
* **Capacity** (units per day or per week, per supplier and item) is booked by due
  period; open firm orders use it first. What does not fit spills to the next period
  (later, and so maybe late) or, with several suppliers, to another supplier.
* **Several suppliers** (``split_requirement``): a pinned supplier takes all it can, the
  rest is split by a small mixed-integer programme (``_split_mip``) minimising landed cost
  = price + unreliability penalty + lateness (+ holding of any excess), subject to capacity,
  MOQ (a binary per order), lot multiples (integer lots) and price tiers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from subzero.domain.errors import InvalidParameter
from subzero.planning.supplier_terms import MAX_MONEY as MAX_MONEY  # importable here too
from subzero.planning.supplier_terms import (
    CapacityPeriod,
    ExpediteOption,
    PriceBreak,
    SupplierTerms,
)

__all__ = [
    "CapacityBook",
    "CapacityPeriod",
    "ExpediteOption",
    "PriceBreak",
    "Proposal",
    "SourcingContext",
    "SourcingSettings",
    "SupplierTerms",
    "period_start",
    "source_single",
    "split_requirement",
]

_DAYS_PER_YEAR = 365


def period_start(day: dt.date, period_days: int) -> dt.date:
    """First day of the ``period_days``-long period holding ``day``.

    Periods are counted from 0001-01-01, a Monday, so 7-day periods are ISO weeks.
    """
    if period_days < 1:
        raise InvalidParameter(f"period of {period_days} days; must be at least 1")
    ordinal = day.toordinal() - 1
    return dt.date.fromordinal(ordinal - ordinal % period_days + 1)


@dataclass(frozen=True, slots=True)
class SourcingSettings:
    """Planning parameters shared by every item of a run.

    Args:
        service_level: quantile of the lead time used for timing [α], in (0, 1).
        period_days: length of the due period of a proposal key (7 = ISO week).
        holding_rate_per_year: carrying charge [r] as a share of the unit price per year.
        unreliability_cost_per_unit: penalty per unit for a supplier's unreliability,
            charged as (1 − reliability) × this.
        lateness_cost_per_unit_day: penalty per unit per day a receipt lands after its need.
        max_spill_periods: capacity periods tried before giving up on a requirement.
        split_periods: capacity periods per supplier the split MIP may use.
        solver_time_limit_ms: work limit of the split MIP, in CP-SAT's deterministic time
            units (about milliseconds of solving), so results never depend on machine load.
    """

    service_level: float = 0.9
    period_days: int = 7
    holding_rate_per_year: Decimal = Decimal("0.25")
    unreliability_cost_per_unit: Decimal = Decimal("1.00")
    lateness_cost_per_unit_day: Decimal = Decimal("0.50")
    max_spill_periods: int = 13
    split_periods: int = 3
    solver_time_limit_ms: int = 2000

    def __post_init__(self) -> None:
        if self.period_days not in (1, 7):
            raise InvalidParameter(f"period of {self.period_days} days; use 1 (day) or 7 (week)")
        if not 0.0 < self.service_level < 1.0:
            raise InvalidParameter(f"service level {self.service_level}; must lie in (0, 1)")
        for what, value in (
            ("max_spill_periods", self.max_spill_periods),
            ("split_periods", self.split_periods),
            ("solver_time_limit_ms", self.solver_time_limit_ms),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameter(f"sourcing settings: {what}={value!r}; must be ≥ 1")
        for what, money in (
            ("holding_rate_per_year", self.holding_rate_per_year),
            ("unreliability_cost_per_unit", self.unreliability_cost_per_unit),
            ("lateness_cost_per_unit_day", self.lateness_cost_per_unit_day),
        ):
            if not isinstance(money, Decimal) or not money.is_finite() or money < 0:
                raise InvalidParameter(
                    f"sourcing settings: {what}={money!r}; must be a Decimal ≥ 0"
                )


@dataclass(frozen=True, slots=True)
class Proposal:
    """A purchase proposal: exactly the fields of issue 7's ``--json`` output."""

    sku: str
    supplier: str
    qty: int
    order_date: dt.date
    due_date: dt.date
    unit_price: Decimal
    reason: str
    expedite: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "sku": self.sku,
            "supplier": self.supplier,
            "qty": self.qty,
            "order_date": self.order_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "unit_price": str(self.unit_price),
            "reason": self.reason,
            "expedite": self.expedite,
        }


class CapacityBook:
    """Units booked per (supplier, capacity window) while one item is planned.

    The window is the supplier's capacity period, or the key period (``period_days``)
    when that is longer — a daily capacity then adds up over the key period, because one
    proposal per key may be delivered in daily instalments. Local, mutable state of one
    ``plan_item`` call; never shared between items.
    """

    __slots__ = ("_period_days", "_used")

    def __init__(self, period_days: int = 7) -> None:
        self._period_days = period_days
        self._used: dict[tuple[str, dt.date], int] = {}

    def _window(self, terms: SupplierTerms) -> tuple[int, int]:
        days = terms.capacity_period.days
        window = max(days, self._period_days)
        return window, (terms.capacity or 0) * window // days

    def free(self, terms: SupplierTerms, due: dt.date) -> int | None:
        """Units still free in the capacity window of ``due`` (None: unlimited)."""
        if terms.capacity is None:
            return None
        window, capacity = self._window(terms)
        used = self._used.get((terms.supplier, period_start(due, window)), 0)
        return max(0, capacity - used)

    def book(self, terms: SupplierTerms, due: dt.date, qty: int) -> None:
        key = (terms.supplier, period_start(due, self._window(terms)[0]))
        self._used[key] = self._used.get(key, 0) + qty

    def next_window(self, terms: SupplierTerms, due: dt.date) -> dt.date:
        """First day of the capacity window after the one holding ``due``."""
        window = self._window(terms)[0]
        return period_start(due, window) + dt.timedelta(days=window)


def _timing(
    terms: SupplierTerms, need: dt.date, today: dt.date, level: float, *, expedited: bool = False
) -> tuple[dt.date, dt.date]:
    lead = dt.timedelta(days=terms.lead_time_days(level, expedited=expedited))
    order = max(today, need - lead)
    return order, order + lead


def _late_note(due: dt.date, need: dt.date) -> str:
    late = (due - need).days
    return f"; late: arrives {due}, {late} days after the need on {need}" if late > 0 else ""


def _buy_up(
    terms: SupplierTerms, need: int, base: int, free: int | None, per_day: float, hold: Decimal
) -> tuple[int, str]:
    """Order up to a cheaper price break when the saving beats the holding (module doc)."""
    if per_day <= 0 or not terms.price_breaks:
        return base, ""
    forced = base - need
    best, best_gain, note = base, Decimal(0), ""
    for brk in terms.price_breaks:
        qty = terms.smallest_order(brk.min_qty)
        if qty <= base or (free is not None and qty > free):
            continue
        price = terms.price_for(qty)
        saving = qty * (terms.price_for(base) - price)
        extra = qty - base
        unit_days = (extra * forced + extra * (extra + 1) / 2) / per_day
        holding = hold * price * Decimal(str(round(unit_days, 4)))
        if saving - holding > best_gain:
            best, best_gain = qty, saving - holding
            note = (
                f"; price break: {qty} at {price} instead of {base} at {terms.price_for(base)} "
                f"saves {saving:.2f}, holding {extra} extra units costs {holding:.2f}"
            )
    return best, note


@dataclass(frozen=True, slots=True)
class SourcingContext:
    """What sourcing one item needs besides the requirement: shared by all its needs.

    ``book`` is the item's own capacity book (mutable, local to one ``plan_item`` call);
    ``demand_per_day`` is the forecast mean [μ] that consumes any extra units.
    """

    sku: str
    today: dt.date
    demand_per_day: float
    book: CapacityBook
    settings: SourcingSettings
    jit: bool = False


def source_single(
    ctx: SourcingContext,
    terms: SupplierTerms,
    qty: int,
    need: dt.date,
    reason: str,
    *,
    spill: bool = True,
) -> tuple[Proposal, ...]:
    """Proposals for ``qty`` units needed on ``need`` from one supplier (the fast path).

    Rounds to MOQ/lot, buys up to a price break when it pays (never for JIT items,
    which take the smallest allowed lot), books capacity and spills what does not fit to
    the next capacity periods (at most ``settings.max_spill_periods``; one if not
    ``spill``). Units that still do not fit are left out: the caller sees the shortfall.
    """
    settings = ctx.settings
    hold = settings.holding_rate_per_year / _DAYS_PER_YEAR
    order, due = _timing(terms, need, ctx.today, settings.service_level)
    lead = due - order
    out: list[Proposal] = []
    remaining = qty
    for _ in range(settings.max_spill_periods if spill else 1):
        if remaining <= 0:
            break
        free = ctx.book.free(terms, due)
        take = terms.smallest_order(remaining)
        note = ""
        if free is not None and take > free:
            take = terms.largest_order(free)
            note = f"; capacity {terms.capacity}/{terms.capacity_period} allows {take}"
        elif not ctx.jit:
            take, note = _buy_up(terms, remaining, take, free, ctx.demand_per_day, hold)
        if take > 0:
            ctx.book.book(terms, due, take)
            note += "; spilled to a later period (capacity)" if out else ""
            price = terms.price_for(take)
            text = reason + note + _late_note(due, need)
            out.append(Proposal(ctx.sku, terms.supplier, take, order, due, price, text))
            remaining -= take
        due = ctx.book.next_window(terms, due)
        order = due - lead
    return tuple(out)


def split_requirement(
    ctx: SourcingContext,
    suppliers: Sequence[SupplierTerms],
    qty: int,
    need: dt.date,
    reason: str,
) -> tuple[Proposal, ...]:
    """Proposals for ``qty`` units needed on ``need`` from one or several suppliers.

    A pinned (``preferred``) supplier takes all its capacity allows in the need period;
    one clearly cheapest supplier that can take everything on time, in exact lots, is used
    alone without a solver; otherwise the split MIP decides (``_split_mip``). What
    no supplier can take in the MIP's periods spills to the supplier of lowest landed cost.
    """
    if len(suppliers) == 1:
        return source_single(ctx, suppliers[0], qty, need, reason)
    out: list[Proposal] = []
    remaining = qty
    pinned = [t for t in suppliers if t.preferred]
    others = [t for t in suppliers if not t.preferred]
    for terms in pinned:
        got = source_single(ctx, terms, remaining, need, reason + "; pinned supplier", spill=False)
        out.extend(got)
        remaining -= sum(p.qty for p in got)
    if remaining > 0 and not others:
        out.extend(source_single(ctx, pinned[0], remaining, need, reason + "; pinned supplier"))
    if remaining <= 0 or not others:
        return tuple(out)
    settings = ctx.settings
    ranked = sorted(others, key=lambda t: (_landed(t, remaining, settings), t.supplier))
    best = ranked[0]
    _, due = _timing(best, need, ctx.today, settings.service_level)
    free = ctx.book.free(best, due)
    exact = best.smallest_order(remaining) == remaining and (free is None or remaining <= free)
    cheapest = all(
        _landed(best, remaining, settings) <= _landed(t, None, settings) for t in ranked[1:]
    )
    if exact and cheapest and due <= need:
        out.extend(source_single(ctx, best, remaining, need, reason + "; lowest landed cost"))
        return tuple(out)
    got = _split_mip(ctx, others, remaining, need, reason)
    out.extend(got)
    remaining -= sum(p.qty for p in got)
    if remaining > 0:
        out.extend(source_single(ctx, best, remaining, need, reason + "; beyond the split"))
    return tuple(out)


def _scaled(cost: float) -> int:
    """A cost per unit as an integer in thousandths (CP-SAT needs integer coefficients)."""
    return round(cost * 1000)


def _landed(terms: SupplierTerms, qty: int | None, settings: SourcingSettings) -> Decimal:
    """Price (at ``qty``, or the best break if None) plus the unreliability penalty."""
    if qty is None:
        price = min([terms.unit_price, *(b.unit_price for b in terms.price_breaks)])
    else:
        price = terms.price_for(terms.smallest_order(qty))
    return price + Decimal(str(1.0 - terms.reliability)) * settings.unreliability_cost_per_unit


@dataclass(frozen=True, slots=True)
class _Option:
    terms: SupplierTerms
    order: dt.date
    due: dt.date
    cap: int


def _options(
    suppliers: Sequence[SupplierTerms],
    qty: int,
    need: dt.date,
    today: dt.date,
    book: CapacityBook,
    settings: SourcingSettings,
    jit: bool,
) -> list[_Option]:
    out = []
    for terms in suppliers:
        order, due = _timing(terms, need, today, settings.service_level)
        lead = due - order
        upper = terms.smallest_order(qty)
        if not jit:
            upper = max([upper, *(terms.smallest_order(b.min_qty) for b in terms.price_breaks)])
        for _ in range(settings.split_periods):
            free = book.free(terms, due)
            cap = upper if free is None else min(upper, terms.largest_order(free))
            if cap > 0:
                out.append(_Option(terms, order, due, cap))
            due = book.next_window(terms, due)
            order = due - lead
    return out


def _split_mip(
    ctx: SourcingContext,
    suppliers: Sequence[SupplierTerms],
    qty: int,
    need: dt.date,
    reason: str,
) -> tuple[Proposal, ...]:
    """Split ``qty`` across supplier × capacity-period options by a small MIP.

    Solved by OR-Tools CP-SAT (one worker, fixed seed: deterministic):

    minimise  Σ_o Σ_b (p_b + (1 − ρ_s) c_u + c_l · late_o) w_ob + Σ_k h_k e_k + M u
    s.t.      Σ_b w_ob = lot_s · n_o,   n_o ∈ ℤ≥0            (lot multiples)
              lo_b z_ob ≤ w_ob ≤ hi_b z_ob,  Σ_b z_ob ≤ 1   (MOQ and all-units tiers)
              Σ_o Σ_b w_ob + u − Σ_k e_k = qty              (cover; e = excess, u = unmet)
              w_ob ≤ capacity free in the option's period
    where the excess e is priced by a convex piecewise-linear holding cost (units held
    until the forecast consumes them) and u, what no option can take, by a large M.
    """
    from ortools.sat.python import cp_model

    settings, jit, book = ctx.settings, ctx.jit, ctx.book
    options = _options(suppliers, qty, need, ctx.today, book, settings, jit)
    if not options:
        return ()
    model = cp_model.CpModel()
    unrel = float(settings.unreliability_cost_per_unit)
    late_cost = float(settings.lateness_cost_per_unit_day)
    covered: list[cp_model.IntVar] = []
    objective: list[cp_model.LinearExprT] = []
    lots = []
    for i, opt in enumerate(options):
        terms = opt.terms
        n = model.new_int_var(0, opt.cap // terms.lot_size, f"n{i}")
        lots.append(n)
        tiers = [(1, terms.unit_price)] + [(b.min_qty, b.unit_price) for b in terms.price_breaks]
        ws, zs = [], []
        for j, (lo_qty, price) in enumerate(tiers):
            lo = max(lo_qty, terms.moq)
            hi = min(tiers[j + 1][0] - 1 if j + 1 < len(tiers) else opt.cap, opt.cap)
            if lo > hi:
                continue
            w = model.new_int_var(0, hi, f"w{i}_{j}")
            z = model.new_bool_var(f"z{i}_{j}")
            model.add(w >= lo * z)
            model.add(w <= hi * z)
            late = max(0, (opt.due - need).days)
            unit = float(price) + (1.0 - terms.reliability) * unrel + late_cost * late
            objective.append(_scaled(unit) * w)
            ws.append(w)
            zs.append(z)
        model.add(sum(zs) <= 1)
        model.add(sum(ws) == terms.lot_size * n)
        covered.extend(ws)
    prices = [float(o.terms.price_for(o.terms.smallest_order(qty))) for o in options]
    reference = min(prices)
    hold_day = float(settings.holding_rate_per_year) / _DAYS_PER_YEAR
    width = max(1, -(-sum(o.cap for o in options) // 8))
    excess = []
    for k in range(8):
        e = model.new_int_var(0, width, f"e{k}")
        mu = ctx.demand_per_day
        days = (k * width + width / 2 + 0.5) / mu if mu > 0 else 365.0
        slope = hold_day * reference * min(days, 365.0) + (reference if jit else 0.0)
        objective.append(_scaled(slope) * e)
        excess.append(e)
    unmet = model.new_int_var(0, qty, "u")
    objective.append(_scaled(1000.0 * (max(prices) + unrel + 1.0)) * unmet)
    model.add(sum(covered) + unmet - sum(excess) == qty)
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    # a deterministic (work-based) limit: the answer never depends on machine load
    solver.parameters.max_deterministic_time = settings.solver_time_limit_ms / 1000
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ()
    chosen = [
        (opt, opt.terms.lot_size * solver.value(n)) for opt, n in zip(options, lots, strict=True)
    ]
    chosen = [(opt, q) for opt, q in chosen if q > 0]
    summary = ", ".join(
        f"{opt.terms.supplier} {q} due {opt.due} at {_landed(opt.terms, q, settings):.2f}/unit"
        for opt, q in chosen
    )
    note = f"; split {qty} by landed cost (price + unreliability + lateness): {summary}"
    out = []
    for opt, q in chosen:
        book.book(opt.terms, opt.due, q)
        text = reason + note + _late_note(opt.due, need)
        price = opt.terms.price_for(q)
        out.append(Proposal(ctx.sku, opt.terms.supplier, q, opt.order, opt.due, price, text))
    return tuple(out)
