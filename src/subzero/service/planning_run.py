"""The planning run: for every item, forecast → policy → net requirements → purchase
proposals (``subzero plan``), and releasing the due proposals as purchase orders.

Gathering reads the whole state in one transaction with bulk queries (stock, open
lines, open purchase orders, supplier terms, learned lead times and on-time shares,
the order history). The computation runs outside any transaction on partitions of items
(``planning.pipeline``) through a *mapper* the caller supplies: in this process, or on
a Dask cluster (``adapters.dask``); the partitions are the same either way, so the
results are identical.

Every open purchase order — sent or draft — counts as supply, so a run after
``--apply`` proposes nothing new for the same need (idempotent), and nothing that
make-to-order replenishment already ordered is ordered twice. Only proposals whose
order date has come are released; later ones are planned orders, shown but not yet
purchase orders (a later run releases them when due).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from subzero.domain.commands import ApplyProposals
from subzero.domain.errors import InvalidParameter, NotFound
from subzero.domain.events import PurchaseOrderChanged, PurchaseOrderCreated
from subzero.domain.purchasing import POStatus, PurchaseOrder, due_period
from subzero.service.context import Context
from subzero.service.orders import lock_items
from subzero.service.rebalance import rebalance
from subzero.service.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from subzero.planning.pipeline import PlanPartition
    from subzero.planning.replenish import ItemPlan
    from subzero.planning.sourcing import Proposal

    Mapper = Callable[
        [Callable[[PlanPartition], list[ItemPlan]], Sequence[PlanPartition]],
        list[list[ItemPlan]],
    ]

__all__ = ["PlanRun", "apply_proposals", "gather_partitions", "local_mapper", "plan"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PlanRun:
    proposals: tuple[Proposal, ...]
    items: int
    seconds: float
    unsourced: tuple[tuple[str, int], ...]
    forecast_days_extended: int = 0
    """Days at the end of the horizon the stored forecast did not reach, continued from
    its last week (``forecast_horizon.extend_forecast``); 0 for a fresh forecast."""


def local_mapper(
    fn: Callable[[PlanPartition], list[ItemPlan]], parts: Sequence[PlanPartition]
) -> list[list[ItemPlan]]:
    """Run the partitions one after the other in this process."""
    return [fn(part) for part in parts]


def gather_partitions(
    uow: UnitOfWork,
    ctx: Context,
    *,
    horizon_days: int,
    skus: Sequence[str] = (),
    history_days: int = 365,
    forecast_source: str = "fresh",
    partition_size: int | None = None,
) -> tuple[list[PlanPartition], int, int]:
    """The run's partitions, its number of items (vendor-managed items are left to
    their suppliers) and the days at the end of the horizon a stored forecast did not
    reach. ``forecast_source``: ``fresh`` forecasts from the order history in the run;
    ``stored`` uses the latest stored forecast run: one that ends before today is
    refused, and one that ends before the horizon does is continued from its last week
    (``forecast_horizon.extend_forecast``), not read as zero demand."""
    import numpy as np

    from subzero.planning.forecast_horizon import extend_forecast
    from subzero.planning.pipeline import PLAN_PARTITION_SIZE, partitions
    from subzero.planning.policies.kinds import policy_from_text
    from subzero.planning.replenish import ItemPlanInput, ItemState, OpenOrder
    from subzero.service.demand import order_history_frame
    from subzero.service.lead_times import supplier_lead_time, supplier_reliability
    from subzero.service.supplier_terms import planning_terms

    if not 1 <= horizon_days <= 366:
        raise InvalidParameter(f"horizon {horizon_days} days; use 1-366")
    if forecast_source not in ("fresh", "stored"):
        raise InvalidParameter(f"forecast source {forecast_source!r}; use fresh or stored")
    with uow:
        wanted = set(skus)
        items = [i for i in uow.items.list() if (not wanted or i.sku in wanted) and not i.vmi]
        missing = wanted - {i.sku for i in uow.items.list()}
        if missing:
            raise NotFound(f"SKU(s) not found: {', '.join(sorted(missing))}")
        totals = uow.orders.open_totals()
        pos_by_item: dict[int, list[PurchaseOrder]] = {}
        for po in uow.purchase_orders.open_all():
            pos_by_item.setdefault(po.item.id or 0, []).append(po)
        terms_by_item: dict[int, list[object]] = {}
        for terms in uow.items.all_terms():
            terms_by_item.setdefault(terms.item.id or 0, []).append(terms)
        suppliers = {s.id or 0: s for s in uow.suppliers.list()}
        lead_times = {sid: supplier_lead_time(uow, s) for sid, s in suppliers.items()}
        reliability = {sid: supplier_reliability(uow, s)[0] for sid, s in suppliers.items()}
        history = None
        stored: dict[str, np.ndarray] = {}
        extended = 0
        if forecast_source == "fresh":
            since = ctx.today - dt.timedelta(days=history_days)
            history = order_history_frame(uow, since=since, until=ctx.today)
        else:
            run = uow.forecasts.latest_run()
            if run is None:
                raise InvalidParameter("no stored forecast: run `subzero forecast --from-ledger`")
            ends = run.at.date() + dt.timedelta(days=run.horizon)  # its first day not forecast
            if ends <= ctx.today:
                raise InvalidParameter(
                    f"the latest stored forecast (run {run.id}, made {run.at.date()}, "
                    f"{run.horizon} days) ended on {ends - dt.timedelta(days=1)}: run "
                    "`subzero forecast --from-ledger` again, or plan with --forecast fresh"
                )
            covered = min(horizon_days, (ends - ctx.today).days)
            until = ctx.today + dt.timedelta(days=covered)
            statistical: dict[str, np.ndarray] = {}
            for value in uow.forecasts.values(run.id, since=ctx.today, before=until):
                offset = (value.ds - ctx.today).days
                stored.setdefault(value.sku, np.zeros(covered))[offset] = value.mean
                statistical.setdefault(value.sku, np.zeros(covered))[offset] = (
                    value.statistical_mean
                )
            if covered < horizon_days:
                extended = horizon_days - covered
                # an override is for its day: the days past the run continue the
                # statistical forecast, not a one-off order every week
                stored = {
                    sku: extend_forecast(v, horizon_days, statistical=statistical[sku])
                    for sku, v in stored.items()
                }
        inputs = []
        for item in items:
            allocated, backordered, promise = totals.get(item.id or 0, (0, 0, None))
            open_orders = tuple(
                OpenOrder(
                    po.supplier.name,
                    po.outstanding,
                    po.expected_date,
                    draft=False,
                    po_id=po.id,
                    expedite=po.expedite,
                )
                for po in pos_by_item.get(item.id or 0, [])
            )
            inputs.append(
                ItemPlanInput(
                    state=ItemState(
                        item.sku, item.on_hand, allocated, backordered, open_orders, promise
                    ),
                    policy=policy_from_text(item.policy),
                    forecast=stored.get(item.sku, np.zeros(horizon_days)),
                    suppliers=planning_terms(
                        item,
                        terms_by_item.get(item.id or 0, []),  # type: ignore[arg-type]
                        lead_times,
                        reliability,
                    ),
                    jit=item.jit,
                )
            )
    parts = partitions(
        inputs,
        today=ctx.today,
        horizon_days=horizon_days,
        history=history,
        size=partition_size or PLAN_PARTITION_SIZE,
    )
    return parts, len(inputs), extended


def plan(
    uow: UnitOfWork,
    ctx: Context,
    *,
    horizon_days: int = 28,
    skus: Sequence[str] = (),
    forecast_source: str = "fresh",
    mapper: Mapper | None = None,
    partition_size: int | None = None,
) -> PlanRun:
    """Run the planning run (nothing is written; see ``ApplyProposals``)."""
    from subzero.planning.pipeline import run_partition

    start = time.perf_counter()
    parts, n_items, extended = gather_partitions(
        uow,
        ctx,
        horizon_days=horizon_days,
        skus=skus,
        forecast_source=forecast_source,
        partition_size=partition_size,
    )
    results = (mapper or local_mapper)(run_partition, parts)
    plans = [p for chunk in results for p in chunk]
    proposals = tuple(
        sorted(
            (pr for p in plans for pr in p.proposals),
            key=lambda pr: (pr.sku, pr.order_date, pr.supplier, pr.expedite),
        )
    )
    seconds = time.perf_counter() - start
    logger.info(
        "planned %d items in %d partitions in %.1fs: %d proposals",
        n_items,
        len(parts),
        seconds,
        len(proposals),
    )
    return PlanRun(
        proposals,
        n_items,
        seconds,
        tuple((p.sku, p.unsourced) for p in plans if p.unsourced),
        extended,
    )


def apply_proposals(cmd: ApplyProposals, *, uow: UnitOfWork, ctx: Context) -> list[int]:
    """Release the due proposals as draft POs (one per key); returns the PO ids touched."""
    from subzero.planning.sourcing import Proposal

    due = [p for p in cmd.proposals if isinstance(p, Proposal) and p.order_date <= ctx.today]
    if not due:
        return []
    items = lock_items(uow, (p.sku for p in due))
    touched: list[int] = []
    for proposal in due:
        item = items[proposal.sku]
        supplier = uow.suppliers.get(proposal.supplier)
        if supplier is None:
            raise NotFound(f"supplier {proposal.supplier!r} not found")
        key = due_period(proposal.due_date)
        draft = next(
            (
                po
                for po in uow.purchase_orders.open_for(item)
                if po.status is POStatus.DRAFT
                and po.supplier.id == supplier.id
                and po.due_period == key
                and po.expedite == proposal.expedite
            ),
            None,
        )
        if draft is not None:
            old = draft.qty
            draft.top_up(proposal.qty)
            assert draft.id is not None
            uow.record(
                PurchaseOrderChanged(
                    draft.id, item.sku, old, draft.qty, f"plan: {proposal.reason}"
                ),
                ctx.now,
            )
            touched.append(draft.id)
            continue
        po = PurchaseOrder(
            item,
            supplier,
            proposal.qty,
            now=ctx.now,
            reason=f"plan: {proposal.reason}",
            lead_time_days=max(0, (proposal.due_date - proposal.order_date).days),
            order_date=proposal.order_date,
            unit_price=proposal.unit_price,
            expedite=proposal.expedite,
            source="plan",
        )
        uow.purchase_orders.add(po)
        uow.flush()
        assert po.id is not None
        uow.record(PurchaseOrderCreated(po.id, item.sku, supplier.name, po.qty, po.reason), ctx.now)
        touched.append(po.id)
    for item in items.values():
        rebalance(uow, item, ctx)
    uow.commit()
    return touched
