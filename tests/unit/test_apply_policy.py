"""``ApplyPolicy``: policies computed from the item's own orders and lead times."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson
from tests.unit.conftest import Shop

from subzero.domain import commands as c
from subzero.domain.errors import InvalidParameter
from subzero.service.views import purchase_orders, stock


def _history(shop: Shop, sku: str, daily: list[int]) -> None:
    for qty in daily:
        if qty:
            shop.order("bob", sku, qty)
        shop.clock.advance(days=1)


def test_base_stock_from_poisson_history_meets_the_fill_rate(shop: Shop) -> None:
    rng = np.random.default_rng(3)
    daily = [int(x) for x in rng.poisson(2.0, 60)]
    _history(shop, "W", daily)
    (decision,) = shop.bus.handle(c.ApplyPolicy(skus=("W",), service_target=0.95))
    assert decision.new_policy.startswith("base-stock:S=")
    level = int(decision.new_policy.split("=")[1])
    first = next(i for i, q in enumerate(daily) if q)  # history starts at the first order
    mean = float(np.mean(daily[first:]))
    assert decision.demand_mean_per_day == pytest.approx(mean)
    # lead time 5 d + 1 review day: S must cover lead-time demand at a high quantile,
    # and not wildly more (Poisson(6 * mean) 99.9% quantile as a loose ceiling)
    assert poisson.ppf(0.5, 6 * mean) < level <= poisson.ppf(0.999, 6 * mean)
    # replenishment follows the new policy at once: position lifted to S, idempotently
    assert stock(shop.uow(), "W").inventory_position == level
    assert shop.bus.handle(c.Replenish()).changes == ()
    history = shop.uow().events.history(sku="W")
    assert [e.type for e in history].count("PolicyChanged") == 1


def test_higher_target_never_lowers_the_level(shop: Shop) -> None:
    _history(shop, "W", [3, 0, 1, 4, 2, 0, 5, 1, 2, 3] * 3)
    levels = []
    for target in (0.8, 0.9, 0.95, 0.99):
        (d,) = shop.bus.handle(c.ApplyPolicy(skus=("W",), service_target=target, kind="base-stock"))
        levels.append(int(d.new_policy.split("=")[1]))
    assert levels == sorted(levels) and levels[0] < levels[-1]


def test_no_demand_means_make_to_order_and_fixed_cost_means_sS(shop: Shop) -> None:
    shop.bus.handle(c.AddItem("Q", "ACME", 0))
    _history(shop, "W", [2, 1, 0, 3, 2, 1, 2] * 3)
    decisions = {d.sku: d for d in shop.bus.handle(c.ApplyPolicy(fixed_cost=20.0))}
    assert decisions["Q"].new_policy == "mto"
    assert decisions["W"].new_policy.startswith("sS:")
    assert purchase_orders(shop.uow(), sku="Q") == []


def test_lead_time_fitted_from_real_deliveries(shop: Shop) -> None:
    shop.bus.handle(c.AddItem("L", "ACME", 0))
    for _ in range(6):  # six deliveries that each took 8 days although ACME says 5
        shop.order("bob", "L", 1)
        (po,) = [p for p in purchase_orders(shop.uow(), sku="L") if p.status == "draft"]
        shop.bus.handle(c.SendPurchaseOrders())
        shop.clock.advance(days=8)
        shop.bus.handle(c.ReceivePurchaseOrder(po.po_id))
    (d,) = shop.bus.handle(c.ApplyPolicy(skus=("L",)))
    assert d.lead_time_mean_days == pytest.approx(8.0)
    assert "6 deliveries" in d.lead_time_source


@pytest.mark.parametrize(
    "cmd",
    [
        c.ApplyPolicy(kind="sometimes"),
        c.ApplyPolicy(service_target=1.5),
        c.ApplyPolicy(service_target=0.9, backorder_cost=3.0),
        c.ApplyPolicy(service_target=None, backorder_cost=None),
        c.ApplyPolicy(holding_cost=0.0),
        c.ApplyPolicy(history_days=2),
    ],
)
def test_bad_parameters(shop: Shop, cmd: c.ApplyPolicy) -> None:
    with pytest.raises(InvalidParameter):
        shop.bus.handle(cmd)


def test_stored_forecast_sets_the_level_history_the_spread(shop: Shop) -> None:
    import datetime as dt

    from subzero.service.unit_of_work import ForecastValue

    _history(shop, "W", [2, 2, 2, 2, 2, 2, 2, 2] * 2)  # var 0 < mean: Poisson
    uow = shop.uow()
    run = uow.forecasts.add_run(shop.clock.current, 14, (0.5,), 1, 0.1)
    today = shop.clock.current.date()
    uow.forecasts.add_values(
        run, [ForecastValue("W", today + dt.timedelta(days=d), 6.0, 6.0, {}) for d in range(14)]
    )
    (d,) = shop.bus.handle(c.ApplyPolicy(skus=("W",), kind="base-stock"))
    assert d.demand_mean_per_day == pytest.approx(6.0)
    assert "stored forecast" in d.reason
    level = int(d.new_policy.split("=")[1])
    assert poisson.ppf(0.9, 6 * 6.0) <= level <= poisson.ppf(0.999, 6 * 6.0)


def test_ledger_forecast_sets_the_spread_from_its_lead_time_demand(shop: Shop) -> None:
    """A forecast run stores each item's demand over its protection period (lead time 5
    + 1 day) from its backtest error paths, and the policy takes its spread from there.
    A weekly order of 21 every Monday is very spread out as history (variance/mean 18)
    but the forecast foresees it: the safety stock covers what the forecast gets wrong,
    so the level is far below the one from the history's spread."""
    _history(shop, "W", [21, 0, 0, 0, 0, 0, 0] * 12)  # today is a Monday again
    (by_history,) = shop.bus.handle(c.ApplyPolicy(skus=("W",), kind="base-stock"))
    assert by_history.demand_sd_per_day**2 / by_history.demand_mean_per_day > 15

    run = shop.bus.handle(c.RunForecast(horizon=14, quantiles=(0.9,)))
    (item,) = shop.uow().forecasts.items(run.run_id)
    assert item.ltd_days == 6 and item.ltd_mean == pytest.approx(21.0, abs=1.0)
    assert item.ltd_sd is not None and item.ltd_sd < 3.0

    (d,) = shop.bus.handle(c.ApplyPolicy(skus=("W",), kind="base-stock"))
    assert "spread from its demand over 6 days" in d.reason
    assert d.demand_mean_per_day == pytest.approx(21.0 / 6, rel=0.05)
    dispersion = item.ltd_sd**2 / item.ltd_mean
    assert d.demand_sd_per_day**2 / d.demand_mean_per_day == pytest.approx(dispersion)
    level, history_level = (int(x.new_policy.split("=")[1]) for x in (d, by_history))
    assert 21 <= level < history_level - 10

    # a 3-day run cannot see the 6-day period: it is extrapolated, and the reason says so
    short = shop.bus.handle(c.RunForecast(horizon=3, quantiles=(0.9,)))
    (item,) = shop.uow().forecasts.items(short.run_id)
    assert item.ltd_days == 6 and short.beyond_horizon == {"W": 6}
    (d,) = shop.bus.handle(c.ApplyPolicy(skus=("W",), kind="base-stock"))
    assert "over 6 days" in d.reason and "extrapolated past its 3-day horizon" in d.reason


def test_overrides_move_the_stored_lead_time_demand_not_its_spread(shop: Shop) -> None:
    """A planner's override inside the protection period moves the item's lead-time
    demand by what it adds to those days (as it moves each day's quantiles), and the
    policy then sees the planner's level with the forecast's spread; an override past the
    protection period does not touch it."""
    import datetime as dt

    _history(shop, "W", [21, 0, 0, 0, 0, 0, 0] * 12)
    quick = c.RunForecast(horizon=14, quantiles=(0.5, 0.9), expensive_budget_seconds=0.0)
    plain = shop.bus.handle(quick)
    today = shop.clock.now().date()
    shop.bus.handle(c.OverrideForecast("W", today + dt.timedelta(days=2), 9.0, "promo"))
    shop.bus.handle(c.OverrideForecast("W", today + dt.timedelta(days=10), 50.0, "later"))
    moved = shop.bus.handle(quick)
    before, after = plain.lead_time_demand.iloc[0], moved.lead_time_demand.iloc[0]
    assert after["lead_time"] == before["lead_time"] == 6
    assert after["mean"] == pytest.approx(before["mean"] + 9.0, abs=0.5)  # day 2 was ~0
    assert after["q0.9"] == pytest.approx(before["q0.9"] + 9.0, abs=0.5)
    assert after["sd"] == pytest.approx(before["sd"])
    (item,) = shop.uow().forecasts.items(moved.run_id)
    assert item.ltd_mean == pytest.approx(after["mean"])
