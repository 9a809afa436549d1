"""Stored policy text and the order quantity of each policy."""

from __future__ import annotations

import pytest

from subzero.domain.errors import InvalidParameter
from subzero.planning.policies.kinds import (
    RQ,
    RS,
    SS,
    BaseStock,
    MakeToOrder,
    MinMax,
    order_quantity,
    policy_from_text,
    policy_to_text,
    target_level,
)


@pytest.mark.parametrize(
    "policy",
    [MakeToOrder(), BaseStock(40), SS(4, 10), RQ(5, 20), RS(7, 30), MinMax(2, 9)],
)
def test_round_trip(policy: object) -> None:
    assert policy_from_text(policy_to_text(policy)) == policy  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["", "sometimes", "sS:s=10,S=4", "rQ:r=1", "base-stock:S=x", "RS:R=0,S=3"]
)
def test_bad_policy_text(text: str) -> None:
    with pytest.raises(InvalidParameter):
        policy_from_text(text)


def test_order_quantities() -> None:
    assert order_quantity(MakeToOrder(), -6) == 6 and order_quantity(MakeToOrder(), 2) == 0
    assert order_quantity(BaseStock(10), 4) == 6
    assert order_quantity(SS(4, 10), 4) == 6 and order_quantity(SS(4, 10), 5) == 0
    assert order_quantity(RQ(5, 10), 5) == 10 and order_quantity(RQ(5, 10), -20) == 30
    assert (
        order_quantity(RS(7, 30), 10, day=14) == 20 and order_quantity(RS(7, 30), 10, day=15) == 0
    )
    assert order_quantity(MinMax(2, 9), 1) == 8 and order_quantity(MinMax(2, 9), 2) == 0
    assert target_level(RQ(5, 10)) == 15 and target_level(MakeToOrder()) == 0
