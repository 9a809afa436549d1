"""Bias alerts from nightly forecast runs: each run measures only the day since the one
before it, so the bias test pools the errors of the last four weeks of runs."""

from __future__ import annotations

import numpy as np
from tests.unit.conftest import Shop

from subzero.domain import commands as c
from subzero.planning.forecast_accuracy import MIN_BIAS_PERIODS
from subzero.service.forecasting import accuracy_history


def _orders(shop: Shop, rng: np.random.Generator, days: int) -> None:
    for _ in range(days):
        for sku, mean in (("W", 3.0), ("V", 3.0)):
            qty = int(rng.poisson(mean))
            if qty:
                shop.order("bob", sku, qty)
        shop.clock.advance(days=1)


def test_nightly_runs_flag_a_persistent_over_forecast_after_a_week(shop: Shop) -> None:
    shop.bus.handle(c.AddItem("V", "ACME", 0))
    rng = np.random.default_rng(3)
    _orders(shop, rng, 60)
    nightly = c.RunForecast(horizon=3, quantiles=(0.9,), expensive_budget_seconds=0.0)
    flagged_at = []
    for _ in range(MIN_BIAS_PERIODS + 2):
        today = shop.clock.now().date()
        # a planner's override far above W's demand of about 3 a day, renewed each night
        shop.bus.handle(c.OverrideForecast("W", today, 30.0, "expected a rollout"))
        summary = shop.bus.handle(nightly)
        flagged_at.append(summary.biased_items)
        _orders(shop, rng, 1)
    summary = shop.bus.handle(nightly)
    flagged_at.append(summary.biased_items)
    runs = accuracy_history(shop.uow(), "W")
    # every nightly run is measured over the one day before the next run ...
    assert [r["periods"] for r in runs] == [1] * (MIN_BIAS_PERIODS + 2)
    assert all(r["bias"] > 20 for r in runs)
    # ... and pooled, the evidence grows by a day each night: flagged once a week is in
    assert [("W" in f) for f in flagged_at] == [False] * MIN_BIAS_PERIODS + [True] * 3
    assert [r["biased"] for r in runs] == [False] * (MIN_BIAS_PERIODS - 1) + [True] * 3
    assert [r["bias_periods"] for r in runs] == list(range(1, MIN_BIAS_PERIODS + 3))
    assert runs[-1]["tracking_signal"] < -MIN_BIAS_PERIODS and runs[-1]["bias_z"] < -3
    # V's forecast is the statistical one: never flagged
    assert not any("V" in f for f in flagged_at)
