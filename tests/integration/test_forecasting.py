"""Forecasting from the ledger, stored runs, planner overrides and accuracy, on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from subzero.bootstrap import Runtime
from subzero.domain import commands as c
from subzero.domain.errors import InsufficientStock, InvalidParameter, NotFound
from subzero.planning.forecast import STAGES
from subzero.service.demand import order_history_frame
from subzero.service.forecasting import accuracy_history, accuracy_report, override_report

if TYPE_CHECKING:
    from tests.integration.conftest import Cli


def _shop(runtime: Runtime) -> None:
    runtime.bus.handle(c.AddSupplier("ACME", 4))
    runtime.bus.handle(c.AddCustomer("bob", 5))
    runtime.bus.handle(c.AddItem("W", "ACME", 0))  # everything is backordered
    runtime.bus.handle(c.AddItem("V", "ACME", 50))


def _days(runtime: Runtime, clock: Any, rng: np.random.Generator, days: int) -> dict[dt.date, int]:
    ordered: dict[dt.date, int] = {}
    for _ in range(days):
        for sku, mean in (("W", 3.0), ("V", 1.0)):
            qty = int(rng.poisson(mean))
            if qty:
                runtime.bus.handle(c.PlaceOrder("bob", (c.OrderLineRequest(sku, qty),)))
                if sku == "W":
                    ordered[clock.today] = ordered.get(clock.today, 0) + qty
        clock.advance(days=1)
    return ordered


def test_history_counts_backorders_not_shipments(runtime: Runtime, clock: Any) -> None:
    _shop(runtime)
    ordered = _days(runtime, clock, np.random.default_rng(1), 10)
    with runtime.uow() as uow:
        frame = order_history_frame(uow, until=clock.today)
    w = frame[frame["unique_id"] == "W"]
    assert int(w["y"].sum()) == sum(ordered.values())  # nothing shipped, all demand counted
    assert w["ds"].max().date() == clock.today - dt.timedelta(days=1)  # zero-filled to yesterday
    assert len(w) == (w["ds"].max() - w["ds"].min()).days + 1


def test_history_starts_the_day_the_item_was_added_not_at_its_first_order(
    runtime: Runtime, clock: Any
) -> None:
    """Days in the catalogue without orders are demand of zero; leaving them out would
    overstate the item's mean. ``since`` still bounds the history."""
    _shop(runtime)
    added = clock.today
    clock.advance(days=5)
    runtime.bus.handle(c.PlaceOrder("bob", (c.OrderLineRequest("W", 4),)))
    clock.advance(days=3)
    with runtime.uow() as uow:
        frame = order_history_frame(uow, until=clock.today)
        recent = order_history_frame(uow, since=added + dt.timedelta(days=2), until=clock.today)
    w = frame[frame["unique_id"] == "W"]
    assert w["ds"].min().date() == added and len(w) == 8
    assert w["y"].tolist() == [0, 0, 0, 0, 0, 4, 0, 0]
    assert recent.loc[recent["unique_id"] == "W", "y"].tolist() == [0, 0, 0, 4, 0, 0]


def test_refused_orders_are_demand_once_per_customer_and_day(runtime: Runtime, clock: Any) -> None:
    """Censoring: an item that may not go below zero turns orders away; the history
    still counts what was asked for (bob: refused 5, then took the 2 that were free,
    so 5; ann: refused 3), and the refusal writes no order and moves no stock."""
    runtime.bus.handle(c.AddSupplier("ACME", 4))
    runtime.bus.handle(c.AddCustomer("bob", 5))
    runtime.bus.handle(c.AddCustomer("ann", 1))
    runtime.bus.handle(c.AddItem("X", "ACME", 2, allow_negative=False))
    runtime.bus.handle(c.AddItem("W", "ACME", 10))
    with pytest.raises(InsufficientStock, match="may not go below zero"):
        runtime.bus.handle(
            c.PlaceOrder("bob", (c.OrderLineRequest("W", 1), c.OrderLineRequest("X", 5)))
        )
    runtime.bus.handle(c.PlaceOrder("bob", (c.OrderLineRequest("X", 2),)))
    with pytest.raises(InsufficientStock):
        runtime.bus.handle(c.PlaceOrder("ann", (c.OrderLineRequest("X", 3),)))
    clock.advance(days=1)
    with runtime.read_uow() as uow:
        frame = order_history_frame(uow, until=clock.today)
        refused = [e.payload for e in uow.events.history() if e.type == "DemandRefused"]
        intact = uow.events.find_break() is None
        lines = uow.orders.demand_history()
    assert intact
    assert [(p["customer"], p["sku"], p["qty"]) for p in refused] == [
        ("bob", "W", 1),
        ("bob", "X", 5),
        ("ann", "X", 3),
    ]
    assert lines == [("X", clock.today - dt.timedelta(days=1), 2)]  # no refused lines
    history = dict(zip(frame["unique_id"], frame["y"], strict=True))
    assert history == {"X": 5 + 3, "W": 1}
    x = runtime.stock.position("X")
    assert x is not None and (x.on_hand, x.allocated, x.backordered) == (2, 2, 0)


def test_a_horizon_shorter_than_the_lead_time_is_said_and_the_demand_covers_the_horizon(
    runtime: Runtime, clock: Any, cli: Cli
) -> None:
    """ACME's protection period is 5 days (4 + 1): a 3-day run extrapolates the last 2
    days of demand (``forecast_horizon``), says which items fall short, and the CLI says
    how far to forecast instead."""
    clock.set(dt.datetime.now(dt.UTC) - dt.timedelta(days=30))  # the CLI runs on today
    _shop(runtime)
    _days(runtime, clock, np.random.default_rng(3), 30)
    run = runtime.bus.handle(c.RunForecast(horizon=3, expensive_budget_seconds=0.0))
    assert run.beyond_horizon == {"V": 5, "W": 5}
    with runtime.uow() as uow:
        items = {i.sku: i for i in uow.forecasts.items(run.run_id)}
    assert {i.ltd_days for i in items.values()} == {5}
    w = items["W"]  # W orders Poisson(3) a day: about 15 ± sqrt(15) over 5 days
    assert w.ltd_mean is not None and w.ltd_sd is not None
    assert 9 < w.ltd_mean < 21 and 0.6 * 15**0.5 < w.ltd_sd < 1.8 * 15**0.5
    done = cli("forecast", "--from-ledger", "--horizon", "4", "--output", "f.csv",
               "--expensive-budget", "0")  # fmt: skip
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert "2 item(s) wait longer than 4 days" in said and "--horizon 5 forecasts" in said


def test_an_unknown_plot_series_is_refused_before_a_ledger_run_is_stored(
    runtime: Runtime, clock: Any, cli: Cli
) -> None:
    """The docs say an unknown series is refused before the run starts: with
    --from-ledger it was refused only after the run was stored (the latest run, which
    `plan --forecast stored` reads) and the CSV written."""
    clock.set(dt.datetime.now(dt.UTC) - dt.timedelta(days=30))  # the CLI runs on today
    _shop(runtime)
    _days(runtime, clock, np.random.default_rng(3), 30)
    args = ("forecast", "--from-ledger", "--horizon", "3", "--output", "f.csv",
            "--plot", "f.png", "--expensive-budget", "0")  # fmt: skip
    done = cli(*args, "--plot-series", "W,NOPE")
    assert done.returncode == 1
    assert done.stderr.strip() == "error[invalid_parameter]: --plot-series: unknown series NOPE"
    assert not (cli.cwd / "f.csv").exists()
    with runtime.uow() as uow:
        assert uow.forecasts.latest_run() is None
    drawn = cli(*args, "--plot-series", "W", check=True)
    assert "plot of 1 series written to f.png" in drawn.stderr
    with runtime.uow() as uow:
        assert uow.forecasts.latest_run() is not None


def test_an_override_counts_once_where_a_stored_forecast_is_continued(
    runtime: Runtime, clock: Any
) -> None:
    """A one-off 60 on day 3 of a 7-day run: planned over 28 days, the run's days past
    its end continue its forecast before overrides, so the 60 is planned once, not on
    every third weekday (proposals of 83, 87, 87, 88 a week against about 32 before)."""
    from subzero.service.planning_run import gather_partitions

    _shop(runtime)
    _days(runtime, clock, np.random.default_rng(9), 45)
    day = clock.today + dt.timedelta(days=2)
    runtime.bus.handle(c.OverrideForecast("W", day, 60.0, "one big order"))
    run = runtime.bus.handle(c.RunForecast(horizon=7, expensive_budget_seconds=0.0))
    stored = run.forecast[run.forecast["unique_id"] == "W"]
    statistical = stored["statistical_mean"].to_numpy()
    parts, _, extended = gather_partitions(
        runtime.uow(),
        runtime.bus.context(),
        horizon_days=28,
        skus=("W",),
        forecast_source="stored",
    )
    assert extended == 21
    (item,) = [i for part in parts for i in part.items]
    planned = np.asarray(item.forecast)
    assert planned[:7] == pytest.approx(stored["mean"].to_numpy())
    assert planned[2] == 60.0 and int((planned == 60.0).sum()) == 1
    assert planned[7:] == pytest.approx(np.tile(statistical, 3))


def test_a_policy_past_the_runs_horizon_counts_an_override_once(
    runtime: Runtime, clock: Any
) -> None:
    """ACME's protection period is 5 days and the run covers 3, one of them overridden
    to 40: the policy's daily level times 5 is the lead-time demand the run stored (the
    override once), not the override spread again over the 2 days past the run (the
    tester's BLT-1002: 12.45 a day against 100.9 over 11 days = 9.17)."""
    _shop(runtime)
    _days(runtime, clock, np.random.default_rng(4), 45)
    runtime.bus.handle(
        c.OverrideForecast("W", clock.today + dt.timedelta(days=1), 40.0, "one big order")
    )
    run = runtime.bus.handle(c.RunForecast(horizon=3, expensive_budget_seconds=0.0))
    stored = run.forecast[run.forecast["unique_id"] == "W"]
    with runtime.uow() as uow:
        (item,) = [i for i in uow.forecasts.items(run.run_id) if i.sku == "W"]
    assert item.ltd_days == 5 and item.ltd_mean is not None
    (decision,) = runtime.bus.handle(c.ApplyPolicy(skus=("W",)))
    assert decision.demand_mean_per_day * 5 == pytest.approx(item.ltd_mean)
    expected = stored["mean"].sum() + 2 * stored["statistical_mean"].mean()
    assert decision.demand_mean_per_day == pytest.approx(expected / 5)


def test_run_override_score_and_accuracy(runtime: Runtime, clock: Any, cli: Cli) -> None:
    _shop(runtime)
    rng = np.random.default_rng(7)
    with pytest.raises(InvalidParameter, match="no orders"):
        runtime.bus.handle(c.RunForecast(horizon=7))
    _days(runtime, clock, rng, 45)
    heard: list[tuple[str, int, int]] = []
    first = runtime.bus.handle(
        c.RunForecast(horizon=7, quantiles=(0.5, 0.9)),
        progress=lambda *stage: heard.append(stage),
    )
    assert first.series == 2 and first.measured_run_id is None
    # the run reports each of its stages, in order, to the bar of `forecast --from-ledger`
    assert heard == [(s, i, len(STAGES)) for i, s in enumerate(STAGES, start=1)]
    fc = first.forecast
    assert len(fc) == 14 and (fc["mean"] >= 0).all() and (fc["q0.9"] >= fc["q0.5"]).all()
    assert fc["ds"].min() == clock.today
    # the demand the run saw comes with it, for the picture (`forecast --plot`)
    assert first.history is not None and set(first.history["unique_id"]) == set(fc["unique_id"])
    assert first.history["ds"].max() < pd.Timestamp(clock.today)
    # each item's demand over its protection period (ACME's 4 days + 1) is stored with
    # the run, for the policies: W orders Poisson(3) a day, so about 15 ± sqrt(15)
    with runtime.uow() as uow:
        items = {i.sku: i for i in uow.forecasts.items(first.run_id)}
    models = {row["unique_id"]: row["model"] for row in first.report["series"]}
    assert {sku: (i.ltd_days, i.model) for sku, i in items.items()} == {
        sku: (5, model) for sku, model in models.items()
    }
    w = items["W"]
    assert w.ltd_mean is not None and w.ltd_sd is not None
    assert 10 < w.ltd_mean < 20 and 0.6 * 15**0.5 < w.ltd_sd < 1.6 * 15**0.5
    assert first.beyond_horizon == {}  # 5 days fit in the 7-day horizon

    day = clock.today + dt.timedelta(days=2)
    with pytest.raises(InvalidParameter, match="reason"):
        runtime.bus.handle(c.OverrideForecast("W", day, 10.0, " "))
    with pytest.raises(InvalidParameter, match="past"):
        runtime.bus.handle(c.OverrideForecast("W", clock.today - dt.timedelta(days=1), 1.0, "x"))
    with pytest.raises(NotFound):
        runtime.bus.handle(c.OverrideForecast("NOPE", day, 1.0, "x"))
    runtime.bus.handle(c.OverrideForecast("W", day, 30.0, "a big customer announced a rollout"))
    second = runtime.bus.handle(
        c.RunForecast(horizon=7, quantiles=(0.5, 0.9), expensive_budget_seconds=0.0)
    )
    # no time for the expensive models: no pilot, and the report says why
    assert first.report["pilot"] and not second.report["pilot"]
    assert second.report["notes"]["expensive"].startswith("skipped")
    row = second.forecast[(second.forecast["unique_id"] == "W") & (second.forecast["ds"] == day)]
    assert float(row["mean"].iloc[0]) == 30.0
    assert float(row["statistical_mean"].iloc[0]) < 30.0
    assert second.overrides_applied == 1

    clock.advance(days=1)
    ordered = _days(runtime, clock, rng, 6)
    third = runtime.bus.handle(c.RunForecast(horizon=7))
    assert third.overrides_scored == 1
    (scored,) = override_report(runtime.uow())["overrides"]
    assert scored["actual"] == float(ordered.get(day, 0))
    beat = abs(scored["actual"] - 30.0) < abs(scored["actual"] - scored["statistical"])
    assert scored["helped"] == beat
    run_id, rows = accuracy_report(runtime.uow())
    assert run_id == second.run_id
    assert {r["sku"] for r in rows} == {"W", "V"} and all(r["periods"] > 0 for r in rows)

    # accuracy over time: each later run measures the one before it, and one item's
    # history lists every measured run, oldest first, with the model it had then
    clock.advance(days=1)
    _days(runtime, clock, rng, 4)
    fourth = runtime.bus.handle(c.RunForecast(horizon=7, expensive_budget_seconds=0.0))
    assert fourth.measured_run_id == third.run_id
    latest = {r["sku"]: r for r in accuracy_report(runtime.uow())[1]}
    by_run = {r["run_id"]: r for r in accuracy_history(runtime.uow(), "W")}
    assert list(by_run) == [second.run_id, third.run_id]
    assert by_run[third.run_id]["bias"] == pytest.approx(latest["W"]["bias"])
    assert by_run[third.run_id]["periods"] == latest["W"]["periods"]
    chosen = {r["unique_id"]: r["model"] for r in third.report["series"]}
    assert by_run[third.run_id]["model"] == chosen["W"]
    shown = cli.json("accuracy", "--sku", "W")
    assert shown["sku"] == "W" and [r["run_id"] for r in shown["runs"]] == list(by_run)
    assert shown["runs"][0]["bias"] == pytest.approx(by_run[second.run_id]["bias"])
    picture = cli("accuracy", "--sku", "W", "--plot", "w.png", check=True)
    assert f"plot of {len(by_run)} runs written to w.png" in picture.stderr
    assert (cli.cwd / "w.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "--plot needs --sku" in cli("accuracy", "--plot", "all.png").stderr
    with pytest.raises(NotFound):
        accuracy_history(runtime.uow(), "NOPE")
    assert "not found" in cli("accuracy", "--sku", "NOPE").stderr


def test_override_a_range_of_days_and_revise_one(runtime: Runtime, clock: Any, cli: Cli) -> None:
    _shop(runtime)
    _days(runtime, clock, np.random.default_rng(5), 45)
    day = clock.today + dt.timedelta(days=1)
    ids = runtime.bus.handle(
        c.OverrideForecast("W", day, 12.0, "fleet campaign", until=day + dt.timedelta(days=2))
    )
    assert len(ids) == 3 and len(set(ids)) == 3
    # a second word on a day not yet scored revises that day's override, never doubles it
    again = runtime.bus.handle(
        c.OverrideForecast("W", day + dt.timedelta(days=1), 20.0, "campaign grew")
    )
    assert again == (ids[1],)
    stored = {o["day"]: o for o in override_report(runtime.uow())["overrides"]}
    assert len(stored) == 3
    assert [stored[(day + dt.timedelta(days=k)).isoformat()]["value"] for k in range(3)] == [
        12.0,
        20.0,
        12.0,
    ]
    assert stored[(day + dt.timedelta(days=1)).isoformat()]["reason"] == "campaign grew"
    run = runtime.bus.handle(c.RunForecast(horizon=7, expensive_budget_seconds=0.0))
    assert run.overrides_applied == 3
    w = run.forecast[run.forecast["unique_id"] == "W"].set_index("ds")["mean"]
    assert [w[day + dt.timedelta(days=k)] for k in range(3)] == [12.0, 20.0, 12.0]
    with pytest.raises(InvalidParameter, match="before its first day"):
        runtime.bus.handle(c.OverrideForecast("W", day, 1.0, "x", until=clock.today))
    with pytest.raises(InvalidParameter, match="at most 366"):
        runtime.bus.handle(
            c.OverrideForecast("W", day, 1.0, "x", until=day + dt.timedelta(days=400))
        )

    # once the days have passed, each override is scored, and each reason as a whole
    clock.advance(days=1)
    _days(runtime, clock, np.random.default_rng(6), 4)
    assert (
        runtime.bus.handle(c.RunForecast(horizon=7, expensive_budget_seconds=0.0)).overrides_scored
        == 3
    )
    report = override_report(runtime.uow())
    gains: dict[str, list[float]] = {}
    for o in report["overrides"]:
        gain = abs(o["actual"] - o["statistical"]) - abs(o["actual"] - o["value"])
        assert o["helped"] == (gain > 0)
        gains.setdefault(o["reason"], []).append(gain)
    by_reason = {r["reason"]: r for r in report["by_reason"]}
    assert {k: v["scored"] for k, v in by_reason.items()} == {
        "fleet campaign": 2,
        "campaign grew": 1,
    }
    for reason, values in gains.items():
        assert by_reason[reason]["value_added"] == pytest.approx(sum(values))
        assert by_reason[reason]["hit_rate"] == sum(g > 0 for g in values) / len(values)
    assert report["value_added"] == pytest.approx(sum(sum(v) for v in gains.values()))

    # the command line (its clock is the real one): ids in the JSON, bad dates named
    start = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)
    end = start + dt.timedelta(days=1)
    added = cli.json(
        "override",
        "add",
        "V",
        start.isoformat(),
        "4",
        "--reason",
        "promo",
        "--until",
        end.isoformat(),
    )
    assert added["override_id"] == added["override_ids"][0] and len(added["override_ids"]) == 2
    bad = cli("override", "add", "V", start.isoformat(), "4", "--reason", "x", "--until", "soon")
    assert bad.returncode == 1 and "--until 'soon' is not YYYY-MM-DD" in bad.stderr
    listed = cli("override", "list", check=True).stdout
    assert "value added per reason" in listed and "campaign grew" in listed


def test_a_biased_forecast_raises_an_alert(runtime: Runtime, clock: Any) -> None:
    """W's demand triples after the first run: the second run measures the first as
    under-forecasting W (the bias test), and ``subzero alerts`` says so; V keeps its
    level and raises nothing."""
    from subzero.service.alerts import alerts
    from subzero.service.stock_view import stock_positions

    _shop(runtime)
    rng = np.random.default_rng(11)
    _days(runtime, clock, rng, 45)
    runtime.bus.handle(c.RunForecast(horizon=28, expensive_budget_seconds=0.0))
    for _ in range(21):
        runtime.bus.handle(c.PlaceOrder("bob", (c.OrderLineRequest("W", 9),)))
        if v := int(rng.poisson(1.0)):
            runtime.bus.handle(c.PlaceOrder("bob", (c.OrderLineRequest("V", v),)))
        clock.advance(days=1)
    runtime.bus.handle(c.RunForecast(horizon=28, expensive_budget_seconds=0.0))
    found = alerts(runtime.uow(), stock_positions(runtime.stock), now=clock.now)
    bias = [a for a in found if a.kind == "forecast_bias"]
    assert [(a.sku, a.severity) for a in bias] == [("W", "medium")]
    assert "too low" in bias[0].message
