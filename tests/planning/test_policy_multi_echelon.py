"""Serial multi-echelon base-stock (Clark–Scarf / Chen–Zheng) against Snyder & Shen (2019)
Example 6.1 and an independent quadrature of the two-stage recursion."""

from __future__ import annotations

import pytest
from scipy import integrate, optimize, stats

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.multi_echelon import serial_base_stock
from subzero.planning.policies.newsvendor import newsvendor_normal


def test_example_6_1_serial_system() -> None:
    # Snyder & Shen 2nd ed., Example 6.1: local h = (7, 4, 2) [echelon (3, 2, 2)],
    # L = (1, 1, 2), p = 37.12, N(5, 1). stockpyl's documented fine-grid run of
    # ssm_serial.optimize_base_stock_levels gives S* = (6.514, 12.012, 22.700),
    # C* = 47.669; its grid is coarser than ours, hence the tolerance of 0.03.
    sol = serial_base_stock([7, 4, 2], [1, 1, 2], 37.12, 5, 1)
    assert sol.echelon_levels == pytest.approx((6.51, 12.01, 22.70), abs=0.03)
    assert sol.cost == pytest.approx(47.67, abs=0.02)
    assert sol.local_levels[1] == pytest.approx(sol.echelon_levels[1] - sol.echelon_levels[0])


def test_one_stage_is_the_newsvendor() -> None:
    sol = serial_base_stock([1], [1], 9, 10, 2)
    nv = newsvendor_normal(1, 9, 10, 2)
    assert sol.echelon_levels[0] == pytest.approx(nv.base_stock_level, abs=1e-3)
    assert sol.cost == pytest.approx(nv.cost, abs=1e-3)


def test_two_stages_against_direct_quadrature() -> None:
    # S&S Problem 6.1 data (echelon h = (1, 1), p = 15, L = (1, 1), N(100, 15^2)), solved
    # independently by scipy quad on the Chen–Zheng recursion.
    h1, h2, p, mu, sd = 1.0, 1.0, 15.0, 100.0, 15.0

    def c1(y: float) -> float:
        z = (y - mu) / sd
        loss = sd * (stats.norm.pdf(z) - z * stats.norm.sf(z))
        return h1 * (y - mu) + (p + h1 + h2) * loss

    s1 = optimize.minimize_scalar(c1, bounds=(50, 200), method="bounded").x

    def c2(y: float) -> float:
        def integrand(d: float) -> float:
            return (h2 * (y - d) + c1(min(s1, y - d))) * stats.norm.pdf(d, mu, sd)

        return integrate.quad(integrand, mu - 10 * sd, mu + 10 * sd, points=[y - s1], limit=200)[0]

    opt = optimize.minimize_scalar(c2, bounds=(150, 300), method="bounded")
    sol = serial_base_stock([2, 1], [1, 1], 15, 100, 15)
    assert sol.echelon_levels == pytest.approx((s1, opt.x), abs=0.01)
    assert sol.cost == pytest.approx(opt.fun, abs=0.005)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"local_holding_costs": [1, 2], "lead_times": [1, 1]}, "must not increase"),
        ({"local_holding_costs": [2, 1], "lead_times": [1]}, "one of each"),
        ({"local_holding_costs": [2, 1], "lead_times": [1, -1]}, "lead times"),
        ({"local_holding_costs": [], "lead_times": []}, "one of each"),
    ],
)
def test_invalid_parameters(kwargs: dict[str, list[float]], fragment: str) -> None:
    with pytest.raises(InvalidParameter, match=fragment):
        serial_base_stock(backorder_cost=10, demand_mean=5, demand_sd=1, **kwargs)
    with pytest.raises(InvalidParameter, match="sd"):
        serial_base_stock([2, 1], [1, 1], 10, 5, 0)
