"""The simulator against theory: each analytic value, computed here with scipy from the
cited formula, must lie inside the simulated 95% confidence interval.

Conventions (Zipkin, *Foundations of Inventory Management*, 2000, §6.2 and ch. 9;
Snyder & Shen, *Fundamentals of Supply Chain Theory*, 2nd ed., §4.3): an order placed
at the start of period t arrives at the start of t + L, costs are charged on the
end-of-period level, so the net inventory that a base-stock level S protects is
S − D^{(L+1)}, with D^{(k)} the demand over k periods.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from subzero.planning.policies.kinds import RQ, SS, BaseStock
from subzero.planning.simulate.demand import NormalDemand, PoissonDemand
from subzero.planning.simulate.engine import (
    Item,
    RunSettings,
    SerialSystem,
    simulate,
    simulate_serial,
)

GRID = np.arange(0, 400)


def _poisson_pmf(mean: float) -> np.ndarray:
    return stats.poisson.pmf(GRID, mean)


def _loss(pmf: np.ndarray, s: float) -> float:
    """First-order loss E[(D − s)^+] of a pmf on GRID."""
    return float(np.maximum(GRID - s, 0) @ pmf)


def _newsvendor_cost(pmf: np.ndarray, s: float, h: float, p: float) -> float:
    """g(S) = h E[(S − D)^+] + p E[(D − S)^+] (Snyder & Shen eq. (4.1) / Zipkin (9.4.3))."""
    return float((h * np.maximum(s - GRID, 0) + p * np.maximum(GRID - s, 0)) @ pmf)


def test_base_stock_poisson_newsvendor_cost_fill_rate_backorders() -> None:
    """Poisson(6), L=0, h=1, p=4, S=8: single-period newsvendor cost, Snyder & Shen §4.3."""
    pmf = _poisson_pmf(6.0)
    cost = _newsvendor_cost(pmf, 8, 1.0, 4.0)
    assert cost == pytest.approx(3.5701, abs=1e-4)  # scipy, from the formula above
    item = Item(
        "A", BaseStock(8), PoissonDemand(6.0), lead_time=0, holding_cost=1.0, backorder_cost=4.0
    )
    k = simulate([item], RunSettings(periods=400_000, warmup=100), np.random.default_rng(11)).item(
        0
    )
    assert k.cost.contains(cost)
    # expected backorders E[(D − S)^+]; fill rate β = 1 − E[(D − S)^+] / μ (L = 0)
    assert k.avg_backorders.contains(_loss(pmf, 8))
    assert k.fill_rate.contains(1.0 - _loss(pmf, 8) / 6.0)
    # L = 0: every backordered unit is filled by the next morning's order
    assert k.mean_wait.mean == pytest.approx(1.0)
    assert k.p95_wait.mean == pytest.approx(1.0)


def test_base_stock_poisson_lead_time_two() -> None:
    """Periodic-review base stock, L=2 (Zipkin §9.4.2, Snyder & Shen §4.3.2):
    E[B] = E[(D^{(L+1)} − S)^+], β = 1 − (E[(D^{(L+1)} − S)^+] − E[(D^{(L)} − S)^+]) / μ."""
    lam, s, h, p = 4.0, 15, 0.5, 9.0
    lead_pmf, prev_pmf = _poisson_pmf(3 * lam), _poisson_pmf(2 * lam)
    item = Item(
        "B", BaseStock(s), PoissonDemand(lam), lead_time=2, holding_cost=h, backorder_cost=p
    )
    k = simulate([item], RunSettings(periods=400_000, warmup=200), np.random.default_rng(12)).item(
        0
    )
    assert k.cost.contains(_newsvendor_cost(lead_pmf, s, h, p))
    assert k.avg_backorders.contains(_loss(lead_pmf, s))
    assert k.fill_rate.contains(1.0 - (_loss(lead_pmf, s) - _loss(prev_pmf, s)) / lam)
    assert k.avg_on_hand.contains(float(np.maximum(s - GRID, 0) @ lead_pmf))


def test_base_stock_normal_demand_loss_function() -> None:
    """Normal demand (μ=100, σ=20), L=1, S = 2μ + 1.2·σ√2.

    g(S) = h (S − μ_L) + (h + p) σ_L 𝓛(z), E[B] = σ_L 𝓛(z), 𝓛(z) = φ(z) − z(1 − Φ(z)),
    μ_L = (L+1)μ, σ_L = σ√(L+1) (Snyder & Shen eqs. (4.30)–(4.33); Zipkin §6.4).
    Simulated demand is rounded to units; its extra variance 1/12 per period is
    negligible against σ² = 400 (Sheppard's correction).
    """
    mu, sd, h, p = 100.0, 20.0, 1.0, 9.0
    mu_l, sd_l = 2 * mu, sd * np.sqrt(2.0)
    s = round(mu_l + 1.2 * sd_l)
    z = (s - mu_l) / sd_l
    loss = stats.norm.pdf(z) - z * stats.norm.sf(z)
    cost = h * (s - mu_l) + (h + p) * sd_l * loss
    z1 = (s - mu) / sd
    loss1 = sd * (stats.norm.pdf(z1) - z1 * stats.norm.sf(z1))
    item = Item(
        "N", BaseStock(s), NormalDemand(mu, sd), lead_time=1, holding_cost=h, backorder_cost=p
    )
    k = simulate([item], RunSettings(periods=400_000, warmup=200), np.random.default_rng(13)).item(
        0
    )
    assert k.cost.contains(cost)
    assert k.avg_backorders.contains(sd_l * loss)
    assert k.fill_rate.contains(1.0 - (sd_l * loss - loss1) / mu)


def _stationary_cost(
    transitions: dict[int, np.ndarray],
    states: list[int],
    g: np.ndarray,
    order_prob: np.ndarray,
    fixed_cost: float,
) -> float:
    """Σ_y π(y) (G(y) + K P(order next | y)) for a finite Markov chain of IP after ordering."""
    n = len(states)
    mat = np.vstack([transitions[y] for y in states])
    a = np.vstack([mat.T - np.eye(n), np.ones(n)])
    rhs = np.concatenate([np.zeros(n), [1.0]])
    pi = np.linalg.lstsq(a, rhs, rcond=None)[0]
    return float(pi @ (g + fixed_cost * order_prob))


def _chain(
    states: list[int], lam: float, reorder: int, after_order: callable
) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Transitions of the IP after ordering: y → y − D, reordered when ≤ reorder."""
    pmf = _poisson_pmf(lam)
    index = {y: k for k, y in enumerate(states)}
    trans: dict[int, np.ndarray] = {}
    order_prob = np.zeros(len(states))
    for y in states:
        row = np.zeros(len(states))
        for d, pr in zip(GRID, pmf, strict=True):
            x = y - d
            if x <= reorder:
                row[index[after_order(x)]] += pr
                order_prob[index[y]] += pr
            else:
                row[index[x]] += pr
        trans[y] = row
    return trans, order_prob


def test_s_S_policy_cost_from_stationary_inventory_position() -> None:
    """(s,S) with Poisson demand: the IP after ordering is a Markov chain on s+1…S
    (Scarf 1960; Zipkin §6.7, Snyder & Shen §4.5); cost = Σ π(y)[G(y) + K·P(order)],
    G(y) = E[h(y − D^{(L+1)})^+ + p(D^{(L+1)} − y)^+]. Solved exactly here."""
    lam, s, big_s, lead, h, p, k_fix = 3.0, 6, 14, 1, 1.0, 6.0, 20.0
    states = list(range(s + 1, big_s + 1))
    trans, order_prob = _chain(states, lam, s, lambda x: big_s)
    lead_pmf = _poisson_pmf((lead + 1) * lam)
    g = np.array([_newsvendor_cost(lead_pmf, y, h, p) for y in states])
    cost = _stationary_cost(trans, states, g, order_prob, k_fix)
    item = Item(
        "S",
        SS(s, big_s),
        PoissonDemand(lam),
        lead_time=lead,
        holding_cost=h,
        backorder_cost=p,
        fixed_cost=k_fix,
    )
    k = simulate([item], RunSettings(periods=500_000, warmup=200), np.random.default_rng(14)).item(
        0
    )
    assert k.cost.contains(cost)


def test_r_Q_policy_cost_uniform_inventory_position() -> None:
    """(r,Q) with Poisson demand: IP after ordering is uniform on r+1…r+Q (Zipkin
    Thm 6.2.1; Hadley & Whitin 1963), so cost = (1/Q) Σ_y G(y) + K·P(order)."""
    lam, r, q, lead, h, p, k_fix = 5.0, 12, 9, 2, 1.0, 10.0, 15.0
    states = list(range(r + 1, r + q + 1))
    trans, order_prob = _chain(states, lam, r, lambda x: x + q * ((r - x) // q + 1))
    lead_pmf = _poisson_pmf((lead + 1) * lam)
    g = np.array([_newsvendor_cost(lead_pmf, y, h, p) for y in states])
    uniform_cost = float(g.mean() + k_fix * order_prob.mean())
    assert _stationary_cost(trans, states, g, order_prob, k_fix) == pytest.approx(uniform_cost)
    item = Item(
        "R",
        RQ(r, q),
        PoissonDemand(lam),
        lead_time=lead,
        holding_cost=h,
        backorder_cost=p,
        fixed_cost=k_fix,
    )
    k = simulate([item], RunSettings(periods=500_000, warmup=200), np.random.default_rng(15)).item(
        0
    )
    assert k.cost.contains(uniform_cost)
    assert k.orders_per_day.contains(float(order_prob.mean()))


@pytest.mark.parametrize("lost_share", [0.0, 0.4])
def test_littles_law_average_backorders_equals_rate_times_wait(lost_share: float) -> None:
    """Little (1961): E[B] = λ · E[W], W the wait of every unit (0 when served from stock).
    An identity on the sample path, exact up to the units straddling the window ends."""
    item = Item(
        "L",
        SS(5, 25),
        PoissonDemand(4.0),
        lead_time={1: 0.3, 3: 0.5, 6: 0.2},
        holding_cost=1.0,
        backorder_cost=5.0,
        fixed_cost=10.0,
        lost_share=lost_share,
    )
    k = simulate([item], RunSettings(periods=200_000, warmup=500), np.random.default_rng(16)).item(
        0
    )
    little = k.demand_per_day.mean * k.mean_wait_all_lines.mean
    assert k.avg_backorders.mean > 0.3
    assert little == pytest.approx(k.avg_backorders.mean, rel=2e-4)
    assert k.mean_wait.mean > 1.0
    if lost_share:
        assert k.lost_rate.mean / (k.lost_rate.mean + k.backorder_rate.mean) == pytest.approx(
            lost_share, abs=0.01
        )


def test_lost_sales_base_stock_lead_time_zero_is_a_newsvendor() -> None:
    """L=0, all shortages lost: every period starts at S, so on hand = (S − D)^+ and
    units lost = (D − S)^+ (the newsvendor, Snyder & Shen §4.3.1)."""
    pmf = _poisson_pmf(6.0)
    item = Item(
        "X",
        BaseStock(7),
        PoissonDemand(6.0),
        lead_time=0,
        holding_cost=1.0,
        backorder_cost=3.0,
        lost_share=1.0,
    )
    k = simulate([item], RunSettings(periods=300_000, warmup=10), np.random.default_rng(17)).item(0)
    assert k.cost.contains(_newsvendor_cost(pmf, 7, 1.0, 3.0))
    assert k.lost_rate.contains(_loss(pmf, 7) / 6.0)
    assert k.avg_backorders.mean == 0.0


def _chen_zheng_two_stage(
    lam: float, s1: int, s2: int, l1: int, l2: int, h1: float, h2: float, p: float
) -> float:
    """Exact cost of an echelon base-stock policy in a two-stage serial system.

    Chen & Zheng (1994), Mgmt Sci 40(11) §2 / Clark & Scarf (1960), in the periodic
    convention above (Snyder & Shen §6.2): with echelon holding costs h_j and
    y_1 = min(S_1, S_2 − D^{(L_2)}),
        C_1(y) = h_1 (y − (L_1+1)λ) + (p + h_1 + h_2) E[(D^{(L_1+1)} − y)^+]
        C_2(S_2) = h_2 (S_2 − (L_2+1)λ) + E[C_1(min(S_1, S_2 − D^{(L_2)}))].
    """
    pmf1 = _poisson_pmf((l1 + 1) * lam)

    def c1(y: float) -> float:
        return h1 * (y - (l1 + 1) * lam) + (p + h1 + h2) * _loss(pmf1, y)

    pmf2 = _poisson_pmf(l2 * lam)
    inner = sum(pr * c1(min(s1, s2 - d)) for d, pr in zip(GRID, pmf2, strict=True) if pr > 0)
    return h2 * (s2 - (l2 + 1) * lam) + inner


def test_two_stage_serial_cost_chen_zheng() -> None:
    lam, s1, s2, l1, l2, h1, h2, p = 5.0, 13, 27, 1, 2, 1.0, 0.5, 12.0
    cost = _chen_zheng_two_stage(lam, s1, s2, l1, l2, h1, h2, p)
    system = SerialSystem((s1, s2), (l1, l2), (h1, h2), p, PoissonDemand(lam))
    k = simulate_serial(
        system, RunSettings(periods=400_000, warmup=200), np.random.default_rng(18)
    ).item(0)
    assert k.cost.contains(cost)
    # stage 1 sees y_1 = min(S_1, S_2 − D^{(L_2)}): backorders E[(D^{(L_1+1)} − y_1)^+]
    pmf1, pmf2 = _poisson_pmf((l1 + 1) * lam), _poisson_pmf(l2 * lam)
    backorders = sum(pr * _loss(pmf1, min(s1, s2 - d)) for d, pr in zip(GRID, pmf2, strict=True))
    assert k.avg_backorders.contains(backorders)
    assert k.demand_per_day.mean * k.mean_wait_all_lines.mean == pytest.approx(
        k.avg_backorders.mean, rel=2e-4
    )
