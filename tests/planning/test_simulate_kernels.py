"""The compiled kernel agrees with the numpy reference on the same random draws, the
order rules agree with ``policies.kinds.order_quantity``, and the draws have the
distributions they claim."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from subzero.planning.policies.kinds import RQ, RS, SS, BaseStock, MakeToOrder, MinMax
from subzero.planning.policies.kinds import order_quantity as kinds_order_quantity
from subzero.planning.simulate import _kernels, engine
from subzero.planning.simulate._reference import order_quantity_vector, uniforms
from subzero.planning.simulate.demand import (
    DemandPattern,
    EmpiricalDemand,
    NormalDemand,
    PoissonDemand,
    QuantileDemand,
    Shock,
    build_demand_tables,
    demand_cdf,
)
from subzero.planning.simulate.engine import (
    Disruption,
    Expedite,
    Item,
    RunSettings,
    SecondSupplier,
    SerialSystem,
    policy_code,
    simulate,
    simulate_serial,
)

POLICIES = [MakeToOrder(), BaseStock(9), SS(3, 12), RQ(4, 5), RS(3, 14), MinMax(5, 11)]


def _mixed_items(rng: np.random.Generator, n: int) -> list[Item]:
    demands = [
        PoissonDemand(3.0),
        NormalDemand(4.0, 2.0),
        EmpiricalDemand((0, 1, 1, 5, 9)),
        QuantileDemand((0.1, 0.5, 0.9), (1.0, 3.0, 8.0)),
    ]
    items = []
    for i in range(n):
        items.append(
            Item(
                sku=f"I{i}",
                policy=POLICIES[i % len(POLICIES)],
                demand=demands[i % len(demands)],
                lead_time=[0, 2, {1: 0.2, 2: 0.5, 4: 0.3}][i % 3],
                holding_cost=float(rng.uniform(0.5, 2)),
                backorder_cost=float(rng.uniform(2, 9)),
                fixed_cost=float(rng.uniform(0, 5)),
                lost_share=[0.0, 0.0, 0.3, 1.0][i % 4],
                orders_cross=bool(i % 5),
                supplier=["north", "south"][i % 2],
                second=SecondSupplier("south", 0.4, {2: 0.5, 3: 0.5}) if i % 7 == 0 else None,
                capacity=10 if i % 6 == 1 else None,
                # an expedite must be faster: only where the lead time (index i % 3) is not 0
                expedite=Expedite(0, 2.0, 1) if i % 8 == 3 and i % 3 else None,
            )
        )
    return items


def test_compiled_kernel_equals_numpy_reference_on_same_draws() -> None:
    items = _mixed_items(np.random.default_rng(0), 150)  # > CHUNK: several parallel tasks
    settings = dict(
        periods=1500,
        warmup=100,
        batches=10,
        pattern=DemandPattern((1.0, 1.3, 0.7), (Shock(200, 50, 1.5),)),
        disruptions=(Disruption("north", 300, 340),),
    )
    fast = simulate(items, RunSettings(**settings), np.random.default_rng(5))
    general = simulate(items, RunSettings(**settings), np.random.default_rng(5), fast_path=False)
    slow = simulate(items, RunSettings(**settings, kernel="numpy"), np.random.default_rng(5))
    for compiled in (fast, general):  # the fast path takes the fixed-lead-time items
        np.testing.assert_array_equal(compiled.sums, slow.sums)
        np.testing.assert_array_equal(compiled.hist, slow.hist)
        np.testing.assert_array_equal(compiled.pooled_group_hist, slow.pooled_group_hist)
    assert fast.sums[:, :, _kernels.BACKORDERED].sum() > 1000  # the queues were exercised
    assert fast.sums[:, :, _kernels.LOST].sum() > 100
    assert fast.sums[:, :, _kernels.EXP_COST].sum() > 0


def _fast_path_items(rng: np.random.Generator, n: int) -> list[Item]:
    """Items the compiled kernel runs on its fast path: every policy, fixed lead times."""
    demands = [
        PoissonDemand(2.5),
        NormalDemand(6.0, 3.0),
        EmpiricalDemand((0, 0, 3, 8)),
        PoissonDemand(0.4),
    ]
    return [
        Item(
            sku=f"F{i}",
            policy=POLICIES[i % len(POLICIES)],
            demand=demands[i % len(demands)],
            lead_time=[0, 1, 3, 6][i % 4],
            holding_cost=float(rng.uniform(0.5, 2)),
            backorder_cost=float(rng.uniform(2, 9)),
            fixed_cost=float(rng.uniform(0, 5)),
            lost_share=[0.0, 0.0, 0.5, 1.0, 0.0][i % 5],
            capacity=6 if i % 7 == 2 else None,
            promise_days=2 if i % 3 == 0 else None,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    "pattern, warmup",
    [
        (DemandPattern(), 0),
        (DemandPattern((1.0, 1.4, 0.6, 1.0, 1.0, 0.8, 1.2), (Shock(300, 40, 2.0),)), 150),
    ],
)
def test_fast_path_equals_general_kernel_and_numpy_reference(
    pattern: DemandPattern, warmup: int
) -> None:
    """The fast path (registers, ring pipeline, logged FIFO) on the same draws: identical
    sums, wait histograms and batch P95s to the general kernel and the numpy twin."""
    items = _fast_path_items(np.random.default_rng(11), 140)
    settings = dict(periods=1200, warmup=warmup, batches=8, pattern=pattern)
    fast = simulate(items, RunSettings(**settings), np.random.default_rng(6))
    general = simulate(items, RunSettings(**settings), np.random.default_rng(6), fast_path=False)
    slow = simulate(items, RunSettings(**settings, kernel="numpy"), np.random.default_rng(6))
    for other in (general, slow):
        np.testing.assert_array_equal(fast.sums, other.sums)
        np.testing.assert_array_equal(fast.hist, other.hist)
        np.testing.assert_array_equal(fast.pooled_group_hist, other.pooled_group_hist)
    assert fast.sums[:, :, _kernels.BACKORDERED].sum() > 1000  # waits were exercised
    assert fast.sums[:, :, _kernels.LOST].sum() > 100
    assert fast.hist[:, 10:].sum() > 0  # some long waits too


def test_runs_longer_than_the_fast_path_limit_take_the_general_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _fast_path_items(np.random.default_rng(2), 30)
    settings = RunSettings(periods=400, warmup=10, batches=4)
    fast = simulate(items, settings, np.random.default_rng(1))
    monkeypatch.setattr(engine, "FAST_MAX_DAYS", 100)
    general = simulate(items, settings, np.random.default_rng(1))
    np.testing.assert_array_equal(fast.sums, general.sums)
    np.testing.assert_array_equal(fast.hist, general.hist)


def test_poisson_tables_match_the_incomplete_gamma_cdf() -> None:
    """The compiled ratio-recursion tables equal scipy's pdtr to ~1e-14, and the tail
    beyond each end is below 1e-15 (as with scipy's ppf/isf bounds)."""
    lam = np.array([1e-9, 0.01, 0.7, 1.0, 6.0, 19.99, 150.0, 4321.5])
    lo, length, cdf = _kernels.poisson_tables(lam, 1e-15)
    start = 0
    for j, x in enumerate(lam):
        k = lo[j] + np.arange(length[j])
        table = cdf[start : start + length[j]]
        start += length[j]
        exact = special.pdtr(k, x)
        np.testing.assert_allclose(table[:-1], exact[:-1], rtol=1e-12, atol=1e-15)
        assert table[-1] == 1.0
        assert special.pdtr(lo[j] - 1, x) < 1e-15 if lo[j] > 0 else True
        assert special.pdtrc(k[-1] - 1, x) <= 1e-15 * 1.01


def test_integer_guide_tables_invert_the_cdf_exactly() -> None:
    """lo + #{k : ⌈F(k)·2⁵³⌉ ≤ m} found from the guide equals searchsorted(F, m / 2⁵³)."""
    specs = [
        PoissonDemand(3.3),
        NormalDemand(40.0, 9.0),
        EmpiricalDemand((1, 1, 2, 9)),
        QuantileDemand((0.1, 0.5, 0.9), (1.0, 3.0, 8.0)),
    ]
    tables = build_demand_tables(specs, np.array([1.0, 1.7]))
    m = np.random.default_rng(3).integers(0, 1 << 53, 50_000)
    m[:3] = [0, (1 << 53) - 1, 1 << 40]
    for r, f in enumerate((1.0, 1.7)):
        for i, spec in enumerate(specs):
            lo, cdf = demand_cdf(spec, f)
            assert tables.lo[r, i] == lo
            k = tables.guide[tables.goff[r, i] + (m >> tables.shift[r, i])].astype(np.int64)
            while (step := tables.thr[tables.off[r, i] + k] <= m).any():
                k += step
            np.testing.assert_array_equal(k, np.searchsorted(cdf, m * 2.0**-53, side="right"))


def test_compiled_serial_equals_numpy_reference() -> None:
    system = SerialSystem((10, 18, 30), (1, 0, 2), (1.0, 0.5, 0.2), 8.0, PoissonDemand(4.0))
    settings = dict(periods=3000, warmup=50, batches=5, method="replications", replications=3)
    fast = simulate_serial(system, RunSettings(**settings), np.random.default_rng(2))
    slow = simulate_serial(
        system, RunSettings(**settings, kernel="numpy"), np.random.default_rng(2)
    )
    np.testing.assert_allclose(fast.sums, slow.sums, rtol=1e-12)
    np.testing.assert_array_equal(fast.hist, slow.hist)
    assert fast.sums[:, :, _kernels.BACKORDERED].sum() > 100


def test_results_do_not_depend_on_blocking_or_seed_reuse() -> None:
    items = _mixed_items(np.random.default_rng(1), 40)
    settings = RunSettings(periods=500, warmup=20, batches=4)
    one = simulate(items, settings, np.random.default_rng(3))
    blocks = simulate(items, settings, np.random.default_rng(3), block=7)
    np.testing.assert_array_equal(one.sums, blocks.sums)
    other = simulate(items, settings, np.random.default_rng(4))
    assert not np.array_equal(one.sums, other.sums)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.kind.value)
def test_kernel_order_rules_match_policy_objects(policy: object) -> None:
    code, a, b, _ = policy_code(policy)  # type: ignore[arg-type]
    ips = np.arange(-30, 31, dtype=np.int64)
    for day in (0, 1, 3, 6):
        expected = [kinds_order_quantity(policy, int(ip), day=day) for ip in ips]  # type: ignore[arg-type]
        compiled = [_kernels._order_qty(code, a, b, int(ip), day) for ip in ips]
        vector = order_quantity_vector(
            np.full(ips.size, code), np.full(ips.size, a), np.full(ips.size, b), ips, day
        )
        assert compiled == expected
        assert vector.tolist() == expected


def test_uniforms_are_uniform_and_independent_across_streams() -> None:
    keys = np.random.default_rng(9).integers(0, 2**63, size=50_000, dtype=np.uint64)
    u0, u1 = uniforms(keys, 7, 0), uniforms(keys, 7, 1)
    assert stats.kstest(u0, "uniform").pvalue > 0.01
    assert abs(np.corrcoef(u0, u1)[0, 1]) < 0.02
    assert abs(np.corrcoef(u0, uniforms(keys, 8, 0))[0, 1]) < 0.02


@pytest.mark.parametrize(
    "spec, mean, var",
    [
        (PoissonDemand(6.0), 6.0, 6.0),
        (NormalDemand(50.0, 8.0), 50.0, 64.0 + 1 / 12),  # rounding adds 1/12 (Sheppard)
        (EmpiricalDemand((0, 0, 2, 7)), 2.25, np.var([0, 0, 2, 7])),
    ],
)
def test_demand_tables_have_the_model_moments(spec: object, mean: float, var: float) -> None:
    lo, cdf = demand_cdf(spec)  # type: ignore[arg-type]
    pmf = np.diff(cdf, prepend=0.0)
    x = lo + np.arange(cdf.size)
    assert pmf @ x == pytest.approx(mean, rel=1e-6)
    assert pmf @ (x - mean) ** 2 == pytest.approx(var, rel=1e-3)


def test_simulated_demand_follows_the_table() -> None:
    """The simulated Poisson(3) demand has mean 3; quantile tables keep their median."""
    item = Item("P", BaseStock(1000), PoissonDemand(3.0))
    res = simulate(
        [item], RunSettings(periods=50_000, warmup=0, batches=2), np.random.default_rng(8)
    )
    assert res.item(0).demand_per_day.contains(3.0)
    # forecast quantiles: the median of the tabulated distribution is the 0.5 quantile
    lo, cdf = demand_cdf(QuantileDemand((0.1, 0.5, 0.9), (10.0, 20.0, 40.0)))
    assert lo + int(np.searchsorted(cdf, 0.5)) == 20
