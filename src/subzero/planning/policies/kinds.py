"""The stock policies an item can follow, as value objects shared by the service,
the simulator and the optimisers.

Conventions (Snyder & Shen, *Fundamentals of Supply Chain Theory*, ch. 4;
Zipkin, *Foundations of Inventory Management*, ch. 6): decisions look at the
**inventory position** IP = on hand + on order − backordered (− allocated, which is
zero in the period models), reviewed once per day (periodic review, day buckets).

* ``MakeToOrder`` — order exactly what each sale below zero needs: keep IP ≥ 0.
* ``BaseStock(S)`` — order up to S every review: order max(0, S − IP).
* ``SS(s, S)`` — when IP ≤ s, order up to S (Scarf 1960).
* ``RQ(r, Q)`` — when IP ≤ r, order the smallest multiple of Q that lifts IP above r.
* ``RS(R, S)`` — every R days (review period), order up to S.
* ``MinMax(minimum, maximum)`` — the ERP name of (s, S): when IP < minimum, order up to
  maximum.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from subzero.domain.errors import InvalidParameter

__all__ = [
    "RQ",
    "RS",
    "SS",
    "BaseStock",
    "MakeToOrder",
    "MinMax",
    "Policy",
    "PolicyKind",
    "order_quantity",
]


class PolicyKind(enum.StrEnum):
    """Stable names, used in files, the CLI and the database."""

    MAKE_TO_ORDER = "mto"
    BASE_STOCK = "base-stock"
    S_S = "sS"
    R_Q = "rQ"
    R_S = "RS"
    MIN_MAX = "minmax"


@dataclass(frozen=True, slots=True)
class MakeToOrder:
    kind: PolicyKind = PolicyKind.MAKE_TO_ORDER


@dataclass(frozen=True, slots=True)
class BaseStock:
    """Order up to ``base_stock_level`` [S] every review."""

    base_stock_level: int
    kind: PolicyKind = PolicyKind.BASE_STOCK


@dataclass(frozen=True, slots=True)
class SS:
    """(s, S): when IP ≤ ``reorder_point`` [s], order up to ``order_up_to`` [S]."""

    reorder_point: int
    order_up_to: int
    kind: PolicyKind = PolicyKind.S_S

    def __post_init__(self) -> None:
        if self.order_up_to <= self.reorder_point:
            raise InvalidParameter(
                f"(s,S): S={self.order_up_to} must be greater than s={self.reorder_point}"
            )


@dataclass(frozen=True, slots=True)
class RQ:
    """(r, Q): when IP ≤ ``reorder_point`` [r], order multiples of ``order_quantity`` [Q]."""

    reorder_point: int
    order_quantity: int
    kind: PolicyKind = PolicyKind.R_Q

    def __post_init__(self) -> None:
        if self.order_quantity <= 0:
            raise InvalidParameter(f"(r,Q): Q={self.order_quantity} must be positive")


@dataclass(frozen=True, slots=True)
class RS:
    """(R, S): every ``review_period_days`` [R] order up to ``order_up_to`` [S]."""

    review_period_days: int
    order_up_to: int
    kind: PolicyKind = PolicyKind.R_S

    def __post_init__(self) -> None:
        if self.review_period_days <= 0:
            raise InvalidParameter(f"(R,S): R={self.review_period_days} must be positive")


@dataclass(frozen=True, slots=True)
class MinMax:
    """Min/max: when IP < ``minimum``, order up to ``maximum``."""

    minimum: int
    maximum: int
    kind: PolicyKind = PolicyKind.MIN_MAX

    def __post_init__(self) -> None:
        if self.maximum < self.minimum:
            raise InvalidParameter(f"min/max: max={self.maximum} is below min={self.minimum}")


Policy = MakeToOrder | BaseStock | SS | RQ | RS | MinMax


def order_quantity(policy: Policy, inventory_position: int, *, day: int = 0) -> int:
    """Units to order now under ``policy`` given the inventory position (never negative).

    ``day`` is the review day index, used only by (R, S) (it orders when day % R == 0).
    """
    ip = inventory_position
    match policy:
        case MakeToOrder():
            return max(0, -ip)
        case BaseStock(base_stock_level=s_level):
            return max(0, s_level - ip)
        case SS(reorder_point=s, order_up_to=s_up):
            return s_up - ip if ip <= s else 0
        case RQ(reorder_point=r, order_quantity=q):
            if ip > r:
                return 0
            return q * ((r - ip) // q + 1)
        case RS(review_period_days=period, order_up_to=s_up):
            return max(0, s_up - ip) if day % period == 0 else 0
        case MinMax(minimum=lo, maximum=hi):
            return hi - ip if ip < lo else 0
    raise InvalidParameter(f"unknown policy {policy!r}")
